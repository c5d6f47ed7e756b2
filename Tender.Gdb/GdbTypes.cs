namespace Tender.Gdb;

/// <summary>
/// x86-64 state in the order of the target description this stub serves (<see cref="RegisterLayout"/>):
/// the general registers, RIP, EFLAGS and the selectors of org.gnu.gdb.i386.core, FS/GS base of
/// org.gnu.gdb.i386.segments, and x87/SSE state when <see cref="HasFpu"/> is set (zero otherwise).
/// </summary>
public unsafe struct GdbRegisters
{
    public ulong Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rbp, Rsp, R8, R9, R10, R11, R12, R13, R14, R15, Rip;
    public uint Eflags, Cs, Ss, Ds, Es, Fs, Gs;
    public ulong FsBase, GsBase;

    /// <summary>Whether the x87/SSE fields below are the target's (false: reported as zero, writes ignored).</summary>
    public bool HasFpu;
    /// <summary>st0-st7, 10 bytes each (80-bit extended, little-endian), as FXSAVE's register area without the padding.</summary>
    public fixed byte St[80];
    public uint Fctrl, Fstat, Ftag, Fiseg, Fioff, Foseg, Fooff, Fop;
    /// <summary>xmm0-xmm15, 16 bytes each, little-endian.</summary>
    public fixed byte Xmm[256];
    public uint Mxcsr;
}

/// <summary>Why the guest stopped.</summary>
public enum StopReason
{
    /// <summary>Before the first instruction (the first call of <see cref="GdbSession.Stopped"/>).</summary>
    Initial,
    /// <summary>An int3 this session inserted (Z0); the tender reports RIP at the breakpoint's address.</summary>
    Breakpoint,
    /// <summary>A single step (s, vCont;s) completed.</summary>
    SingleStep,
    /// <summary>A debug-register execute breakpoint (Z1).</summary>
    HardwareBreakpoint,
    /// <summary>A debug-register data watchpoint (Z2-Z4); <see cref="StopEvent.WatchAddress"/> names the address.</summary>
    Watchpoint,
    /// <summary>The guest was stopped because gdb sent Ctrl-C.</summary>
    Interrupt,
    /// <summary>The guest faulted; <see cref="StopEvent.Signal"/> is the matching Linux signal.</summary>
    Signal,
}

/// <summary>
/// A stop. Signal numbers are Linux's (SIGTRAP 5, SIGINT 2, SIGSEGV 11, SIGFPE 8, SIGILL 4); 0 means
/// the reason's usual one. <paramref name="WatchKind"/> is "watch", "rwatch" or "awatch" (null: from
/// the watchpoint set at <paramref name="WatchAddress"/>). <paramref name="Message"/>, if any, is
/// printed on gdb's console (an `O` packet) before the stop reply: why a step was not done, say.
/// </summary>
public readonly record struct StopEvent(StopReason Reason, int Signal, ulong WatchAddress = 0, string? WatchKind = null, string? Message = null);

/// <summary>What a debug-register slot watches.</summary>
public enum WatchKind { Execute, Write, Read, Access }

/// <summary>How gdb let the guest go on.</summary>
public enum ResumeKind { Continue, Step, Kill, Detach }

/// <summary>gdb's resume request; <paramref name="Signal"/> is the signal to deliver (C/S), 0 for none.</summary>
public readonly record struct Resume(ResumeKind Kind, int Signal = 0);
