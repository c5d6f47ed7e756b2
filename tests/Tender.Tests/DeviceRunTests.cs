using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tender.Devices;
using Tender.Tests.Support;
using Xunit.Abstractions;
using Frames = Tender.TestSupport.Frames;
using PacketSocket = Tender.TestSupport.PacketSocket;
using TestNamespace = Tender.TestSupport.TestNamespace;

namespace Tender.Tests;

/// <summary>
/// Block and network devices through the built tender, with the assembly guests blk, net_echo and
/// ring_echo (Guests/). Network tests make their own namespace with a TAP, run the tender inside
/// it, and play the Linux side with a packet socket; nothing leaves the namespace.
/// </summary>
public sealed class DeviceRunTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tender-devices-").FullName;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    /// <summary>Network tests boot a guest (KVM) with a TAP (root, /dev/net/tun) in a namespace of their own.</summary>
    private const HostNeeds NetworkNeeds = HostNeeds.Root | HostNeeds.Tun;
    private const string GuestMac = "02:00:00:00:00:02";

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Manifest(params (string Name, string Type)[] devices)
    {
        string path = Path.Combine(_dir, $"manifest-{Guid.NewGuid():N}.json");
        var list = string.Join(", ", devices.Select(d => $"{{ \"name\": \"{d.Name}\", \"type\": \"{d.Type}\" }}"));
        File.WriteAllText(path, $"{{ \"type\": \"solo5.manifest\", \"version\": 1, \"devices\": [ {list} ] }}");
        return path;
    }

    private string Disk(long size, string name = "disk.img")
    {
        string path = Path.Combine(_dir, name);
        using var f = new FileStream(path, FileMode.Create);
        f.SetLength(size);
        return path;
    }

    private static ulong[] HexLines(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.Length == 16 && l.All(char.IsAsciiHexDigit))
            .Select(l => ulong.Parse(l, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();

    // ---- Block devices -------------------------------------------------------------------

    [GuestTheory]
    [InlineData(512, 64 * 1024)]
    [InlineData(4096, 64 * 1024)]
    [InlineData(512, 512)]
    public void Block_guest_writes_reads_back_and_gets_EINVAL_for_bad_requests(int sectorSize, long capacity)
    {
        string disk = Disk(capacity);
        var r = TenderProcess.Run("run", "--mem=32", "--manifest", Manifest(("storage", "BLOCK_BASIC")),
            $"--block:storage={disk}", $"--block-sector-size:storage={sectorSize}", TestGuests.Build("blk"));
        Assert.True(r.ExitCode == 0, r.ToString());
        var v = HexLines(r.Stdout);
        Assert.Equal(
            [(ulong)capacity, (ulong)sectorSize,
             0, 0, 0,           // write sector 0, read it back, equal
             0, 0, 0,           // the same at the last sector
             2, 2, 2, 2, 2,     // at capacity, across the end, misaligned offset, partial sector, zero length
             2, 2, 2],          // handles 0, 9, 2^63
            v);
        byte[] bytes = File.ReadAllBytes(disk);
        for (int i = 0; i < sectorSize; i++)
        {
            Assert.Equal((byte)(0xc3 + i), bytes[capacity - sectorSize + i]);
            if (capacity > sectorSize) Assert.Equal((byte)(0x5a + i), bytes[i]);
        }
    }

    [GuestFact]
    public void A_read_only_block_device_refuses_writes_and_stays_unchanged()
    {
        string disk = Disk(8192);
        var r = TenderProcess.Run("run", "--mem=32", "--manifest", Manifest(("storage", "BLOCK_BASIC")),
            $"--block-ro:storage={disk}", TestGuests.Build("blk"));
        Assert.True(r.ExitCode == 0, r.ToString());
        var v = HexLines(r.Stdout);
        Assert.Equal([8192UL, 512, 2, 0, 1, 2, 0, 1], v[..8]); // writes EINVAL, reads fine, contents differ
        Assert.All(File.ReadAllBytes(disk), b => Assert.Equal(0, b));
    }

    [GuestFact]
    public void A_block_request_with_a_buffer_outside_the_guest_stops_it_with_a_report()
    {
        string disk = Disk(4096);
        var r = TenderProcess.Run("run", "--mem=32", "--manifest", Manifest(("storage", "BLOCK_BASIC")),
            $"--block:storage={disk}", TestGuests.Build("blk", ("BAD", "1")));
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("BLKREAD", r.Stderr);
        Assert.Contains("0x10", r.Stderr);
    }

    [GuestFact]
    public void A_block_request_outside_the_device_gets_EINVAL_before_its_buffer_is_looked_at()
    {
        string disk = Disk(4096);
        var r = TenderProcess.Run("run", "--mem=32", "--manifest", Manifest(("storage", "BLOCK_BASIC")),
            $"--block:storage={disk}", TestGuests.Build("blk", ("BAD", "2")));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(2UL, HexLines(r.Stdout)[^1]);
    }

    [GuestFact]
    public void Trace_shows_every_block_call_with_sizes_and_results()
    {
        string disk = Disk(4096);
        var r = TenderProcess.Run("run", "--mem=32", "--trace", "--manifest", Manifest(("storage", "BLOCK_BASIC")),
            $"--block:storage={disk}", TestGuests.Build("blk"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches(@"vcpu0 BLKWRITE handle=1 offset=0 data=0x[0-9a-f]+ len=512 -> SOLO5_R_OK", r.Stderr);
        Assert.Matches(@"vcpu0 BLKREAD\s+handle=1 offset=1 data=0x[0-9a-f]+ len=512 -> SOLO5_R_EINVAL", r.Stderr);
        Assert.Matches(@"vcpu0 BLKREAD\s+handle=9223372036854775808 offset=0 data=0x[0-9a-f]+ len=512 -> SOLO5_R_EINVAL", r.Stderr);
    }

    // ---- Command-line and manifest mismatches (all before KVM is touched) ------------------

    public static TheoryData<string[], string[], string> Mismatches => new()
    {
        { [], ["storage:BLOCK_BASIC"], "the manifest declares BLOCK_BASIC device 'storage' (handle 1), but no --block:storage=PATH attaches it" },
        { ["--block:nope=DISK"], ["storage:BLOCK_BASIC"], "--block:nope=DISK: the manifest declares no device 'nope'" },
        { ["--block:storage=DISK"], [], "--block:storage=DISK: the manifest declares no device 'storage' (it declares no devices)" },
        { ["--net:service0=tdv/0"], ["service0:NET_BASIC"], "--net:service0=tdv/0: network interface 'tdv/0': not a valid interface name" },
        { ["--net:service0=tdvnone0"], ["service0:NET_BASIC"], "--net:service0=tdvnone0: network interface 'tdvnone0' does not exist" },
        { ["--net:service0=tdvnone0", "--net-mac:service0=02:00:00:00:00"], ["service0:NET_BASIC"], "is not a MAC address" },
        { ["--net:service0=tdvnone0", "--net-mac:service0=01:00:00:00:00:01"], ["service0:NET_BASIC"], "multicast" },
        { ["--block:storage=ODD"], ["storage:BLOCK_BASIC"], "size 1000 bytes is not a multiple of the sector size 512" },
        { ["--block:storage=DISK", "--block-sector-size:storage=1000"], ["storage:BLOCK_BASIC"], "sector size 1000 is not a power of two" },
        { ["--net:storage=tap0"], ["storage:BLOCK_BASIC"], "'storage' is a BLOCK_BASIC device in the manifest, not NET_BASIC" },
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void Device_mismatches_exit_1_with_one_clear_line(string[] flags, string[] devices, string expected)
    {
        string disk = Disk(4096), odd = Disk(1000, "odd.img");
        string Fix(string s) => s.Replace("=DISK", "=" + disk).Replace("=ODD", "=" + odd);
        var manifest = Manifest(devices.Select(d => (d.Split(':')[0], d.Split(':')[1])).ToArray());
        var r = TenderProcess.Run(["run", "--mem=32", "--manifest", manifest, .. flags.Select(Fix), TestGuests.Build("exit7")]);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains(Fix(expected), r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    // ---- Network devices ------------------------------------------------------------------

    private sealed class Link : IDisposable
    {
        public readonly TestNamespace Ns = new("tdr");
        public readonly PacketSocket Peer;

        public Link(int mtu = 1500)
        {
            try
            {
                Ns.AddTap("tdv0", mtu);
                Peer = Ns.Run(() => new PacketSocket("tdv0"));
            }
            catch
            {
                Ns.Dispose();
                throw;
            }
        }

        public byte[] Frame(int length, int seed) => Frames.Make(MacAddress.Parse(GuestMac).ToArray(), Peer.InterfaceMac, length, seed);

        public static byte[] Swapped(byte[] frame)
        {
            var echo = (byte[])frame.Clone();
            frame.AsSpan(0, 6).CopyTo(echo.AsSpan(6));
            frame.AsSpan(6, 6).CopyTo(echo);
            return echo;
        }

        public void Dispose()
        {
            Peer?.Dispose();
            Ns.Dispose();
        }
    }

    /// <summary>
    /// Starts the tender inside the test's namespace: the child process inherits the network
    /// namespace of the thread that starts it, and <see cref="TestNamespace.Run{T}"/> runs that
    /// thread inside the namespace.
    /// </summary>
    private static TenderProcess StartIn(Link link, params string[] arguments) =>
        link.Ns.Run(() => TenderProcess.Start(arguments));

    private TenderProcess StartEcho(Link link, string guest, int count, params string[] more) =>
        StartIn(link, ["run", "--mem=32", "--timeout=60s", .. more, "--manifest", Manifest(("service0", "NET_BASIC")),
            "--net:service0=tdv0", $"--net-mac:service0={GuestMac}", TestGuests.Build(guest, ("COUNT", count.ToString(CultureInfo.InvariantCulture)))]);

    /// <summary>Sends each frame and checks its echo comes back (MACs swapped), one at a time.</summary>
    private static void EchoOneByOne(Link link, IEnumerable<byte[]> frames)
    {
        foreach (var f in frames)
        {
            link.Peer.Send(f);
            var echo = link.Peer.Receive(Wait);
            Assert.True(echo is not null, $"no echo of a {f.Length}-byte frame");
            Assert.Equal(Link.Swapped(f), echo);
        }
    }

    private static IEnumerable<byte[]> Sizes(Link link, int mtu) =>
        new[] { 60, 14, 15, 64, 100, 512, 1000, mtu + 13, mtu + 14 }.Select((n, i) => link.Frame(n, i));

    [GuestTheory(NetworkNeeds)]
    [InlineData("net_echo", 1500)]
    [InlineData("ring_echo", 1500)]
    [InlineData("net_echo", 9000)]
    [InlineData("ring_echo", 9000)]
    public void Echo_guest_returns_every_frame_intact_min_to_max_size(string guest, int mtu)
    {
        using var link = new Link(mtu);
        var frames = Sizes(link, mtu).ToList();
        using var tender = StartEcho(link, guest, frames.Count + 32);
        tender.WaitForOutput("ready\n", Wait);
        EchoOneByOne(link, frames);
        // A burst: 32 frames back to back, then their echoes, in order.
        var burst = Enumerable.Range(0, 32).Select(i => link.Frame(60 + i * 40, 100 + i)).ToList();
        foreach (var f in burst) link.Peer.Send(f);
        foreach (var f in burst) Assert.Equal(Link.Swapped(f), link.Peer.Receive(Wait));
        var r = tender.WaitForExit();
        Assert.True(r.ExitCode == 0, r.ToString());
        var v = HexLines(r.Stdout);
        if (guest == "net_echo")
        {
            // Oversize write, runt, small read buffer, handles 5 and 0, 0-byte write and read at a wild address.
            Assert.Equal([2UL, 2, 2, 2, 2, 2, 2], v[..7]);
            Assert.Equal((ulong)(frames.Count + 32), v[7]);
        }
        else
        {
            Assert.Equal(1UL, v[0]);                        // host_features: HVT_FEATURE_RING_IO
            Assert.Equal(v[2], v[1]);                       // the ring starts where the guest's memory ends
            Assert.Equal(32UL << 20, v[2]);                 // mem_size is what --mem asked for
            Assert.Equal((ulong)(frames.Count + 32), v[3]);
            output.WriteLine($"{guest}: {v[4]} kicks for {v[3]} echoes");
        }
    }

    [GuestFact(NetworkNeeds)]
    public void Frames_a_guest_queues_on_the_ring_right_before_halting_still_go_out()
    {
        // The guest publishes 8 writes without kicking (the I/O thread sleeps until a kick) and
        // halts at once: only the tender's drain on HALT can send them.
        using var link = new Link();
        using var tender = StartIn(link, "run", "--mem=32", "--timeout=60s", "--manifest", Manifest(("service0", "NET_BASIC")),
            "--net:service0=tdv0", TestGuests.Build("ring_echo", ("SEND_AND_HALT", "1"), ("COUNT", "8")));
        var r = tender.WaitForExit();
        Assert.True(r.ExitCode == 0, r.ToString());
        for (int i = 0; i < 8; i++)
        {
            var frame = link.Peer.Receive(Wait);
            Assert.True(frame is not null, $"frame {i} of 8 queued before HALT never went out");
            Assert.Equal(60, frame.Length);
            Assert.Equal((byte)i, frame[14]);
        }
    }

    [GuestFact(NetworkNeeds)]
    public void A_ring_fault_stops_a_guest_waiting_in_poll_at_once()
    {
        using var link = new Link();
        var clock = Stopwatch.StartNew();
        using var tender = StartIn(link, "run", "--mem=32", "--timeout=60s", "--manifest", Manifest(("service0", "NET_BASIC")),
            "--net:service0=tdv0", TestGuests.Build("ring_echo", ("CORRUPT", "1")));
        var r = tender.WaitForExit();
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("ent_tail 5000", r.Stderr);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}: the 30 s POLL was not cut short");
    }

    [GuestFact(NetworkNeeds)]
    public void A_signal_stops_a_guest_waiting_in_poll_on_a_device_at_once()
    {
        using var link = new Link();
        using var tender = StartEcho(link, "net_echo", 10);
        tender.WaitForOutput("ready\n", Wait);
        Thread.Sleep(200); // inside its 5-second POLL now
        var clock = Stopwatch.StartNew();
        tender.Signal(TenderProcess.Sigterm);
        var r = tender.WaitForExit();
        Assert.True(r.ExitCode == 143, r.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [GuestFact(NetworkNeeds)]
    public void Trace_shows_net_calls_and_ring_batches_in_json()
    {
        using var link = new Link();
        string trace = Path.Combine(_dir, "trace.jsonl");
        using var tender = StartEcho(link, "ring_echo", 3, $"--trace={trace}", "--trace-format=json");
        tender.WaitForOutput("ready\n", Wait);
        EchoOneByOne(link, Enumerable.Range(0, 3).Select(i => link.Frame(80, i)));
        var r = tender.WaitForExit();
        Assert.True(r.ExitCode == 0, r.ToString());
        string text = File.ReadAllText(trace);
        Assert.Contains("\"call\":\"RING\"", text);
        Assert.Contains("\"reads\":", text);
        Assert.Contains("\"write_bytes\":", text);
        Assert.Contains("\"call\":\"POLL\"", text);
    }

    [GuestFact(NetworkNeeds)]
    public void Frames_per_second_hypercalls_versus_ring()
    {
        // A figure for the README, bounded: 2000 frames in bursts of 32, each way, per guest.
        const int count = 2048, burst = 32;
        var rates = new Dictionary<string, double>();
        foreach (var guest in new[] { "net_echo", "ring_echo" })
        {
            using var link = new Link();
            using var tender = StartEcho(link, guest, count);
            tender.WaitForOutput("ready\n", Wait);
            var frames = Enumerable.Range(0, burst).Select(i => link.Frame(64, i)).ToArray();
            var clock = Stopwatch.StartNew();
            for (int sent = 0; sent < count; sent += burst)
            {
                foreach (var f in frames) link.Peer.Send(f);
                for (int i = 0; i < burst; i++) Assert.NotNull(link.Peer.Receive(Wait));
            }
            clock.Stop();
            var r = tender.WaitForExit();
            Assert.True(r.ExitCode == 0, r.ToString());
            rates[guest] = count / clock.Elapsed.TotalSeconds;
            var v = HexLines(r.Stdout);
            output.WriteLine($"{guest}: {count} frames echoed in {clock.Elapsed.TotalMilliseconds:F0} ms = {rates[guest]:F0} frames/s" +
                (guest == "ring_echo" ? $", {v[4]} kicks" : ""));
        }
        Assert.True(rates["net_echo"] > 0 && rates["ring_echo"] > 0);
    }
}
