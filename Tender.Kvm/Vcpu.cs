using System.Runtime.InteropServices;
using Tender.Host.Interop;
using Tender.Kvm.Interop;

namespace Tender.Kvm;

/// <summary>
/// One virtual CPU: register access and the run loop's KVM_RUN. Not thread-safe except for
/// <see cref="Kick"/>, which any thread may call to make a running <see cref="Run"/> return.
/// </summary>
public sealed unsafe class Vcpu : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly MappedRegion _run;
    private nuint _runningThread; // pthread_t of the thread in Run(); 0 when none
    private volatile bool _stopRequested;

    internal Vcpu(int id, FileDescriptor fd, MappedRegion run)
    {
        Id = id;
        _fd = fd;
        _run = run;
    }

    public int Id { get; }

    private byte* RunPage => _run.Pointer;

    public CpuRegisters GetRegisters()
    {
        CpuRegisters regs;
        if (LibC.Ioctl(_fd.Fd, KvmIoctls.GetRegs, &regs) != 0) throw KvmException.FromLastError("KVM_GET_REGS");
        return regs;
    }

    public void SetRegisters(in CpuRegisters regs)
    {
        fixed (CpuRegisters* p = &regs)
            if (LibC.Ioctl(_fd.Fd, KvmIoctls.SetRegs, p) != 0) throw KvmException.FromLastError("KVM_SET_REGS");
    }

    public SpecialRegisters GetSpecialRegisters()
    {
        SpecialRegisters sregs;
        if (LibC.Ioctl(_fd.Fd, KvmIoctls.GetSregs, &sregs) != 0) throw KvmException.FromLastError("KVM_GET_SREGS");
        return sregs;
    }

    public void SetSpecialRegisters(in SpecialRegisters sregs)
    {
        fixed (SpecialRegisters* p = &sregs)
            if (LibC.Ioctl(_fd.Fd, KvmIoctls.SetSregs, p) != 0) throw KvmException.FromLastError("KVM_SET_SREGS");
    }

    public FpuState GetFpu()
    {
        FpuState fpu;
        if (LibC.Ioctl(_fd.Fd, KvmIoctls.GetFpu, &fpu) != 0) throw KvmException.FromLastError("KVM_GET_FPU");
        return fpu;
    }

    public void SetFpu(in FpuState fpu)
    {
        fixed (FpuState* p = &fpu)
            if (LibC.Ioctl(_fd.Fd, KvmIoctls.SetFpu, p) != 0) throw KvmException.FromLastError("KVM_SET_FPU");
    }

    /// <summary>KVM_SET_CPUID2: what CPUID reports inside the guest.</summary>
    public void SetCpuid(ReadOnlySpan<CpuidEntry> entries)
    {
        var buffer = new byte[8 + entries.Length * sizeof(CpuidEntry)];
        fixed (byte* p = buffer)
        {
            *(uint*)p = (uint)entries.Length;
            entries.CopyTo(new Span<CpuidEntry>(p + 8, entries.Length));
            if (LibC.Ioctl(_fd.Fd, KvmIoctls.SetCpuid2, p) != 0) throw KvmException.FromLastError("KVM_SET_CPUID2");
        }
    }

    /// <summary>KVM_SET_MSRS for the given (index, value) pairs.</summary>
    public void SetMsrs(ReadOnlySpan<KvmMsrEntry> msrs)
    {
        var buffer = new byte[8 + msrs.Length * sizeof(KvmMsrEntry)];
        fixed (byte* p = buffer)
        {
            *(uint*)p = (uint)msrs.Length;
            msrs.CopyTo(new Span<KvmMsrEntry>(p + 8, msrs.Length));
            int set = LibC.Ioctl(_fd.Fd, KvmIoctls.SetMsrs, p);
            if (set < 0) throw KvmException.FromLastError("KVM_SET_MSRS");
            if (set != msrs.Length)
                throw new KvmException($"KVM_SET_MSRS: the kernel refused MSR 0x{msrs[set].Index:x}");
        }
    }

    /// <summary>KVM_GET_TSC_KHZ: the guest's TSC frequency in kHz.</summary>
    public ulong GetTscKhz()
    {
        int khz = LibC.Ioctl(_fd.Fd, KvmIoctls.GetTscKhz, 0);
        if (khz <= 0) throw KvmException.FromLastError("KVM_GET_TSC_KHZ");
        return (ulong)khz;
    }

    /// <summary>True once <see cref="Kick"/> was called: the run loop should stop.</summary>
    public bool StopRequested => _stopRequested;

    /// <summary>
    /// KVM_SET_GUEST_DEBUG: with <paramref name="enable"/>, int3 and (optionally) single steps and
    /// the debug registers end KVM_RUN with KVM_EXIT_DEBUG instead of reaching the guest.
    /// <paramref name="debugRegisters"/> is DR0-DR3 then DR7 (5 values) or empty.
    /// </summary>
    public void SetGuestDebug(bool enable, bool singleStep, ReadOnlySpan<ulong> debugRegisters)
    {
        var debug = new KvmGuestDebug();
        if (enable)
        {
            debug.Control = KvmIoctls.GuestDebugEnable | KvmIoctls.GuestDebugUseSoftwareBreakpoints;
            if (singleStep) debug.Control |= KvmIoctls.GuestDebugSingleStep;
            if (debugRegisters.Length == 5)
            {
                debug.Control |= KvmIoctls.GuestDebugUseHardwareBreakpoints;
                for (int i = 0; i < 4; i++) debug.DebugRegisters[i] = debugRegisters[i];
                debug.DebugRegisters[7] = debugRegisters[4];
            }
        }
        if (LibC.Ioctl(_fd.Fd, KvmIoctls.SetGuestDebug, &debug) != 0) throw KvmException.FromLastError("KVM_SET_GUEST_DEBUG");
    }

    /// <summary>KVM_SET_DEBUGREGS: the guest's own DR0-DR3 and DR7 (DR6 cleared).</summary>
    public void SetDebugRegisters(ReadOnlySpan<ulong> dr0To3, ulong dr7)
    {
        var regs = new KvmDebugRegs { Dr6 = 0xFFFF0FF0, Dr7 = dr7 | 0x400 };
        for (int i = 0; i < 4; i++) regs.Db[i] = i < dr0To3.Length ? dr0To3[i] : 0;
        if (LibC.Ioctl(_fd.Fd, KvmIoctls.SetDebugRegs, &regs) != 0) throw KvmException.FromLastError("KVM_SET_DEBUGREGS");
    }

    /// <summary>The guest's DR6 (KVM_GET_DEBUGREGS): which debug condition fired.</summary>
    public ulong GetDebugStatus()
    {
        var regs = new KvmDebugRegs();
        if (LibC.Ioctl(_fd.Fd, KvmIoctls.GetDebugRegs, &regs) != 0) throw KvmException.FromLastError("KVM_GET_DEBUGREGS");
        return regs.Dr6;
    }

    /// <summary>The KVM_EXIT_DEBUG just returned by <see cref="Run"/>: vector (1 #DB, 3 #BP), PC, DR6, DR7.</summary>
    public (uint Exception, ulong Pc, ulong Dr6, ulong Dr7) DebugExit =>
        (*(uint*)(RunPage + KvmRunLayout.DebugException), *(ulong*)(RunPage + KvmRunLayout.DebugPc),
         *(ulong*)(RunPage + KvmRunLayout.DebugDr6), *(ulong*)(RunPage + KvmRunLayout.DebugDr7));

    /// <summary>
    /// Enters the guest until it exits. Returns the exit reason; the details are read with
    /// <see cref="IoExit"/> (the hot path: no allocation) or <see cref="DecodeExit"/>.
    /// <see cref="VmExitReason.Interrupted"/> means a signal or <see cref="Kick"/> ended it.
    /// </summary>
    public VmExitReason Run()
    {
        if (_runningThread == 0)
        {
            VcpuKicker.EnsureInstalled();
            Volatile.Write(ref _runningThread, LibC.PthreadSelf());
        }
        if (LibC.Ioctl(_fd.Fd, KvmIoctls.Run, 0) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR || errno == LibC.EAGAIN) return VmExitReason.Interrupted;
            throw new KvmException("KVM_RUN", errno);
        }
        return (VmExitReason)(*(uint*)(RunPage + KvmRunLayout.ExitReason));
    }

    /// <summary>
    /// Asks a running (or about to run) <see cref="Run"/> to return <see cref="VmExitReason.Interrupted"/>
    /// soon: sets kvm_run.immediate_exit (covers the window before KVM_RUN is entered) and sends
    /// the vCPU thread a signal whose handler does nothing (interrupts a KVM_RUN in progress).
    /// Safe from any thread, including signal-handling callbacks.
    /// </summary>
    public void Kick()
    {
        _stopRequested = true;
        Volatile.Write(ref *(RunPage + KvmRunLayout.ImmediateExit), (byte)1);
        nuint thread = Volatile.Read(ref _runningThread);
        if (thread != 0) VcpuKicker.Signal(thread);
    }

    /// <summary>The port-I/O exit just returned by <see cref="Run"/> (reason must be Io).</summary>
    public IoExit IoExit
    {
        get
        {
            byte* p = RunPage;
            ulong dataOffset = *(ulong*)(p + KvmRunLayout.IoDataOffset);
            byte size = p[KvmRunLayout.IoSize];
            uint count = *(uint*)(p + KvmRunLayout.IoCount);
            // The kernel places the data inside the mapping; check anyway rather than trust an offset.
            ulong bytes = (ulong)size * count;
            if (dataOffset > _run.Length || bytes > _run.Length - dataOffset)
                throw new KvmException($"KVM_EXIT_IO data offset 0x{dataOffset:x} (+{bytes}) is outside the kvm_run mapping");
            return new IoExit(p[KvmRunLayout.IoDirection] == 1, size, *(ushort*)(p + KvmRunLayout.IoPort), count,
                new IntPtr(p + dataOffset));
        }
    }

    /// <summary>The MMIO exit just returned by <see cref="Run"/> (reason must be Mmio); a read's result
    /// goes into <see cref="MmioExit.Data"/> before the next Run.</summary>
    public MmioExit MmioExit
    {
        get
        {
            byte* p = RunPage;
            uint length = Math.Min(*(uint*)(p + KvmRunLayout.MmioLen), 8u);
            return new MmioExit(*(ulong*)(p + KvmRunLayout.MmioPhysAddr), p[KvmRunLayout.MmioIsWrite] != 0,
                new Span<byte>(p + KvmRunLayout.MmioData, (int)length));
        }
    }

    /// <summary>Decodes the last exit into a description (allocates: for the non-hot exits).</summary>
    public VmExit DecodeExit(VmExitReason reason)
    {
        byte* p = RunPage;
        switch (reason)
        {
            case VmExitReason.Io:
                return new VmExit.PortIo(IoExit);
            case VmExitReason.Mmio:
            {
                uint length = Math.Min(*(uint*)(p + KvmRunLayout.MmioLen), 8u);
                return new VmExit.Mmio(*(ulong*)(p + KvmRunLayout.MmioPhysAddr),
                    new ReadOnlySpan<byte>(p + KvmRunLayout.MmioData, (int)length).ToArray(), p[KvmRunLayout.MmioIsWrite] != 0);
            }
            case VmExitReason.Hlt:
                return new VmExit.Halt();
            case VmExitReason.Shutdown:
                return new VmExit.Shutdown();
            case VmExitReason.InternalError:
            {
                uint n = Math.Min(*(uint*)(p + KvmRunLayout.InternalNdata), (uint)KvmRunLayout.InternalMaxData);
                return new VmExit.InternalError((InternalErrorKind)(*(uint*)(p + KvmRunLayout.InternalSuberror)),
                    new ReadOnlySpan<ulong>(p + KvmRunLayout.InternalData, (int)n).ToArray());
            }
            case VmExitReason.FailEntry:
                return new VmExit.FailEntry(*(ulong*)(p + KvmRunLayout.FailEntryReason), *(uint*)(p + KvmRunLayout.FailEntryCpu));
            case VmExitReason.SystemEvent:
            {
                uint n = Math.Min(*(uint*)(p + KvmRunLayout.SystemEventNdata), 16u);
                return new VmExit.SystemEvent((SystemEventKind)(*(uint*)(p + KvmRunLayout.SystemEventType)),
                    new ReadOnlySpan<ulong>(p + KvmRunLayout.SystemEventData, (int)n).ToArray());
            }
            case VmExitReason.Debug:
                return new VmExit.Debug(*(uint*)(p + KvmRunLayout.DebugException), *(ulong*)(p + KvmRunLayout.DebugPc));
            case VmExitReason.Unknown:
                return new VmExit.Unknown(*(ulong*)(p + KvmRunLayout.HardwareExitReason));
            case VmExitReason.Exception:
                return new VmExit.GuestException(*(uint*)(p + KvmRunLayout.ExceptionNumber), *(uint*)(p + KvmRunLayout.ExceptionErrorCode));
            case VmExitReason.Interrupted:
            case VmExitReason.Intr:
                return new VmExit.Interrupted();
            default:
                return new VmExit.Other(reason);
        }
    }

    public void Dispose()
    {
        _run.Dispose();
        _fd.Dispose();
    }
}
