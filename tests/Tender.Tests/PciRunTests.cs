using System.Diagnostics;
using System.Globalization;
using Tender.Kvm;
using Tender.Manifest;
using Tender.Paging;
using Tender.PciSupport;
using Tender.Tests.Support;
using Tender.TestSupport;
using Xunit.Abstractions;

namespace Tender.Tests;

/// <summary>
/// PCI devices in `tender run` (issue 6, deprivileged mode): the --pci options against the
/// manifest, the page tables and MMIO routing of two devices' BAR windows and the DMA area, a
/// hostile guest pointing a descriptor outside the DMA area, and Guest.Ixgbe's driver in the
/// ixgbe-reflect and ixgbe-forward samples against the emulated 82599 on TAPs in a namespace of
/// the test's own, with Linux AF_PACKET sockets as the peers.
/// </summary>
public sealed class PciRunTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tender-pci-").FullName;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private const HostNeeds NetworkNeeds = HostNeeds.Root | HostNeeds.Tun;
    private static readonly byte[] Port0Mac = [0x02, 0x00, 0x00, 0x82, 0x59, 0x01];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PciBasicDevice Ixgbe(string name, byte mapBars = 1) =>
        new(name, 0x02, 0x00, 0x00, 0x8086, 0x10FB, BusMasterEnable: true, mapBars);

    private string ManifestFile(params string[] pciNames)
    {
        string path = Path.Combine(_dir, $"manifest-{Guid.NewGuid():N}.json");
        var devices = pciNames.Select(n => $$"""{ "name": "{{n}}", "type": "PCI_BASIC", "class": 2, "subclass": 0, "progif": 0, "vendor": "0x8086", "device_id": "0x10FB", "bus_master_enable": true, "map_bar0": true }""");
        File.WriteAllText(path, $$"""{ "type": "solo5.manifest", "version": 1, "dma_size": "0x400000", "devices": [ {{string.Join(", ", devices)}} ] }""");
        return path;
    }

    // ---- Options against the manifest --------------------------------------------------------

    [Theory]
    [InlineData("nic9=emulated-ixgbe", "--pci:nic9=emulated-ixgbe: the manifest declares no device 'nic9' (its PCI_BASIC devices: nic0, nic1)")]
    [InlineData("net0=emulated-ixgbe", "--pci:net0=emulated-ixgbe: 'net0' is a NET_BASIC device in the manifest, not PCI_BASIC")]
    [InlineData("nic0=emulated-ixgbe", "the manifest's PCI_BASIC device 'nic1' is not attached: give --pci:nic1=")]
    [InlineData("nic0=emulated-ixgbe,cable=c1;nic1=emulated-ixgbe", "--pci: cable 'c1' joins 1 port(s) (nic0); a cable joins exactly two")]
    [InlineData("nic0=emulated-ixgbe;nic0=emulated-ixgbe;nic1=emulated-ixgbe", "'nic0' is already attached by --pci:nic0=emulated-ixgbe")]
    [InlineData("nic0=emulated-ixgbe,speed=10;nic1=emulated-ixgbe", "unknown emulated-ixgbe option 'speed=10'")]
    public void Options_and_manifest_are_matched_both_ways(string options, string error)
    {
        var manifest = new AppManifest(1, 4UL << 20, [Ixgbe("nic0"), new NetBasicDevice("net0"), Ixgbe("nic1")]);
        var parsed = options.Split(';').Select(o => new PciOption(o[..o.IndexOf('=')], o[(o.IndexOf('=') + 1)..])).ToList();
        var e = Assert.Throws<TenderException>(() => PciAttachment.Match(manifest, parsed));
        Assert.Contains(error, e.Message);
    }

    [Fact]
    public void Matching_options_attach_and_mark_the_manifest_copy()
    {
        var manifest = new AppManifest(1, 4UL << 20, [Ixgbe("nic0"), new NetBasicDevice("net0"), Ixgbe("nic1")]);
        using var pci = PciAttachment.Match(manifest, [new("nic1", "emulated-ixgbe"), new("nic0", "emulated-ixgbe,mac=02:00:00:00:00:09")]);
        byte[] mft = Solo5Mft.Encode(manifest);
        pci.FillManifest(manifest, mft);
        Assert.False(pci.IsEmpty);
        Assert.True(mft[Solo5Mft.EntryOffset(1) + 96] != 0, "nic0 attached");
        Assert.True(mft[Solo5Mft.EntryOffset(2) + 96] == 0, "net0 is not the PCI layer's");
        Assert.True(mft[Solo5Mft.EntryOffset(3) + 96] != 0, "nic1 attached");
    }

    [Fact]
    public void A_dma_size_beyond_the_deprivileged_window_is_refused()
    {
        var manifest = new AppManifest(1, 16UL << 30, [Ixgbe("nic0")]);
        var e = Assert.Throws<TenderException>(() => PciAttachment.Match(manifest, [new("nic0", "emulated-ixgbe")]));
        Assert.Contains("dma_size 16384 MiB is more than the 8192 MiB", e.Message);
    }

    // ---- Windows of two devices: page tables and MMIO routing -----------------------------------

    [KvmFact] // memory slots and page tables of a KVM VM itself
    public void Two_devices_get_uncached_bar_windows_and_one_dma_window_and_mmio_reaches_the_right_port()
    {
        var manifest = new AppManifest(1, 4UL << 20, [Ixgbe("nic0"), Ixgbe("nic1")]);
        using var pci = PciAttachment.Match(manifest, [new("nic0", "emulated-ixgbe,cable=c"), new("nic1", "emulated-ixgbe,cable=c")]);
        using var machine = KvmMachine.Open();
        var vm = machine.Vm;
        var windows = pci.Realize(machine);
        using var pump = pci.PumpStopper();

        var builder = new PageTableBuilder(0x10_0000, maxTableBytes: 1 << 20);
        builder.Map(windows.Select(w => w.Region));
        var tables = builder.Build();

        var dma = tables.Translate(1UL << 40);
        Assert.NotNull(dma);
        Assert.Equal(PciAttachment.DmaGuestPhysical, dma.Value.PhysicalAddress);
        Assert.Equal(PageFlags.Writable | PageFlags.User, dma.Value.Flags);
        var dmaLast = tables.Translate((1UL << 40) + (4UL << 20) - 1);
        Assert.Equal(PciAttachment.DmaGuestPhysical + (4UL << 20) - 1, dmaLast!.Value.PhysicalAddress);
        Assert.Null(tables.Translate((1UL << 40) + (4UL << 20)));
        Assert.Same(vm.FindMemory(PciAttachment.DmaGuestPhysical, 4UL << 20), vm.Memories.Single(m => m.Name == "DMA area"));

        for (int n = 0; n < 2; n++)
        {
            ulong bar = (1UL << 39) + (ulong)n * (1UL << 34);
            ulong gpa = PciAttachment.BarGuestPhysicalBase + (ulong)n * PciAttachment.BarGuestPhysicalStride;
            var first = tables.Translate(bar);
            var last = tables.Translate(bar + (512 << 10) - 1);
            Assert.NotNull(first);
            Assert.Equal(gpa, first.Value.PhysicalAddress);
            Assert.Equal(PageFlags.Writable | PageFlags.User | PageFlags.Uncached, first.Value.Flags);
            Assert.Equal(gpa + (512 << 10) - 1, last!.Value.PhysicalAddress);
            Assert.Null(tables.Translate(bar + (512 << 10)));          // past BAR0
            Assert.Null(tables.Translate(bar + (1UL << 30)));          // BAR1: not asked for
            Assert.Null(vm.FindMemory(gpa, 1));                          // no slot: every access exits

            // STATUS (0x8) through the MMIO path: LAN ID (bits 3:2) tells the cable's two ports apart.
            Span<byte> data = new byte[4];
            data.Fill(0xEE);
            Assert.True(pci.TryHandleMmio(new MmioExit(gpa + 0x8, false, data)));
            Assert.Equal((uint)n, (BitConverter.ToUInt32(data) >> 2) & 3);
        }
        Span<byte> stray = stackalloc byte[4];
        Assert.False(pci.TryHandleMmio(new MmioExit(PciAttachment.BarGuestPhysicalBase + 2 * PciAttachment.BarGuestPhysicalStride, false, stray)));
        Assert.False(pci.TryHandleMmio(new MmioExit(PciAttachment.BarGuestPhysicalBase - 4, true, stray)));
    }

    // ---- Through the built tender ------------------------------------------------------------

    [GuestFact]
    public void A_descriptor_outside_the_dma_area_is_a_device_error_not_a_host_access()
    {
        var r = TenderProcess.Run("run", "--mem=8", "--timeout=30s", "--manifest", ManifestFile("nic0"),
            "--pci:nic0=emulated-ixgbe", TestGuests.Build("ixgbe_bad"));
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Equal(0x0200_0000UL, Hex(lines[1]));   // TXDCTL.ENABLE read back: the ring is in the DMA area
        Assert.Equal(1UL, Hex(lines[2]) & 1);         // the bad packet's descriptor is completed (DD)
        Assert.Equal(1UL, Hex(lines[3]));             // TDH moved past it: the queue keeps working
        Assert.Contains("pci nic0: device error: 82599 DmaOutOfRange: TX queue 0: descriptor 0 points at buffer 0x100000 + 60 bytes, outside the DMA area [0x10000000000, 0x10000400000)", r.Stderr);
    }

    [GuestFact]
    public void Trace_logs_the_attach_the_windows_and_every_register_access()
    {
        var r = TenderProcess.Run("run", "--mem=8", "--timeout=30s", "--log-level=information", "--manifest", ManifestFile("nic0"),
            "--pci:nic0=emulated-ixgbe,trace", TestGuests.Build("ixgbe_bad"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("pci: DMA area 4 MiB at guest-virtual 0x10000000000, guest-physical 0x200000000 (guest memory)", r.Stderr);
        Assert.Contains("pci: --pci:nic0=emulated-ixgbe,trace: emulated 82599 vendor 0x8086 device 0x10fb", r.Stderr);
        Assert.Contains("BAR0 512 KiB at guest-virtual 0x8000000000 (guest-physical 0x600000000, no memory behind it: every access is an MMIO exit)", r.Stderr);
        string[] accesses = r.Stderr.Split('\n').Where(l => l.Contains("pci nic0: read ") || l.Contains("pci nic0: write")).ToArray();
        Assert.Equal(11, accesses.Length); // the guest's 3 register reads and 8 writes, in order
        Assert.Contains("read  STATUS", accesses[0]);
        Assert.Contains("write TDT[0]         0x06018 = 0x00000001", accesses[9]);
        Assert.Contains("read  TDH[0]         0x06010 = 0x00000001", accesses[10]);
        // Without ",trace" no register access is logged.
        var quiet = TenderProcess.Run("run", "--mem=8", "--timeout=30s", "--log-level=information", "--manifest", ManifestFile("nic0"),
            "--pci:nic0=emulated-ixgbe", TestGuests.Build("ixgbe_bad"));
        Assert.DoesNotContain("pci nic0: write", quiet.Stderr);
    }

    [GuestFact]
    public void A_host_address_without_vfio_is_refused_with_a_sentence()
    {
        Assert.False(File.Exists("/dev/vfio/vfio"), "this test expects a host without VFIO (as every machine of this project)");
        var r = TenderProcess.Run("run", "--mem=8", "--manifest", ManifestFile("nic0"), "--pci:nic0=0000:03:00.0", TestGuests.Build("exit7"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--pci:nic0=0000:03:00.0: no /dev/vfio/vfio: VFIO is not available on this host", r.Stderr);
    }

    [GuestFact]
    public void A_host_device_next_to_an_emulated_one_is_refused_before_any_device_is_set_up()
    {
        Assert.False(File.Exists("/dev/vfio/vfio"), "this test expects a host without VFIO (as every machine of this project)");
        var r = TenderProcess.Run("run", "--mem=8", "--log-level=information", "--manifest", ManifestFile("nic0", "nic1"),
            "--pci:nic0=emulated-ixgbe", "--pci:nic1=0000:03:00.0", TestGuests.Build("exit7"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--pci:nic1=0000:03:00.0: no /dev/vfio/vfio: VFIO is not available on this host", r.Stderr);
        // VFIO is opened before the DMA area and the emulated ports: nothing of them was made.
        Assert.DoesNotContain("emulated 82599", r.Stderr);
        Assert.DoesNotContain("DMA area", r.Stderr);
    }

    [GuestFact]
    public void An_mmio_access_outside_every_bar_is_a_crash_report()
    {
        // BAR1 of device 0 is not mapped: the guest's access faults (#PF) and is reported as a crash.
        var r = TenderProcess.Run("run", "--mem=8", "--manifest", ManifestFile("nic0"), "--pci:nic0=emulated-ixgbe", TestGuests.Build("ixgbe_stray"));
        output.WriteLine(r.ToString());
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("page fault", r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("0x8040000000", r.Stderr);
    }

    private static ulong Hex(string line) => ulong.Parse(line.Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    // ---- The samples over TAPs -----------------------------------------------------------------

    private static readonly Lazy<string> ReflectElf = new(() => BuildSample("ixgbe-reflect"));
    private static readonly Lazy<string> ForwardElf = new(() => BuildSample("ixgbe-forward"));

    private static string Root => Repository.Root;

    private static string BuildSample(string name) => GuestProjects.Sample(name);

    private static string SampleManifest(string name) => Path.Combine(Root, "samples", name, "manifest.json");

    [GuestFact(NetworkNeeds)]
    public void Reflect_sample_initialises_the_port_reaches_link_up_and_sends_every_frame_back()
    {
        const int Count = 256; // half the receive ring: nothing may be lost
        using var ns = new TestNamespace("tpr");
        ns.AddTap("tpr0");
        using var peer = ns.Run(() => new PacketSocket("tpr0"));
        using var tender = ns.Run(() => TenderProcess.Start("run", "--mem=64", "--timeout=50s", "--manifest", SampleManifest("ixgbe-reflect"),
            "--pci:port0=emulated-ixgbe,tap=tpr0", ReflectElf.Value, $"--frames={Count}"));
        tender.WaitForOutput("ixgbe-reflect: reflecting", TimeSpan.FromSeconds(40));
        Assert.Contains("ixgbe-reflect: port0 link up at 10000 Mbit/s", tender.StdoutSoFar);

        // One frame at a time first (sizes 60..1514), then a burst.
        var sent = new List<byte[]>();
        foreach (int length in new[] { 60, 61, 64, 128, 577, 1000, 1514 })
        {
            var f = Frames.Make(Port0Mac, peer.InterfaceMac, length, sent.Count);
            peer.Send(f);
            sent.Add(f);
            Assert.Equal(Swapped(f), ReceiveTest(peer) ?? throw new Xunit.Sdk.XunitException($"no echo of the {length}-byte frame"));
        }
        var burst = Enumerable.Range(0, Count - sent.Count).Select(i => Frames.Make(Port0Mac, peer.InterfaceMac, 60 + i * 5 % 1454, 1000 + i)).ToList();
        // Bursts of 50: the peer's socket buffer (about 200 KB) must hold a whole burst's echoes.
        var clock = Stopwatch.StartNew();
        var echoes = new List<byte[]>();
        for (int start = 0; start < burst.Count; start += 50)
        {
            int end = Math.Min(start + 50, burst.Count);
            for (int i = start; i < end; i++) peer.Send(burst[i]);
            while (echoes.Count < end && ReceiveTest(peer) is byte[] e) echoes.Add(e);
        }
        clock.Stop();
        Assert.Equal(burst.Select(Swapped).Select(Convert.ToHexString), echoes.Select(Convert.ToHexString));
        output.WriteLine($"reflect burst: {burst.Count} frames back in {clock.Elapsed.TotalMilliseconds:F1} ms ({burst.Count / clock.Elapsed.TotalSeconds:F0} frames/s, one tender, TAP both ways)");

        var r = tender.WaitForExit();
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"ixgbe-reflect: reflected {Count}, dropped 0", r.Stdout);
        Assert.DoesNotContain("device error", r.Stderr);
    }

    [GuestFact(NetworkNeeds)]
    public void Forward_sample_moves_frames_both_ways_between_two_taps_with_none_lost()
    {
        const int PerDirection = 200; // in waves well below both ports' 512-descriptor rings
        using var ns = new TestNamespace("tpf");
        ns.AddTap("tpfa");
        ns.AddTap("tpfb");
        using var a = ns.Run(() => new PacketSocket("tpfa"));
        using var b = ns.Run(() => new PacketSocket("tpfb"));
        using var tender = ns.Run(() => TenderProcess.Start("run", "--mem=64", "--timeout=50s", "--manifest", SampleManifest("ixgbe-forward"),
            "--pci:port0=emulated-ixgbe,tap=tpfa", "--pci:port1=emulated-ixgbe,tap=tpfb", ForwardElf.Value, $"--frames={2 * PerDirection}"));
        tender.WaitForOutput("ixgbe-forward: forwarding", TimeSpan.FromSeconds(40));
        Assert.Contains("ixgbe-forward: port0 link up at 10000 Mbit/s", tender.StdoutSoFar);
        Assert.Contains("ixgbe-forward: port1 link up at 10000 Mbit/s", tender.StdoutSoFar);
        // What GuestBindings told the guest: the DMA window and device n's BAR0 at 2^39 + n·2^34.
        Assert.Contains("ixgbe-forward: DMA area 0x10000000000, 16 MiB", tender.StdoutSoFar);
        Assert.Contains("ixgbe-forward: port0 is PCI device 0, BAR0 at 0x8000000000", tender.StdoutSoFar);
        Assert.Contains("ixgbe-forward: port1 is PCI device 1, BAR0 at 0x8400000000", tender.StdoutSoFar);

        var clock = Stopwatch.StartNew();
        var aToB = Enumerable.Range(0, PerDirection).Select(i => Frames.Make(b.InterfaceMac, a.InterfaceMac, 60 + i * 7 % 1454, i)).ToList();
        var bToA = Enumerable.Range(0, PerDirection).Select(i => Frames.Make(a.InterfaceMac, b.InterfaceMac, 60 + i * 11 % 1454, 5000 + i)).ToList();
        // Waves of 50 frames each way: every wave fits both rings many times over, and the peers'
        // socket buffers (about 200 KB) hold a whole wave while the other side is drained.
        const int Wave = 50;
        var atB = new List<byte[]>();
        var atA = new List<byte[]>();
        for (int start = 0; start < PerDirection; start += Wave)
        {
            for (int i = start; i < start + Wave; i++)
            {
                a.Send(aToB[i]);
                b.Send(bToA[i]);
            }
            while (atB.Count < start + Wave && ReceiveTest(b) is byte[] fb) atB.Add(fb);
            while (atA.Count < start + Wave && ReceiveTest(a) is byte[] fa) atA.Add(fa);
        }
        clock.Stop();
        output.WriteLine($"received {atB.Count} at B, {atA.Count} at A; tender so far:\n{tender.StdoutSoFar}");
        Assert.Equal(aToB.Select(Convert.ToHexString), atB.Select(Convert.ToHexString));
        Assert.Equal(bToA.Select(Convert.ToHexString), atA.Select(Convert.ToHexString));
        output.WriteLine($"forward: {2 * PerDirection} frames across in {clock.Elapsed.TotalMilliseconds:F1} ms ({2 * PerDirection / clock.Elapsed.TotalSeconds:F0} frames/s)");

        var r = tender.WaitForExit();
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"ixgbe-forward: forwarded {2 * PerDirection}, dropped 0", r.Stdout);
        Assert.DoesNotContain("device error", r.Stderr);
    }

    private static readonly Lazy<string> HttpElf = new(() => BuildSample("ixgbe-http"));

    [GuestFact(NetworkNeeds)]
    public void Http_sample_serves_curl_through_guest_stack_over_the_ixgbe_driver()
    {
        const int Requests = 5;
        using var ns = new TestNamespace("tph");
        ns.AddTap("tph0", "10.0.0.1/24");
        using var tender = ns.Run(() => TenderProcess.Start("run", "--mem=64", "--timeout=50s", "--manifest", SampleManifest("ixgbe-http"),
            "--pci:port0=emulated-ixgbe,tap=tph0", HttpElf.Value, $"--requests={Requests}"));
        tender.WaitForOutput("ixgbe-http: serving on port 80", TimeSpan.FromSeconds(40));
        for (int i = 1; i <= Requests; i++)
        {
            var (exit, body) = ns.TryExec("curl", "-s", "-S", "-m", "10", "http://10.0.0.2/");
            Assert.True(exit == 0, $"curl {i} failed ({exit}): {body}\n{tender.StdoutSoFar}");
            Assert.Equal($"hello from ixgbe {i}", body.TrimEnd()); // the command runner trims the trailing newline
        }
        var r = tender.WaitForExit();
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"ixgbe-http: answered {Requests}", r.Stdout);
        Assert.DoesNotContain("device error", r.Stderr);
    }

    private static byte[]? ReceiveTest(PacketSocket socket, TimeSpan? timeout = null)
    {
        var limit = Stopwatch.StartNew();
        TimeSpan wait = timeout ?? Wait;
        while (limit.Elapsed < wait)
        {
            var f = socket.Receive(wait - limit.Elapsed);
            if (f is null) return null;
            if (Frames.IsTestFrame(f)) return f;
        }
        return null;
    }

    private static byte[] Swapped(byte[] frame)
    {
        var echo = (byte[])frame.Clone();
        frame.AsSpan(0, 6).CopyTo(echo.AsSpan(6));
        frame.AsSpan(6, 6).CopyTo(echo);
        return echo;
    }
}
