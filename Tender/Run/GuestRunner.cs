using Solo5;
using System.Diagnostics;
using System.Text;
using Serilog;
using Tender.Boot;
using Tender.Devices;
using Tender.Host.Interop;
using Tender.Diagnostics;
using Tender.Hypercalls;
using Tender.Loader;
using Tender.Manifest;

namespace Tender.Run;

/// <summary>
/// `tender run`: loads the ELF, builds the VM through the guest's boot mode, and runs vCPU 0 until
/// the guest halts, crashes, or is stopped. Returns the exit code (docs/abi.md).
/// </summary>
internal sealed class GuestRunner(RunOptions options, StopController stop, Func<PlatformChoice, IMachine>? openMachine = null)
{
    public RunOutcome Run()
    {
        long bootTimestamp = Stopwatch.GetTimestamp();
        var elf = ElfImage.Load(options.KernelPath);
        var mode = BootModes.For(elf.Kind);
        var manifest = ManifestSource.Resolve(options.ManifestPath, elf);
        using var pci = PciSupport.PciAttachment.Match(manifest, options.PciDevices);
        if (!pci.IsEmpty && mode is not Boot.Deprivileged.DeprivilegedBootMode)
            throw new TenderException($"the manifest declares PCI devices; they are supported in deprivileged mode only, not in {mode.Name} mode");
        using var devices = AttachDevices(manifest, options.Devices);
        byte[] manifestBinary = Solo5Mft.Encode(manifest);
        devices.FillManifest(manifestBinary);
        pci.FillManifest(manifest, manifestBinary);
        using var poller = new DevicePoller();
        devices.AddTo(poller);
        using var stopWakesPoller = stop.OnStop(poller.Wake); // ends before the poller is disposed

        if (options.MemoryMiB == 0 || options.MemoryMiB > (1UL << 44) >> 20)
            throw new TenderException($"--mem={options.MemoryMiB}: must be a positive number of MiB");
        ulong memorySize = mode.AdjustMemorySize(options.MemoryMiB << 20);
        elf.Validate(memorySize, mode.ReservedTop(elf, memorySize));
        string commandLine = string.Join(' ', options.GuestArguments);
        if (Encoding.UTF8.GetByteCount(commandLine) >= 8192)
            throw new TenderException($"guest arguments are {Encoding.UTF8.GetByteCount(commandLine)} bytes joined; at most 8191 fit (Solo5's HVT_CMDLINE_SIZE)");

        // Solo5's shared network ring, offered with a network device: right above the guest's
        // memory, in a 2 MiB unit of its own (as solo5-hvt); mem_size stays what --mem asked for.
        ulong ringSpace = devices.HasNetwork ? AlignUp((ulong)HvtRingLayout.Size, 2UL << 20) : 0;
        ulong ringAddress = ringSpace == 0 ? 0 : memorySize;

        var loaded = Stopwatch.GetElapsedTime(bootTimestamp);
        BootPhases.Mark("ELF, manifest and devices");
        // The platform; tests pass a scripted one to drive the run loop with no platform at all.
        using var machine = (openMachine ?? Platforms.Open)(options.Platform);
        BootPhases.Mark($"{machine.PlatformName} machine");
        var ram = machine.AddMemory("guest RAM", 0, memorySize + ringSpace);
        unsafe
        {
            elf.LoadInto((byte*)ram.UnsafeHostPointer, memorySize);
        }
        var vcpu = machine.Vcpu;
        var deviceWindows = pci.Realize(machine);
        using var pciPump = pci.PumpStopper(); // disposed before the machine: the pump writes into the DMA memory
        ulong tscHz = machine.TscFrequencyHz;

        var setup = mode.Prepare(new BootContext
        {
            Machine = machine,
            Ram = ram,
            MemorySize = memorySize,
            Elf = elf,
            Manifest = manifest,
            ManifestBinary = manifestBinary,
            CommandLine = commandLine,
            TscFrequencyHz = tscHz,
            NetRingAddress = ringAddress,
            NetRingSpace = ringSpace,
            DeviceWindows = deviceWindows,
        });
        var prepared = Stopwatch.GetElapsedTime(bootTimestamp);
        BootPhases.Mark("guest memory and boot structures");
        vcpu.Start(new VcpuStartState
        {
            Registers = setup.Registers,
            SpecialRegisters = setup.SpecialRegisters,
            Fpu = setup.Fpu,
            Cpuid = setup.Cpuid,
            AddressSpace = setup.AddressSpace,
        });

        Log.Information("booting {Kernel} in {Mode} mode: {Memory} MiB, entry 0x{Entry:x}, TSC {Tsc} MHz, {Platform} platform, command line \"{CommandLine}\"",
            options.KernelPath, mode.Name, memorySize >> 20, elf.Entry, tscHz / 1_000_000, machine.PlatformName, commandLine);
        if (Log.IsEnabled(Serilog.Events.LogEventLevel.Debug))
        {
            Log.Debug("set-up: ELF and manifest {Loaded:F1} ms, machine and boot structures {Prepared:F1} ms, vCPU started {Total:F1} ms (since the run command started)",
                loaded.TotalMilliseconds, prepared.TotalMilliseconds, Stopwatch.GetElapsedTime(bootTimestamp).TotalMilliseconds);
            foreach (var line in setup.LayoutDescription) Log.Debug("{Line}", line);
            foreach (var (handle, name, device) in devices.All(manifest)) Log.Debug("device handle {Handle}: {Name} = {Device}", handle, name, device);
        }

        using var tracer = options.Trace ? new HypercallTracer(options.TracePath, options.TraceFormat, bootTimestamp, machine.PlatformName) : null;
        using var console = Console.OpenStandardOutput();
        var hypercalls = new HypercallHandler(ram, setup.GuestAccess, console, devices, poller, tracer, setup.HaltCookie);
        using var ring = ringSpace == 0 ? null : StartRing(ram, ringAddress, setup.GuestAccess, devices, tracer);
        using var stopKicksVcpu = stop.Attach(vcpu); // ends before the vCPU is disposed
        _platform = machine.PlatformName;
        BootPhases.Mark("vCPU started");
        // Set-up ends here: from now on the tender only serves the guest (docs/security.md).
        if (options.Sandbox)
        {
            TenderSandbox.Install();
            BootPhases.Mark("sandboxed");
        }
        Log.Debug("{Marker}: sandbox {State}", TenderSandbox.SetUpEndMarker, options.Sandbox ? "on" : "off");
        _handBack = setup.FaultHandBack;
        return Loop(vcpu, hypercalls, setup.FaultReporter, ring, pci, setup.ReadOnlyMemory);
    }

    private string _platform = "";
    private Boot.Deprivileged.FaultHandBack? _handBack;
    private bool _firstExit;

    private unsafe NetRingService StartRing(GuestMemory ram, ulong address, GuestAccessMap access, GuestDevices devices, HypercallTracer? tracer)
    {
        // The area is inside RAM (checked), which stays mapped until the VM is disposed, after this service.
        ram.GetSpan(address, (ulong)HvtRingLayout.Size);
        var area = new NetRingArea(ram.UnsafeHostPointer + address, address);
        var service = new NetRingService(area, new GuestBufferAccess(ram, access), devices.NetworkByHandle);
        try
        {
            // A fault on the I/O thread ends the guest: the run loop reports it. Through the stop
            // controller, so a guest waiting in POLL (not in KVM_RUN) is woken as well.
            service.Faulted += _ => stop.Interrupt();
            if (tracer is not null) service.Trace = batch => tracer.RecordRing(batch);
            // No KVM_IOEVENTFD for the kick port, on purpose: a kick exits to the run loop, which
            // serves the ring on the vCPU's thread at once and wakes the I/O thread for what
            // follows (KickFromVcpu). A guest kicks only when the thread sleeps, and waking it
            // from another CPU took 1–5 ms on this nested host against a few µs for the exit.
            service.Start();
            Log.Debug("network ring at 0x{Address:x} ({Size} bytes), kick by port-I/O exit", address, HvtRingLayout.Size);
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    private static ulong AlignUp(ulong value, ulong unit) => (value + unit - 1) & ~(unit - 1);

    /// <summary>Opens the --block/--net devices and matches them with the manifest (solo5-hvt's rules).</summary>
    private static GuestDevices AttachDevices(AppManifest manifest, IReadOnlyList<DeviceOption> options)
    {
        try
        {
            return GuestDevices.Attach(manifest, options);
        }
        catch (DeviceException e)
        {
            throw new TenderException(e.Message);
        }
    }

    private RunOutcome Loop(IVcpu vcpu, HypercallHandler hypercalls, IFaultReporter? faults, NetRingService? ring, PciSupport.PciAttachment pci,
        IReadOnlyList<ReadOnlyRange> readOnly)
    {
        while (true)
        {
            if (ring?.Fault is NetRingFault fault) return Crash(vcpu, $"network ring: {fault.Message}", []);
            if (stop.Outcome is RunOutcome stopped) return stopped;
            switch (vcpu.Run())
            {
                case VcpuExitKind.Io:
                {
                    if (!_firstExit)
                    {
                        _firstExit = true;
                        BootPhases.Mark("first exit");
                    }
                    var io = vcpu.IoExit;
                    int n = io.Port - HvtAbi.PortBase;
                    if (io.IsOut && (uint)n < HvtAbi.MaxHypercalls)
                    {
                        if (io.Size != 4 || io.Count != 1)
                            return Crash(vcpu, $"invalid hypercall: {io}: a hypercall is a 32-bit `out` of the argument's address", []);
                        try
                        {
                            if (hypercalls.Handle(n, io.Value) is RunOutcome end)
                            {
                                BootPhases.Mark("halt");
                                FinishRing(ring);
                                return end;
                            }
                        }
                        catch (GuestCrashException e)
                        {
                            return Crash(vcpu, e.Message, []);
                        }
                        continue;
                    }
                    // Solo5's kick is a 32-bit out (its ioeventfd matches 4 bytes); other widths are no kick.
                    if (io.Port == HvtAbi.RingKickPort && io.IsOut && io.Size == 4 && io.Count == 1 && ring is not null)
                    {
                        ring.KickFromVcpu(); // serves the ring here and wakes its I/O thread
                        continue;
                    }
                    GuestFault? cpuFault;
                    try
                    {
                        if (faults is null || !faults.TryDecode(io, vcpu, out cpuFault)) cpuFault = null;
                    }
                    catch (Exception e) when (e is InvalidOperationException or GuestMemoryException)
                    {
                        return Crash(vcpu, $"CPU exception whose report cannot be read: {e.Message}", []);
                    }
                    if (cpuFault is not null)
                    {
                        ulong faultCr2 = vcpu.GetSpecialRegisters().Cr2;
                        if (_handBack?.TryHandBack(vcpu, cpuFault, faultCr2) == true) continue;
                        var (headline, details) = CrashReport.DescribeFault(cpuFault, faultCr2);
                        return Crash(vcpu, headline, details, cpuFault);
                    }
                    return Crash(vcpu, $"port I/O the tender does not handle: {io}", []);
                }
                case VcpuExitKind.Mmio:
                {
                    if (pci.TryHandleMmio(vcpu.MmioExit)) continue; // an emulated device's register
                    if (ReadOnlyHit(vcpu.MmioExit, readOnly) is string where)
                    {
                        // On this kind of host (nested PVM) a store to a host-read-only page comes back as an MMIO exit.
                        return Crash(vcpu, $"host/guest translation fault: {where}", []);
                    }
                    return Crash(vcpu, vcpu.DescribeExit(), []);
                }
                case VcpuExitKind.Fault:
                {
                    var (cpuFault, cr2) = vcpu.Fault;
                    if (_handBack?.TryHandBack(vcpu, cpuFault, cr2) == true) continue;
                    var (headline, details) = CrashReport.DescribeFault(cpuFault, cr2);
                    return Crash(vcpu, headline, details, cpuFault);
                }
                case VcpuExitKind.Interrupted:
                    continue; // a stop request, or a stray signal: the loop head decides
                default:
                    return Crash(vcpu, vcpu.DescribeExit(), []);
            }
        }
    }

    /// <summary>
    /// The guest has halted: the frames it queued on the ring before HALT still go out (Solo5's
    /// bindings do not wait for the ring to drain before halting, and neither need ours).
    /// </summary>
    private static void FinishRing(NetRingService? ring)
    {
        if (ring is null) return;
        int entries = ring.Finish();
        if (ring.Fault is NetRingFault fault)
            Log.Warning("network ring after the guest halted: {Fault}", fault.Message);
        else if (entries > 0)
            Log.Debug("network ring: {Entries} entries the guest queued before halting were served", entries);
    }

    private static string? ReadOnlyHit(MmioExit exit, IReadOnlyList<ReadOnlyRange> readOnly)
    {
        foreach (var r in readOnly)
            if (exit.Address >= r.Start && exit.Address < r.End)
                return $"{(exit.IsWrite ? "store to" : "load from")} 0x{exit.Address:x} in read-only guest memory ({r.What}, 0x{r.Start:x}-0x{r.End - 1:x})";
        return null;
    }

    private RunOutcome Crash(IVcpu vcpu, string headline, IEnumerable<string> details, GuestFault? fault = null)
    {
        Console.Out.Flush();
        Console.Error.Write(CrashReport.Build(headline, details, vcpu, _platform, fault));
        return RunOutcome.Crashed(headline);
    }
}
