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
        // Opened first: a --dumpcore directory that cannot be used fails the run before it starts.
        using var dumper = options.DumpCoreDirectory is string dumpDirectory ? CoreDumper.Open(dumpDirectory) : null;
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
        using var debugger = AttachDebugger(vcpu, ram, setup.ReadOnlyMemory, setup.FaultReporter?.CanResume == true,
            setup.FaultReporter?.CanResume != true ? $"{mode.Name} mode has no fault stub of the tender's to step a store through"
            : ring is not null ? "the network ring's I/O thread writes guest memory"
            : !pci.IsEmpty ? "a PCI device's pump writes guest memory" : null);
        // A --timeout or signal while gdb holds the guest stopped ends gdb's session, so the run ends
        // (ends before the debugger is disposed).
        using var stopEndsDebugSession = debugger is null ? null : stop.OnStopEndsDebugSession(debugger.EndSession);
        _dumper = dumper;
        _haltTrapFrame = setup.HaltTrapFrame;
        _dumpGuest = new CoreDumper.Guest(setup.AddressSpace, ram, Path.GetFileName(options.KernelPath),
            commandLine.Length == 0 ? options.KernelPath : options.KernelPath + " " + commandLine);
        BootPhases.Mark("vCPU started");
        // Set-up ends here: from now on the tender only serves the guest (docs/security.md).
        if (options.Sandbox)
        {
            TenderSandbox.Install(dumper?.DirectoryFd, (debugger as Debugging.GdbDebugger)?.SocketFd);
            BootPhases.Mark("sandboxed");
        }
        Log.Debug("{Marker}: sandbox {State}", TenderSandbox.SetUpEndMarker, options.Sandbox ? "on" : "off");
        _handBack = setup.FaultHandBack;
        return Loop(vcpu, hypercalls, setup.FaultReporter, ring, pci, setup.ReadOnlyMemory);
    }

    private string _platform = "";
    private Debugging.IGuestDebugger? _debugger;
    private IFaultReporter? _faults;
    private bool _trapFlagStep;
    /// <summary>The TF step in progress lets one access through to a watched page (<see cref="Debugging.PageWatcher"/>).</summary>
    private bool _watchAccessStep;
    private const ulong TrapFlag = 1UL << 8, ResumeFlag = 1UL << 16;
    private Debugging.GuestDebugAccess? _debugAccess;
    private Debugging.PageWatcher? _pageWatcher;
    /// <summary>Breakpoints and steps by hlt bytes, where nothing else stops the guest (<see cref="Debugging.HaltSteps"/>); else null.</summary>
    private Debugging.HaltSteps? _haltSteps;
    private volatile bool _debuggerInterrupt;

    /// <summary>The debugger --gdb (or a test) asked for, attached before the sandbox; null: none.</summary>
    private Debugging.IGuestDebugger? AttachDebugger(IVcpu vcpu, GuestMemory ram, IReadOnlyList<ReadOnlyRange> readOnly, bool faultStubResumes, string? pageWatchRefusal)
    {
        if (options.AttachDebugger is null && options.GdbEndpoint is null) return null;
        if (vcpu is not IVcpuDebug debug) throw new TenderException($"the {_platform} platform cannot be debugged");
        _debugAccess = new Debugging.GuestDebugAccess(vcpu, debug, ram, readOnly) { PageWatchRefusal = pageWatchRefusal };
        if (!debug.HasDebugRegisters) _pageWatcher = new Debugging.PageWatcher(debug, ram, readOnly);
        if (!debug.StepsReliably && !debug.HasDebugRegisters && !faultStubResumes)
        {
            // A guest that owns its IDT (Solo5 mode) on a host where KVM's guest debugging does
            // nothing: int3 and RFLAGS.TF would go to the guest's own handlers. A hlt exits to
            // the tender instead, so breakpoints and steps are hlt bytes (docs/debugging.md).
            _debugAccess.BreakpointInstruction = Debugging.HaltSteps.Hlt;
            _haltSteps = new Debugging.HaltSteps(_debugAccess);
        }
        // A stop request while waiting for gdb ends the wait: the run then ends without a debugger.
        _debugger = options.AttachDebugger is { } attach ? attach(_debugAccess)
            : Debugging.GdbDebugger.Listen(options.GdbEndpoint!, _debugAccess, stop.OnStopEndsDebugSession);
        return _debugger;
    }

    /// <summary>
    /// Hands a stop to the debugger and applies its answer. Returns how the run ends when the
    /// debugger kills the guest, else null (the guest goes on; after a detach without debugger).
    /// </summary>
    private RunOutcome? DebugStop(IVcpu vcpu, Debugging.GuestStop stop)
    {
        var debugger = _debugger!;
        var debug = (IVcpuDebug)vcpu;
        _pageWatcher?.Disarm(); // gdb reads and writes the stopped guest's memory freely
        _haltSteps?.Finish(); // a step the guest did not finish (Ctrl-C, a fault): its trap bytes out
        var resume = debugger.OnStop(stop);
        while (_haltSteps is not null && stop.Kind != Debugging.GuestStopKind.Fault
               && (resume == Debugging.DebugResumeKind.Step
                   || resume == Debugging.DebugResumeKind.Continue && debugger.OwnsBreakpointAt(vcpu.GetRegisters().Rip)))
        {
            // Stepping with hlt bytes at the instruction's successors; continuing from a
            // breakpoint steps over it that way first. Done without running (jmp $) or refused:
            // the debugger is told at once and answers again.
            bool step = resume == Debugging.DebugResumeKind.Step;
            var start = _haltSteps.Begin((address, into) => debugger.ReadProgramMemory(address, into), debugger.OwnsBreakpointAt, thenContinue: !step, out string? message);
            if (start == Debugging.StepStart.Running)
            {
                if (_pageWatcher is not null && !_pageWatcher.Arm(debugger.PageWatches))
                    Serilog.Log.Warning("gdb: a watched address is not in writable guest RAM; its watchpoint is not armed");
                debug.Enable(false, debugger.DebugRegisters);
                return null;
            }
            if (start == Debugging.StepStart.Refused) Serilog.Log.Warning("{Message}", message);
            stop = start == Debugging.StepStart.Refused
                // SIGSTOP (17 in gdb's remote numbering): gdb stops, also in a `step` over many instructions.
                ? new Debugging.GuestStop(Debugging.GuestStopKind.StepRefused, Signal: 17, Message: "tender: " + message)
                : new Debugging.GuestStop(step ? Debugging.GuestStopKind.SingleStep : Debugging.GuestStopKind.Breakpoint, Signal: 5);
            resume = debugger.OnStop(stop);
        }
        _trapFlagStep = false;
        if (resume is Debugging.DebugResumeKind.Continue or Debugging.DebugResumeKind.Step && _pageWatcher is not null
            && !_pageWatcher.Arm(debugger.PageWatches))
            Serilog.Log.Warning("gdb: a watched address is not in writable guest RAM; its watchpoint is not armed");
        if (resume == Debugging.DebugResumeKind.Step && !debug.StepsReliably && _faults?.CanResume == true && stop.Kind != Debugging.GuestStopKind.Fault)
        {
            // The boot mode's own exception path steps (RFLAGS.TF, then #DB through its fault
            // stub): it works where KVM's single-step does not reach a CPL 3 guest (this nested
            // host), and needs nothing from the platform.
            var regs = vcpu.GetRegisters();
            regs.Rflags |= TrapFlag;
            debug.SetRegisters(regs);
            _trapFlagStep = true;
            debug.Enable(false, debugger.DebugRegisters);
            return null;
        }
        switch (resume)
        {
            case Debugging.DebugResumeKind.Kill:
                debug.Disable();
                return new RunOutcome(RunOutcome.KilledByDebugger, "killed from the debugger");
            case Debugging.DebugResumeKind.Detach:
                debug.Disable();
                _debugger = null;
                return null;
            default:
                debug.Enable(resume == Debugging.DebugResumeKind.Step, debugger.DebugRegisters);
                return null;
        }
    }

    /// <summary>
    /// A #BP or #DB the boot mode's fault stub reported while a debugger is attached: the guest is
    /// put back where it was (at an int3 the debugger wrote, on that int3) and the debugger told.
    /// </summary>
    private RunOutcome? DebugException(IVcpu vcpu, IFaultReporter faults, GuestFault fault)
    {
        Debugging.GuestStop stop;
        ulong rip = fault.Rip;
        var frame = fault;
        if (fault.Vector == 1 && _watchAccessStep)
        {
            // The access to a watched page has run: back to normal running, stopping only if it
            // hit a watch (and not at all when the user was stepping anyway: then the step's own
            // stop follows).
            _watchAccessStep = false;
            ulong? changed = _pageWatcher!.CloseAfterAccess();
            bool userStep = _trapFlagStep;
            frame = fault with { Rflags = fault.Rflags & ~TrapFlag };
            faults.TryResume(vcpu, frame, rip);
            if (changed is ulong address)
                return DebugStop(vcpu, new Debugging.GuestStop(Debugging.GuestStopKind.HardwareBreakpoint, Signal: 5, WatchAddress: address));
            if (userStep) return DebugStop(vcpu, new Debugging.GuestStop(Debugging.GuestStopKind.SingleStep, Signal: 5));
            return null;
        }
        if (fault.Vector == 3)
        {
            if (_debugger!.OwnsBreakpointAt(fault.Rip - 1)) rip = fault.Rip - 1;
            stop = new Debugging.GuestStop(Debugging.GuestStopKind.Breakpoint, Signal: 5);
        }
        else if (_trapFlagStep)
        {
            frame = fault with { Rflags = fault.Rflags & ~TrapFlag };
            stop = new Debugging.GuestStop(Debugging.GuestStopKind.SingleStep, Signal: 5);
        }
        else
        {
            // A debug register matched. An instruction breakpoint is a fault: resuming with
            // RFLAGS.RF set runs that instruction once without stopping there again.
            ulong dr6 = ((IVcpuDebug)vcpu).DebugStatus;
            int slot = System.Numerics.BitOperations.TrailingZeroCount(dr6 & 0xF);
            frame = fault with { Rflags = fault.Rflags | ResumeFlag };
            stop = new Debugging.GuestStop(Debugging.GuestStopKind.HardwareBreakpoint, Signal: 5, slot < 4 ? slot : -1);
        }
        faults.TryResume(vcpu, frame, rip);
        return DebugStop(vcpu, stop);
    }

    /// <summary>The memory the instruction at RIP touches, as the program has it (the debugger's breakpoint bytes hidden).</summary>
    private static IReadOnlyList<Debugging.MemoryAccess>? DecodeAccesses(IVcpu vcpu, Debugging.IGuestDebugger debugger, CpuRegisters regs)
    {
        Span<byte> code = stackalloc byte[15];
        int n = Math.Max(0, debugger.ReadProgramMemory(regs.Rip, code));
        return Debugging.InstructionMemory.Accesses(code[..n], regs.Rip, Debugging.InstructionMemory.RegisterFile(regs, vcpu.GetSpecialRegisters()));
    }

    /// <summary>Tells an attached debugger how the run ended, and returns the outcome unchanged.</summary>
    private RunOutcome Ended(RunOutcome outcome)
    {
        _debugger?.OnExit(outcome.ExitCode);
        return outcome;
    }
    private CoreDumper? _dumper;
    private HaltTrapFrameReader? _haltTrapFrame;
    private CoreDumper.Guest? _dumpGuest;
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
        _faults = faults;
        if (_debugger is not null)
        {
            _debugger.WatchForInterrupts(() => { _debuggerInterrupt = true; vcpu.Kick(); });
            if (DebugStop(vcpu, new Debugging.GuestStop(Debugging.GuestStopKind.Initial, Signal: 5)) is RunOutcome killed) return killed;
        }
        while (true)
        {
            if (ring?.Fault is NetRingFault fault) return Crash(vcpu, $"network ring: {fault.Message}", []);
            if (stop.Outcome is RunOutcome stopped) return Ended(stopped);
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
                        // The tender's own writes into guest memory must not fault on a watched page.
                        bool watching = _pageWatcher?.IsArmed == true;
                        if (watching) _pageWatcher!.Disarm();
                        try
                        {
                            if (hypercalls.Handle(n, io.Value) is RunOutcome end)
                            {
                                BootPhases.Mark("halt");
                                // An abort (status 255, Solo5's SOLO5_EXIT_ABORT) is dumped as solo5-hvt's
                                // dumpcore module does: the registers are those of the HALT.
                                if (end.ExitCode == RunOutcome.Abort) DumpCore(vcpu, TrapFrameAt(hypercalls.HaltCookie), end.Description, signal: 6);
                                FinishRing(ring);
                                return Ended(end);
                            }
                        }
                        catch (GuestCrashException e)
                        {
                            return Crash(vcpu, e.Message, []);
                        }
                        finally
                        {
                            if (watching) _pageWatcher!.Rearm();
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
                    if (cpuFault is not null && _debugger is not null && faults!.CanResume && cpuFault.Vector is 1 or 3 && !((IVcpuDebug)vcpu).StepsReliably)
                    {
                        if (DebugException(vcpu, faults, cpuFault) is RunOutcome killed) return killed;
                        continue;
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
                case VcpuExitKind.Debug when _debugger is not null:
                {
                    var d = ((IVcpuDebug)vcpu).LastStop;
                    var kind = d.Kind switch
                    {
                        DebugStopKind.Breakpoint => Debugging.GuestStopKind.Breakpoint,
                        DebugStopKind.SingleStep => Debugging.GuestStopKind.SingleStep,
                        _ => Debugging.GuestStopKind.HardwareBreakpoint,
                    };
                    if (DebugStop(vcpu, new Debugging.GuestStop(kind, Signal: 5, d.Slot)) is RunOutcome killed) return killed;
                    continue;
                }
                case VcpuExitKind.Halt when _haltSteps is not null && _debugger is not null:
                {
                    // hlt exits with RIP after it. One of a step's trap bytes, or a breakpoint:
                    // the guest stops on that address. Else it is the guest's own hlt, a crash as without a debugger.
                    var regs = vcpu.GetRegisters();
                    ulong at = regs.Rip - 1;
                    bool stepping = _haltSteps.Active, stepTrap = _haltSteps.IsTrap(at), thenContinue = _haltSteps.ThenContinue;
                    _haltSteps.Finish();
                    bool breakpoint = _debugger.OwnsBreakpointAt(at);
                    if (!stepTrap && !breakpoint) return Crash(vcpu, vcpu.DescribeExit(), []);
                    regs.Rip = at;
                    ((IVcpuDebug)vcpu).SetRegisters(regs);
                    if (thenContinue && !breakpoint) continue; // stepped over the breakpoint it continued from
                    var kind = stepping && !thenContinue ? Debugging.GuestStopKind.SingleStep : Debugging.GuestStopKind.Breakpoint;
                    if (DebugStop(vcpu, new Debugging.GuestStop(kind, Signal: 5)) is RunOutcome killed) return killed;
                    continue;
                }
                case VcpuExitKind.HostWriteFault when _pageWatcher?.IsArmed == true && _debugger is not null && !_watchAccessStep:
                {
                    // An access to a page protected for a watchpoint (or a store to text: then the
                    // step faults again with the pages open, and that is the guest's crash).
                    var regs = vcpu.GetRegisters();
                    var debugger = _debugger;
                    _pageWatcher.OpenForOneAccess(() => DecodeAccesses(vcpu, debugger, regs));
                    regs.Rflags |= TrapFlag;
                    ((IVcpuDebug)vcpu).SetRegisters(regs);
                    _watchAccessStep = true;
                    continue;
                }
                case VcpuExitKind.Interrupted:
                    if (_debuggerInterrupt && _debugger is not null && stop.Outcome is null)
                    {
                        _debuggerInterrupt = false;
                        if (DebugStop(vcpu, new Debugging.GuestStop(Debugging.GuestStopKind.Interrupt, Signal: 2)) is RunOutcome killed) return killed;
                    }
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
        if (_debugger is not null && _debugAccess is not null)
        {
            // With a debugger attached the guest stops where it faulted, so the user sees it
            // there; whatever the debugger then says (but kill), the run ends as a crash.
            _debugAccess.Fault = fault;
            var outcome = DebugStop(vcpu, new Debugging.GuestStop(Debugging.GuestStopKind.Fault, CoreDumper.SignalFor(fault ?? new GuestFault(13, null, 0, 0, 0, 0, 0))));
            _debugAccess.Fault = null;
            if (outcome is not null) return outcome;
        }
        Console.Out.Flush();
        Console.Error.Write(CrashReport.Build(headline, details, vcpu, _platform, fault));
        DumpCore(vcpu, fault, headline);
        return Ended(RunOutcome.Crashed(headline));
    }

    private void DumpCore(IVcpu vcpu, GuestFault? fault, string crash, int? signal = null)
    {
        if (_dumper is null || _dumpGuest is null) return;
        Console.Error.WriteLine("tender: " + _dumper.Dump(_dumpGuest, vcpu, fault, signal ?? CoreDumper.SignalFor(fault), crash));
    }

    /// <summary>The state saved at a HALT cookie, where the boot mode's cookie holds one (Solo5's trap frame).</summary>
    private GuestFault? TrapFrameAt(ulong cookie)
    {
        if (cookie == 0 || _haltTrapFrame is null || _dumpGuest is null) return null;
        // The tender's mapping of guest RAM, bounds-checked; the frame is only read.
        return _dumpGuest.Ram.TryGetSpan(cookie, Boot.Solo5.Solo5HaltCookie.TrapFrameSize, out var bytes, out _) ? _haltTrapFrame(bytes) : null;
    }
}
