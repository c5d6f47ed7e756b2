namespace Tender.Paging;

/// <summary>Bits of an x86-64 paging-structure entry (Intel SDM vol. 3, 4.5).</summary>
internal static class PageTableEntry
{
    internal const ulong Present = 1UL << 0;
    internal const ulong Writable = 1UL << 1;
    internal const ulong User = 1UL << 2;
    internal const ulong WriteThrough = 1UL << 3;
    internal const ulong CacheDisable = 1UL << 4;
    internal const ulong Accessed = 1UL << 5;
    internal const ulong Dirty = 1UL << 6;
    internal const ulong PageSize = 1UL << 7;
    internal const ulong NoExecute = 1UL << 63;

    /// <summary>Bits 12..51: the physical address of the next table or of a 4 KiB page.</summary>
    internal const ulong AddressMask = 0x000F_FFFF_FFFF_F000UL;

    internal const ulong Size4K = 1UL << 12;
    internal const ulong Size2M = 1UL << 21;
    internal const ulong Size1G = 1UL << 30;
    internal const ulong Size512G = 1UL << 39;
    internal const int EntriesPerTable = 512;
    internal const int TableBytes = 4096;

    /// <summary>Physical addresses must lie below 2^52 (the architectural MAXPHYADDR limit).</summary>
    internal const ulong PhysicalLimit = 1UL << 52;

    /// <summary>
    /// Entries that point to another table grant everything, so that the leaf alone decides
    /// the rights. Accessed is preset so the CPU never has to write to the tables.
    /// </summary>
    internal const ulong Intermediate = Present | Writable | User | Accessed;

    internal static ulong Leaf(ulong physicalAddress, PageFlags flags, bool large)
    {
        // Accessed and Dirty are preset: the CPU then never writes to the tables (they may sit
        // in read-only guest memory and the image stays exactly what was built).
        ulong entry = physicalAddress | Present | Accessed | Dirty;
        if ((flags & PageFlags.Writable) != 0) entry |= Writable;
        if ((flags & PageFlags.User) != 0) entry |= User;
        if ((flags & PageFlags.Executable) == 0) entry |= NoExecute;
        if ((flags & PageFlags.Uncached) != 0) entry |= CacheDisable | WriteThrough;
        if (large) entry |= PageSize;
        return entry;
    }

    /// <summary>A canonical 48-bit address: bits 63..47 all equal.</summary>
    internal static bool IsCanonical(ulong virtualAddress)
    {
        ulong top = virtualAddress >> 47;
        return top == 0 || top == (1UL << 17) - 1;
    }
}
