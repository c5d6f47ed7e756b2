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
}
