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
/// endless heads, resets, half-open connections, a zero-window reader). Every guest runs over
/// NET hypercalls and over Solo5's ring, ends by its --requests bound (exit 0, summary checked) and
/// is killed if a test fails first. Counts and times are bounded; the namespace is always deleted.
/// </summary>
public sealed class HttpSampleTests(ITestOutputHelper output)
{
    private const HostNeeds Needs = HostNeeds.Kvm | HostNeeds.Root | HostNeeds.Tun;
    private const string Url = "http://10.0.0.2";
    private const string Hello = "hello from a C# unikernel\n";
    private const long DefaultLargeSize = 16 * 1024 * 1024;
    private static readonly IPEndPoint Server = new(IPAddress.Parse("10.0.0.2"), 80);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static NetGuest Start(TestNamespace ns, string pathArgument, params string[] args) =>
        new(ns, GuestBuilds.Elf("http"), Path.Combine(Repo.Root, "samples", "http", "manifest.json"),
            ["--net:service0=tap0", "--timeout=600s"], ["--ipv4=10.0.0.2/24", pathArgument, .. args]);

    private static TestNamespace Namespace(string prefix)
    {
        var ns = new TestNamespace(prefix);
        ns.AddTap("tap0", "10.0.0.1/24");
        return ns;
    }

    /// <summary>The guest's summary after its last response: exit 0, the request count, no heap growth.</summary>
    private static Match ExpectSummary(NetGuest guest, int requests)
    {
        var (code, text) = guest.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, text);
        Match m = Regex.Match(text, $@"http: {requests} requests on (\d+) connections, (\d+) body bytes, heap growth (\d+) bytes while serving");
        Assert.True(m.Success, "no summary for " + requests + " requests:\n" + text);
        // Serving allocates nothing: the guest heap never frees, so growth would be a leak per request.
        Assert.True(m.Groups[3].Value == "0", "the guest's heap grew while serving:\n" + text);
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

    [HostTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Curl_gets_every_page_with_the_right_status_and_body(string pathArgument, string path)
    {
        using var ns = Namespace("ghtp");
        const int requests = 12;
        using var guest = Start(ns, pathArgument, $"--requests={requests}");
        Assert.Contains("http: 10.0.0.2/24 mtu 1500 via " + path, guest.Output);

        Response index = Curl(ns, Url + "/");
        ExpectPage(index, 200, null, "text/html; charset=utf-8");
        Assert.Contains("<h1>A C# unikernel serving HTTP</h1>", index.Text);
        Assert.Contains("<a href=\"/large\">", index.Text);
        ExpectPage(Curl(ns, Url + "/hello"), 200, Hello, "text/plain");
        ExpectPage(Curl(ns, Url + "/hello?with=query"), 200, Hello);
        ExpectPage(Curl(ns, Url + "/index.html"), 200, index.Text);

        Response status = Curl(ns, Url + "/status");
        ExpectPage(status, 200, null, "text/plain");
        Dictionary<string, long> counters = StatusCounters(status.Text);
        Assert.Equal(4, counters["requests"]);      // served before this one
        Assert.Equal(5, counters["connections"]);   // one per curl, this one included
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
}
