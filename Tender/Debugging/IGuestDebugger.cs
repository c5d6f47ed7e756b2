namespace Tender.Debugging;

/// <summary>Why the guest stopped for the debugger.</summary>
internal enum GuestStopKind
{
    /// <summary>Before the guest's first instruction.</summary>
    Initial,
    Breakpoint,
    SingleStep,
    HardwareBreakpoint,
    /// <summary>The debugger asked (gdb's Ctrl-C).</summary>
    Interrupt,
    /// <summary>A CPU exception: the guest cannot go on; continuing ends the run with the crash report.</summary>
    Fault,
    /// <summary>A step the tender could not do (<see cref="GuestStop.Message"/> says why); the guest has not moved.</summary>
    StepRefused,
}

/// <param name="Signal">the signal gdb is told, by number in the remote protocol (GDB's own numbering, the same as Linux's for SIGTRAP 5, SIGINT 2, SIGSEGV 11, SIGFPE 8, SIGILL 4; SIGSTOP is 17 there)</param>
/// <param name="Slot">the debug register of a hardware stop, else -1</param>
/// <param name="WatchAddress">for a watchpoint caught without debug registers (Slot -1): the watched address the store touched</param>
/// <param name="Message">for the debugger's console: why a step was refused</param>
internal sealed record GuestStop(GuestStopKind Kind, int Signal, int Slot = -1, ulong? WatchAddress = null, string? Message = null);

internal enum DebugResumeKind { Continue, Step, Kill, Detach }

/// <summary>
/// The run loop's view of an attached debugger (the gdb stub): it is told every stop, on the run
/// loop's thread, and answers how the guest goes on; between stops it watches for an interrupt
/// request and kicks the vCPU.
/// </summary>
internal interface IGuestDebugger : IDisposable
{
    /// <summary>Serves the debugger for this stop; returns how to resume.</summary>
    DebugResumeKind OnStop(GuestStop stop);

    /// <summary>The guest ended (HALT, crash, stop): the debugger is told the status, if it can be.</summary>
    void OnExit(int exitCode);

    /// <summary>DR0-DR3 then DR7 for the vCPU, or empty: what the debugger's hardware breakpoints need.</summary>
    ReadOnlySpan<ulong> DebugRegisters { get; }

    /// <summary>
    /// Write watchpoints (address, length) the run loop serves by page protection, where the
    /// platform has no working debug registers; empty otherwise.
    /// </summary>
    IReadOnlyList<PageWatch> PageWatches { get; }

    /// <summary>Whether the int3 at <paramref name="address"/> is one the debugger wrote (then the
    /// stop is reported at its address and the original instruction runs on resume).</summary>
    bool OwnsBreakpointAt(ulong address);

    /// <summary>Guest memory as the program has it: the original bytes where the debugger's
    /// breakpoints are (to decode the instruction a step runs). Bytes read.</summary>
    int ReadProgramMemory(ulong address, Span<byte> into);

    /// <summary>
    /// The run is being stopped (--timeout, SIGTERM, SIGINT); any thread. A stop being served returns
    /// at once (as a detach), and one that comes later is not served, so that the run loop sees the
    /// request; the debugger is told the end if it waits for the guest, else its connection closes.
    /// </summary>
    void EndSession();

    /// <summary>Starts watching for the debugger's interrupt while the guest runs (calls <paramref name="interrupt"/>).</summary>
    void WatchForInterrupts(Action interrupt);
}
