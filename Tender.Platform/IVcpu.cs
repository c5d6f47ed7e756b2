namespace Tender.Platform;

/// <summary>What ended one <see cref="IVcpu.Run"/>.</summary>
public enum VcpuExitKind
{
    /// <summary>Port I/O: a hypercall, the ring kick, a fault stub's report (<see cref="IVcpu.IoExit"/>).</summary>
    Io,
    /// <summary>An access to unbacked guest-physical memory: an emulated BAR (<see cref="IVcpu.MmioExit"/>).</summary>
    Mmio,
    /// <summary>A CPU exception the platform itself caught (<see cref="IVcpu.Fault"/>); under KVM faults
    /// come as a boot mode's fault-stub port I/O instead.</summary>
    Fault,
    /// <summary>A debug event while a debugger is attached (<see cref="IVcpuDebug"/>): an int3, a
    /// finished single step, a debug-register hit.</summary>
    Debug,
    /// <summary>A stop request (<see cref="IVcpu.Kick"/>) or a stray signal: the run loop's head decides.</summary>
    Interrupted,
    /// <summary>
    /// A guest access the platform could not complete because the tender's own mapping of that
    /// guest RAM forbids it (KVM_RUN's EFAULT): a store to a read-only page, or any access to a page
    /// the run loop made inaccessible for a read or access watchpoint. The guest's crash, unless
    /// the run loop protected the page itself (a watchpoint without debug registers). The guest
    /// has not moved: running it again retries the access. <see cref="IVcpu.DescribeExit"/> says what.
    /// </summary>
    HostWriteFault,
    /// <summary>
    /// The guest executed hlt and the platform stopped there (KVM with no in-kernel interrupt
    /// controller: KVM_EXIT_HLT), RIP after the hlt. A guest's own hlt ends the run as a crash
    /// (<see cref="IVcpu.DescribeExit"/> says what); a debugger may use hlt as its trap byte
    /// where the platform's guest debugging does not reach the guest (docs/debugging.md).
    /// </summary>
    Halt,
    /// <summary>Anything else, which ends the guest: <see cref="IVcpu.DescribeExit"/> says what.</summary>
    Other,
}

/// <summary>
/// The guest's virtual CPU on one platform. All calls except <see cref="Kick"/> come from the
/// thread that runs the guest (the process platform traces the child from it).
/// </summary>
public interface IVcpu
{
    /// <summary>Loads the start state. Called once, before the first <see cref="Run"/>.</summary>
    void Start(VcpuStartState state);

    /// <summary>Runs the guest until its next exit.</summary>
    VcpuExitKind Run();

    /// <summary>The port I/O of the exit just returned (kind <see cref="VcpuExitKind.Io"/>).</summary>
    IoExit IoExit { get; }

    /// <summary>The MMIO access of the exit just returned (kind <see cref="VcpuExitKind.Mmio"/>); a
    /// read's bytes go into its Data before the next Run.</summary>
    MmioExit MmioExit { get; }

    /// <summary>The CPU exception of the exit just returned (kind <see cref="VcpuExitKind.Fault"/>),
    /// with the faulting address (CR2) where the exception has one.</summary>
    (GuestFault Fault, ulong Cr2) Fault { get; }

    /// <summary>One line describing the exit just returned, for a crash report.</summary>
    string DescribeExit();

    CpuRegisters GetRegisters();

    SpecialRegisters GetSpecialRegisters();

    /// <summary>
    /// Reads guest-virtual memory as the guest would see it (KVM: through its page tables;
    /// process platform: through the child's mappings), for crash reports. Returns the number of
    /// bytes read before the first unreadable one, with why it stopped.
    /// </summary>
    int ReadVirtual(ulong address, Span<byte> into, out string? stop);

    /// <summary>
    /// After a CPU exception the guest asked to handle itself (docs/abi.md "CPU faults as guest
    /// exceptions"): the next <see cref="Run"/> continues the guest at CPL 3 at <paramref name="rip"/>
    /// with <paramref name="rsp"/> and <paramref name="rflags"/>, every other general-purpose register
    /// as it was at the fault.
    /// </summary>
    void ResumeUserMode(ulong rip, ulong rsp, ulong rflags);

    /// <summary>Makes a running <see cref="Run"/> return <see cref="VcpuExitKind.Interrupted"/> soon. Any thread.</summary>
    void Kick();
}

/// <summary>A CPU exception the guest took.</summary>
/// <param name="Vector">Exception vector (0–31 for CPU exceptions).</param>
/// <param name="ErrorCode">The error code the CPU pushed, or null for vectors without one (or where unknowable).</param>
/// <param name="Rip">RIP of the faulting instruction (or after it, for traps).</param>
/// <param name="Cs">CS at the time (its low two bits are the CPL the guest was at).</param>
/// <param name="Rflags">RFLAGS at the time.</param>
/// <param name="Rsp">The guest's RSP at the time.</param>
/// <param name="Ss">SS at the time.</param>
public sealed record GuestFault(uint Vector, ulong? ErrorCode, ulong Rip, ulong Cs, ulong Rflags, ulong Rsp, ulong Ss);
