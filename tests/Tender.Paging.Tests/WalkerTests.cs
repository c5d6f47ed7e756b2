using System.Buffers.Binary;
using static Tender.Paging.Tests.TestSupport;

namespace Tender.Paging.Tests;

/// <summary>The walker on hand-made and hostile table memory.</summary>
public class WalkerTests
{
    private const ulong P = 1, W = 2, U = 4, Pcd = 16, Ps = 128, Nx = 1UL << 63;

    /// <summary>8 pages of guest memory at physical 0: tables are written into it by hand.</summary>
    private readonly byte[] _memory = new byte[8 * 4096];

    private void Set(ulong table, ulong index, ulong entry) =>
        BinaryPrimitives.WriteUInt64LittleEndian(_memory.AsSpan((int)(table + index * 8), 8), entry);

    private Translation? Walk(ulong cr3, ulong va)
    {
        var viaSpan = PageWalker.Translate(_memory, 0, cr3, va);
        var viaDelegate = PageWalker.Translate(cr3, va, Reader(_memory));
        Assert.Equal(viaSpan, viaDelegate);
        return viaSpan;
    }

    [Fact]
    public void Rights_narrow_through_the_levels()
    {
        // PML4 at 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000 -> page 0x7000, va 0x1234.
        Set(0x1000, 0, 0x2000 | P | W | U);
        Set(0x2000, 0, 0x3000 | P | W | U);
        Set(0x3000, 0, 0x4000 | P | W | U);
        Set(0x4000, 1, 0x7000 | P | W | U);
        Assert.Equal(new Translation(0x7234, PageFlags.Writable | PageFlags.Executable | PageFlags.User, 4096), Walk(0x1000, 0x1234));

        Set(0x2000, 0, 0x3000 | P | U | Nx);       // read-only, no-execute above the leaf
        Assert.Equal(new Translation(0x7234, PageFlags.User, 4096), Walk(0x1000, 0x1234));

        Set(0x3000, 0, 0x4000 | P | W);            // supervisor above the leaf
        Set(0x4000, 1, 0x7000 | P | W | U | Pcd);
        Assert.Equal(new Translation(0x7234, PageFlags.Uncached, 4096), Walk(0x1000, 0x1234));

        // CR3's low bits (PWT/PCD, PCID) are not part of the table address.
        Assert.Equal(Walk(0x1000, 0x1234), Walk(0x1000 | 0x18 | 0x5, 0x1234));
    }

    [Fact]
    public void Large_pages_at_both_levels_and_reserved_bits_in_them()
    {
        Set(0x1000, 0, 0x2000 | P | W | U);
        Set(0x2000, 1, (1UL << 30) | P | W | Ps);               // 1 GiB page at va 1 GiB
        Set(0x2000, 0, 0x3000 | P | W | U);
        Set(0x3000, 2, (0x40UL << 21) | P | Ps);                  // 2 MiB page at va 4 MiB -> 128 MiB
        Assert.Equal(new Translation((1UL << 30) + 0x12345, PageFlags.Writable | PageFlags.Executable, 1UL << 30), Walk(0x1000, (1UL << 30) + 0x12345));
        Assert.Equal(new Translation((0x40UL << 21) + 0x1FFFFF, PageFlags.Executable, 1UL << 21), Walk(0x1000, (5UL << 20) - 1 + (1UL << 20)));

        Set(0x3000, 2, (0x40UL << 21) | (1UL << 14) | P | Ps);   // reserved bit inside a 2 MiB page's address
        Assert.Null(Walk(0x1000, 4UL << 20));
        Set(0x3000, 2, (0x40UL << 21) | (1UL << 12) | P | Ps);   // bit 12 is PAT: allowed
        Assert.Equal(0x40UL << 21, Walk(0x1000, 4UL << 20)!.Value.PhysicalAddress);
        Set(0x2000, 1, (1UL << 30) | (1UL << 21) | P | Ps);      // reserved bit inside a 1 GiB page's address
        Assert.Null(Walk(0x1000, 1UL << 30));
        Set(0x1000, 1, 0x2000 | P | Ps);                          // PS in a PML4 entry is reserved
        Assert.Null(Walk(0x1000, 1UL << 39));
    }

    [Fact]
    public void Not_present_not_canonical_and_out_of_memory_entries_do_not_translate()
    {
        Set(0x1000, 0, 0x2000 | P);
        Set(0x2000, 0, 0x3000);                                   // not present
        Assert.Null(Walk(0x1000, 0));
        Set(0x2000, 0, 0x000F_FFFF_FFFF_F000UL | P);             // points far outside memory
        Assert.Null(Walk(0x1000, 0));
        Assert.Null(Walk(0x8000, 0));                             // CR3 just past the end of memory
        Assert.Null(Walk(0x000F_FFFF_FFFF_F000UL, 0));            // CR3 far away
        Assert.Null(Walk(0x1000, 0x0000_8000_0000_0000UL));      // not canonical
        Assert.Null(Walk(0x1000, 0x8000_0000_0000_0000UL));
        Assert.Null(PageWalker.Translate(ReadOnlySpan<byte>.Empty, 0, 0, 0));
        Assert.Null(PageWalker.Translate(_memory.AsSpan(0, 7), 0, 0, 0));
        Assert.Null(PageWalker.Translate(_memory, 0x10_0000, 0x1000, 0)); // table below the memory's base
        Assert.Null(PageWalker.Translate(_memory, ulong.MaxValue - 100, ulong.MaxValue, 0));
    }

    [Fact]
    public void A_failing_reader_ends_the_walk()
    {
        int calls = 0;
        var result = PageWalker.Translate(0x1000, 0x1234, _ => { calls++; return (false, ulong.MaxValue); });
        Assert.Null(result);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Cyclic_tables_end_after_four_reads_as_on_the_cpu()
    {
        // Every PML4 entry points back to the PML4 (a "recursive" mapping). The CPU does not
        // loop: it reads four entries and maps the virtual address to the table page itself.
        for (ulong i = 0; i < 512; i++) Set(0x1000, i, 0x1000 | P | W);
        int reads = 0;
        var result = PageWalker.Translate(0x1000, 0x7FFF_FFFF_F123, pa => { reads++; return Reader(_memory)(pa); });
        Assert.Equal(4, reads);
        Assert.Equal(new Translation(0x1123, PageFlags.Writable | PageFlags.Executable, 4096), result);
    }

    [Fact]
    public void Garbage_memory_never_throws_and_reads_at_most_four_entries()
    {
        var random = new Random(12345);
        var memory = new byte[64 * 4096];
        for (int round = 0; round < 200; round++)
        {
            random.NextBytes(memory);
            // Make some entries point back into the memory so walks go deeper than one level.
            for (int i = 0; i < 2000; i++)
            {
                int at = random.Next(memory.Length / 8) * 8;
                ulong entry = ((ulong)(uint)random.Next(64) << 12) | (uint)random.Next(4096) | (random.Next(2) == 0 ? 0UL : Nx);
                BinaryPrimitives.WriteUInt64LittleEndian(memory.AsSpan(at, 8), entry | P);
            }
            for (int probe = 0; probe < 200; probe++)
            {
                ulong cr3 = random.Next(3) == 0 ? (ulong)random.NextInt64() : (ulong)random.Next(memory.Length);
                ulong va = random.Next(2) == 0 ? (ulong)random.NextInt64(long.MinValue, long.MaxValue) : (ulong)random.NextInt64(1L << 47);
                int reads = 0;
                var viaDelegate = PageWalker.Translate(cr3, va, pa => { reads++; return Reader(memory)(pa); });
                var viaSpan = PageWalker.Translate(memory, 0, cr3, va);
                Assert.InRange(reads, 0, 4);
                Assert.Equal(viaSpan, viaDelegate);
                if (viaSpan is { } t)
                {
                    Assert.Contains(t.PageSize, new[] { 1UL << 12, 1UL << 21, 1UL << 30 });
                    Assert.True(t.PhysicalAddress < 1UL << 52);
                    Assert.Equal(va & (t.PageSize - 1), t.PhysicalAddress & (t.PageSize - 1));
                }
            }
        }
    }

    [Fact]
    public void Null_reader_is_an_argument_error()
    {
        Assert.Throws<ArgumentNullException>(() => PageWalker.Translate(0, 0, null!));
    }
}
