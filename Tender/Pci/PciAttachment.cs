using Serilog;
using Tender.Devices;
using Tender.Host;

using Tender.Manifest;
using Tender.Paging;
using Tender.Pci;
using Tender.Pci.Dma;
using Tender.Pci.Emulation;
using Tender.Pci.Vfio;
using Tender.Pci.Wire;

namespace Tender.PciSupport;

/// <summary>One <c>--pci:NAME=VALUE</c> option as given on the command line.</summary>
internal sealed record PciOption(string Name, string Value)
{
    public override string ToString() => $"--pci:{Name}={Value}";
}

/// <summary>
/// The guest's PCI devices (issue 6, docs/pci.md "integration checklist"): the <c>--pci</c>
/// options matched with the manifest's PCI_BASIC entries, the DMA area as a memory slot, the
/// emulated 82599 ports behind BAR windows that have no memory slot (so every access is a
/// KVM_EXIT_MMIO routed here), and the TAP pump thread. Deprivileged mode only.
/// </summary>
internal sealed class PciAttachment : IDisposable
{
    /// <summary>Guest-physical home of the DMA area: above RAM (at most 4 GiB) and its network ring,
    /// below the system area at 2^34; so dma_size may be at most 8 GiB here.</summary>
    public const ulong DmaGuestPhysical = 1UL << 33;
    public const ulong MaxDmaSize = DeprivilegedSystemAreaBase - DmaGuestPhysical;

    /// <summary>Guest-physical addresses of emulated BAR0s: 2^34 + 2^33 + n·1 MiB, past the system area
    /// (at most 64 MiB of tables) and below 2^35 (platform.md). No memory slot is ever put there.</summary>
    public const ulong BarGuestPhysicalBase = (1UL << 34) + (1UL << 33);
    public const ulong BarGuestPhysicalStride = 1UL << 20;

    /// <summary>Guest-physical home of host (VFIO) BARs: [2^34 + 2^33 + 2^32, 2^35), above the emulated
    /// BAR0s (at most 32 MiB from <see cref="BarGuestPhysicalBase"/>); each BAR naturally aligned.
    /// Unlike emulated BARs these ARE memory slots: the guest's loads and stores reach the device.</summary>
    public const ulong HostBarGuestPhysicalBase = BarGuestPhysicalBase + (1UL << 32);
    public const ulong HostBarGuestPhysicalLimit = 1UL << 35;

    private const ulong DeprivilegedSystemAreaBase = 1UL << 34;

    private readonly List<(PciBasicDevice Entry, int Index, PciOption Option, PciDeviceSpec Spec)> _devices;
    private readonly ulong _dmaSize;
    private readonly List<IDisposable> _owned = [];
    private readonly Dictionary<string, TapDevice> _taps = [];
    private List<(PciBasicDevice Entry, int Index, PciOption Option, PciDeviceSpec Spec)> _emulated = [];
    private EmulatedIxgbePorts? _ports;
    private (ulong Gpa, Ixgbe82599 Device, string Name)[] _bars = [];
    private Thread? _pump;
    private EventSignal? _pumpWake;
    private volatile bool _stopping;

    private PciAttachment(List<(PciBasicDevice, int, PciOption, PciDeviceSpec)> devices, ulong dmaSize)
    {
        _devices = devices;
        _dmaSize = dmaSize;
    }

    public bool IsEmpty => _devices.Count == 0;

    /// <summary>
    /// Checks the options against the manifest both ways (every PCI_BASIC entry needs exactly one
    /// --pci option, every option names a PCI_BASIC entry) and parses them. No host resources yet.
    /// </summary>
    public static PciAttachment Match(AppManifest manifest, IReadOnlyList<PciOption> options)
    {
        var entries = manifest.PciDevices.ToList();
        var byName = new Dictionary<string, PciOption>();
        foreach (var o in options)
        {
            var declared = manifest.Devices.FirstOrDefault(d => d.Name == o.Name);
            if (declared is null)
                throw new TenderException($"{o}: the manifest declares no device '{o.Name}'" +
                    (entries.Count == 0 ? " (it has no PCI_BASIC devices)" : $" (its PCI_BASIC devices: {string.Join(", ", entries.Select(e => e.Name))})"));
            if (declared is not PciBasicDevice)
                throw new TenderException($"{o}: '{o.Name}' is a {ManifestLimits.TypeName(declared.Type)} device in the manifest, not PCI_BASIC");
            if (!byName.TryAdd(o.Name, o))
                throw new TenderException($"{o}: '{o.Name}' is already attached by {byName[o.Name]}");
        }
        var devices = new List<(PciBasicDevice, int, PciOption, PciDeviceSpec)>();
        for (int n = 0; n < entries.Count; n++)
        {
            var entry = entries[n];
            if (!byName.TryGetValue(entry.Name, out var option))
                throw new TenderException($"the manifest's PCI_BASIC device '{entry.Name}' is not attached: give --pci:{entry.Name}=emulated-ixgbe[,tap=IF|,cable=NAME] or --pci:{entry.Name}=0000:BB:DD.F");
            if (n >= PciWindows.MaxDevices)
                throw new TenderException($"the manifest has {entries.Count} PCI_BASIC devices; at most {PciWindows.MaxDevices} fit the BAR windows");
            if (!PciDeviceSpec.TryParse(option.ToString(), option.Value, out var spec, out string? error))
                throw new TenderException(error!);
            devices.Add((entry, n, option, spec));
        }
        string? cableError = PciDeviceSpec.CheckCables(devices.Select(d => (d.Item1.Name, d.Item4)));
        if (cableError is not null) throw new TenderException($"--pci: {cableError}");
        ulong dmaSize = manifest.DmaSize ?? 0;
        if (devices.Count > 0 && dmaSize > MaxDmaSize)
            throw new TenderException($"manifest: dma_size {dmaSize >> 20} MiB is more than the {MaxDmaSize >> 20} MiB a deprivileged guest's DMA area can have");
        return new PciAttachment(devices, dmaSize);
    }

    /// <summary>Marks the attached PCI entries in the binary manifest the guest reads.</summary>
    public void FillManifest(AppManifest manifest, Span<byte> mft)
    {
        foreach (var (entry, _, _, _) in _devices)
        {
            int index = manifest.Devices.ToList().IndexOf(entry);
            Solo5Mft.AttachPci(mft, index);
        }
    }

    /// <summary>
    /// Opens the host side: VFIO for host devices (refused with a clear sentence when the host has
    /// none), the DMA area as a memory slot (for host devices a DmaArea also mapped in the IOMMU),
    /// each host BAR the manifest maps as a memory slot, the emulated ports and their wires.
    /// Returns the regions the boot mode maps for the guest. Host memory registered as slots
    /// (DMA area, BAR mmaps) is owned here and released by <see cref="Dispose"/>, which the caller
    /// must run after the VM's (declare this before the VM), also when Realize throws.
    /// </summary>
    public IReadOnlyList<(Region Region, string What)> Realize(IMachine vm)
    {
        var windows = new List<(Region, string)>();
        if (_devices.Count == 0) return windows;

        foreach (var (entry, _, option, spec) in _devices)
        {
            if (spec.IsEmulated && (entry.MapBarMask & ~1) != 0)
                throw new TenderException($"{option}: the manifest maps BARs {string.Join(", ", Enumerable.Range(0, 6).Where(entry.MapsBar))} of '{entry.Name}'; the emulated 82599 has BAR0 only");
            if (spec.IsEmulated && Ixgbe82599.PciIdentity.DescribeMismatch(new PciIdentity(entry.VendorId, entry.DeviceId, entry.ClassCode, entry.Subclass, entry.ProgIf)) is string mismatch)
                throw new TenderException($"{option}: the emulated 82599 does not match the manifest's device '{entry.Name}': {mismatch}");
        }
        var hostDevices = _devices.Where(d => !d.Spec.IsEmulated).ToList();
        _emulated = _devices.Where(d => d.Spec.IsEmulated).ToList();
        VfioSession? session = hostDevices.Count > 0 ? OpenVfio(hostDevices) : null;

        // With a host device the DMA area is Tender.Pci's DmaArea (hugepages when the host has
        // them, pinned by the IOMMU map); otherwise an ordinary slot does. Either way it sits at
        // guest-physical DmaGuestPhysical, guest-virtual = IOVA = 2^40.
        IDmaMemory dma = NoDmaMemory.Instance;
        if (_dmaSize > 0)
        {
            if (session is not null)
            {
                if (_dmaSize % DmaArea.PageSize != 0)
                    throw new TenderException($"manifest: dma_size {_dmaSize} bytes is not a multiple of 2 MiB, which a host (VFIO) device's DMA area needs");
                DmaArea area;
                try
                {
                    area = DmaArea.Allocate(_dmaSize, PciWindows.DmaWindowBase);
                }
                catch (HostException e)
                {
                    throw new TenderException($"--pci: the {_dmaSize >> 20} MiB DMA area: {e.Message}");
                }
                // Owned here, freed in Dispose, which the runner calls after the VM (and so its
                // slot) is gone; registered in the IOMMU only once the slot exists.
                _owned.Add(area);
                vm.AddExternalMemory("DMA area", DmaGuestPhysical, area.HostAddress, _dmaSize);
                try
                {
                    session.MapDma(area);
                }
                catch (VfioException e)
                {
                    throw new TenderException($"--pci: mapping the DMA area at IOVA 0x{area.BaseIova:x} in the IOMMU: {e.Message}");
                }
                dma = area;
                Log.Information("pci: DMA area {Size} MiB ({Backing}) mapped in the IOMMU at IOVA 0x{Iova:x}", _dmaSize >> 20, area.Backing.ToString(), area.BaseIova);
            }
            else
            {
                var memory = vm.AddMemory("DMA area", DmaGuestPhysical, _dmaSize);
                dma = new GuestMemoryDma(memory, PciWindows.DmaWindowBase, _dmaSize);
            }
            windows.Add((new Region(PciWindows.DmaWindowBase, DmaGuestPhysical, _dmaSize, PageFlags.Writable | PageFlags.User),
                "DMA area (IOVA = this address)"));
            Log.Information("pci: DMA area {Size} MiB at guest-virtual 0x{Virtual:x}, guest-physical 0x{Physical:x} (guest memory)",
                _dmaSize >> 20, PciWindows.DmaWindowBase, DmaGuestPhysical);
        }

        if (session is not null) MapHostBars(vm, session, hostDevices, windows);

        var bars = new List<(ulong, Ixgbe82599, string)>();
        if (_emulated.Count > 0)
        {
            try
            {
                _ports = EmulatedIxgbePorts.Create(_emulated.Select(d => (d.Entry.Name, d.Spec, d.Entry.BusMasterEnable)).ToList(), dma, OpenTap);
            }
            catch (ArgumentException e)
            {
                throw new TenderException($"--pci: {e.Message}");
            }
        }
        for (int k = 0; k < _emulated.Count; k++)
        {
            var (entry, n, option, spec) = _emulated[k];
            var device = _ports!.Ports[k].Device;
            ulong gpa = BarGuestPhysicalBase + (ulong)n * BarGuestPhysicalStride;
            ulong gva = PciWindows.BarAddress(n, 0);
            bars.Add((gpa, device, entry.Name));
            windows.Add((new Region(gva, gpa, IxgbeRegisters.Bar0Size, PageFlags.Writable | PageFlags.User | PageFlags.Uncached),
                $"BAR0 of PCI device {n} '{entry.Name}' (emulated, every access exits)"));
            string name = entry.Name;
            device.ErrorReported += e => Log.Warning("pci {Name}: device error: {Error}", name, e.ToString());
            if (spec.TraceRegisters) device.RegisterTrace = a => Log.Information("pci {Name}: {Access}", name, a.ToString());
            Log.Information("pci: {Option}: emulated 82599 {Identity} as PCI device {Index}, BAR0 {Size} KiB at guest-virtual 0x{Virtual:x} (guest-physical 0x{Physical:x}, no memory behind it: every access is an MMIO exit), bus master {BusMaster}, wire {Wire}",
                option.ToString(), Ixgbe82599.PciIdentity.ToString(), n, IxgbeRegisters.Bar0Size >> 10, gva, gpa, entry.BusMasterEnable ? "on" : "off",
                spec.Wire == EmulatedWireKind.None ? "none (link down)" : $"{spec.Wire.ToString().ToLowerInvariant()} {spec.WireName}");
        }
        _bars = bars.ToArray();
        StartPump();
        return windows;
    }

    /// <summary>
    /// Routes one MMIO exit: true if it fell in an emulated BAR (a read's bytes are filled in
    /// kvm_run), false if no device owns the address (the caller reports a crash).
    /// </summary>
    public bool TryHandleMmio(MmioExit exit)
    {
        foreach (var (gpa, device, _) in _bars)
        {
            if (exit.Address < gpa || exit.Address - gpa >= IxgbeRegisters.Bar0Size) continue;
            if (!exit.IsWrite) exit.Data.Clear();
            device.HandleMmio(exit.Address - gpa, exit.Data, exit.IsWrite);
            return true;
        }
        return false;
    }

    // Opens every host device in one VFIO session (one container: one IOMMU domain for the DMA
    // area). The session is owned from here on and closed in Dispose, after the VM.
    private VfioSession OpenVfio(List<(PciBasicDevice Entry, int Index, PciOption Option, PciDeviceSpec Spec)> hostDevices)
    {
        var first = hostDevices[0];
        if (!File.Exists("/dev/vfio/vfio"))
            throw new TenderException($"{first.Option}: no /dev/vfio/vfio: VFIO is not available on this host (a host device needs vfio-pci and an IOMMU; use --pci:{first.Entry.Name}=emulated-ixgbe here)");
        string options = string.Join(" ", hostDevices.Select(d => d.Option.ToString()));
        try
        {
            var session = VfioSession.Open(hostDevices.Select(d => new VfioDeviceRequest(d.Entry.Name, d.Spec.HostAddress!.Value,
                new PciIdentity(d.Entry.VendorId, d.Entry.DeviceId, d.Entry.ClassCode, d.Entry.Subclass, d.Entry.ProgIf), d.Entry.BusMasterEnable)).ToList());
            _owned.Add(session);
            return session;
        }
        catch (VfioException e)
        {
            throw new TenderException($"{options}: {e.Message}");
        }
    }

    // Every BAR the manifest maps: mmapped from the device (owned by the session's VfioDevice,
    // unmapped when the session closes, after the VM), a memory slot at its own naturally aligned
    // guest-physical range, and an uncached window at guest-virtual PciWindows.BarAddress.
    private static void MapHostBars(IMachine vm, VfioSession session,
        List<(PciBasicDevice Entry, int Index, PciOption Option, PciDeviceSpec Spec)> hostDevices, List<(Region, string)> windows)
    {
        ulong next = HostBarGuestPhysicalBase;
        for (int k = 0; k < hostDevices.Count; k++)
        {
            var (entry, n, option, _) = hostDevices[k];
            VfioDevice device = session.Devices[k];
            for (int i = 0; i < 6; i++)
            {
                if (!entry.MapsBar(i)) continue;
                MappedBar bar;
                try
                {
                    bar = device.MapBar(i);
                }
                catch (VfioException e)
                {
                    throw new TenderException($"{option}: BAR {i} of '{entry.Name}': {e.Message}");
                }
                if (bar.Size % 4096 != 0 || bar.Size > PciWindows.MaxBarSize)
                    throw new TenderException($"{option}: BAR {i} of '{entry.Name}' is {bar.Size:#,0} bytes; a mapped BAR must be whole pages and at most {PciWindows.MaxBarSize >> 20} MiB");
                // Natural alignment (BARs are powers of two) lets the host back the slot with large pages.
                ulong align = System.Numerics.BitOperations.RoundUpToPowerOf2(bar.Size);
                ulong gpa = (next + align - 1) & ~(align - 1);
                if (gpa < next || gpa > HostBarGuestPhysicalLimit || HostBarGuestPhysicalLimit - gpa < bar.Size)
                    throw new TenderException($"{option}: BAR {i} of '{entry.Name}' ({bar.Size >> 10} KiB) does not fit the {(HostBarGuestPhysicalLimit - HostBarGuestPhysicalBase) >> 20} MiB of guest-physical space for host BARs");
                next = gpa + bar.Size;
                vm.AddExternalMemory($"BAR {i} of {entry.Name}", gpa, bar.HostAddress, bar.Size);
                ulong gva = PciWindows.BarAddress(n, i);
                windows.Add((new Region(gva, gpa, bar.Size, PageFlags.Writable | PageFlags.User | PageFlags.Uncached),
                    $"BAR{i} of PCI device {n} '{entry.Name}' (host device {device.Address}, memory slot)"));
                Log.Information("pci: {Option}: BAR{Bar} {Size} KiB at guest-virtual 0x{Virtual:x} (guest-physical 0x{Physical:x}, memory slot over the device's mmap)",
                    option.ToString(), i, bar.Size >> 10, gva, gpa);
            }
        }
    }

    private IFramePort OpenTap(string interfaceName)
    {
        TapDevice tap;
        try
        {
            tap = TapDevice.Open(interfaceName);
        }
        catch (DeviceException e)
        {
            throw new TenderException($"--pci: {e.Message}");
        }
        _owned.Add(tap);
        _taps[interfaceName] = tap;
        return new TapFramePort(tap);
    }

    // One thread moves frames from the TAPs into the ports. A TAP is watched only while its port
    // has free receive descriptors; the port's ReceiveBuffersPosted puts it back (docs/pci.md), so
    // a full ring leaves frames in the kernel's queue instead of spinning on a readable TAP.
    private void StartPump()
    {
        if (_ports is null) return;
        var taps = _ports.Ports.Select((p, i) => (Port: p, Index: i)).Where(p => p.Port.Tap is not null).ToList();
        if (taps.Count == 0) return;
        var poller = new DevicePoller();
        _owned.Add(poller);
        var posted = new EventSignal[_ports.Ports.Count];
        var descriptors = new FileDescriptor[_ports.Ports.Count];
        foreach (var (port, i) in taps)
        {
            posted[i] = new EventSignal();
            _owned.Add(posted[i]);
            var signal = posted[i];
            port.Device.ReceiveBuffersPosted += signal.Set;
            descriptors[i] = _taps[_emulated[i].Spec.WireName!].Descriptor;
            poller.Add(2 * i, descriptors[i]);
            poller.Add(2 * i + 1, signal);
        }
        _pumpWake = new EventSignal();
        _owned.Add(_pumpWake);
        _pump = new Thread(() =>
        {
            var watching = new bool[posted.Length];
            foreach (var (_, i) in taps) watching[i] = true;
            while (!_stopping)
            {
                var result = poller.Poll(100_000_000);
                foreach (var (port, i) in taps)
                {
                    if (!watching[i] && (result.ReadySet & (1UL << (2 * i + 1))) != 0)
                    {
                        poller.Add(2 * i, descriptors[i]);
                        watching[i] = true;
                    }
                    if (watching[i]) port.Tap!.Pump(64);
                    if (watching[i] && !port.Device.ReadyToReceive)
                    {
                        poller.Remove(2 * i);
                        watching[i] = false;
                        // Buffers may have been posted between the pump and the removal.
                        if (port.Device.ReadyToReceive) { poller.Add(2 * i, descriptors[i]); watching[i] = true; }
                    }
                }
            }
        })
        { IsBackground = true, Name = "pci tap pump" };
        _pump.Start();
        _stopPoller = poller;
    }

    private DevicePoller? _stopPoller;

    /// <summary>Stops the TAP pump when disposed; declare it after the VM so it runs before the DMA slot goes.</summary>
    public IDisposable PumpStopper() => new Stopper(this);

    private sealed class Stopper(PciAttachment owner) : IDisposable
    {
        public void Dispose() => owner.StopPump();
    }

    private void StopPump()
    {
        _stopping = true;
        _stopPoller?.Wake();
        _pump?.Join();
        _pump = null;
        if (_ports is null) return;
        foreach (var port in _ports.Ports)
            if (port.Tap is { SendFailures: > 0 } tap)
                Log.Warning("pci {Name}: the TAP refused {Count} frame(s) the guest sent", port.Name, tap.SendFailures);
        _ports = null;
    }

    public void Dispose()
    {
        StopPump();
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
    }

    /// <summary>Tender.Devices' TAP as the emulated port's wire (docs/pci.md "Wires").</summary>
    private sealed class TapFramePort(TapDevice tap) : IFramePort
    {
        public bool TrySend(ReadOnlySpan<byte> frame) => tap.Write(frame) == DeviceResult.Ok;
        public int TryReceive(Span<byte> buffer) => tap.Read(buffer, out int length) == DeviceResult.Ok ? length : 0;
        public int MaxFrameSize => tap.MaxFrameSize;
    }

    /// <summary>The DMA area's guest memory as the emulated devices' IOMMU (range-checked by DmaRange).</summary>
    private sealed class GuestMemoryDma(GuestMemory memory, ulong baseIova, ulong size) : IDmaMemory
    {
        public ulong BaseIova => baseIova;
        public ulong Size => size;

        public bool TryGetSpan(ulong iova, int length, out Span<byte> span)
        {
            long offset = DmaRange.OffsetOf(baseIova, size, iova, length);
            if (offset < 0)
            {
                span = default;
                return false;
            }
            span = memory.GetSpan(memory.GuestPhysicalAddress + (ulong)offset, (ulong)length);
            return true;
        }
    }
}
