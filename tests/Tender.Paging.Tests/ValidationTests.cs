using static Tender.Paging.Tests.TestSupport;

namespace Tender.Paging.Tests;

public class ValidationTests
{
    private static PageTableBuilder NewBuilder(bool forbidWx = true) => new(0x1000_0000, 1 << 20, forbidWx);

    private static string Rejected(Region region, bool forbidWx = true) =>
        Assert.Throws<ArgumentException>(() => NewBuilder(forbidWx).Map(region)).Message;

    [Theory]
    [InlineData(0x1001UL, 0x1000UL, 0x1000UL, "virtual address 0x1001 is not 4 KiB aligned")]
    [InlineData(0x1000UL, 0x1800UL, 0x1000UL, "physical address 0x1800 is not 4 KiB aligned")]
    [InlineData(0x1000UL, 0x1000UL, 0x1001UL, "length 0x1001 is not a multiple of 4 KiB")]
    [InlineData(0x1000UL, 0x1000UL, 0UL, "length is zero")]
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, 0x1000UL, 0x2000UL, "virtual range wraps around")]
    [InlineData(0x1000UL, 0xFFFF_FFFF_FFFF_F000UL, 0x2000UL, "physical range wraps around")]
    [InlineData(0x0000_8000_0000_0000UL, 0x1000UL, 0x1000UL, "virtual address 0x800000000000 is not canonical")]
    [InlineData(0x1234_0000_0000_0000UL, 0x1000UL, 0x1000UL, "is not canonical")]
    [InlineData(0x0000_7FFF_FFFF_F000UL, 0x1000UL, 0x2000UL, "crosses the non-canonical hole")]
    [InlineData(0x1000UL, 0x000F_FFFF_FFFF_F000UL, 0x2000UL, "beyond the 2^52 physical address limit")]
    [InlineData(0x1000UL, 0x0010_0000_0000_0000UL, 0x1000UL, "beyond the 2^52 physical address limit")]
    public void Bad_regions_are_rejected_with_the_reason(ulong va, ulong pa, ulong length, string reason)
    {
        var message = Rejected(new Region(va, pa, length, RW));
        Assert.Contains(reason, message);
        Assert.Contains($"0x{va:x}", message); // the message names the region
    }

    [Fact]
    public void Largest_valid_ranges_are_accepted()
    {
        // The whole lower half, and a physical range ending exactly at 2^52.
        NewBuilder().Map(new Region(0, 0, 1UL << 47, RW));
        NewBuilder().Map(new Region(0x1000, (1UL << 52) - 0x2000, 0x2000, RW));
        NewBuilder().Map(new Region(0xFFFF_8000_0000_0000UL, 0, 1UL << 47, RW));
    }

    [Fact]
    public void Undefined_flag_bits_are_rejected()
    {
        Assert.Contains("flags 0x10 contain undefined bits", Rejected(new Region(0x1000, 0x1000, 0x1000, (PageFlags)16)));
        Assert.Contains("undefined bits", Rejected(new Region(0x1000, 0x1000, 0x1000, (PageFlags)(-1)), forbidWx: false));
    }

    [Fact]
    public void Writable_and_executable_is_rejected_unless_allowed()
    {
        var wx = new Region(0x1000, 0x1000, 0x1000, PageFlags.Writable | PageFlags.Executable);
        Assert.Contains("writable and executable", Rejected(wx));
        Assert.True(new PageTableBuilder(0x1000_0000, 1 << 20).ForbidWritableExecutable);

        var tables = NewBuilder(forbidWx: false).Map(wx).Build();
        Assert.Equal(PageFlags.Writable | PageFlags.Executable, tables.Translate(0x1000)!.Value.Flags);
    }

    [Theory]
    [InlineData(0x10_0000UL, 0x4000UL)]  // same start
    [InlineData(0x0F_F000UL, 0x2000UL)]  // straddles the start
    [InlineData(0x10_3000UL, 0x4000UL)]  // straddles the end
    [InlineData(0x10_1000UL, 0x1000UL)]  // inside
    [InlineData(0x0F_0000UL, 0x10_0000UL)] // contains
    public void Overlapping_regions_are_rejected_naming_both(ulong va, ulong length)
    {
        var existing = new Region(0x10_0000, 0x10_0000, 0x4000, RW);
        var builder = NewBuilder().Map(existing).Map(new Region(0x20_0000, 0x20_0000, 0x1000, RW));
        var added = new Region(va, 0x50_0000, length, RX);
        var message = Assert.Throws<ArgumentException>(() => builder.Map(added)).Message;
        Assert.Contains(added.ToString(), message);
        Assert.Contains(existing.ToString(), message);
        Assert.Contains("overlaps", message);
        Assert.Equal(2, builder.Regions.Count); // the rejected region left nothing behind
    }

    [Fact]
    public void Overlap_with_a_later_region_is_found_too()
    {
        var later = new Region(0x20_0000, 0x20_0000, 0x1000, RW);
        var builder = NewBuilder().Map(later);
        var message = Assert.Throws<ArgumentException>(() => builder.Map(new Region(0x1000, 0x1000, 0x20_0000, RW))).Message;
        Assert.Contains(later.ToString(), message);
    }

    [Fact]
    public void Adjacent_regions_are_not_overlapping()
    {
        var tables = NewBuilder()
            .Map(new Region(0x2000, 0x2000, 0x1000, RW))
            .Map(new Region(0x1000, 0x9000, 0x1000, RX))
            .Map(new Region(0x3000, 0x3000, 0x1000, PageFlags.None))
            .Build();
        Assert.Equal(new Translation(0x9000, RX, 0x1000), tables.Translate(0x1000));
        Assert.Equal(new Translation(0x2000, RW, 0x1000), tables.Translate(0x2000));
        Assert.Equal(new Translation(0x3000, PageFlags.None, 0x1000), tables.Translate(0x3000));
    }

    [Fact]
    public void Region_messages_use_hexadecimal_inclusive_ranges()
    {
        Assert.Equal("[0x1000, 0x2fff] -> 0x5000 (8,192 bytes, RW user)",
            new Region(0x1000, 0x5000, 0x2000, RW | PageFlags.User).ToString());
        Assert.Equal("[0x8000000000, 0x80001fffff] -> 0x0 (2,097,152 bytes, RW supervisor uncached)",
            new Region(1UL << 39, 0, 1UL << 21, RW | PageFlags.Uncached).ToString());
    }

    [Fact]
    public void Bad_table_space_is_rejected()
    {
        Assert.Contains("not 4 KiB aligned", Assert.Throws<ArgumentException>(() => new PageTableBuilder(0x1234, 4096)).Message);
        Assert.Contains("2^52", Assert.Throws<ArgumentException>(() => new PageTableBuilder((1UL << 52) - 4096, 8192)).Message);
        Assert.Contains("2^52", Assert.Throws<ArgumentException>(() => new PageTableBuilder(0x1000, ulong.MaxValue)).Message);
        Assert.Contains("2^52", Assert.Throws<ArgumentException>(() => new PageTableBuilder(1UL << 52, 0)).Message);
    }
}
