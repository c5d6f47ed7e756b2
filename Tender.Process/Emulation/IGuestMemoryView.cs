namespace Tender.ProcessPlatform.Emulation;

/// <summary>
/// Guest-virtual memory as the guest itself may access it. The caller enforces the guest's
/// mappings and access rights; the emulator only ever goes through this view, so what it reads
/// or writes on the guest's behalf obeys the same rules as the guest's own accesses.
/// </summary>
public interface IGuestMemoryView
{
    /// <summary>Fills <paramref name="into"/> from <paramref name="address"/>; false if any byte is not readable.</summary>
    bool TryRead(ulong address, Span<byte> into);

    /// <summary>Stores <paramref name="bytes"/> at <paramref name="address"/>; false (and nothing written) if any byte is not writable.</summary>
    bool TryWrite(ulong address, ReadOnlySpan<byte> bytes);
}
