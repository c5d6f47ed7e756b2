using System.Buffers.Binary;

namespace Tender.Paging.Tests;

/// <summary>Independent helpers: a reference model of a region set and raw entry access.</summary>
internal static class TestSupport
{
    internal const ulong K4 = 1UL << 12;
    internal const ulong M2 = 1UL << 21;
    internal const ulong G1 = 1UL << 30;

    internal const PageFlags RW = PageFlags.Writable;
    internal const PageFlags RX = PageFlags.Executable;

    /// <summary>The region containing va, by linear search (the oracle the tables are checked against).</summary>
    internal static Region? Containing(IEnumerable<Region> regions, ulong va)
    {
        foreach (var r in regions)
            if (va >= r.VirtualAddress && va - r.VirtualAddress < r.Length) return r;
        return null;
    }

    /// <summary>
    /// The page size the builder should pick for va in r: the largest size whose aligned block
    /// around va lies inside r and whose virtual and physical offsets agree.
    /// </summary>
    internal static ulong ExpectedPageSize(Region r, ulong va, bool use1G)
    {
        foreach (var size in use1G ? new[] { G1, M2 } : new[] { M2 })
        {
            ulong block = va & ~(size - 1);
            bool inside = block >= r.VirtualAddress && size <= r.Length && block - r.VirtualAddress <= r.Length - size;
            if (inside && ((r.VirtualAddress ^ r.PhysicalAddress) & (size - 1)) == 0) return size;
        }
        return K4;
    }

    /// <summary>The raw entry at a level (4 = PML4 .. 1 = PT) for va, read from the image by hand.</summary>
    internal static ulong RawEntry(PageTables tables, ulong va, int level)
    {
        var image = tables.Image.Span;
        ulong table = tables.RootPhysicalAddress;
        for (int l = 4; ; l--)
        {
            int shift = 12 + 9 * (l - 1);
            ulong offset = table - tables.PhysicalAddress + ((va >> shift) & 511) * 8;
            ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(image.Slice(checked((int)offset), 8));
            if (l == level) return entry;
            Assert.True((entry & 1) != 0, $"entry at level {l} for 0x{va:x} not present");
            Assert.True((entry & 0x80) == 0, $"entry at level {l} for 0x{va:x} is a large page, no level {level} below it");
            table = entry & 0x000F_FFFF_FFFF_F000UL;
        }
    }

    /// <summary>Guest-physical memory as a byte array with the table image copied in at its address.</summary>
    internal static byte[] GuestMemoryWith(PageTables tables, int size)
    {
        var memory = new byte[size];
        tables.Image.Span.CopyTo(memory.AsSpan(checked((int)tables.PhysicalAddress)));
        return memory;
    }

    internal static Func<ulong, (bool ok, ulong value)> Reader(byte[] memory) => pa =>
        pa <= (ulong)memory.Length - 8 ? (true, BinaryPrimitives.ReadUInt64LittleEndian(memory.AsSpan((int)pa, 8))) : (false, 0UL);
}
