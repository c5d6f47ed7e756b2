namespace Tender.Loader;

/// <summary>PT_LOAD permission bits (p_flags), values as in the ELF specification.</summary>
[Flags]
public enum SegmentFlags : uint
{
    None = 0,
    Execute = 1,
    Write = 2,
    Read = 4,
}

/// <summary>One validated, non-empty PT_LOAD segment. Guest address = virtual address (identity map).</summary>
public sealed record LoadSegment(
    int ProgramHeaderIndex,
    ulong FileOffset,
    ulong VirtualAddress,
    ulong FileSize,
    ulong MemorySize,
    SegmentFlags Flags,
    ulong Alignment)
{
    /// <summary>First byte after the segment (VirtualAddress + MemorySize; checked not to overflow).</summary>
    public ulong End => VirtualAddress + MemorySize;

    /// <summary>The segment's first page (VirtualAddress rounded down to 4 KiB).</summary>
    public ulong PageStart => VirtualAddress & ~(ElfImage.PageSize - 1);

    /// <summary>End of the segment's last page (End rounded up to 4 KiB; checked not to overflow).</summary>
    public ulong PageEnd => (End + ElfImage.PageSize - 1) & ~(ElfImage.PageSize - 1);

    public bool IsReadable => (Flags & SegmentFlags.Read) != 0;
    public bool IsWritable => (Flags & SegmentFlags.Write) != 0;
    public bool IsExecutable => (Flags & SegmentFlags.Execute) != 0;

    /// <summary>Flags as "R-X" style text, for messages and listings.</summary>
    public string FlagsText =>
        $"{(IsReadable ? 'R' : '-')}{(IsWritable ? 'W' : '-')}{(IsExecutable ? 'X' : '-')}";
}
