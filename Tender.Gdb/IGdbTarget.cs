namespace Tender.Gdb;

/// <summary>What the tender provides; called only from the thread that calls <see cref="GdbSession"/> methods.</summary>
public interface IGdbTarget
{
    GdbRegisters ReadRegisters();
    void WriteRegisters(in GdbRegisters registers);

    /// <summary>Guest-virtual memory through the guest's page tables. Returns the bytes read before
    /// the first unreadable byte (0 = error reply).</summary>
    int ReadMemory(ulong address, Span<byte> into);

    /// <summary>Writes guest-virtual memory, also into read-only guest text (for int3); bytes written.</summary>
    int WriteMemory(ulong address, ReadOnlySpan<byte> from);

    /// <summary>Debug-register slots for address breakpoints and watchpoints (x86: 4, DR0-3).</summary>
    int HardwareSlots { get; }

    /// <summary>Programs the complete set (called whenever it changes); false if the target refuses.</summary>
    bool SetHardwareBreakpoints(IReadOnlyList<(ulong Address, WatchKind Kind, int Length)> set);

    /// <summary>
    /// The one-byte instruction a software breakpoint writes: int3 (0xCC) unless the target stops
    /// the guest another way (hlt, 0xF4, for a guest that owns its IDT on a host whose guest
    /// debugging does not work). Reads still show gdb the original bytes.
    /// </summary>
    byte SoftwareBreakpointInstruction => 0xCC;

    /// <summary>
    /// True where the target has no working debug registers: a `Z1` (gdb's hbreak) is then kept
    /// as a software breakpoint (the trap byte above) instead of a debug register, and needs no slot.
    /// </summary>
    bool ExecuteBreakpointsInSoftware => false;
}
