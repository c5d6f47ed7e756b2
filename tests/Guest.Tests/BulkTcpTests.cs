using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using TestNamespace = Tender.TestSupport.TestNamespace;

namespace Guest.Tests;

/// <summary>
/// Bulk TCP through Guest.Stack in a guest (samples/tcp-sink, samples/tcp-source) against a Linux
/// socket in a test namespace, over NET hypercalls and over the ring: every byte arrives, in order
/// (checksums on both sides; the guest→Linux stream is compared byte for byte with the pattern), and
/// the guest heap does not grow during the transfer (zero allocation per packet in steady state).
/// </summary>
public sealed class BulkTcpTests(ITestOutputHelper output)
{
    private const HostNeeds Needs = HostNeeds.Root | HostNeeds.Tun;
    private const string GuestMac = "02:00:00:00:00:02";
    private const int Bulk = 64 << 20;
    // Generous: hypercalls move ~100 Mbit/s here (64 MiB in ~6 s), and CI is a loaded 2-core machine.
    private static readonly TimeSpan TransferLimit = TimeSpan.FromSeconds(150);
    // How often a blocked send or receive wakes to check on the guest (CheckProgress).
    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(1);

    private static readonly Regex SinkReport = new(@"tcp-sink: connection 1: (\d+) bytes, checksum ([0-9a-f]{16}), (\d+) ms \((\d+) Mbit/s\)", RegexOptions.CultureInvariant);
    private static readonly Regex SourceReport = new(@"tcp-source: sent (\d+) bytes, checksum ([0-9a-f]{16}), (\d+) ms \((\d+) Mbit/s\)", RegexOptions.CultureInvariant);
    private static readonly Regex Heap = new(@"heap: before=(\d+) after=(\d+)", RegexOptions.CultureInvariant);

    private static NetGuest Start(TestNamespace ns, string sample, string[] guestArgs) =>
        new(ns, GuestBuilds.Elf(sample), Path.Combine(Repo.Root, "samples", sample, "manifest.json"),
            ["--net:service0=tap0", $"--net-mac:service0={GuestMac}", "--timeout=240s"],
            ["--ipv4=10.0.0.2/24", "--seconds=200", .. guestArgs]);

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Linux_to_guest_64_MiB_arrive_intact(string pathArgument, string path)
    {
        using var ns = new TestNamespace("gbulkin");
        ns.AddTap("tap0", "10.0.0.1/24");
        var (bytes, checksum, text) = SendToSink(ns, pathArgument, path, seed: 5);
        Match m = SinkReport.Match(text);
        Assert.True(m.Success, text);
        Assert.Equal(bytes, ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal(checksum.ToString("x16", CultureInfo.InvariantCulture), m.Groups[2].Value);
    }

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Guest_to_Linux_64_MiB_arrive_intact(string pathArgument, string path)
    {
        using var ns = new TestNamespace("gbulkout");
        ns.AddTap("tap0", "10.0.0.1/24");
        var (received, checksum, text) = ReceiveFromSource(ns, pathArgument, path);
        Assert.Equal((ulong)Bulk, received);
        Match m = SourceReport.Match(text);
        Assert.True(m.Success, text);
        Assert.Equal((ulong)Bulk, ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal(checksum.ToString("x16", CultureInfo.InvariantCulture), m.Groups[2].Value);
        Assert.Equal(PatternChecksum(Bulk).ToString("x16", CultureInfo.InvariantCulture), m.Groups[2].Value);
    }

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void The_guest_heap_does_not_grow_during_long_transfers_either_way(string pathArgument, string path)
    {
        // "before" is read once the connection is up (stack, pools, buffers all allocated), "after"
        // when the peer has closed: 64 MiB (~46 000 segments and their ACKs) in between.
        using var ns = new TestNamespace("gbulkhp");
        ns.AddTap("tap0", "10.0.0.1/24");
        var (_, _, sinkText) = SendToSink(ns, pathArgument, path, seed: 9);
        var (_, _, sourceText) = ReceiveFromSource(ns, pathArgument, path);
        foreach (string text in new[] { sinkText, sourceText })
        {
            Match h = Heap.Match(text);
            Assert.True(h.Success, text);
            long before = long.Parse(h.Groups[1].Value, CultureInfo.InvariantCulture);
            long after = long.Parse(h.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.True(before > 0, text);
            Assert.True(before == after, $"the guest heap grew by {after - before} bytes during the transfer:\n{text}");
        }
    }

    /// <summary>
    /// The soak (issue 16): 100 MB from Linux to the guest, then 25 MB back, over the ring through a
    /// <see cref="LossyWire"/> that drops, duplicates and reorders 5% of the frames each in both
    /// directions, checksummed on both ends. Guest→Linux is the smaller: there the guest's stack
    /// repairs the losses (about 130 RTOs at 200 ms each: ~6 Mbit/s here), and 100 MB would take
    /// two minutes. With share 0 the same wire carries everything: the baseline figure.
    /// </summary>
    [GuestTheory(Needs)]
    [InlineData(0.05)]
    [InlineData(0.0)]
    public void Soak_100_MB_in_25_MB_out_over_the_ring_through_a_wire_dropping_duplicating_and_reordering_frames(double share)
    {
        const int SoakBytes = 100_000_000, BackBytes = 25_000_000;
        using var ns = new TestNamespace("gsoak");
        ns.AddTap("tap0");
        ns.AddTap("tap1", "10.0.0.1/24");
        using var wire = new LossyWire(ns, "tap0", "tap1", share, seed: 16);
        var (bytes, checksum, sinkText) = SendToSink(ns, "--ring", "ring", seed: 16, bulk: SoakBytes);
        Match m = SinkReport.Match(sinkText);
        Assert.True(m.Success, sinkText);
        Assert.Equal(bytes, ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal(checksum.ToString("x16", CultureInfo.InvariantCulture), m.Groups[2].Value);
        var (received, sourceChecksum, sourceText) = ReceiveFromSource(ns, "--ring", "ring", bulk: BackBytes);
        Assert.Equal((ulong)BackBytes, received);
        Match s = SourceReport.Match(sourceText);
        Assert.True(s.Success, sourceText);
        Assert.Equal(sourceChecksum.ToString("x16", CultureInfo.InvariantCulture), s.Groups[2].Value);
        Assert.Equal(PatternChecksum(BackBytes).ToString("x16", CultureInfo.InvariantCulture), s.Groups[2].Value);
        output.WriteLine($"wire ({share:P0} each): {wire}");
        if (share > 0) Assert.True(wire.Dropped > 0 && wire.Duplicated > 0 && wire.Reordered > 0, wire.ToString());
    }

    /// <summary>
    /// tcp-sink in the guest; a Linux socket sends <see cref="Bulk"/> pseudo-random bytes and closes.
    /// Returns what was sent (count, checksum) and the guest's output once it exited 0.
    /// </summary>
    private (ulong Bytes, ulong Checksum, string Output) SendToSink(TestNamespace ns, string pathArgument, string path, int seed, int bulk = Bulk)
    {
        using var guest = Start(ns, "tcp-sink", [pathArgument, "--count=1"]);
        Assert.Contains("via " + path, guest.Output);
        byte[] data = new byte[bulk];
        new Random(seed).NextBytes(data);
        var clock = Stopwatch.StartNew();
        ns.Run(() =>
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Connect(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 5001));
            // Non-blocking, woken at least every Watch to check on the guest. (A blocking send with
            // SO_SNDTIMEO is no use here: .NET throws on the timeout and loses the count of bytes
            // that went before it.)
            s.Blocking = false;
            for (int off = 0; off < data.Length;)
            {
                if (s.Poll(Watch, SelectMode.SelectWrite))
                {
                    int n = s.Send(data, off, Math.Min(1 << 20, data.Length - off), SocketFlags.None, out SocketError error);
                    if (error is not (SocketError.Success or SocketError.WouldBlock)) throw new SocketException((int)error);
                    off += n;
                }
                CheckProgress(ns, guest, clock, $"{path}: Linux sent {off} of {bulk} bytes");
            }
            s.Shutdown(SocketShutdown.Send);
            // The sink closes after reading everything: wait for its FIN (nothing else comes).
            while (!s.Poll(Watch, SelectMode.SelectRead))
                CheckProgress(ns, guest, clock, $"{path}: Linux sent all {bulk} bytes, the guest has not closed");
            Assert.Equal(0, s.Receive(new byte[16]));
        });
        output.WriteLine($"{path}: Linux sent {bulk} bytes in {clock.Elapsed.TotalMilliseconds:F0} ms ({bulk * 8 / clock.Elapsed.TotalSeconds / 1e6:F0} Mbit/s)");
        var (code, text) = guest.WaitForExit(TimeSpan.FromSeconds(60));
        output.WriteLine(text);
        Assert.True(code == 0, text);
        return ((ulong)data.Length, Checksum(data), text);
    }

    /// <summary>
    /// A Linux listener; tcp-source in the guest connects and sends <see cref="Bulk"/> bytes of its
    /// pattern, each compared with the test's own copy. Returns the count, the checksum of what arrived
    /// and the guest's output once it exited 0.
    /// </summary>
    private (ulong Bytes, ulong Checksum, string Output) ReceiveFromSource(TestNamespace ns, string pathArgument, string path, int bulk = Bulk)
    {
        using Socket listener = ns.Run(() =>
        {
            var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            l.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            l.Bind(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 5002));
            l.Listen(1);
            return l;
        });
        using var guest = Start(ns, "tcp-source", [pathArgument, "--to=10.0.0.1:5002", $"--bytes={bulk}"]);
        Assert.Contains("via " + path, guest.Output);
        Assert.True(listener.Poll(TimeSpan.FromSeconds(60), SelectMode.SelectRead), "the guest did not connect:\n" + guest.Output);
        using Socket s = listener.Accept();
        byte[] pattern = Pattern();
        byte[] buf = new byte[1 << 20];
        var hash = new Fnv64Words();
        long received = 0;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            // Woken at least every Watch to check on the guest (see SendToSink).
            if (!s.Poll(Watch, SelectMode.SelectRead))
            {
                CheckProgress(ns, guest, clock, $"{path}: Linux received {received} bytes");
                continue;
            }
            int n = s.Receive(buf);
            if (n == 0) break;
            for (int i = 0; i < n; i++)
                if (buf[i] != pattern[(received + i) % pattern.Length])
                    Assert.Fail($"{path}: byte {received + i} is {buf[i]}, the pattern has {pattern[(received + i) % pattern.Length]}");
            hash.Update(buf.AsSpan(0, n));
            received += n;
            CheckProgress(ns, guest, clock, $"{path}: Linux received {received} bytes");
        }
        s.Close();
        output.WriteLine($"{path}: Linux received {received} bytes in {clock.Elapsed.TotalMilliseconds:F0} ms ({received * 8 / clock.Elapsed.TotalSeconds / 1e6:F0} Mbit/s)");
        var (code, text) = guest.WaitForExit(TimeSpan.FromSeconds(60));
        output.WriteLine(text);
        Assert.True(code == 0, text);
        return ((ulong)received, hash.Value, text);
    }

    /// <summary>
    /// The transfer's watchdog, called at least every <see cref="Watch"/>: a guest that ended (its own
    /// --seconds, the tender's --timeout, a crash) or a transfer over <see cref="TransferLimit"/> fails
    /// the test at once with where the transfer stood, the Linux socket's TCP state and the guest's
    /// output, rather than after a socket timeout that says only "timed out".
    /// </summary>
    private static void CheckProgress(TestNamespace ns, NetGuest guest, Stopwatch clock, string progress)
    {
        bool ended = guest.HasExited;
        if (!ended && clock.Elapsed < TransferLimit) return;
        string tcp = ns.TryExec("ss", "-tin").Output;
        Assert.Fail((ended ? "the guest ended during the transfer" : $"the transfer took over {TransferLimit.TotalSeconds} s")
                    + $" ({progress} after {clock.Elapsed.TotalSeconds:F1} s)\nLinux TCP state:\n{tcp}\nguest output:\n{guest.Output}");
    }

    // tcp-source's pattern (samples/tcp-source/Program.cs): 1 MiB of xorshift64 words, little-endian.
    private static byte[] Pattern()
    {
        byte[] p = new byte[1 << 20];
        ulong x = 0x9E3779B97F4A7C15UL;
        for (int i = 0; i < p.Length; i += 8)
        {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(i), x);
        }
        return p;
    }

    private static ulong PatternChecksum(long length)
    {
        byte[] p = Pattern();
        var h = new Fnv64Words();
        for (long done = 0; done < length;)
        {
            int n = (int)Math.Min(p.Length, length - done);
            h.Update(p.AsSpan(0, n));
            done += n;
        }
        return h.Value;
    }

    private static ulong Checksum(byte[] data)
    {
        var h = new Fnv64Words();
        h.Update(data);
        return h.Value;
    }

    /// <summary>
    /// The samples' checksum, written here from its definition (samples/tcp-sink/StreamHash.cs): FNV-1a 64
    /// over little-endian 64-bit words, the last one zero-padded, then the length.
    /// </summary>
    private sealed class Fnv64Words
    {
        private const ulong Prime = 0x100000001b3UL;
        private ulong _h = 0xcbf29ce484222325UL;
        private readonly byte[] _word = new byte[8];
        private int _fill;
        private ulong _length;

        public void Update(ReadOnlySpan<byte> data)
        {
            _length += (ulong)data.Length;
            foreach (byte b in data)
            {
                _word[_fill++] = b;
                if (_fill == 8) Mix();
            }
        }

        private void Mix()
        {
            _h = (_h ^ BinaryPrimitives.ReadUInt64LittleEndian(_word)) * Prime;
            Array.Clear(_word);
            _fill = 0;
        }

        public ulong Value
        {
            get
            {
                ulong h = _h;
                if (_fill > 0) h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(_word)) * Prime;
                return (h ^ _length) * Prime;
            }
        }
    }
}
