using System.Runtime.InteropServices;
using Tender.Host.Interop;
using Tender.Paging;
using Tender.ProcessPlatform.Emulation;
using Tender.ProcessPlatform.Sandbox;

namespace Tender.ProcessPlatform;

/// <summary>
/// The process platform's vCPU: the guest's code runs natively in a sandboxed child
/// (<see cref="SandboxProcess"/>); every signal stop is turned into what KVM would have reported.
/// A hypercall's `out` (#GP at CPL 3, a SIGSEGV) becomes a port-I/O exit; an access to an MMIO
/// window (an emulated BAR: unmapped, so a SIGSEGV at that address) is decoded and becomes an MMIO
/// exit, completed on the next <see cref="Run"/>; a CPU fault becomes a <see cref="VcpuExitKind.Fault"/>
/// exit — or, for a guest that believes it runs at CPL 0 (Solo5 mode), is delivered to its own IDT
/// after its privileged instructions were emulated to their effect (<see cref="InstructionEmulator"/>).
/// Every call but <see cref="Kick"/> comes from the run loop's thread, which is ptrace's tracer.
/// </summary>
internal sealed class ProcessVcpu : IVcpu, IVcpuDebug, IDisposable
{
    // Linux x86-64 signal numbers and si_codes (asm-generic/siginfo.h).
    private const int SIGILL = 4, SIGTRAP = 5, SIGBUS = 7, SIGFPE = 8, SIGSEGV = 11, SIGSYS = 31;
    private const int SI_KERNEL = 0x80, SEGV_MAPERR = 1, SEGV_ACCERR = 2, TRAP_TRACE = 2, FPE_INTDIV = 1, FPE_INTOVF = 2;

    private readonly ProcessMachine _machine;
    private readonly byte[] _exitData = GC.AllocateArray<byte>(8, pinned: true); // IoExit/MmioExit data
    private SandboxProcess? _sandbox;
    private GuestAddressSpace? _space;
    private VirtualCpuState? _cpu;          // a CPL 0 guest's privileged state; null for CPL 3 guests
    private SpecialRegisters _startSregs;
    private UserRegs _regs;
    private Emulation.Emulation _pending;             // an MMIO read or `in` waiting for its value
    private bool _hasPending;
    private ulong _cr2;
    private GuestFault? _fault;
    private string _description = "";
    private volatile bool _kickRequested;

    public ProcessVcpu(ProcessMachine machine) => _machine = machine;



    public void Start(VcpuStartState state)
    {
        if (_sandbox is not null) throw new InvalidOperationException("the vCPU is already started");
        var sregs = state.SpecialRegisters;
        bool supervisor = (sregs.Cs.Selector & 3) == 0 && sregs.Cs.Dpl == 0;
        _space = GuestAddressSpace.Build(_machine, state.AddressSpace, supervisor);
        _startSregs = sregs;
        _cpu = supervisor ? VirtualCpuState.FromSpecialRegisters(sregs) : null;
        try
        {
            _sandbox = SandboxProcess.Spawn(_machine.MemoryFd);
            // The guest and this (tracer) thread take turns, never run at once: on one CPU each
            // trap skips a cross-CPU wake-up, 4× cheaper on these hosts (docs/platforms.md).
            _sandbox.ShareCpuWithTracer();
            foreach (var m in _space.MappedRegions)
            {
                var flags = m.Region.Flags;
                int prot = !m.Accessible ? LibC.PROT_NONE
                    : LibC.PROT_READ | ((flags & PageFlags.Writable) != 0 ? LibC.PROT_WRITE : 0) | ((flags & PageFlags.Executable) != 0 ? LibC.PROT_EXEC : 0);
                _sandbox.Map(m.Region.VirtualAddress, m.Region.Length, prot, m.FileOffset);
            }
            _sandbox.Lockdown();
            var start = _sandbox.GetRegisters();
            var r = state.Registers;
            start.Rax = r.Rax; start.Rbx = r.Rbx; start.Rcx = r.Rcx; start.Rdx = r.Rdx;
            start.Rsi = r.Rsi; start.Rdi = r.Rdi; start.Rsp = r.Rsp; start.Rbp = r.Rbp;
            start.R8 = r.R8; start.R9 = r.R9; start.R10 = r.R10; start.R11 = r.R11;
            start.R12 = r.R12; start.R13 = r.R13; start.R14 = r.R14; start.R15 = r.R15;
            start.Rip = r.Rip;
            // Arithmetic flags as given; the kernel keeps IF set and IOPL 0 for a user process.
            start.Eflags = (r.Rflags & 0xCD5) | 0x202;
            start.FsBase = sregs.Fs.Base;
            start.GsBase = sregs.Gs.Base;
            start.OrigRax = ulong.MaxValue; // not in a system call: no restart logic on resume
            _sandbox.SetRegisters(start);
            _regs = start; // what GetRegisters shows before the first Run (a debugger's first stop)
            // x87/SSE: a fresh exec's state is the reset state both boot modes ask for (FCW 0x37F,
            // MXCSR 0x1F80). CPUID cannot be changed here: the guest sees the host's (docs/platforms.md).
        }
        catch (SandboxException e)
        {
            throw new PlatformException(e.Message);
        }
    }

    public VcpuExitKind Run()
    {
        var kind = RunGuest();
        // A step that ended in an exit the tender serves (a hypercall's `out`, an MMIO access) is
        // complete once the tender has: the next Run reports it without running anything.
        if (_stepping && kind is VcpuExitKind.Io or VcpuExitKind.Mmio) _stepServed = true;
        return kind;
    }

    private VcpuExitKind RunGuest()
    {
        var sandbox = _sandbox ?? throw new InvalidOperationException("the vCPU was not started");
        if (_hasPending)
        {
            // The device answered the MMIO read (or `in`) of the last exit: complete the instruction.
            InstructionEmulator.Complete(ref _regs, _pending, BitConverter.ToUInt64(_exitData));
            sandbox.SetRegisters(_regs);
            _hasPending = false;
        }
        if (_stepServed)
        {
            _stepServed = false;
            return DebugExit(DebugStopKind.SingleStep);
        }
        sandbox.SingleStep = _stepping;
        while (true)
        {
            if (_kickRequested)
            {
                _kickRequested = false;
                return VcpuExitKind.Interrupted;
            }
            var stop = sandbox.ResumeForRegisters(out _regs);
            if (stop.Kind != SandboxStopKind.Signal)
            {
                _description = stop.Kind == SandboxStopKind.Exited
                    ? $"the guest's process exited with status {stop.ExitStatus} (it cannot exit by itself: something outside killed it)"
                    : $"the guest's process was killed by signal {stop.Signal} from outside the tender";
                return VcpuExitKind.Other;
            }
            if (stop.Signal == SandboxProcess.KickSignal) return VcpuExitKind.Interrupted;
            if (stop.Signal == SIGSEGV && TryHypercallFastPath()) return VcpuExitKind.Io;
            stop = sandbox.SignalInfo(stop); // what the registers and the instruction do not say
            if (_debugging && stop.Signal == SIGTRAP && DebugTrap(stop) is VcpuExitKind debugExit) return debugExit;
            var exit = stop.Signal switch
            {
                SIGSEGV or SIGBUS => OnAccessTrap(stop),
                SIGILL => OnEmulatable(stop, vector: 6),
                SIGTRAP => Raise(stop.SiCode == TRAP_TRACE ? 1u : 3u, null, 0),
                SIGFPE => Raise(stop.SiCode is FPE_INTDIV or FPE_INTOVF ? 0u : 19u, null, 0),
                SIGSYS => SystemCall(stop),
                _ => (VcpuExitKind?)VcpuExitKind.Interrupted, // a stray signal from outside: suppressed; the loop head decides
            };
            if (exit is VcpuExitKind kind) return kind;
            sandbox.SetRegisters(_regs); // emulated or delivered: go on
            if (_stepping) return DebugExit(DebugStopKind.SingleStep); // the emulated instruction was the step
        }
    }

    // --- Debugging (IVcpuDebug): ptrace's single step; an int3 stops with RIP after it, set back.
    private bool _debugging, _stepping, _stepServed;
    private DebugStop _lastStop;

    private const int TRAP_HWBKPT = 4;
    private ulong _dr7;

    private VcpuExitKind? DebugTrap(SandboxStop stop)
    {
        if (stop.SiCode == TRAP_HWBKPT && _dr7 != 0)
        {
            // DR6 bits 0-3: which debug register matched; cleared for the next one.
            ulong dr6 = _sandbox!.GetDebugRegister(6);
            _sandbox.SetDebugRegister(6, 0);
            int slot = System.Numerics.BitOperations.TrailingZeroCount(dr6 & 0xF);
            _lastStop = new DebugStop(DebugStopKind.HardwareBreakpoint, slot < 4 ? slot : -1);
            return VcpuExitKind.Debug;
        }
        if (stop.SiCode == TRAP_TRACE && _stepping) return DebugExit(DebugStopKind.SingleStep);
        if (stop.SiCode == SI_KERNEL)
        {
            _regs.Rip -= 1;
            _sandbox!.SetRegisters(_regs);
            return DebugExit(DebugStopKind.Breakpoint);
        }
        return null;
    }

    private VcpuExitKind DebugExit(DebugStopKind kind)
    {
        _lastStop = new DebugStop(kind, -1);
        return VcpuExitKind.Debug;
    }

    public void Enable(bool singleStep, ReadOnlySpan<ulong> debugRegisters)
    {
        _debugging = true;
        _stepping = singleStep;
        SetDebugRegisters(debugRegisters.Length == 5 ? debugRegisters : []);
    }

    public void Disable()
    {
        _debugging = _stepping = false;
        SetDebugRegisters([]);
    }

    /// <summary>DR0-DR3 then DR7 into the child (ptrace), or all off; DR7 is cleared first and set last,
    /// so the kernel never sees an enabled slot with a stale address.</summary>
    private void SetDebugRegisters(ReadOnlySpan<ulong> registers)
    {
        var sandbox = _sandbox;
        if (sandbox is null) return;
        ulong dr7 = registers.Length == 5 ? registers[4] : 0;
        if (dr7 == 0 && _dr7 == 0) return;
        try
        {
            sandbox.SetDebugRegister(7, 0);
            for (int i = 0; i < 4 && registers.Length == 5; i++) sandbox.SetDebugRegister(i, registers[i]);
            if (dr7 != 0) sandbox.SetDebugRegister(7, dr7);
            _dr7 = dr7;
        }
        catch (SandboxException e)
        {
            throw new PlatformException($"setting the guest's debug registers: {e.Message}");
        }
    }

    public DebugStop LastStop => _lastStop;

    public ulong DebugStatus => 0;

    public bool StepsReliably => true;

    public bool HasDebugRegisters => true;

    public void SetRegisters(in CpuRegisters r)
    {
        _regs.Rax = r.Rax; _regs.Rbx = r.Rbx; _regs.Rcx = r.Rcx; _regs.Rdx = r.Rdx; _regs.Rsi = r.Rsi; _regs.Rdi = r.Rdi;
        _regs.Rsp = r.Rsp; _regs.Rbp = r.Rbp; _regs.R8 = r.R8; _regs.R9 = r.R9; _regs.R10 = r.R10; _regs.R11 = r.R11;
        _regs.R12 = r.R12; _regs.R13 = r.R13; _regs.R14 = r.R14; _regs.R15 = r.R15; _regs.Rip = r.Rip; _regs.Eflags = r.Rflags;
        _sandbox?.SetRegisters(_regs);
    }

    public bool TryTranslate(ulong virtualAddress, out ulong physicalAddress)
    {
        physicalAddress = 0;
        return _space is not null && _space.TryTranslate(virtualAddress, out physicalAddress);
    }

    /// <summary>SIGSEGV: a hypercall's `out` (#GP), an MMIO window access, a privileged instruction
    /// of a CPL 0 guest, or a real fault.</summary>
    private VcpuExitKind? OnAccessTrap(SandboxStop stop)
    {
        bool pageFault = stop.Signal == SIGSEGV && stop.SiCode is SEGV_MAPERR or SEGV_ACCERR || stop.Signal == SIGBUS;
        Span<byte> code = stackalloc byte[15];
        code = code[.._space!.Read(_regs.Rip, code)];
        ulong? faultAddress = pageFault ? stop.SiAddr : null;
        if (code.Length == 0) return PageOrProtectionFault(stop, pageFault, code);
        var emulation = InstructionEmulator.Emulate(ref _regs, _cpu, _space, code, faultAddress);
        switch (emulation.Kind)
        {
            case EmulationKind.PortIo when !PortAllowed(emulation.Port, emulation.Size):
                return Raise(13, 0, 0); // as the CPU: the TSS's I/O bitmap denies the port
            case EmulationKind.PortIo:
                _exitPort = emulation.Port;
                _exitSize = (byte)emulation.Size;
                _exitIsOut = emulation.IsWrite;
                return Hand(emulation, VcpuExitKind.Io);
            case EmulationKind.Mmio when _space.MmioPhysical(emulation.Address) is ulong physical:
                _mmioAddress = physical;
                _mmioIsWrite = emulation.IsWrite;
                _mmioSize = emulation.Size;
                return Hand(emulation, VcpuExitKind.Mmio);
            case EmulationKind.Done:
                return null;
            case EmulationKind.Halt:
                _description = "the guest executed hlt at CPL 0";
                return VcpuExitKind.Other;
            case EmulationKind.Unsupported when faultAddress is ulong a && _space.MmioPhysical(a) is not null:
                _description = $"MMIO access the process platform cannot complete: {emulation.Reason}";
                return VcpuExitKind.Other;
            default:
                return PageOrProtectionFault(stop, pageFault, code);
        }
    }

    /// <summary>
    /// Hands a port or MMIO access to the run loop: a write's value goes into the exit's data and
    /// the instruction is completed now; a read is completed with the device's answer on the next
    /// <see cref="Run"/>.
    /// </summary>
    private VcpuExitKind Hand(in Emulation.Emulation emulation, VcpuExitKind kind)
    {
        Array.Clear(_exitData);
        if (emulation.IsWrite)
        {
            BitConverter.TryWriteBytes(_exitData, emulation.Value);
            InstructionEmulator.Complete(ref _regs, emulation, 0);
            _sandbox!.SetRegisters(_regs);
        }
        else
        {
            _pending = emulation;
            _hasPending = true;
        }
        return kind;
    }

    private VcpuExitKind? PageOrProtectionFault(SandboxStop stop, bool pageFault, ReadOnlySpan<byte> code)
    {
        if (!pageFault) return Raise(13, 0, 0); // #GP: a privileged instruction, a denied port, a non-canonical address
        bool user = _cpu is null;
        ulong error = InstructionEmulator.PageFaultErrorCode(code, _regs.Rip, stop.SiAddr, stop.SiCode == SEGV_ACCERR, user);
        return Raise(14, error, stop.SiAddr);
    }

    /// <summary>
    /// The hot path, a hypercall: a SIGSEGV at an `out dx, eax` (EF) is that instruction's #GP (it
    /// has no memory operand to fault on), so neither its siginfo nor a decoder is needed.
    /// </summary>
    private bool TryHypercallFastPath()
    {
        Span<byte> opcode = stackalloc byte[1];
        if (_space!.Read(_regs.Rip, opcode) != 1 || opcode[0] != 0xEF || !PortAllowed((ushort)_regs.Rdx, 4)) return false;
        BitConverter.TryWriteBytes(_exitData, (uint)_regs.Rax);
        _exitPort = (ushort)_regs.Rdx;
        _exitSize = 4;
        _exitIsOut = true;
        _regs.Rip += 1;
        _sandbox!.SetRegisters(_regs);
        return true;
    }

    /// <summary>
    /// Whether a CPL 3 guest may use the port, decided as the CPU decides it (Intel SDM vol. 1,
    /// 19.5.2): the I/O permission bitmap in the TSS that TR names (tender memory the child never
    /// maps) must have a clear bit for every byte accessed. A CPL 0 guest may use any port.
    /// </summary>
    private bool PortAllowed(ushort port, int size)
    {
        if (_cpu is not null) return true;
        _ioBitmap ??= ReadIoBitmap();
        for (int i = 0; i < size; i++)
        {
            int bit = port + i;
            if (bit / 8 >= _ioBitmap.Length || (_ioBitmap[bit / 8] & (1 << (bit % 8))) != 0) return false;
        }
        return true;
    }

    /// <summary>
    /// The bytes of the TSS's I/O bitmap up to the TSS limit, read once: the tender wrote it at boot
    /// and the guest can never change it (the system area has no access rights in the child).
    /// Empty (every port denied) without a usable TSS.
    /// </summary>
    private byte[] ReadIoBitmap()
    {
        var tr = _startSregs.Tr;
        if (tr.Present == 0 || _machine.Locate(tr.Base + 0x66, 2) is not var (tss, _)) return [];
        ulong start = tr.Base + BitConverter.ToUInt16(tss.GetSpan(tr.Base + 0x66, 2)), end = tr.Base + tr.Limit + 1;
        if (start >= end || _machine.Locate(start, end - start) is not var (memory, _)) return [];
        return memory.GetSpan(start, Math.Min(end - start, 8192)).ToArray();
    }

    private byte[]? _ioBitmap;

    /// <summary>SIGILL: wrfsbase and friends on a host without FSGSBASE, or a CPL 0 guest's
    /// instruction that raises #UD at CPL 3; anything else is the guest's #UD.</summary>
    private VcpuExitKind? OnEmulatable(SandboxStop stop, uint vector)
    {
        Span<byte> code = stackalloc byte[15];
        code = code[.._space!.Read(_regs.Rip, code)];
        if (code.Length > 0)
        {
            var emulation = InstructionEmulator.Emulate(ref _regs, _cpu, _space, code, null);
            if (emulation.Kind == EmulationKind.Done) return null;
            if (emulation.Kind == EmulationKind.Halt)
            {
                _description = "the guest executed hlt at CPL 0";
                return VcpuExitKind.Other;
            }
        }
        return Raise(vector, null, 0);
    }

    /// <summary>
    /// A CPU exception: a CPL 0 guest gets it in its own IDT, as under KVM; otherwise (or when it
    /// has no usable handler) it ends the guest as a crash report.
    /// </summary>
    private VcpuExitKind? Raise(uint vector, ulong? errorCode, ulong cr2)
    {
        _cr2 = cr2;
        if (_cpu is not null && InstructionEmulator.TryDeliverException(ref _regs, _cpu, _space!, vector, errorCode, cr2, out _))
            return null;
        ulong cs = _cpu?.Cs ?? _startSregs.Cs.Selector, ss = _cpu?.Ss ?? _startSregs.Ss.Selector;
        _fault = new GuestFault(vector, errorCode, _regs.Rip, cs, _regs.Eflags, _regs.Rsp, ss);
        return VcpuExitKind.Fault;
    }

    private VcpuExitKind SystemCall(SandboxStop stop)
    {
        string how = stop.SiErrno == 1 ? "int 0x80 (the i386 ABI)" : "syscall";
        _description = $"system call {stop.SyscallNumber} through {how} at RIP 0x{stop.SiAddr:x}: the process platform's sandbox allows the guest none";
        return VcpuExitKind.Other;
    }

    private ushort _exitPort;
    private byte _exitSize;
    private bool _exitIsOut;
    private ulong _mmioAddress;
    private bool _mmioIsWrite;
    private int _mmioSize;

    public IoExit IoExit => new(_exitIsOut, _exitSize, _exitPort, 1, Marshal.UnsafeAddrOfPinnedArrayElement(_exitData, 0));

    public MmioExit MmioExit => new(_mmioAddress, _mmioIsWrite, _exitData.AsSpan(0, _mmioSize));

    public (GuestFault Fault, ulong Cr2) Fault => (_fault ?? throw new InvalidOperationException("the last exit was no fault"), _cr2);


    public string DescribeExit() => _description;

    // A user-mode guest's fault stopped the child at the faulting instruction (the signal is not
    // delivered): resuming from changed registers is all it takes.
    public void ResumeUserMode(ulong rip, ulong rsp, ulong rflags)
    {
        var sandbox = _sandbox ?? throw new InvalidOperationException("the vCPU was not started");
        if (_cpu is not null) throw new InvalidOperationException("a CPL 0 guest takes its faults in its own IDT");
        _regs.Rip = rip;
        _regs.Rsp = rsp;
        _regs.Eflags = rflags;
        sandbox.SetRegisters(_regs);
        _fault = null;
    }

    public CpuRegisters GetRegisters() => new()
    {
        Rax = _regs.Rax, Rbx = _regs.Rbx, Rcx = _regs.Rcx, Rdx = _regs.Rdx, Rsi = _regs.Rsi, Rdi = _regs.Rdi,
        Rsp = _regs.Rsp, Rbp = _regs.Rbp, R8 = _regs.R8, R9 = _regs.R9, R10 = _regs.R10, R11 = _regs.R11,
        R12 = _regs.R12, R13 = _regs.R13, R14 = _regs.R14, R15 = _regs.R15, Rip = _regs.Rip, Rflags = _regs.Eflags,
    };

    public SpecialRegisters GetSpecialRegisters()
    {
        var s = _cpu is not null ? _cpu.ToSpecialRegisters(_regs) : _startSregs;
        s.Fs.Base = _regs.FsBase;
        s.Gs.Base = _regs.GsBase;
        s.Cr2 = _cr2;
        return s;
    }

    public int ReadVirtual(ulong address, Span<byte> into, out string? stop)
    {
        int n = _space?.Read(address, into) ?? 0;
        stop = n < into.Length ? $"0x{address + (ulong)n:x} is not mapped" : null;
        return n;
    }

    public void Kick()
    {
        _kickRequested = true;
        _sandbox?.Kick();
    }

    public void Dispose()
    {
        _sandbox?.Dispose();
        _sandbox = null;
    }
}
