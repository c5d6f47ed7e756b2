using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using TestNamespace = Tender.TestSupport.TestNamespace;

namespace Guest.Tests;

/// <summary>
/// samples/http (a static web server on Guest.Stack) in a network namespace the test makes, against
/// real Linux clients: curl for pages, keep-alive and parallel downloads whose SHA-256 the test
/// recomputes from the sample's pattern, and the test's own sockets as a hostile peer (garbage,
/// endless heads, resets, half-open connections, a zero-window reader), and 120 connections open at
/// once. Every guest runs over NET hypercalls and over Solo5's ring, ends by its --requests bound
/// (exit 0, summary checked) and is killed if a test fails first. Counts and times are bounded; the namespace is always deleted.
/// </summary>
public sealed class HttpSampleTests(ITestOutputHelper output)
{
    private const HostNeeds Needs = HostNeeds.Root | HostNeeds.Tun;
    private const string Url = "http://10.0.0.2";
    private const string Hello = "hello from a C# unikernel\n";
    private const long DefaultLargeSize = 16 * 1024 * 1024;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static NetGuest Start(TestNamespace ns, string pathArgument, params string[] args) =>
        new(ns, GuestBuilds.Elf("http"), Path.Combine(Repo.Root, "samples", "http", "manifest.json"),
            ["--net:service0=tap0", "--timeout=600s"], ["--ipv4=10.0.0.2/24", pathArgument, .. args]);

    private static TestNamespace Namespace(string prefix)
    {
        var ns = new TestNamespace(prefix);
        try
        {
            ns.AddTap("tap0", "10.0.0.1/24");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Bytes the guest's heap in use (after a full collection) may grow by while serving: the
    /// collector is conservative, so a stale word may keep a few objects; a leak per request is far more.</summary>
    private const long HeapGrowthBound = 256 * 1024;

    /// <summary>The guest's summary after its last response: exit 0, the request count, the heap in use flat.</summary>
    private static Match ExpectSummary(NetGuest guest, int requests)
    {
        var (code, text) = guest.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, text);
        Match m = Regex.Match(text, $@"http: {requests} requests on (\d+) connections, (\d+) body bytes, heap growth (-?\d+) bytes while serving \((\d+) bytes allocated, (\d+) collections\)");
        Assert.True(m.Success, "no summary for " + requests + " requests:\n" + text);
        Assert.True(long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) <= HeapGrowthBound, "the guest's heap in use grew while serving:\n" + text);
        return m;
    }

    // ---- the /large body, recomputed --------------------------------------------------------

    private static readonly ConcurrentDictionary<long, string> LargeHashes = new();

    /// <summary>SHA-256 (hex) of the sample's /large body of <paramref name="size"/> bytes.</summary>
    private static string LargeSha256(long size) => LargeHashes.GetOrAdd(size, s =>
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] chunk = new byte[64 * 1024];
        for (long at = 0; at < s; at += chunk.Length)
        {
            for (int k = 0; k < chunk.Length; k += 8)
            {
                ulong j = (ulong)(at + k) / 8;
                ulong z = unchecked((j + 1) * 0x9E3779B97F4A7C15UL);
                BinaryPrimitives.WriteUInt64LittleEndian(chunk.AsSpan(k), z ^ (z >> 29));
            }
            sha.AppendData(chunk, 0, (int)Math.Min(chunk.Length, s - at));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    });

    // ---- curl -------------------------------------------------------------------------------

    private sealed record Response(int Status, string Head, byte[] Body)
    {
        public string Text => Encoding.ASCII.GetString(Body);
        public string? Header(string name)
        {
            foreach (string line in Head.Split("\r\n"))
                if (line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)) return line[(name.Length + 1)..].Trim();
            return null;
        }
        public override string ToString() => Head + Text;
    }

    /// <summary>One curl run in the namespace; head and body from files (exact bytes).</summary>
    private static Response Curl(TestNamespace ns, params string[] args)
    {
        string dir = Directory.CreateTempSubdirectory("guest-http-").FullName;
        try
        {
            string head = Path.Combine(dir, "head"), body = Path.Combine(dir, "body");
            var (code, text) = Command.TryRun(Patience, "ip", ["netns", "exec", ns.Name, "curl", "-sS", "--max-time", "50", "-D", head, "-o", body, .. args]);
            Assert.True(code == 0, $"curl {string.Join(' ', args)} failed ({code}): {text}");
            string headText = File.ReadAllText(head);
            Match status = Regex.Match(headText, @"^HTTP/1\.[01] (\d{3}) ");
            Assert.True(status.Success, "no status line: " + headText);
            return new Response(int.Parse(status.Groups[1].Value, CultureInfo.InvariantCulture), headText,
                File.Exists(body) ? File.ReadAllBytes(body) : []);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void ExpectPage(Response r, int status, string? body, string? contentType = null)
    {
        Assert.True(r.Status == status, $"expected {status}:\n{r}");
        if (body is not null) Assert.Equal(body, r.Text);
        Assert.Equal(r.Body.Length.ToString(CultureInfo.InvariantCulture), r.Header("Content-Length"));
        if (contentType is not null) Assert.Equal(contentType, r.Header("Content-Type"));
    }

    private static Dictionary<string, long> StatusCounters(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));

    // ---- tests ------------------------------------------------------------------------------

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Curl_gets_every_page_with_the_right_status_and_body(string pathArgument, string path)
    {
        using var ns = Namespace("ghtp");
        const int requests = 13;
        using var guest = Start(ns, pathArgument, $"--requests={requests}");
        Assert.Contains("http: 10.0.0.2/24 mtu 1500 via " + path, guest.Output);

        Response index = Curl(ns, Url + "/");
        ExpectPage(index, 200, null, "text/html; charset=utf-8");
        Assert.Contains("<h1>A C# unikernel serving HTTP</h1>", index.Text);
        Assert.Contains("<a href=\"/large\">", index.Text);
        ExpectPage(Curl(ns, Url + "/hello"), 200, Hello, "text/plain");
        ExpectPage(Curl(ns, Url + "/hello?with=query"), 200, Hello);
        ExpectPage(Curl(ns, Url + "/index.html"), 200, index.Text);
        ExpectPage(Curl(ns, "--request-target", Url + "/hello", Url + "/"), 200, Hello); // absolute form

        Response status = Curl(ns, Url + "/status");
        ExpectPage(status, 200, null, "text/plain");
        Dictionary<string, long> counters = StatusCounters(status.Text);
        Assert.Equal(5, counters["requests"]);      // served before this one
        Assert.Equal(6, counters["connections"]);   // one per curl, this one included
        Assert.True(counters["heap"] > 0, status.Text);

        // HEAD: the GET's headers (Content-Length of the body it would send), no body (curl -I
        // writes the head to its output; nothing may follow it).
        Response headLarge = Curl(ns, "-I", Url + "/large");
        Assert.Equal(200, headLarge.Status);
        Assert.Equal(DefaultLargeSize.ToString(CultureInfo.InvariantCulture), headLarge.Header("Content-Length"));
        Assert.Equal(headLarge.Head, headLarge.Text);
        Response headHello = Curl(ns, "-I", Url + "/hello");
        Assert.Equal("26", headHello.Header("Content-Length"));
        Assert.Equal(headHello.Head, headHello.Text);

        ExpectPage(Curl(ns, Url + "/no/such/page"), 404, "not found\n");
        Response post = Curl(ns, "-X", "POST", "-d", "x=1", Url + "/hello");
        ExpectPage(post, 405, "only GET and HEAD\n");
        Assert.Equal("GET, HEAD", post.Header("Allow"));
        Assert.Equal("close", post.Header("Connection"));

        // HTTP/1.0 closes by default; HTTP/1.1 closes when asked.
        Response http10 = Curl(ns, "-0", Url + "/hello");
        ExpectPage(http10, 200, Hello);
        Assert.Equal("close", http10.Header("Connection"));
        Response asked = Curl(ns, "-H", "Connection: close", Url + "/hello");
        ExpectPage(asked, 200, Hello);
        Assert.Equal("close", asked.Header("Connection"));

        // The large body, checked against the test's own computation of the pattern.
        var clock = Stopwatch.StartNew();
        Response large = Curl(ns, Url + "/large");
        output.WriteLine($"{path}: /large ({DefaultLargeSize} bytes) in {clock.Elapsed.TotalSeconds:F2} s");
        Assert.Equal(200, large.Status);
        Assert.Equal(DefaultLargeSize, large.Body.LongLength);
        Assert.Equal(LargeSha256(DefaultLargeSize), Convert.ToHexStringLower(SHA256.HashData(large.Body)));

        Match summary = ExpectSummary(guest, requests);
        Assert.Equal(requests.ToString(CultureInfo.InvariantCulture), summary.Groups[1].Value); // one connection per curl
    }

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Keep_alive_connections_serve_many_requests_and_pipelined_ones_in_order(string pathArgument, string path)
    {
        using var ns = Namespace("ghtk");
        const int repeats = 200;
        const int burst = 40;
        const int requests = repeats + 4 + burst + 2 + 1 + 1;
        using var guest = Start(ns, pathArgument, $"--requests={requests}");
        Assert.Contains("via " + path, guest.Output);

        // One curl, the same URL 200 times: one connection, every response complete.
        var args = new List<string> { "netns", "exec", ns.Name, "curl", "-sS", "--max-time", "100", "-w", "%{http_code} %{size_download} %{num_connects}\\n" };
        for (int i = 0; i < repeats; i++) args.AddRange(["-o", "/dev/null", Url + "/hello"]);
        var clock = Stopwatch.StartNew();
        var (code, text) = Command.TryRun(TimeSpan.FromSeconds(120), "ip", [.. args]);
        output.WriteLine($"{path}: {repeats} requests on one connection in {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(code == 0, text);
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(repeats, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("200 26 ", l));
        Assert.Equal(1, lines.Sum(l => int.Parse(l.Split(' ')[2], CultureInfo.InvariantCulture)));

        // Four requests in one write: answered in order, HEAD without a body (else the next
        // response would not parse), the last asks to close and the server does.
        using (RawPeer peer = RawPeer.Connect(ns))
        {
            peer.Send("GET /hello HTTP/1.1\r\nHost: guest\r\n\r\n"
                + "HEAD /hello HTTP/1.1\r\nHost: guest\r\n\r\n"
                + "GET /no-such HTTP/1.1\r\nHost: guest\r\nAccept: */*\r\n\r\n"
                + "GET /status HTTP/1.1\r\nHost: guest\r\nConnection: close\r\n\r\n");
            var (s1, h1, b1) = peer.ReadResponse();
            Assert.Equal(200, s1);
            Assert.Equal(Hello, b1);
            Assert.Null(RawPeer.Header(h1, "Connection"));
            var (s2, h2, b2) = peer.ReadResponse(headOnly: true);
            Assert.Equal(200, s2);
            Assert.Equal("26", RawPeer.Header(h2, "Content-Length"));
            var (s3, _, b3) = peer.ReadResponse();
            Assert.Equal(404, s3);
            Assert.Equal("not found\n", b3);
            var (s4, h4, b4) = peer.ReadResponse();
            Assert.Equal(200, s4);
            Assert.Equal("close", RawPeer.Header(h4, "Connection"));
            Dictionary<string, long> counters = StatusCounters(b4);
            Assert.Equal(repeats + 3, counters["requests"]);
            Assert.Equal(2, counters["connections"]);
            Assert.True(peer.ReadsEndOfStream(Patience), "the server did not close after Connection: close");
        }

        // More pipelined requests than the server answers per connection in one pass of its loop:
        // the rest must be answered without the client sending anything more.
        using (RawPeer peer = RawPeer.Connect(ns))
        {
            peer.Send(string.Concat(Enumerable.Range(0, burst).Select(i => $"GET /hello?{i} HTTP/1.1\r\nHost: guest\r\n\r\n")));
            for (int i = 0; i < burst; i++)
            {
                var (got, _, body) = peer.ReadResponse();
                Assert.Equal(200, got);
                Assert.Equal(Hello, body);
            }
        }

        // HTTP/1.0: kept open only when asked for, and said so.
        using (RawPeer peer = RawPeer.Connect(ns))
        {
            peer.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            var (s1, h1, b1) = peer.ReadResponse();
            Assert.Equal(200, s1);
            Assert.Equal("keep-alive", RawPeer.Header(h1, "Connection"));
            Assert.Equal(Hello, b1);
            peer.Send("GET /hello HTTP/1.0\r\n\r\n");
            var (s2, h2, b2) = peer.ReadResponse();
            Assert.Equal(200, s2);
            Assert.Equal("close", RawPeer.Header(h2, "Connection"));
            Assert.Equal(Hello, b2);
            Assert.True(peer.ReadsEndOfStream(Patience), "the server did not close an HTTP/1.0 connection");
        }

        // A request dribbled in pieces (the head spans several segments), lone LFs as line ends.
        using (RawPeer peer = RawPeer.Connect(ns))
        {
            foreach (string piece in (string[])["GE", "T /hel", "lo HTTP/1.1\n", "Host: gu", "est\n", "\n"])
            {
                peer.Send(piece);
                Thread.Sleep(50);
            }
            var (s, _, b) = peer.ReadResponse();
            Assert.Equal(200, s);
            Assert.Equal(Hello, b);
        }

        Response status = Curl(ns, Url + "/status");
        Dictionary<string, long> last = StatusCounters(status.Text);
        Assert.Equal(requests - 1, last["requests"]);
        Assert.Equal(6, last["connections"]);
        Match summary = ExpectSummary(guest, requests);
        Assert.Equal("6", summary.Groups[1].Value);
    }

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Parallel_clients_get_intact_large_bodies_and_many_small_pages(string pathArgument, string path)
    {
        using var ns = Namespace("ghtc");
        const long size = 8 * 1024 * 1024 + 13;    // not a whole number of the pattern's words
        const int largeClients = 8, smallClients = 10, smallEach = 50, held = 120;
        const int requests = largeClients + smallClients * smallEach + held + 1;
        using var guest = Start(ns, pathArgument, $"--requests={requests}", $"--large-size={size}");
        Assert.Contains("via " + path, guest.Output);

        // Eight downloads of /large at once, hashed as they arrive, while ten more curls fetch /hello
        // 50 times each with up to 10 transfers in parallel (connections reused as curl sees fit).
        var clock = Stopwatch.StartNew();
        var large = Enumerable.Range(0, largeClients).Select(_ => ns.StartExec("bash", "-c",
            $"set -o pipefail; curl -sS --max-time 200 {Url}/large | sha256sum")).ToList();
        var small = Enumerable.Range(0, smallClients).Select(_ =>
        {
            var args = new List<string> { "curl", "-S", "--no-progress-meter", "--max-time", "200", "--parallel", "--parallel-max", "10",
                "-w", "%{http_code} %{size_download} %{num_connects}\\n" };
            for (int i = 0; i < smallEach; i++) args.AddRange(["-o", "/dev/null", Url + "/hello"]);
            return ns.StartExec([.. args]);
        }).ToList();
        try
        {
            int connects = 0, pages = 0;
            foreach (RunningCommand c in small)
            {
                var (code, text) = c.Wait(TimeSpan.FromSeconds(240));
                Assert.True(code == 0, c.CommandLine + ": " + text);
                string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(smallEach, lines.Length);
                Assert.All(lines, l => Assert.StartsWith("200 26 ", l));
                connects += lines.Sum(l => int.Parse(l.Split(' ')[2], CultureInfo.InvariantCulture));
                pages += lines.Length;
            }
            output.WriteLine($"{path}: {pages} small requests by {smallClients} parallel curls on {connects} connections in {clock.Elapsed.TotalSeconds:F2} s (with {largeClients} downloads running)");
            foreach (RunningCommand c in large)
            {
                var (code, text) = c.Wait(TimeSpan.FromSeconds(240));
                Assert.True(code == 0, c.CommandLine + ": " + text);
                Assert.Equal(LargeSha256(size) + "  -", text.Trim());
            }
            output.WriteLine($"{path}: {largeClients} x /large ({size} bytes) intact, all done in {clock.Elapsed.TotalSeconds:F2} s");

            // Nearly the whole connection table (128) open at once, each asking once all are open.
            var peers = new List<RawPeer>();
            try
            {
                for (int i = 0; i < held; i++) peers.Add(RawPeer.Connect(ns));
                foreach (RawPeer p in peers) p.Send("GET /hello HTTP/1.1\r\nHost: guest\r\n\r\n");
                foreach (RawPeer p in peers)
                {
                    var (status, _, body) = p.ReadResponse();
                    Assert.Equal(200, status);
                    Assert.Equal(Hello, body);
                }
            }
            finally
            {
                foreach (RawPeer p in peers) p.Dispose();
            }

            Dictionary<string, long> counters = StatusCounters(Curl(ns, Url + "/status").Text);
            Assert.Equal(requests - 1, counters["requests"]);
            Assert.Equal(largeClients + connects + held + 1, counters["connections"]);
            Match summary = ExpectSummary(guest, requests);
            Assert.Equal((largeClients + connects + held + 1).ToString(CultureInfo.InvariantCulture), summary.Groups[1].Value);
        }
        finally
        {
            foreach (RunningCommand c in large.Concat(small)) c.Dispose();
        }
    }

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void A_hostile_peer_neither_crashes_nor_blocks_the_server(string pathArgument, string path)
    {
        using var ns = Namespace("ghth");
        const long size = 4 * 1024 * 1024 + 5;
        const int requests = 12;
        using var guest = Start(ns, pathArgument, $"--requests={requests}", $"--large-size={size}", "--idle-ms=6000");
        Assert.Contains("via " + path, guest.Output);

        // Garbage, and heads that are not HTTP: 400, then the server closes (FIN, not a reset).
        void Refused(byte[] request, int status, string what)
        {
            using RawPeer peer = RawPeer.Connect(ns);
            peer.Send(request);
            var (got, head, _) = peer.ReadResponse();
            Assert.True(got == status, $"{what}: expected {status}, got {head}");
            Assert.Equal("close", RawPeer.Header(head, "Connection"));
            Assert.True(peer.ReadsEndOfStream(Patience), what + ": the server did not close");
        }
        byte[] garbage = new byte[300];
        new Random(5).NextBytes(garbage);
        garbage[0] = 0x16; // a TLS record's first byte
        Refused(garbage, 400, "random bytes");
        Refused(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("GET", 20))), 400, "a method that never ends");
        Refused(Encoding.ASCII.GetBytes("GET no-slash HTTP/1.1\r\nHost: guest\r\n\r\n"), 400, "a bad target");
        Refused(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: guest\r\nno colon here\r\n\r\n"), 400, "a field without a colon");
        Refused(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n"), 400, "HTTP/1.1 without Host");
        // A head that never ends: refused at the limit (8192 bytes) while the peer still sends.
        Refused(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: guest\r\nX-Long: " + new string('a', 30000)), 431, "an endless head");

        // A reset in the middle of /large (a small receive buffer keeps the rest on the server side).
        using (RawPeer peer = RawPeer.Connect(ns, receiveBuffer: 32 * 1024))
        {
            peer.Send("GET /large HTTP/1.1\r\nHost: guest\r\n\r\n");
            Assert.Equal(200, peer.ReadHead().Status);
            peer.ReadExactly(new byte[256 * 1024]);
            peer.Reset();
        }

        // Half-open peers: silent after connecting, stopped inside a head, gone inside a head (FIN
        // or reset). Meanwhile other clients are served, and the server counts the silent ones open.
        var silent = Enumerable.Range(0, 20).Select(_ => RawPeer.Connect(ns)).ToList();
        var partial = Enumerable.Range(0, 10).Select(_ => RawPeer.Connect(ns)).ToList();
        try
        {
            foreach (RawPeer p in partial) p.Send("GET /hel");
            for (int i = 0; i < 10; i++)
            {
                RawPeer gone = RawPeer.Connect(ns);
                gone.Send("GET /hello HTTP/1.1\r\nHo");
                if (i % 2 == 0)
                {
                    gone.Socket.Shutdown(SocketShutdown.Send);
                    gone.Dispose();
                }
                else gone.Reset();
            }
            Response during = Curl(ns, Url + "/status");
            Assert.True(StatusCounters(during.Text)["open"] >= silent.Count + partial.Count + 1, during.Text);
            ExpectPage(Curl(ns, Url + "/hello"), 200, Hello);
            // The idle limit (6 s here) closes them all: each sees the end of the stream, nothing else.
            foreach (RawPeer p in silent.Concat(partial))
                Assert.True(p.ReadsEndOfStream(Patience), "a half-open connection was not closed after the idle limit");
        }
        finally
        {
            foreach (RawPeer p in silent.Concat(partial)) p.Dispose();
        }

        // A reader that stops (its window closes: the server must wait, probing) and then resumes.
        using (RawPeer peer = RawPeer.Connect(ns, receiveBuffer: 4096))
        {
            peer.Send("GET /large HTTP/1.1\r\nHost: guest\r\n\r\n");
            var (status, head) = peer.ReadHead();
            Assert.Equal(200, status);
            Assert.Equal(size.ToString(CultureInfo.InvariantCulture), RawPeer.Header(head, "Content-Length"));
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] chunk = new byte[64 * 1024];
            peer.ReadExactly(chunk);
            sha.AppendData(chunk);
            Thread.Sleep(3000);
            for (long got = chunk.Length; got < size; got += chunk.Length)
            {
                int n = (int)Math.Min(chunk.Length, size - got);
                peer.ReadExactly(chunk.AsSpan(0, n));
                sha.AppendData(chunk, 0, n);
            }
            Assert.Equal(LargeSha256(size), Convert.ToHexStringLower(sha.GetHashAndReset()));
        }

        // After all that, ordinary clients are served as before.
        ExpectPage(Curl(ns, Url + "/hello"), 200, Hello);
        ExpectPage(Curl(ns, Url + "/"), 200, null, "text/html; charset=utf-8");
        Dictionary<string, long> counters = StatusCounters(Curl(ns, Url + "/status").Text);
        Assert.Equal(requests - 1, counters["requests"]);
        Match summary = ExpectSummary(guest, requests);
        // The stack saw the reset and probed the closed window; no response was given up as stalled.
        Match tcp = Regex.Match(guest.Output, @"(\d+) received, (\d+) zero-window probes, (\d+) stalled");
        Assert.True(tcp.Success, guest.Output);
        Assert.True(int.Parse(tcp.Groups[1].Value, CultureInfo.InvariantCulture) >= 1, "no reset received: " + tcp.Value);
        Assert.True(int.Parse(tcp.Groups[2].Value, CultureInfo.InvariantCulture) >= 1, "no zero-window probe: " + tcp.Value);
        Assert.Equal("0", tcp.Groups[3].Value);
        output.WriteLine($"{path}: " + guest.Output.Split('\n').Single(l => l.StartsWith(summary.Value, StringComparison.Ordinal)));
    }

    /// <summary>Requests the flat-heap test makes (each builds its /status text as a new string).</summary>
    public const int FlatHeapRequests = 100_000;

    [GuestFact(Needs)]
    public void Serving_100000_dynamic_pages_over_the_ring_keeps_the_heap_in_use_flat()
    {
        using var ns = Namespace("ghtg");
        const int requests = FlatHeapRequests, batch = 50;
        using var guest = Start(ns, "--ring", $"--requests={requests}");
        var clock = Stopwatch.StartNew();
        var heap = new List<long>();  // "heap" (bytes in use) of the last response of each batch
        string pipelined = string.Concat(Enumerable.Repeat("GET /status HTTP/1.1\r\nHost: guest\r\n\r\n", batch));
        using (RawPeer peer = RawPeer.Connect(ns))
        {
            for (int sent = 0; sent < requests; sent += batch)
            {
                peer.Send(pipelined);
                for (int i = 0; i < batch; i++)
                {
                    var (status, _, body) = peer.ReadResponse();
                    Assert.Equal(200, status);
                    Dictionary<string, long> counters = StatusCounters(body);
                    Assert.Equal(sent + i, counters["requests"]);
                    if (i == batch - 1) heap.Add(counters["heap"]);
                }
            }
        }
        Match summary = ExpectSummary(guest, requests);
        // After a warm-up tenth, the heap in use (live objects plus garbage not yet collected) has no
        // upward trend: the second half peaks no higher than the first, give or take 512 KiB.
        int warm = heap.Count / 10, mid = warm + (heap.Count - warm) / 2;
        long firstPeak = heap.Skip(warm).Take(mid - warm).Max(), secondPeak = heap.Skip(mid).Max();
        output.WriteLine($"{requests} dynamic /status pages in {clock.Elapsed.TotalSeconds:F1} s; heap in use: first half peak {firstPeak}, second half peak {secondPeak} bytes; "
            + $"summary: growth {summary.Groups[3].Value} bytes, {summary.Groups[4].Value} allocated, {summary.Groups[5].Value} collections");
        Assert.True(secondPeak <= firstPeak + 512 * 1024, $"heap in use grew: first half peak {firstPeak}, second half peak {secondPeak}");
        Assert.True(long.Parse(summary.Groups[4].Value, CultureInfo.InvariantCulture) > (long)requests * 64, "the pages were not built per request:\n" + summary.Value);
        Assert.True(long.Parse(summary.Groups[5].Value, CultureInfo.InvariantCulture) > 0, "no collection ran:\n" + summary.Value);
    }
}

/// <summary>
/// A TCP client socket made inside the test's namespace, for requests curl will not send (pipelined,
/// dribbled, malformed) and peers that misbehave. Every read is bounded by a receive timeout.
/// </summary>
internal sealed class RawPeer : IDisposable
{
    private static readonly IPEndPoint Server = new(IPAddress.Parse("10.0.0.2"), 80);
    public readonly Socket Socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;

    private RawPeer(Socket socket) => Socket = socket;

    /// <param name="receiveBuffer">a small kernel receive buffer (set before connecting) makes a small window</param>
    public static RawPeer Connect(TestNamespace ns, int? receiveBuffer = null, int timeoutSeconds = 60) => ns.Run(() =>
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBuffer is int size) s.ReceiveBufferSize = size;
        s.ReceiveTimeout = timeoutSeconds * 1000;
        s.SendTimeout = timeoutSeconds * 1000;
        s.Connect(Server);
        return new RawPeer(s);
    });

    public void Send(string text) => Send(Encoding.ASCII.GetBytes(text));

    public void Send(byte[] bytes)
    {
        int sent = 0;
        while (sent < bytes.Length) sent += Socket.Send(bytes, sent, bytes.Length - sent, SocketFlags.None);
    }

    // More bytes into the buffer; false at end of stream.
    private bool Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) throw new InvalidOperationException("response head larger than the test's buffer");
        int n = Socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
        _end += n;
        return n > 0;
    }

    /// <summary>Reads one response head: status and the header lines.</summary>
    public (int Status, string Head) ReadHead()
    {
        while (true)
        {
            int end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                string head = Encoding.ASCII.GetString(_buffer, _start, end + 4);
                _start += end + 4;
                Match m = Regex.Match(head, @"^HTTP/1\.1 (\d{3}) ");
                Assert.True(m.Success, "not an HTTP/1.1 response: " + head);
                return (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), head);
            }
            Assert.True(Fill(), "end of stream inside a response head");
        }
    }

    /// <summary>Reads a whole response; its body per Content-Length (none for a HEAD).</summary>
    public (int Status, string Head, string Body) ReadResponse(bool headOnly = false)
    {
        var (status, head) = ReadHead();
        string? length = Header(head, "Content-Length");
        Assert.True(length is not null, "no Content-Length: " + head);
        int n = headOnly ? 0 : int.Parse(length, CultureInfo.InvariantCulture);
        var body = new byte[n];
        ReadExactly(body);
        return (status, head, Encoding.ASCII.GetString(body));
    }

    public void ReadExactly(Span<byte> into)
    {
        int got = 0;
        while (got < into.Length)
        {
            if (_start == _end) Assert.True(Fill(), $"end of stream after {got} of {into.Length} body bytes");
            int n = Math.Min(into.Length - got, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(into[got..]);
            _start += n;
            got += n;
        }
    }

    /// <summary>True once the server ends the stream (FIN) with no more bytes; false on a reset or extra bytes.</summary>
    public bool ReadsEndOfStream(TimeSpan within)
    {
        Socket.ReceiveTimeout = (int)within.TotalMilliseconds;
        if (_start != _end) return false;
        try
        {
            return Socket.Receive(_buffer) == 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static string? Header(string head, string name)
    {
        foreach (string line in head.Split("\r\n"))
            if (line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)) return line[(name.Length + 1)..].Trim();
        return null;
    }

    /// <summary>Closes with a reset (SO_LINGER 0) instead of a FIN.</summary>
    public void Reset()
    {
        Socket.LingerState = new LingerOption(true, 0);
        Socket.Close();
    }

    public void Dispose() => Socket.Dispose();
}
