using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;
using Frames = Tender.TestSupport.Frames;
using PacketSocket = Tender.TestSupport.PacketSocket;
using TestNamespace = Tender.TestSupport.TestNamespace;

namespace Guest.Tests;

/// <summary>
/// samples/blk against real files: several sizes and sector sizes, read-write and read-only. The
/// test checks the file afterwards with its own copy of the sample's pattern.
/// </summary>
public sealed class BlkSampleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("guest-blk-").FullName;
    private static string ManifestPath => Path.Combine(Repo.Root, "samples", "blk", "manifest.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Disk(long size, byte[]? contents = null)
    {
        string path = Path.Combine(_dir, $"disk-{Guid.NewGuid():N}.img");
        if (contents is not null) File.WriteAllBytes(path, contents);
        else
        {
            using var f = new FileStream(path, FileMode.Create);
            f.SetLength(size);
        }
        return path;
    }

    // The sample's pattern: 64-bit words from each word's device offset and a seed.
    private static ulong Word(ulong offset, ulong seed) => (offset + seed) * 0x9E3779B97F4A7C15UL ^ (seed << 56);

    private static ProcessResult Blk(string disk, int sectorSize, bool readOnlyDevice, params string[] guestArgs) =>
        Tender.Run(GuestBuilds.Elf("blk"), guestArgs,
            ["--mem=64", "--manifest", ManifestPath, (readOnlyDevice ? "--block-ro:storage=" : "--block:storage=") + disk, $"--block-sector-size:storage={sectorSize}"],
            timeoutSeconds: 60);

    [GuestTheory]
    [InlineData(512, 512)]
    [InlineData(512, 64 * 1024)]
    [InlineData(512, 3 * 1024 * 1024 + 512)]
    [InlineData(4096, 4096)]
    [InlineData(4096, 1024 * 1024)]
    [InlineData(4096, 5 * 4096)]
    public void Writes_reads_back_and_refuses_bad_requests_across_the_whole_device(int sectorSize, long size)
    {
        string disk = Disk(size);
        ProcessResult r = Blk(disk, sectorSize, readOnlyDevice: false);
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"blk: device storage handle 1: {size} bytes, sector {sectorSize}", lines);
        foreach (string check in new[] { "info", "write-whole-device", "read-verify-whole-device", "sector-round-trip@0", $"sector-round-trip@{size - sectorSize}",
                     "read-at-capacity", "write-across-end", "write-misaligned-offset", "read-partial-sector", "write-zero-length", "write-offset-wraps", "refused-requests-changed-nothing" })
            Assert.Contains("PASS " + check, lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.Matches(@"blk: 24 checks, 0 failed; write [0-9.]+ MiB/s; read [0-9.]+ MiB/s", r.Stdout);
        Assert.Equal("ALL PASSED", lines[^1]);

        // The file holds what the guest wrote: pattern 0x3C in the first and last sector, 0xA5 elsewhere.
        byte[] bytes = File.ReadAllBytes(disk);
        Assert.Equal(size, bytes.LongLength);
        for (long off = 0; off < size; off += 8)
        {
            bool edge = off < sectorSize || off >= size - sectorSize;
            ulong expected = Word((ulong)off, edge ? 0x3CUL : 0xA5UL);
            Assert.True(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)off)) == expected, $"wrong word at offset {off}");
        }
    }

    [GuestTheory]
    [InlineData(512)]
    [InlineData(4096)]
    public void A_read_only_device_refuses_every_write_and_stays_unchanged(int sectorSize)
    {
        byte[] contents = new byte[16 * sectorSize];
        new Random(sectorSize).NextBytes(contents);
        string disk = Disk(contents.Length, contents);
        ProcessResult r = Blk(disk, sectorSize, readOnlyDevice: true, "--read-only");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("PASS read-only-write-refused@0\n", r.Stdout);
        Assert.Contains("PASS read-only-chunk-write-refused", r.Stdout);
        Assert.Contains("PASS read-only-contents-unchanged", r.Stdout);
        Assert.DoesNotContain("FAIL", r.Stdout);
        Assert.Equal(contents, File.ReadAllBytes(disk));
    }

    [GuestFact]
    public void The_sample_fails_when_its_writes_are_refused()
    {
        // A read-only device run without --read-only: the write pass must be reported as failing.
        string disk = Disk(8192);
        ProcessResult r = Blk(disk, 512, readOnlyDevice: true);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("FAIL write-whole-device: at offset 0: got InvalidArgument, expected Ok", r.Stdout);
        Assert.EndsWith("FAILED\n", r.Stdout);
        Assert.All(File.ReadAllBytes(disk), b => Assert.Equal(0, b));
    }

    [GuestFact]
    public void Request_size_is_rounded_to_whole_sectors_and_a_missing_device_is_reported()
    {
        string disk = Disk(64 * 1024);
        ProcessResult r = Blk(disk, 4096, readOnlyDevice: false, "--chunk=100");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("(65536 bytes, 4096-byte requests)", r.Stdout);

        ProcessResult missing = Blk(disk, 512, readOnlyDevice: false, "--device=other");
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("blk: no attached BLOCK_BASIC device 'other'", missing.Stdout);
    }
}

/// <summary>
/// samples/reflect in a network namespace the test makes, with the TAP in it: a packet socket on the
/// Linux side sends frames and checks every one comes back intact with the MACs swapped, over
/// NETREAD/NETWRITE hypercalls and over Solo5's ring. Counts and times are bounded; the namespace is
/// always deleted.
/// </summary>
public sealed class ReflectSampleTests(ITestOutputHelper output)
{
    private const HostNeeds Needs = HostNeeds.Root | HostNeeds.Tun;
    private const string GuestMac = "02:00:00:00:00:02";
    private static readonly byte[] GuestMacBytes = [2, 0, 0, 0, 0, 2];
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>A guest (reflect unless guestDir is given) running inside the namespace.</summary>
    private static NetGuest Reflector(TestNamespace ns, string[] guestArgs, string? guestDir = null, string? manifest = null, string[]? devices = null) =>
        new(ns, guestDir is null ? GuestBuilds.Elf("reflect") : GuestBuilds.ElfAt(guestDir),
            manifest ?? Path.Combine(Repo.Root, "samples", "reflect", "manifest.json"),
            devices ?? ["--net:service0=tap0", $"--net-mac:service0={GuestMac}"], guestArgs);

    private static byte[] Swapped(byte[] frame)
    {
        var echo = (byte[])frame.Clone();
        frame.AsSpan(0, 6).CopyTo(echo.AsSpan(6));
        frame.AsSpan(6, 6).CopyTo(echo);
        return echo;
    }

    private static void Expect(PacketSocket peer, byte[] sent)
    {
        byte[]? echo = peer.Receive(Wait);
        Assert.True(echo is not null, $"no reflection of a {sent.Length}-byte frame");
        Assert.True(Swapped(sent).AsSpan().SequenceEqual(echo), $"the {sent.Length}-byte frame came back changed (got {echo.Length} bytes)");
    }

    /// <summary>
    /// Sends the frames back to back while another thread takes the reflections and checks them in
    /// order: the socket's receive buffer also holds a copy of every frame it sends, so a burst left
    /// unread until the end could overflow it and lose frames on the test's side.
    /// </summary>
    private static void SendBurst(PacketSocket peer, IReadOnlyList<byte[]> burst)
    {
        var receiver = Task.Run(() => { foreach (var f in burst) Expect(peer, f); });
        foreach (var f in burst) peer.Send(f);
        receiver.GetAwaiter().GetResult();
    }

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Every_frame_comes_back_intact_with_swapped_macs(string pathArgument, string path)
    {
        using var ns = new TestNamespace("grfl");
        ns.AddTap("tap0");
        using PacketSocket peer = ns.Run(() => new PacketSocket("tap0"));
        byte[] Frame(int length, int seed) => Frames.Make(GuestMacBytes, peer.InterfaceMac, length, seed);
        int[] sizes = [60, 61, 64, 128, 1000, 1513, 1514];
        int total = 1 + 100 + sizes.Length;
        using var reflector = Reflector(ns, [pathArgument, $"--count={total}"]);
        Assert.Contains($"via {path}", reflector.Output);

        var single = Frame(60, 1);
        peer.Send(single);
        Expect(peer, single);

        // A burst of 100 back to back, then the reflections, in order.
        var burst = Enumerable.Range(0, 100).Select(i => Frame(60 + i * 14, 1000 + i)).ToList();
        var clock = Stopwatch.StartNew();
        SendBurst(peer, burst);
        output.WriteLine($"{path}: burst of 100 reflected in {clock.Elapsed.TotalMilliseconds:F1} ms");

        foreach (int size in sizes)
        {
            var f = Frame(size, 5000 + size);
            peer.Send(f);
            Expect(peer, f);
        }
        var (code, text) = reflector.WaitForExit();
        Assert.True(code == 0, text);
        Assert.Contains($"reflect: {total} frames in", text);
        Assert.Null(peer.Receive(TimeSpan.FromMilliseconds(200))); // nothing extra
    }

    // Two NICs: the guest reflects on the second one only (handle 2), so frames must come back on
    // the TAP behind service1 and nothing may come back on the TAP behind service0.
    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void A_guest_with_two_nics_uses_the_one_it_names(string pathArgument, string path)
    {
        using var ns = new TestNamespace("grf2");
        ns.AddTap("tap0");
        ns.AddTap("tap1");
        using PacketSocket peer0 = ns.Run(() => new PacketSocket("tap0"));
        using PacketSocket peer1 = ns.Run(() => new PacketSocket("tap1"));
        string manifest = Path.Combine(Path.GetTempPath(), $"two-nics-{Guid.NewGuid():N}.json");
        File.WriteAllText(manifest, """
            { "type": "solo5.manifest", "version": 1, "devices": [
              { "name": "service0", "type": "NET_BASIC" }, { "name": "service1", "type": "NET_BASIC" } ] }
            """);
        try
        {
            byte[] mac1 = [2, 0, 0, 0, 0, 0x12];
            const int count = 20;
            using var reflector = Reflector(ns, [pathArgument, "--device=service1", $"--count={count}"], manifest: manifest,
                devices: ["--net:service0=tap0", $"--net-mac:service0={GuestMac}", "--net:service1=tap1", "--net-mac:service1=02:00:00:00:00:12"]);
            Assert.Contains($"via {path}", reflector.Output);

            var ignored = Frames.Make(GuestMacBytes, peer0.InterfaceMac, 100, 7);
            peer0.Send(ignored);
            for (int i = 0; i < count; i++)
            {
                var f = Frames.Make(mac1, peer1.InterfaceMac, 60 + i * 70, 100 + i);
                peer1.Send(f);
                Expect(peer1, f);
            }
            var (code, text) = reflector.WaitForExit();
            Assert.True(code == 0, text);
            Assert.Contains($"reflect: {count} frames in", text);
            Assert.Null(peer0.Receive(TimeSpan.FromMilliseconds(200))); // service0's TAP got nothing back
        }
        finally
        {
            File.Delete(manifest);
        }
    }

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Jumbo_frames_up_to_9014_bytes_come_back_with_mtu_9000(string pathArgument, string path)
    {
        using var ns = new TestNamespace("grfj");
        ns.AddTap("tap0", 9000);
        using PacketSocket peer = ns.Run(() => new PacketSocket("tap0"));
        byte[] Frame(int length, int seed) => Frames.Make(GuestMacBytes, peer.InterfaceMac, length, seed);
        int[] sizes = [60, 1514, 2048, 2049, 4000, 9013, 9014];
        int total = sizes.Length + 10;
        using var reflector = Reflector(ns, [pathArgument, $"--count={total}"]);
        Assert.Contains("mtu 9000 via " + path, reflector.Output);
        foreach (int size in sizes)
        {
            var f = Frame(size, size);
            peer.Send(f);
            Expect(peer, f);
        }
        // Ten frames alternating 9014 and 1000 bytes (on the ring these mix copied sends and NETWRITE).
        var burst = Enumerable.Range(0, 10).Select(i => Frame(i % 2 == 0 ? 9014 : 1000, 100 + i)).ToList();
        SendBurst(peer, burst); // back to back
        var (code, text) = reflector.WaitForExit();
        Assert.True(code == 0, text);
        Assert.Contains($"reflect: {total} frames in", text);
    }

    [GuestTheory(Needs)]
    [InlineData("--hypercalls", "hypercalls")]
    [InlineData("--ring", "ring")]
    public void Guest_Stack_over_HvtNic_answers_arp_and_ping(string pathArgument, string path)
    {
        // NetStack<HvtNic> in a guest (tests/Guest.Tests/guests/stack-ping): Linux's ping resolves the
        // guest by ARP and gets every echo answered, on either path.
        using var ns = new TestNamespace("grfp");
        ns.AddTap("tap0", "10.0.0.1/24");
        using var guest = Reflector(ns, ["--ipv4=10.0.0.2/24", "--count=10", "--seconds=30", pathArgument], "tests/Guest.Tests/guests/stack-ping");
        Assert.Contains("stack-ping: via " + path, guest.Output);
        var (pingCode, pingOutput) = ns.TryExec("ping", "-c", "10", "-i", "0.2", "-W", "2", "10.0.0.2");
        output.WriteLine(pingOutput);
        Assert.True(pingCode == 0, pingOutput);
        Assert.Contains("10 packets transmitted, 10 received", pingOutput);
        var (code, text) = guest.WaitForExit();
        Assert.True(code == 0, text);
        Assert.Contains("stack-ping: 10 echo replies", text);
    }
}
