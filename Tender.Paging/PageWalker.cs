using System.Buffers.Binary;
using static Tender.Paging.PageTableEntry;

namespace Tender.Paging;

/// <summary>
/// A software x86-64 4-level page walk (with EFER.NXE on), as the CPU does it. It is meant for
/// memory the guest may have scribbled over: it reads at most four entries, so garbage or cyclic
/// tables cannot make it loop, and any entry it cannot read or does not accept yields null.
/// </summary>
public static class PageWalker
{
    /// <summary>Reads one 8-byte entry at a guest-physical address; ok = false if it is outside memory.</summary>
    internal interface IEntryReader
    {
        bool TryRead(ulong physicalAddress, out ulong value);
    }

    /// <summary>
    /// Translate <paramref name="virtualAddress"/> through the tables rooted at <paramref name="cr3"/>.
    /// <paramref name="readEntry"/> reads the 8-byte entry at a guest-physical address and returns
    /// ok = false if that address is outside guest memory. Returns null if the address is not
    /// mapped, not canonical, or the tables are unreadable or malformed.
    /// </summary>
    public static Translation? Translate(ulong cr3, ulong virtualAddress, Func<ulong, (bool ok, ulong value)> readEntry)
    {
        ArgumentNullException.ThrowIfNull(readEntry);
        return Walk(cr3, virtualAddress, new DelegateReader(readEntry));
    }

    /// <summary>
    /// Translate through tables held in <paramref name="memory"/>, whose first byte is at
    /// guest-physical <paramref name="memoryPhysicalAddress"/> (pass the whole guest RAM with 0,
    /// or a table image with the address it is loaded at).
    /// </summary>
    public static Translation? Translate(ReadOnlySpan<byte> memory, ulong memoryPhysicalAddress, ulong cr3, ulong virtualAddress) =>
        Walk(cr3, virtualAddress, new SpanReader(memory, memoryPhysicalAddress));

    internal static Translation? Walk<TReader>(ulong cr3, ulong virtualAddress, TReader reader)
        where TReader : IEntryReader, allows ref struct
    {
        if (!IsCanonical(virtualAddress)) return null;

        // Rights narrow on the way down: writable/user only if every level grants it, NX if any
        // level sets it (the CPU's rule).
        bool writable = true, user = true, executable = true;
        ulong table = cr3 & AddressMask;
        for (int level = 4; level >= 1; level--)
        {
            int shift = 12 + 9 * (level - 1);
            ulong index = (virtualAddress >> shift) & 511;
            if (!reader.TryRead(table + index * 8, out ulong entry)) return null;
            if ((entry & Present) == 0) return null;
            writable &= (entry & Writable) != 0;
            user &= (entry & User) != 0;
            executable &= (entry & NoExecute) == 0;

            bool leaf = level == 1 || (entry & PageSize) != 0;
            if (leaf)
            {
                // PS in a PML4 entry is reserved: the CPU would fault.
                if (level == 4) return null;
                ulong pageSize = 1UL << shift;
                ulong baseAddress = entry & AddressMask;
                if (level > 1)
                {
                    // Bit 12 of a large-page entry is PAT; the bits between it and the page size
                    // are reserved and must be zero.
                    ulong reserved = (pageSize - 1) & ~((1UL << 13) - 1);
                    if ((baseAddress & reserved) != 0) return null;
                    baseAddress &= ~(pageSize - 1);
                }
                var flags = PageFlags.None;
                if (writable) flags |= PageFlags.Writable;
                if (executable) flags |= PageFlags.Executable;
                if (user) flags |= PageFlags.User;
                if ((entry & CacheDisable) != 0) flags |= PageFlags.Uncached;
                return new Translation(baseAddress | (virtualAddress & (pageSize - 1)), flags, pageSize);
            }
            table = entry & AddressMask;
        }
        return null; // not reached: level 1 is always a leaf
    }

    private readonly struct DelegateReader(Func<ulong, (bool ok, ulong value)> read) : IEntryReader
    {
        public bool TryRead(ulong physicalAddress, out ulong value)
        {
            (bool ok, value) = read(physicalAddress);
            return ok;
        }
    }

    internal readonly ref struct SpanReader(ReadOnlySpan<byte> memory, ulong memoryPhysicalAddress) : IEntryReader
    {
        private readonly ReadOnlySpan<byte> _memory = memory;

        public bool TryRead(ulong physicalAddress, out ulong value)
        {
            value = 0;
            // Overflow-safe: offset computed only once the address is known to be above the base.
            if (physicalAddress < memoryPhysicalAddress || _memory.Length < 8) return false;
            ulong offset = physicalAddress - memoryPhysicalAddress;
            if (offset > (ulong)_memory.Length - 8) return false;
            value = BinaryPrimitives.ReadUInt64LittleEndian(_memory.Slice((int)offset, 8));
            return true;
        }
    }
}
