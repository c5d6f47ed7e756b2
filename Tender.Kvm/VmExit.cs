namespace Tender.Kvm;

/// <summary>KVM_EXIT_* values (Linux <c>include/uapi/linux/kvm.h</c>), plus <see cref="Interrupted"/>.</summary>
public enum VmExitReason : uint
{
    Unknown = 0,
    Exception = 1,
    Io = 2,
    Hypercall = 3,
    Debug = 4,
    Hlt = 5,
    Mmio = 6,
    IrqWindowOpen = 7,
    Shutdown = 8,
    FailEntry = 9,
    Intr = 10,
    SetTpr = 11,
    TprAccess = 12,
    Nmi = 16,
    InternalError = 17,
    Watchdog = 21,
    SystemEvent = 24,
    IoapicEoi = 26,
    Hyperv = 27,
    X86Rdmsr = 29,
    X86Wrmsr = 30,
    DirtyRingFull = 31,
    X86BusLock = 33,
    Xen = 34,
    Notify = 37,
    MemoryFault = 39,
    /// <summary>Not a KVM value: KVM_RUN returned EINTR (a signal, or <see cref="Vcpu.Kick"/>).</summary>
    Interrupted = 0xFFFF_FFFF,
}

/// <summary>KVM_INTERNAL_ERROR_* suberrors.</summary>
public enum InternalErrorKind : uint
{
    Emulation = 1,
    SimultaneousExceptions = 2,
    DeliveryEvent = 3,
    UnexpectedExitReason = 4,
}

/// <summary>KVM_SYSTEM_EVENT_* types.</summary>
public enum SystemEventKind : uint
{
    Shutdown = 1,
    Reset = 2,
    Crash = 3,
    Wakeup = 4,
    Suspend = 5,
    SevTerm = 6,
}

/// <summary>A decoded KVM exit, for reports and the exits the run loop does not handle inline.</summary>
public abstract record VmExit
{
    public sealed record PortIo(IoExit Io) : VmExit
    {
        public override string Describe() => $"port I/O: {Io}";
    }

    public sealed record Mmio(ulong Address, byte[] Data, bool IsWrite) : VmExit
    {
        public override string Describe() =>
            $"MMIO {(IsWrite ? "write" : "read")} of {Data.Length} bytes at guest-physical 0x{Address:x} (no memory there)";
    }

    public sealed record Halt : VmExit
    {
        public override string Describe() => "the guest executed hlt at CPL 0";
    }

    public sealed record Shutdown : VmExit
    {
        public override string Describe() => "triple fault (KVM_EXIT_SHUTDOWN): an exception occurred that could not be delivered";
    }

    public sealed record InternalError(InternalErrorKind Suberror, ulong[] Data) : VmExit
    {
        public override string Describe()
        {
            string what = Suberror switch
            {
                InternalErrorKind.Emulation => "emulation failure: KVM could not emulate an instruction",
                InternalErrorKind.SimultaneousExceptions => "simultaneous exceptions",
                InternalErrorKind.DeliveryEvent => "an event could not be delivered (exception during event delivery)",
                InternalErrorKind.UnexpectedExitReason => "unexpected hardware exit reason",
                _ => "unknown suberror",
            };
            string data = Data.Length == 0 ? "" : "; data: " + string.Join(" ", Data.Select(d => $"0x{d:x}"));
            return $"KVM internal error, suberror {(uint)Suberror} ({what}){data}";
        }
    }

    public sealed record FailEntry(ulong HardwareReason, uint Cpu) : VmExit
    {
        public override string Describe() =>
            $"VM entry failed (KVM_EXIT_FAIL_ENTRY): hardware entry failure reason 0x{HardwareReason:x} on CPU {Cpu}" +
            ((HardwareReason & 0xFFFF) == 33 ? " (invalid guest state)" : (HardwareReason & 0xFFFF) == 34 ? " (MSR loading)" : "");
    }

    public sealed record SystemEvent(SystemEventKind Kind, ulong[] Data) : VmExit
    {
        public override string Describe() =>
            $"system event {Kind} ({(uint)Kind})" + (Data.Length == 0 ? "" : ": " + string.Join(" ", Data.Select(d => $"0x{d:x}")));
    }

    public sealed record Debug(uint Vector, ulong Pc) : VmExit
    {
        public override string Describe() => $"debug exit: exception {Vector} at 0x{Pc:x}";
    }

    public sealed record Unknown(ulong HardwareExitReason) : VmExit
    {
        public override string Describe() => $"unknown exit (KVM_EXIT_UNKNOWN), hardware exit reason 0x{HardwareExitReason:x}";
    }

    public sealed record GuestException(uint Vector, uint ErrorCode) : VmExit
    {
        public override string Describe() => $"exception exit: vector {Vector}, error code 0x{ErrorCode:x}";
    }

    public sealed record Interrupted : VmExit
    {
        public override string Describe() => "KVM_RUN interrupted by a signal";
    }

    public sealed record Other(VmExitReason Reason) : VmExit
    {
        public override string Describe() => $"unexpected exit reason {Reason} ({(uint)Reason})";
    }

    /// <summary>One line for reports.</summary>
    public abstract string Describe();
}
