using System.Diagnostics;
using Xunit.Abstractions;
using static Tender.Paging.Tests.TestSupport;

namespace Tender.Paging.Tests;

public class BuilderTests(ITestOutputHelper output)
{
    private const ulong TablesAt = 0x1000_0000; // 256 MiB, outside the RAM used in these tests
    private const ulong Space = 64UL << 20;

    private static PageTableBuilder NewBuilder(bool forbidWx = true, bool use1G = false) => new(TablesAt, Space, forbidWx, use1G);

    [Fact]
    public void Identity_ram_of_4_GiB_uses_2_MiB_pages_except_around_the_unmapped_page_0()
    {
        const ulong memSize = 4UL << 30;
        var stopwatch = Stopwatch.StartNew();
        var tables = NewBuilder().Map(new Region(0x1000, 0x1000, memSize - 0x1000, RW | PageFlags.User)).Build();
        stopwatch.Stop();
        output.WriteLine($"4 GiB identity map built in {stopwatch.Elapsed.TotalMilliseconds:F2} ms, {tables.TablePageCount} table pages");

        Assert.Null(tables.Translate(0));
        Assert.Null(tables.Translate(0xFFF));
        Assert.Equal(new Translation(0x1000, RW | PageFlags.User, K4), tables.Translate(0x1000));
        Assert.Equal(K4, tables.Translate(0x1F_FFFF)!.Value.PageSize);
        Assert.Equal(new Translation(0x20_0000, RW | PageFlags.User, M2), tables.Translate(0x20_0000));
        Assert.Equal(new Translation(memSize - 1, RW | PageFlags.User, M2), tables.Translate(memSize - 1));
        Assert.Null(tables.Translate(memSize));
        // PML4 + PDPT + 4 PDs + 1 PT for the first 2 MiB.
        Assert.Equal(7, tables.TablePageCount);
        Assert.Equal(7 * 4096, tables.Image.Length);
        Assert.Equal(TablesAt, tables.RootPhysicalAddress);
        Assert.Equal(TablesAt, tables.PhysicalAddress);
        Assert.Equal(2048 - 1 + 511, tables.Mappings().Count());
    }

    [Fact]
    public void Virtual_and_physical_addresses_with_the_same_2_MiB_offset_use_2_MiB_pages_even_when_different()
    {
        ulong va = 1UL << 40, pa = 0x8020_0000;
        var tables = NewBuilder().Map(new Region(va, pa, 6 * M2, RW)).Build();
        for (ulong off = 0; off < 6 * M2; off += M2 / 2)
            Assert.Equal(new Translation(pa + off, RW, M2), tables.Translate(va + off));
    }

    [Fact]
    public void Different_2_MiB_offsets_force_4_KiB_pages()
    {
        ulong va = 1UL << 39, pa = 0x8000_1000;
        var tables = NewBuilder().Map(new Region(va, pa, 4 * M2, RW | PageFlags.Uncached)).Build();
        foreach (ulong off in new ulong[] { 0, 0xFFF, M2, 3 * M2 + 0x1234, 4 * M2 - 1 })
            Assert.Equal(new Translation(pa + off, RW | PageFlags.Uncached, K4), tables.Translate(va + off));
        Assert.Equal(4 * 512, tables.Mappings().Count());
    }

    [Fact]
    public void Unaligned_ends_get_4_KiB_pages_and_the_aligned_middle_2_MiB_pages()
    {
        // [2 MiB - 8 KiB, 8 MiB + 12 KiB): 2 small head pages, 3 large pages, 3 small tail pages.
        ulong start = M2 - 0x2000, length = 3 * M2 + 0x2000 + 0x3000;
        var tables = NewBuilder().Map(new Region(start, start, length, RX)).Build();
        var sizes = tables.Mappings().Select(m => m.PageSize).ToArray();
        Assert.Equal(new[] { K4, K4, M2, M2, M2, K4, K4, K4 }, sizes);
        Assert.Equal(K4, tables.Translate(start)!.Value.PageSize);
        Assert.Equal(M2, tables.Translate(M2)!.Value.PageSize);
        Assert.Equal(K4, tables.Translate(4 * M2)!.Value.PageSize);
        Assert.Null(tables.Translate(start + length));
        Assert.Null(tables.Translate(start - 1));
    }

    [Fact]
    public void Region_shorter_than_2_MiB_but_aligned_uses_4_KiB_pages()
    {
        var tables = NewBuilder().Map(new Region(M2, M2, M2 - K4, RW)).Build();
        Assert.All(tables.Mappings(), m => Assert.Equal(K4, m.PageSize));
        Assert.Equal(511, tables.Mappings().Count());
    }

    [Fact]
    public void One_GiB_pages_only_when_enabled()
    {
        ulong va = 1UL << 40, pa = 2 * G1, length = 2 * G1 + 2 * M2;
        var region = new Region(va, pa, length, RW);

        var withHuge = NewBuilder(use1G: true).Map(region).Build();
        Assert.Equal(new Translation(pa + 5, RW, G1), withHuge.Translate(va + 5));
        Assert.Equal(new Translation(pa + G1 + 7, RW, G1), withHuge.Translate(va + G1 + 7));
        Assert.Equal(new Translation(pa + 2 * G1, RW, M2), withHuge.Translate(va + 2 * G1));
        Assert.Equal(new[] { G1, G1, M2, M2 }, withHuge.Mappings().Select(m => m.PageSize));
        Assert.Equal(3, withHuge.TablePageCount); // PML4, PDPT, one PD for the 2 MiB tail

        var without = NewBuilder().Map(region).Build();
        Assert.Equal(M2, without.Translate(va + 5)!.Value.PageSize);
        Assert.Equal(2 * 512 + 2, without.Mappings().Count());
    }

    [Fact]
    public void Leaf_entries_carry_exactly_the_asked_bits_and_intermediate_entries_are_permissive()
    {
        const ulong P = 1, Wr = 2, Us = 4, Pwt = 8, Pcd = 16, A = 32, D = 64, Ps = 128, Nx = 1UL << 63;
        var builder = NewBuilder(forbidWx: false);
        for (int f = 0; f < 16; f++)
            builder.Map(new Region((ulong)(f + 1) * 4 * M2, (ulong)(f + 1) * 4 * M2, M2 + K4, (PageFlags)f));
        var tables = builder.Build();
        for (int f = 0; f < 16; f++)
        {
            var flags = (PageFlags)f;
            ulong va = (ulong)(f + 1) * 4 * M2;
            ulong expectedBits = P | A | D
                | ((flags & PageFlags.Writable) != 0 ? Wr : 0)
                | ((flags & PageFlags.User) != 0 ? Us : 0)
                | ((flags & PageFlags.Uncached) != 0 ? Pwt | Pcd : 0)
                | ((flags & PageFlags.Executable) == 0 ? Nx : 0);
            Assert.Equal(va | expectedBits | Ps, RawEntry(tables, va, 2));          // the 2 MiB leaf
            Assert.Equal((va + M2) | expectedBits, RawEntry(tables, va + M2, 1)); // the 4 KiB leaf
            foreach (int level in new[] { 4, 3 })
                Assert.Equal(P | Wr | Us | A, RawEntry(tables, va, level) & ~0x000F_FFFF_FFFF_F000UL);
            Assert.Equal(P | Wr | Us | A, RawEntry(tables, va + M2, 2) & ~0x000F_FFFF_FFFF_F000UL);
            Assert.Equal(flags, tables.Translate(va)!.Value.Flags);
            Assert.Equal(flags, tables.Translate(va + M2)!.Value.Flags);
        }
        // Every table page lies inside the image and the image starts with the PML4.
        foreach (int level in new[] { 4, 3, 2 })
        {
            ulong next = RawEntry(tables, 5 * M2, level) & 0x000F_FFFF_FFFF_F000UL;
            Assert.InRange(next, TablesAt, TablesAt + (ulong)tables.Image.Length - K4);
        }
    }

    [Fact]
    public void Upper_half_region_ending_exactly_at_the_top_of_the_address_space()
    {
        ulong va = 0xFFFF_FFFF_FFC0_0000UL; // last 4 MiB
        var tables = NewBuilder().Map(new Region(va, 0x4000_0000, 4 * M2 / 2, RX)).Build();
        Assert.Equal(new Translation(0x4000_0000, RX, M2), tables.Translate(va));
        Assert.Equal(new Translation(0x403F_FFFF, RX, M2), tables.Translate(ulong.MaxValue));
        Assert.Null(tables.Translate(va - 1));
        Assert.Null(tables.Translate(0x0000_7FFF_FFFF_FFFFUL));
        Assert.Null(tables.Translate(0x0000_8000_0000_0000UL)); // not canonical
        Assert.Equal(va, tables.Mappings().First().VirtualAddress);

        var small = NewBuilder().Map(new Region(0xFFFF_FFFF_FFFF_E000UL, 0x5000, 0x2000, RW)).Build();
        Assert.Equal(new Translation(0x6FFF, RW, K4), small.Translate(ulong.MaxValue));
        Assert.Equal(new Translation(0x5000, RW, K4), small.Translate(0xFFFF_FFFF_FFFF_E000UL));
    }

    [Fact]
    public void Page_0_is_mapped_only_when_a_region_asks_for_it()
    {
        var without = NewBuilder().Map(new Region(K4, K4, 16 * K4, RW)).Build();
        Assert.Null(without.Translate(0));
        var with = NewBuilder().Map(new Region(0, 0, 16 * K4, RW)).Build();
        Assert.Equal(new Translation(0, RW, K4), with.Translate(0));
    }

    [Fact]
    public void Output_depends_only_on_the_set_of_regions_not_on_the_mapping_order()
    {
        var regions = new[]
        {
            new Region(K4, K4, 3 * M2, RW),
            new Region(1UL << 39, 0x9000_0000, M2 + 5 * K4, RW | PageFlags.Uncached),
            new Region(1UL << 40, 0xA000_3000, 7 * K4, RW),
            new Region(8 * M2, 8 * M2, 2 * M2, RX | PageFlags.User),
        };
        var first = NewBuilder().Map(regions).Build().Image.ToArray();
        var second = NewBuilder().Map(regions.Reverse()).Build().Image.ToArray();
        var again = NewBuilder().Map(regions).Build().Image.ToArray();
        Assert.Equal(first, second);
        Assert.Equal(first, again);
    }

    [Fact]
    public void Builder_can_build_several_times_and_regions_are_reported_sorted()
    {
        var builder = NewBuilder().Map(new Region(8 * M2, 8 * M2, M2, RW));
        var one = builder.Build();
        builder.Map(new Region(K4, K4, K4, RW));
        var two = builder.Build();
        Assert.Null(one.Translate(K4));
        Assert.NotNull(two.Translate(K4));
        Assert.Equal(new ulong[] { K4, 8 * M2 }, two.Regions.Select(r => r.VirtualAddress));
        Assert.Single(one.Regions);
    }

    [Fact]
    public void Required_table_bytes_matches_the_built_image()
    {
        var builder = NewBuilder()
            .Map(new Region(K4, K4, (1UL << 30) - K4, RW))
            .Map(new Region(1UL << 39, 0x4000_0000, 3 * K4, RW))
            .Map(new Region((1UL << 39) + (1UL << 34), 0x4000_3000, 3 * M2, RW))
            .Map(new Region(1UL << 40, 0x4100_0000, 5 * M2, RW));
        var tables = builder.Build();
        Assert.Equal((ulong)tables.Image.Length, builder.RequiredTableBytes());
        // PML4; PDPTs for 0, 2^39, 2^40; PDs for [0,1G), 2^39, 2^39+2^34, 2^40; PTs for the first 2 MiB, 2^39, 2^39+2^34 (non-congruent).
        Assert.Equal(1 + 3 + 4 + (1 + 1 + 3), tables.TablePageCount);
    }

    [Fact]
    public void Regions_sharing_a_page_table_share_it()
    {
        var tables = NewBuilder()
            .Map(new Region(K4, K4, K4, RW))
            .Map(new Region(3 * K4, 0x7000, K4, RX))
            .Map(new Region(M2 - K4, 0x9000, K4, PageFlags.None))
            .Build();
        Assert.Equal(4, tables.TablePageCount);
        Assert.Null(tables.Translate(2 * K4));
        Assert.Equal(new Translation(0x7008, RX, K4), tables.Translate(3 * K4 + 8));
        Assert.Equal(new Translation(0x9FFF, PageFlags.None, K4), tables.Translate(M2 - 1));
    }

    [Fact]
    public void Table_space_exhausted_says_how_many_bytes_are_needed()
    {
        var builder = new PageTableBuilder(TablesAt, 2 * 4096).Map(new Region(K4, K4, K4, RW));
        var error = Assert.Throws<PageTableSpaceException>(() => builder.Build());
        Assert.Equal(4UL * 4096, error.RequiredBytes);
        Assert.Equal(2UL * 4096, error.AvailableBytes);
        Assert.Contains("16,384 bytes", error.Message);
        Assert.Contains("8,192 bytes", error.Message);

        // Exactly enough is enough.
        var exact = new PageTableBuilder(TablesAt, 4 * 4096).Map(new Region(K4, K4, K4, RW)).Build();
        Assert.Equal(4 * 4096, exact.Image.Length);

        // With no regions the tables are one empty PML4 and still need a page.
        Assert.Throws<PageTableSpaceException>(() => new PageTableBuilder(TablesAt, 4095).Build());
        Assert.Equal(4096, new PageTableBuilder(TablesAt, 4096).Build().Image.Length);
    }

    [Fact]
    public void Enormous_4_KiB_mapping_is_refused_before_anything_is_allocated()
    {
        // 64 TiB with mismatched 2 MiB offsets would need 2^34 PTEs (128 GiB of tables).
        var builder = new PageTableBuilder(TablesAt, 1UL << 30)
            .Map(new Region(1UL << 40, K4, 1UL << 46, RW));
        var stopwatch = Stopwatch.StartNew();
        var error = Assert.Throws<PageTableSpaceException>(() => builder.Build());
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
        Assert.Equal((1UL + 128 + 65536 + (1UL << 25)) * 4096, error.RequiredBytes);
    }
}
