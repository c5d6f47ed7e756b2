namespace Tender.Platform;

/// <summary>Why a <see cref="VcpuExitKind.Debug"/> exit happened.</summary>
public enum DebugStopKind
{
    /// <summary>The guest executed an int3; RIP is the int3's own address (platforms report it so).</summary>
    Breakpoint,
    /// <summary>One instruction ran since the last Run with single-stepping on.</summary>
    SingleStep,
    /// <summary>A debug register's address matched (an instruction fetch, or a data access: a watchpoint); <see cref="DebugStop.Slot"/> is 0-3.</summary>
    HardwareBreakpoint,
}

/// <param name="Slot">the debug register (0-3) for <see cref="DebugStopKind.HardwareBreakpoint"/>, else -1</param>
public readonly record struct DebugStop(DebugStopKind Kind, int Slot);

/// <summary>
/// What a debugger (the gdb stub) needs from a vCPU beyond <see cref="IVcpu"/>: int3 and single
/// steps and the debug registers become <see cref="VcpuExitKind.Debug"/> exits instead of guest
/// exceptions, registers can be written, and guest-virtual addresses translated. KVM does it with
/// KVM_SET_GUEST_DEBUG; the process platform with ptrace's single step and debug registers.
/// </summary>
public interface IVcpuDebug
{
    /// <summary>
    /// Debugging on for the following Runs: int3 stops the guest; with <paramref name="singleStep"/>
    /// each Run executes one instruction; <paramref name="debugRegisters"/> is DR0-DR3 then DR7
    /// (five values) or empty for none. <see cref="Disable"/> hands everything back to the guest.
    /// </summary>
    void Enable(bool singleStep, ReadOnlySpan<ulong> debugRegisters);

    void Disable();

    /// <summary>
    /// True where <see cref="Enable"/>'s single step always works (ptrace). False for KVM: on
    /// nested hosts its single step does not reach a CPL 3 guest, so the run loop steps with
    /// RFLAGS.TF through the boot mode's own exception path where the mode has one.
    /// </summary>
    bool StepsReliably { get; }

    /// <summary>
    /// Whether the debug registers given to <see cref="Enable"/> fire (ptrace; KVM on a host that
    /// supports guest debugging). False on a nested PVM host, where neither KVM_SET_GUEST_DEBUG nor
    /// the guest's own DR0-DR7 do anything: the run loop then watches stores by write-protecting
    /// the watched guest pages on the host instead, and for a guest that owns its IDT (Solo5
    /// mode) uses hlt bytes for breakpoints and steps (docs/debugging.md).
    /// </summary>
    bool HasDebugRegisters { get; }

    /// <summary>The debug exit just returned by Run.</summary>
    DebugStop LastStop { get; }

    /// <summary>DR6 as the guest's last #DB left it: bits 0-3 say which debug register matched, bit 14 a single step.</summary>
    ulong DebugStatus { get; }

    void SetRegisters(in CpuRegisters registers);

    /// <summary>Guest-virtual to guest-physical as the guest's own accesses would see it; false if unmapped.</summary>
    bool TryTranslate(ulong virtualAddress, out ulong physicalAddress);
}
