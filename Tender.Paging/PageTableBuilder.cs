using System.Buffers.Binary;
using static Tender.Paging.PageTableEntry;

namespace Tender.Paging;

/// <summary>
/// Builds x86-64 4-level page tables for a set of non-overlapping regions. Pure: it produces a
/// byte image and the guest-physical address it must be copied to; it touches no VM.
/// </summary>
/// <remarks>
/// Leaves are as large as the region allows: a 2 MiB page wherever a 2 MiB-aligned virtual chunk
/// maps a 2 MiB-aligned physical chunk (and 1 GiB pages likewise, if enabled), 4 KiB pages
/// elsewhere. Entries that point to further tables grant everything (P|RW|US, no NX) so that the
/// leaf alone decides the rights. The output depends only on the set of regions, not on the order
/// they were mapped in.
/// </remarks>
public sealed class PageTableBuilder
{
    private readonly List<Region> _regions = []; // sorted by VirtualAddress, non-overlapping

    /// <param name="tablesPhysicalAddress">Guest-physical address where the table pages will live
    /// (4 KiB aligned). The PML4 is the first page there.</param>
    /// <param name="maxTableBytes">Bytes reserved at that address; <see cref="Build"/> fails with
    /// <see cref="PageTableSpaceException"/> if the tables need more.</param>
    /// <param name="forbidWritableExecutable">Reject regions that are both writable and executable
    /// (the deprivileged mode's W^X rule). Solo5 mode maps its guest's memory RWX and turns it off.</param>
    /// <param name="use1GiBPages">Use 1 GiB leaves where a 1 GiB-aligned chunk allows. Off by
    /// default: the guest CPU must advertise PDPE1GB (CPUID 0x80000001 EDX bit 26) for them.</param>
    public PageTableBuilder(ulong tablesPhysicalAddress, ulong maxTableBytes,
        bool forbidWritableExecutable = true, bool use1GiBPages = false)
    {
        if ((tablesPhysicalAddress & (Size4K - 1)) != 0)
            throw new ArgumentException(
                $"page-table address 0x{tablesPhysicalAddress:x} is not 4 KiB aligned", nameof(tablesPhysicalAddress));
        if (tablesPhysicalAddress >= PhysicalLimit || maxTableBytes > PhysicalLimit - tablesPhysicalAddress)
            throw new ArgumentException(
                $"page-table space 0x{tablesPhysicalAddress:x} + 0x{maxTableBytes:x} bytes reaches beyond the 2^52 physical address limit",
                nameof(maxTableBytes));
        TablesPhysicalAddress = tablesPhysicalAddress;
        MaxTableBytes = maxTableBytes;
        ForbidWritableExecutable = forbidWritableExecutable;
        Use1GiBPages = use1GiBPages;
    }

    public ulong TablesPhysicalAddress { get; }
    public ulong MaxTableBytes { get; }
    public bool ForbidWritableExecutable { get; }
    public bool Use1GiBPages { get; }

    /// <summary>The regions mapped so far, sorted by virtual address.</summary>
    public IReadOnlyList<Region> Regions => _regions;

    /// <summary>
    /// Adds a region. Throws <see cref="ArgumentException"/> naming the problem if it is not
    /// 4 KiB aligned, empty, wraps around, is not canonical, lies beyond the 2^52 physical limit,
    /// has invalid flags (or W+X when forbidden), or overlaps an already mapped region.
    /// </summary>
    public PageTableBuilder Map(Region region)
    {
        Validate(region);

        // Find where the region goes in the sorted list; only its two neighbours can overlap it.
        int lo = 0, hi = _regions.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_regions[mid].VirtualAddress < region.VirtualAddress) lo = mid + 1; else hi = mid;
        }
        ulong last = LastVirtual(region);
        if (lo > 0 && LastVirtual(_regions[lo - 1]) >= region.VirtualAddress)
            throw Overlap(region, _regions[lo - 1]);
        if (lo < _regions.Count && _regions[lo].VirtualAddress <= last)
            throw Overlap(region, _regions[lo]);
        _regions.Insert(lo, region);
        return this;
    }

    /// <summary>Adds several regions (each validated as by <see cref="Map(Region)"/>).</summary>
    public PageTableBuilder Map(IEnumerable<Region> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        foreach (var region in regions) Map(region);
        return this;
    }

    /// <summary>Bytes of table pages the regions mapped so far need (a multiple of 4096, at least one page).</summary>
    public ulong RequiredTableBytes() => CountTables(Segments()) * (ulong)TableBytes;

    /// <summary>Lays out the tables. Throws <see cref="PageTableSpaceException"/> if they do not fit.</summary>
    public PageTables Build()
    {
        var segments = Segments();
        ulong tableCount = CountTables(segments);
        ulong required = tableCount * (ulong)TableBytes;
        if (required > MaxTableBytes)
            throw new PageTableSpaceException(required, MaxTableBytes, TablesPhysicalAddress);
        if (required > (ulong)Array.MaxLength)
            throw new InvalidOperationException(
                $"page tables would need {required:#,0} bytes, more than one image can hold; use larger pages (align regions to 2 MiB)");

        var image = new byte[required];
        var writer = new TableWriter(image, TablesPhysicalAddress);
        foreach (var segment in segments) writer.Fill(segment);

        // The count is computed independently of the fill; a mismatch would be a bug here.
        if ((ulong)writer.TablesUsed != tableCount)
            throw new InvalidOperationException($"internal error: counted {tableCount} table pages but filled {writer.TablesUsed}");
        return new PageTables(TablesPhysicalAddress, image, [.. _regions]);
    }

    private void Validate(Region region)
    {
        string what = $"region {region}";
        if (region.Length == 0)
            throw new ArgumentException($"{what}: length is zero", nameof(region));
        if ((region.VirtualAddress & (Size4K - 1)) != 0)
            throw new ArgumentException($"{what}: virtual address 0x{region.VirtualAddress:x} is not 4 KiB aligned", nameof(region));
        if ((region.PhysicalAddress & (Size4K - 1)) != 0)
            throw new ArgumentException($"{what}: physical address 0x{region.PhysicalAddress:x} is not 4 KiB aligned", nameof(region));
        if ((region.Length & (Size4K - 1)) != 0)
            throw new ArgumentException($"{what}: length 0x{region.Length:x} is not a multiple of 4 KiB", nameof(region));
        if (region.Length - 1 > ulong.MaxValue - region.VirtualAddress)
            throw new ArgumentException($"{what}: virtual range wraps around the end of the 64-bit address space", nameof(region));
        if (region.Length - 1 > ulong.MaxValue - region.PhysicalAddress)
            throw new ArgumentException($"{what}: physical range wraps around the end of the 64-bit address space", nameof(region));
        ulong last = region.VirtualAddress + (region.Length - 1);
        if (!IsCanonical(region.VirtualAddress))
            throw new ArgumentException($"{what}: virtual address 0x{region.VirtualAddress:x} is not canonical (48-bit)", nameof(region));
        // Both ends canonical and in the same half: the range does not cross the non-canonical hole.
        if (!IsCanonical(last) || (region.VirtualAddress >> 47) != (last >> 47))
            throw new ArgumentException($"{what}: virtual range ends at non-canonical 0x{last:x} or crosses the non-canonical hole", nameof(region));
        if (region.PhysicalAddress + (region.Length - 1) >= PhysicalLimit)
            throw new ArgumentException($"{what}: physical range reaches beyond the 2^52 physical address limit", nameof(region));
        if ((region.Flags & ~PageFlagsExtensions.All) != 0)
            throw new ArgumentException($"{what}: flags 0x{(int)region.Flags:x} contain undefined bits", nameof(region));
        if (ForbidWritableExecutable &&
            (region.Flags & (PageFlags.Writable | PageFlags.Executable)) == (PageFlags.Writable | PageFlags.Executable))
            throw new ArgumentException($"{what}: writable and executable at once (W^X is enforced by this builder)", nameof(region));
    }

    private static ArgumentException Overlap(Region added, Region existing) =>
        new($"region {added} overlaps already mapped region {existing}", "region");

    private static ulong LastVirtual(Region region) => region.VirtualAddress + (region.Length - 1);

    /// <summary>A run of equal-size leaves: [VirtualAddress, +Length) all mapped with PageSize pages.</summary>
    internal readonly record struct Segment(ulong VirtualAddress, ulong PhysicalAddress, ulong Length, ulong PageSize, PageFlags Flags);

    private List<Segment> Segments()
    {
        var segments = new List<Segment>(_regions.Count * 3);
        foreach (var region in _regions) Split(region, Use1GiBPages, segments);
        return segments;
    }

    /// <summary>
    /// Splits a region into at most five runs: 4 KiB head, 2 MiB head, 1 GiB middle, 2 MiB tail,
    /// 4 KiB tail. Large pages need the virtual and physical addresses to share their offset
    /// within the large page; if they do not, the whole region takes 4 KiB pages.
    /// </summary>
    internal static void Split(Region region, bool use1GiBPages, List<Segment> output)
    {
        ulong va = region.VirtualAddress, pa = region.PhysicalAddress, length = region.Length;
        var flags = region.Flags;
        ulong head = (Size2M - (va & (Size2M - 1))) & (Size2M - 1);
        if (((va ^ pa) & (Size2M - 1)) != 0 || head >= length || ((length - head) & ~(Size2M - 1)) == 0)
        {
            output.Add(new Segment(va, pa, length, Size4K, flags));
            return;
        }
        ulong middle = (length - head) & ~(Size2M - 1);
        ulong tail = length - head - middle;
        if (head != 0) output.Add(new Segment(va, pa, head, Size4K, flags));
        ulong va2 = va + head, pa2 = pa + head;
        SplitLarge(va2, pa2, middle, use1GiBPages, flags, output);
        if (tail != 0) output.Add(new Segment(va2 + middle, pa2 + middle, tail, Size4K, flags));
    }

    private static void SplitLarge(ulong va, ulong pa, ulong length, bool use1GiBPages, PageFlags flags, List<Segment> output)
    {
        if (use1GiBPages && ((va ^ pa) & (Size1G - 1)) == 0)
        {
            ulong head = (Size1G - (va & (Size1G - 1))) & (Size1G - 1);
            if (head < length)
            {
                ulong middle = (length - head) & ~(Size1G - 1);
                if (middle != 0)
                {
                    ulong tail = length - head - middle;
                    if (head != 0) output.Add(new Segment(va, pa, head, Size2M, flags));
                    output.Add(new Segment(va + head, pa + head, middle, Size1G, flags));
                    if (tail != 0) output.Add(new Segment(va + head + middle, pa + head + middle, tail, Size2M, flags));
                    return;
                }
            }
        }
        output.Add(new Segment(va, pa, length, Size2M, flags));
    }

    /// <summary>
    /// Counts table pages without building them (so an oversized request fails before any
    /// allocation): one PML4, plus one PDPT per 512 GiB slot touched, one PD per 1 GiB slot
    /// touched by leaves smaller than 1 GiB, one PT per 2 MiB slot touched by 4 KiB leaves.
    /// </summary>
    internal static ulong CountTables(List<Segment> segments)
    {
        var pdpts = new List<(ulong First, ulong Last)>();
        var pds = new List<(ulong First, ulong Last)>();
        var pts = new List<(ulong First, ulong Last)>();
        foreach (var s in segments)
        {
            // Low 48 bits: within one canonical half they order and index like the CPU does.
            ulong first = s.VirtualAddress & ((1UL << 48) - 1);
            ulong last = first + (s.Length - 1);
            pdpts.Add((first >> 39, last >> 39));
            if (s.PageSize <= Size2M) pds.Add((first >> 30, last >> 30));
            if (s.PageSize == Size4K) pts.Add((first >> 21, last >> 21));
        }
        return 1 + DistinctCovered(pdpts) + DistinctCovered(pds) + DistinctCovered(pts);
    }

    private static ulong DistinctCovered(List<(ulong First, ulong Last)> intervals)
    {
        intervals.Sort();
        ulong count = 0;
        bool open = false;
        ulong curFirst = 0, curLast = 0;
        foreach (var (first, last) in intervals)
        {
            if (open && first <= curLast + 1)
            {
                if (last > curLast) curLast = last;
                continue;
            }
            if (open) count += curLast - curFirst + 1;
            (curFirst, curLast, open) = (first, last, true);
        }
        if (open) count += curLast - curFirst + 1;
        return count;
    }

    /// <summary>Writes entries into the image, allocating table pages in the order first needed.</summary>
    private sealed class TableWriter(byte[] image, ulong basePhysicalAddress)
    {
        public int TablesUsed { get; private set; } = 1; // page 0 is the PML4

        public void Fill(Segment s)
        {
            ulong va = s.VirtualAddress, pa = s.PhysicalAddress, remaining = s.Length;
            while (remaining != 0)
            {
                int pdpt = Child(0, Index(va, 39));
                ulong step;
                if (s.PageSize == Size1G)
                {
                    Write(pdpt, Index(va, 30), Leaf(pa, s.Flags, large: true));
                    step = Size1G;
                }
                else
                {
                    int pd = Child(pdpt, Index(va, 30));
                    if (s.PageSize == Size2M)
                    {
                        Write(pd, Index(va, 21), Leaf(pa, s.Flags, large: true));
                        step = Size2M;
                    }
                    else
                    {
                        // Fill the rest of this page table in one go: no walk per 4 KiB page.
                        int pt = Child(pd, Index(va, 21));
                        int first = Index(va, 12);
                        ulong count = Math.Min(remaining / Size4K, (ulong)(EntriesPerTable - first));
                        for (int i = 0; i < (int)count; i++)
                            Write(pt, first + i, Leaf(pa + (ulong)i * Size4K, s.Flags, large: false));
                        step = count * Size4K;
                    }
                }
                remaining -= step;
                // Not advanced past the last page: va + step may wrap to 0 at the top of the address space.
                if (remaining != 0) { va += step; pa += step; }
            }
        }

        private static int Index(ulong va, int shift) => (int)((va >> shift) & 511);

        private int Child(int table, int index)
        {
            ulong entry = Read(table, index);
            if ((entry & Present) != 0)
            {
                if ((entry & PageSize) != 0)
                    throw new InvalidOperationException("internal error: a large page already covers a range that needs a table");
                return (int)(((entry & AddressMask) - basePhysicalAddress) / Size4K);
            }
            int child = TablesUsed++;
            if ((ulong)child * Size4K >= (ulong)image.Length)
                throw new InvalidOperationException("internal error: more table pages needed than counted");
            Write(table, index, (basePhysicalAddress + (ulong)child * Size4K) | Intermediate);
            return child;
        }

        private ulong Read(int table, int index) =>
            BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(table * TableBytes + index * 8, 8));

        private void Write(int table, int index, ulong value) =>
            BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(table * TableBytes + index * 8, 8), value);
    }
}
