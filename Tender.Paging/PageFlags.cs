namespace Tender.Paging;

/// <summary>
/// Access rights of a mapped page. Read access is implied for every mapped page (x86-64 has no
/// "not readable" bit). <see cref="Executable"/> absent means the leaf carries the NX bit, so the
/// guest must run with EFER.NXE set: without it the CPU treats NX as a reserved bit and every
/// access to such a page faults. A mode that leaves NXE off must map every region Executable.
/// </summary>
[Flags]
public enum PageFlags
{
    None = 0,
    Writable = 1,
    Executable = 2,
    User = 4,
    /// <summary>Caching disabled (PCD|PWT): for device BARs.</summary>
    Uncached = 8,
}

internal static class PageFlagsExtensions
{
    internal const PageFlags All = PageFlags.Writable | PageFlags.Executable | PageFlags.User | PageFlags.Uncached;

    /// <summary>Short form for messages: "R", "RW", "RX", "RWX", plus " user" / " uncached".</summary>
    internal static string Describe(this PageFlags flags)
    {
        var text = "R";
        if ((flags & PageFlags.Writable) != 0) text += "W";
        if ((flags & PageFlags.Executable) != 0) text += "X";
        if ((flags & PageFlags.User) != 0) text += " user";
        else text += " supervisor";
        if ((flags & PageFlags.Uncached) != 0) text += " uncached";
        var unknown = flags & ~All;
        if (unknown != 0) text += $" unknown-bits 0x{(int)unknown:x}";
        return text;
    }
}
