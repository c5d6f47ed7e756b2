using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;
using TestNamespace = Tender.TestSupport.TestNamespace;

namespace Guest.Tests;

/// <summary>
/// samples/ping, samples/udp-echo and samples/tcp-echo (Guest.Stack in a unikernel) against Linux's
/// own ping, nc and sockets, in a network namespace the test makes with the TAP in it (Linux
/// 10.0.0.1, the guest 10.0.0.2), over NET hypercalls and over Solo5's ring. Every load is bounded
/// in count and time; each guest ends by reaching its --count bound and prints its counters.
/// </summary>
public sealed class StackSampleTests(ITestOutputHelper output)
{
    private const HostNeeds Needs = HostNeeds.Root | HostNeeds.Tun;
    private const string GuestIp = "10.0.0.2";
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(120);

    /// <summary>A namespace with tap0 (10.0.0.1/24) and the sample running on it as 10.0.0.2/24.</summary>
    private static (TestNamespace Ns, NetGuest Guest) Start(string prefix, string sample, string pathArgument, params string[] guestArgs)
    {
        var ns = new TestNamespace(prefix);
        try
        {
            ns.AddTap("tap0", "10.0.0.1/24");
            // Generous limits: CI is a loaded 2-core machine.
            var guest = new NetGuest(ns, GuestBuilds.Elf(sample), Path.Combine(Repo.Root, "samples", sample, "manifest.json"),
                ["--net:service0=tap0", "--net-mac:service0=02:00:00:00:00:02", "--timeout=240s"],
                ["--ipv4=" + GuestIp + "/24", pathArgument, .. guestArgs]);
            return (ns, guest);
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Runs a Linux program in the namespace with a long limit; returns its status and output.</summary>
    private (int ExitCode, string Output) Peer(TestNamespace ns, params string[] args)
    {
        var r = Command.TryRun(PeerTimeout, "ip", ["netns", "exec", ns.Name, .. args]);
        output.WriteLine($"$ {string.Join(' ', args)}\n{r.Output}");
        return r;
    }

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Ping_answers_full_size_echoes_and_a_flood_of_10000_with_none_lost(string pathArgument, string path)
    {
        const int sized = 5, empty = 2, flood = 10_000;
        var (ns, guest) = Start("spping", "ping", pathArgument, $"--count={sized + empty + flood}");
        using (ns)
        using (guest)
        {
            Assert.Contains("ping: 10.0.0.2/24 mtu 1500 via " + path, guest.Output);

            // The largest echo that fits the MTU unfragmented (1472 + 8 + 20 = 1500): ping checks the data it gets back.
            var (code, text) = Peer(ns, "ping", "-c", sized.ToString(), "-i", "0.2", "-s", "1472", "-W", "5", GuestIp);
            Assert.True(code == 0, text);
            Assert.Contains($"{sized} packets transmitted, {sized} received, 0% packet loss", text);
            Assert.DoesNotContain("wrong data", text);
            Assert.DoesNotContain("DUP!", text);

            // No payload at all.
            (code, text) = Peer(ns, "ping", "-c", empty.ToString(), "-i", "0.2", "-s", "0", "-W", "5", GuestIp);
            Assert.True(code == 0, text);
            Assert.Contains($"{empty} packets transmitted, {empty} received, 0% packet loss", text);

            // Larger than the MTU: Linux fragments it, and the stack drops fragments (its stated
            // policy: no reassembly), so no reply.
            (code, text) = Peer(ns, "ping", "-c", "2", "-i", "0.2", "-s", "2000", "-W", "1", GuestIp);
            Assert.Contains("2 packets transmitted, 0 received, 100% packet loss", text);

            // Flood: a new request as soon as a reply comes (at least 100 a second otherwise).
            var clock = Stopwatch.StartNew();
            (code, text) = Peer(ns, "ping", "-f", "-q", "-c", flood.ToString(), "-W", "5", GuestIp);
            output.WriteLine($"{path}: flood of {flood} in {clock.Elapsed.TotalSeconds:F2} s");
            Assert.True(code == 0, text);
            Assert.Contains($"{flood} packets transmitted, {flood} received, 0% packet loss", text);
            Assert.DoesNotContain("DUP!", text);

            var (exit, all) = guest.WaitForExit(TimeSpan.FromSeconds(60));
            output.WriteLine(all);
            Assert.True(exit == 0, all);
            Assert.Contains(", heap +0 bytes while serving", all);   // no allocation per packet or connection
            int replies = sized + empty + flood;
            Assert.Contains($"ping: {replies} echo replies, {replies} echo requests, ", all);
            Assert.Contains(" ARP replies, 4 fragments dropped", all);
        }
    }

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Udp_echo_returns_nc_datagrams_and_bursts_intact_and_refuses_a_closed_port(string pathArgument, string path)
    {
        const int ncDatagrams = 3, burst = 600, window = 16, backToBack = 500;
        var (ns, guest) = Start("spudp", "udp-echo", pathArgument, $"--count={ncDatagrams + burst + backToBack}");
        using (ns)
        using (guest)
        {
            Assert.Contains("udp-echo: 10.0.0.2/24 mtu 1500 via " + path, guest.Output);

            // nc sends its input as one datagram and prints what comes back until it has been idle for -w seconds.
            for (int i = 0; i < ncDatagrams; i++)
            {
                string line = $"hello guest {i} over {path}";
                var (code, text) = Peer(ns, "sh", "-c", $"echo '{line}' | nc -u -w 3 {GuestIp} 7");
                Assert.True(code == 0, text);
                Assert.Equal(line, text.Trim());
            }

            // A closed port (before the burst, whose last echo ends the guest): the guest answers
            // ICMP port unreachable, which Linux reports on a connected socket.
            using Socket closed = ns.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
            closed.Connect(new IPEndPoint(IPAddress.Parse(GuestIp), 9));
            closed.ReceiveTimeout = 10_000;
            closed.Send("anyone?"u8);
            var refused = Assert.Throws<SocketException>(() => closed.Receive(new byte[64]));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

            // Datagrams of every size from 8 to 1472 bytes (the most that fits the MTU), distinct
            // contents, at most `window` unanswered at a time; every echo checked byte for byte.
            using Socket client = ns.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
            client.Bind(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 0));
            client.Connect(new IPEndPoint(IPAddress.Parse(GuestIp), 7));
            client.ReceiveTimeout = 10_000;
            client.ReceiveBufferSize = 4 << 20;
            var clock = Stopwatch.StartNew();
            var sent = new Dictionary<int, byte[]>();
            var received = new byte[2048];
            int next = 0, echoed = 0;
            while (echoed < burst)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"{echoed} of {burst} echoes in 90 s");
                while (next < burst && next - echoed < window)
                {
                    byte[] d = Datagram(next, 8 + next * 1464 / (burst - 1));
                    sent[next] = d;
                    client.Send(d);
                    next++;
                }
                int n = client.Receive(received);   // throws after 10 s without one: a lost datagram
                int seq = BitConverter.ToInt32(received, 0);
                Assert.True(sent.Remove(seq, out byte[]? expected), $"echo of an unknown or repeated datagram {seq}");
                Assert.True(received.AsSpan(0, n).SequenceEqual(expected), $"datagram {seq} ({expected.Length} bytes) came back as {n} different bytes");
                echoed++;
            }
            output.WriteLine($"{path}: {burst} datagrams ({window} in flight) echoed in {clock.Elapsed.TotalMilliseconds:F0} ms");

            // Back to back, as fast as Linux sends them: more than the sample's socket queue (256),
            // which one Poll can fill, so the loop must read the socket between polls (NetApp.Wait
            // once polled too and lost the excess), and fewer than the TAP's queue (1000), so none
            // may be lost even if the guest is descheduled.
            // The echoes are read on another thread meanwhile, so Linux's socket buffer never overflows.
            var echoes = Task.Run(() =>
            {
                var got = new List<byte[]>();
                var b = new byte[2048];
                while (got.Count < backToBack) got.Add(b.AsSpan(0, client.Receive(b)).ToArray());
                return got;
            });
            clock.Restart();
            for (int i = 0; i < backToBack; i++)
            {
                byte[] d = Datagram(burst + i, 8 + i * 1464 / (backToBack - 1));
                sent[burst + i] = d;
                client.Send(d);
            }
            Assert.True(echoes.Wait(TimeSpan.FromSeconds(60)), "the back-to-back echoes did not come back in 60 s");
            foreach (byte[] echo in echoes.Result)
            {
                int seq = BitConverter.ToInt32(echo, 0);
                Assert.True(sent.Remove(seq, out byte[]? expected), $"echo of an unknown or repeated datagram {seq}");
                Assert.True(echo.AsSpan().SequenceEqual(expected), $"datagram {seq} ({expected.Length} bytes) came back as {echo.Length} different bytes");
            }
            Assert.Empty(sent);
            output.WriteLine($"{path}: {backToBack} datagrams back to back echoed in {clock.Elapsed.TotalMilliseconds:F0} ms");

            var (exit, all) = guest.WaitForExit(TimeSpan.FromSeconds(60));
            output.WriteLine(all);
            Assert.True(exit == 0, all);
            Assert.Contains(", heap +0 bytes while serving", all);   // no allocation per packet or connection
            int bytes = Enumerable.Range(0, ncDatagrams).Sum(i => $"hello guest {i} over {path}\n".Length)
                + Enumerable.Range(0, burst).Sum(i => 8 + i * 1464 / (burst - 1))
                + Enumerable.Range(0, backToBack).Sum(i => 8 + i * 1464 / (backToBack - 1));
            Assert.Contains($"udp-echo: {ncDatagrams + burst + backToBack} datagrams echoed, {bytes} bytes, 0 dropped (queue full), 1 port unreachable sent", all);
        }
    }

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Tcp_echo_returns_nc_bytes_and_8_parallel_clients_1_MiB_each_intact(string pathArgument, string path)
    {
        const int ncBytes = 6000, clients = 8, perClient = 1 << 20;
        var (ns, guest) = Start("sptcp", "tcp-echo", pathArgument, $"--count={1 + clients}");
        using (ns)
        using (guest)
        {
            Assert.Contains("tcp-echo: 10.0.0.2/24 mtu 1500 via " + path, guest.Output);

            // nc sends the file, half-closes (-N) and prints the echo until the guest closes.
            string dir = Directory.CreateTempSubdirectory("tcp-echo-").FullName;
            try
            {
                byte[] data = Pattern(ncBytes, seed: 99);
                File.WriteAllBytes(Path.Combine(dir, "in"), data);
                var (code, text) = Peer(ns, "sh", "-c", $"nc -N -w 30 {GuestIp} 7 < {dir}/in > {dir}/out");
                Assert.True(code == 0, text);
                Assert.True(File.ReadAllBytes(Path.Combine(dir, "out")).AsSpan().SequenceEqual(data), "nc got back different bytes");
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }

            // Parallel clients, each writing its own pseudo-random MiB while reading the echo
            // (the guest only reads what it can send back, so writer and reader must overlap).
            Socket[] sockets = ns.Run(() => Enumerable.Range(0, clients).Select(_ =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendTimeout = 60_000, ReceiveTimeout = 60_000 };
                s.Connect(new IPEndPoint(IPAddress.Parse(GuestIp), 7));
                return s;
            }).ToArray());
            try
            {
                var clock = Stopwatch.StartNew();
                RunAll(sockets.Select((s, i) => (Action)(() => EchoClient(s, Pattern(perClient, seed: i + 1)))), TimeSpan.FromSeconds(90));
                double seconds = clock.Elapsed.TotalSeconds;
                output.WriteLine($"{path}: {clients} × {perClient} bytes echoed in {seconds:F2} s ({2.0 * clients * perClient * 8 / seconds / 1e9:F2} Gbit/s both ways)");
            }
            finally
            {
                foreach (Socket s in sockets) s.Dispose();
            }

            var (exit, all) = guest.WaitForExit(TimeSpan.FromSeconds(60));
            output.WriteLine(all);
            Assert.True(exit == 0, all);
            Assert.Contains(", heap +0 bytes while serving", all);   // no allocation per packet or connection
            Assert.Contains($"tcp-echo: {1 + clients} connections served (0 ended by an error), {ncBytes + (long)clients * perClient} bytes echoed", all);
        }
    }

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Tcp_echo_serves_more_clients_at_once_than_its_connection_table_holds(string pathArgument, string path)
    {
        // 40 clients against a table of 32 (StackConfig.MaxTcpConnections): the last ones wait
        // (accept queue, SYN cookies, Linux's retransmissions) until earlier ones close, and every
        // one still gets its own bytes back.
        const int clients = 40, perClient = 64 * 1024;
        var (ns, guest) = Start("sptcpm", "tcp-echo", pathArgument, $"--count={clients}");
        using (ns)
        using (guest)
        {
            Assert.Contains("tcp-echo: 10.0.0.2/24 mtu 1500 via " + path, guest.Output);
            Assert.Contains("up to 32 connections", guest.Output);
            var clock = Stopwatch.StartNew();
            RunAll(Enumerable.Range(0, clients).Select(i => (Action)(() =>
            {
                using Socket s = ns.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendTimeout = 60_000, ReceiveTimeout = 60_000 });
                s.Connect(new IPEndPoint(IPAddress.Parse(GuestIp), 7));
                EchoClient(s, Pattern(perClient, seed: 100 + i));
            })), TimeSpan.FromSeconds(120));
            output.WriteLine($"{path}: {clients} clients × {perClient} bytes echoed in {clock.Elapsed.TotalSeconds:F2} s");

            var (exit, all) = guest.WaitForExit(TimeSpan.FromSeconds(60));
            output.WriteLine(all);
            Assert.True(exit == 0, all);
            Assert.Contains(", heap +0 bytes while serving", all);   // no allocation per packet or connection
            Assert.Contains($"tcp-echo: {clients} connections served (0 ended by an error), {(long)clients * perClient} bytes echoed", all);
        }
    }

    /// <summary>
    /// Runs each client on a thread of its own (they block in socket calls: on the thread pool,
    /// which grows slowly, the first test of a run would measure the pool's growth) and rethrows
    /// the first failure; fails if they are not all done in time.
    /// </summary>
    private static void RunAll(IEnumerable<Action> clients, TimeSpan limit)
    {
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var threads = clients.Select(c => new Thread(() =>
        {
            try { c(); }
            catch (Exception e) { failures.Enqueue(e); }
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        var deadline = Stopwatch.StartNew();
        foreach (Thread t in threads)
        {
            TimeSpan left = limit - deadline.Elapsed;
            Assert.True(left > TimeSpan.Zero && t.Join(left), $"the clients did not finish in {limit.TotalSeconds:0} s");
        }
        if (failures.TryDequeue(out Exception? first)) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
    }

    /// <summary>Sends data, half-closes, reads the echo to end of stream and compares it.</summary>
    private static void EchoClient(Socket s, byte[] data)
    {
        Exception? writeFailure = null;
        var writer = new Thread(() =>
        {
            try
            {
                for (int off = 0; off < data.Length;)
                    off += s.Send(data, off, Math.Min(64 * 1024, data.Length - off), SocketFlags.None);
                s.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e)
            {
                writeFailure = e;
            }
        }) { IsBackground = true };
        writer.Start();
        var echo = new byte[data.Length];
        int got = 0;
        while (got < echo.Length)
        {
            int n = s.Receive(echo, got, echo.Length - got, SocketFlags.None);
            if (n == 0) break;
            got += n;
        }
        // Then the guest's FIN: nothing more.
        int more = got == echo.Length ? s.Receive(new byte[1]) : 0;
        Assert.True(writer.Join(TimeSpan.FromSeconds(60)), "the writer did not finish");
        Assert.Null(writeFailure);
        Assert.Equal(data.Length, got);
        Assert.Equal(0, more);
        Assert.True(echo.AsSpan().SequenceEqual(data), "the echo differs from what was sent");
    }

    /// <summary>A datagram: its sequence number, then bytes derived from it.</summary>
    private static byte[] Datagram(int seq, int length)
    {
        byte[] d = Pattern(length, seed: seq + 1000);
        BitConverter.TryWriteBytes(d, seq);
        return d;
    }

    /// <summary>Pseudo-random bytes from a seed (xorshift), distinct per seed.</summary>
    private static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        ulong x = 0x9E3779B97F4A7C15UL * (ulong)(seed + 1);
        for (int i = 0; i < length; i++)
        {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            b[i] = (byte)(x >> 24);
        }
        return b;
    }
}
