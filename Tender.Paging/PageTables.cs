using System.Buffers.Binary;
using static Tender.Paging.PageTableEntry;

namespace Tender.Paging;

/// <summary>
/// Built page tables: <see cref="Image"/> must be copied to guest-physical
/// <see cref="PhysicalAddress"/>, and CR3 set to <see cref="RootPhysicalAddress"/>.
/// </summary>
public sealed class PageTables
{
    private readonly byte[] _image;

    internal PageTables(ulong physicalAddress, byte[] image, Region[] regions)
    {
        PhysicalAddress = physicalAddress;
        _image = image;
        Regions = regions;
    }

    /// <summary>The CR3 value: the PML4's guest-physical address (the first page of the image).</summary>
    public ulong RootPhysicalAddress => PhysicalAddress;

    /// <summary>Where <see cref="Image"/> must be copied in guest-physical memory.</summary>
    public ulong PhysicalAddress { get; }

    /// <summary>All table pages, 4 KiB each, contiguous; the PML4 first.</summary>
    public ReadOnlyMemory<byte> Image => _image;

    /// <summary>Number of 4 KiB table pages in <see cref="Image"/>.</summary>
    public int TablePageCount => _image.Length / TableBytes;

    /// <summary>The regions these tables map, sorted by virtual address.</summary>
    public IReadOnlyList<Region> Regions { get; }

    /// <summary>Walks these tables for one guest-virtual address (null if it is not mapped).</summary>
    public Translation? Translate(ulong virtualAddress) =>
        PageWalker.Translate(_image, PhysicalAddress, RootPhysicalAddress, virtualAddress);

    /// <summary>Every leaf entry (one per mapped page, in virtual-address order; upper half last).</summary>
    public IEnumerable<PageMapping> Mappings()
    {
        // The image was built here, so its structure is trusted; this is for tests and dumps.
        var result = new List<PageMapping>();
        Collect(0, 4, 0, true, true, true, result);
        return result;
    }

    private void Collect(int table, int level, ulong vaBase, bool writable, bool user, bool executable, List<PageMapping> output)
    {
        int shift = 12 + 9 * (level - 1);
        for (int i = 0; i < EntriesPerTable; i++)
        {
            ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(_image.AsSpan(table * TableBytes + i * 8, 8));
            if ((entry & Present) == 0) continue;
            ulong va = vaBase | ((ulong)i << shift);
            if (level == 4 && (va & (1UL << 47)) != 0) va |= 0xFFFF_0000_0000_0000UL; // sign-extend
            bool w = writable && (entry & PageEntryWritable) != 0;
            bool u = user && (entry & PageEntryUser) != 0;
            bool x = executable && (entry & NoExecute) == 0;
            if (level == 1 || (entry & PageSize) != 0)
            {
                ulong size = 1UL << shift;
                var flags = PageFlags.None;
                if (w) flags |= PageFlags.Writable;
                if (x) flags |= PageFlags.Executable;
                if (u) flags |= PageFlags.User;
                if ((entry & CacheDisable) != 0) flags |= PageFlags.Uncached;
                output.Add(new PageMapping(va, entry & AddressMask & ~(size - 1), size, flags));
            }
            else
            {
                int child = (int)(((entry & AddressMask) - PhysicalAddress) / Size4K);
                Collect(child, level - 1, va, w, u, x, output);
            }
        }
    }

    private const ulong PageEntryWritable = PageTableEntry.Writable;
    private const ulong PageEntryUser = PageTableEntry.User;
}
