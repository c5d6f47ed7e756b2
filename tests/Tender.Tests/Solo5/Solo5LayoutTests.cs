using System.Buffers.Binary;
using System.Text;
using Tender.Boot.Solo5;
using Tender.Loader;
using Tender.Paging;

namespace Tender.Tests.Solo5;

/// <summary>
/// Solo5 mode's boot structures, checked without a VM against the facts in docs/solo5-mode.md
/// (which were read from Solo5's sources and confirmed by booting the probe under solo5-hvt).
/// </summary>
public class Solo5LayoutTests
{
    private const ulong MiB = 1024 * 1024;

    [Fact]
    public void Gdt_holds_null_then_flat_64bit_code_then_flat_data()
    {
        byte[] gdt = Solo5CpuState.GdtImage();
        Assert.Equal(24, gdt.Length);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(gdt));
        // Code: limit 0xfffff (4 KiB units), access 0x99 (P, S, type 9), flags 0xa (G, L).
        Assert.Equal(0x00af_9900_0000_ffffUL, BinaryPrimitives.ReadUInt64LittleEndian(gdt.AsSpan(8)));
        // Data: access 0x93 (P, S, type 3), flags 0xc (G, D/B).
        Assert.Equal(0x00cf_9300_0000_ffffUL, BinaryPrimitives.ReadUInt64LittleEndian(gdt.AsSpan(16)));
    }

    [Fact]
    public void Read_only_segment_pages_are_readable_but_not_writable_through_hypercalls()
    {
        var map = Solo5BootMode.AccessMap(32 * MiB, [new(0x100000, 0x105000, "text"), new(0x105000, 0x107000, "rodata")]);
        Assert.Null(map.CheckRead(0x100000, 0x7000));           // text and rodata read as one span
        Assert.Null(map.CheckWrite(0x107000, 0x1000));          // data
        Assert.Null(map.CheckWrite(0x1000, 0xff000));           // below the image
        Assert.NotNull(map.CheckWrite(0x104ff8, 8));            // the last word of text
        Assert.NotNull(map.CheckWrite(0x106ffc, 8));            // straddles rodata and data
        Assert.Contains("read-only", map.CheckWrite(0x105000, 16));
        Assert.NotNull(map.CheckRead(32 * MiB - 1, 1));         // solo5-hvt's strict bound stays
        Assert.Null(map.CheckWrite(32 * MiB - 2, 1));
    }

    [Fact]
    public void Special_registers_are_solo5_hvts()
    {
        var s = Solo5CpuState.SpecialRegisters(0x2000);
        Assert.Equal(0x8001_0021UL, s.Cr0);
        Assert.Equal(0x2000UL, s.Cr3);
        Assert.Equal(0x620UL, s.Cr4);
        Assert.Equal(0x500UL, s.Efer);
        Assert.Equal(0x1000UL, s.Gdt.Base);
        Assert.Equal(23, s.Gdt.Limit);
        Assert.Equal(0UL, s.Idt.Base);
        Assert.Equal(0, s.Idt.Limit);
        Assert.Equal(0x08, s.Cs.Selector);
        Assert.Equal((1, 0, 9), (s.Cs.L, s.Cs.Db, s.Cs.Type));
        foreach (var seg in new[] { s.Ss, s.Ds, s.Es, s.Fs, s.Gs })
        {
            Assert.Equal(0x10, seg.Selector);
            Assert.Equal((0, 1, 3, 0u, 0xFFFF_FFFFu), (seg.L, seg.Db, seg.Type, (uint)seg.Base, seg.Limit));
        }
        Assert.Equal((0, 11, 1), (s.Tr.Selector, s.Tr.Type, s.Tr.Present));
        Assert.Equal(1, s.Ldt.Unusable);
        Assert.Equal(0UL, s.ApicBase);
    }

    [Fact]
    public void Registers_point_rdi_at_boot_info_and_rsp_below_the_top()
    {
        var r = Solo5CpuState.Registers(0x100020, 32 * MiB);
        Assert.Equal(0x100020UL, r.Rip);
        Assert.Equal(32 * MiB - 8, r.Rsp);
        Assert.Equal(0x10000UL, r.Rdi);
        Assert.Equal(2UL, r.Rflags);
        Assert.Equal(0UL, r.Rax | r.Rbx | r.Rcx | r.Rdx | r.Rsi | r.Rbp | r.R8 | r.R9 | r.R10 | r.R11 | r.R12 | r.R13 | r.R14 | r.R15);
    }

    [Theory]
    [InlineData(2 * MiB)]
    [InlineData(32 * MiB)]
    [InlineData(1024 * MiB + 2 * MiB)]
    [InlineData(4096 * MiB)]
    public void Page_tables_map_what_solo5_maps(ulong memorySize)
    {
        PageTables t = Solo5BootMode.BuildPageTables(memorySize);
        Assert.Equal(0x2000UL, t.RootPhysicalAddress);
        // Solo5's tables live in 0x2000-0x8fff, below the boot info.
        Assert.True(t.PhysicalAddress + (ulong)t.Image.Length <= 0x9000, $"tables end at 0x{t.PhysicalAddress + (ulong)t.Image.Length:x}");

        // Nothing below 0x10000: null page, GDT, the tables themselves.
        foreach (ulong va in new ulong[] { 0, 0x1000, 0x2000, 0x8000, 0xf000 })
            Assert.Null(t.Translate(va));
        // Low memory: read-only, supervisor, executable (no NX bits: EFER.NXE is off).
        foreach (ulong va in new ulong[] { 0x10000, 0x10038, 0xff000 })
        {
            var low = t.Translate(va);
            Assert.NotNull(low);
            Assert.Equal(va, low.Value.PhysicalAddress);
            Assert.Equal(PageFlags.None, low.Value.Flags & PageFlags.Writable);
            Assert.Equal(PageFlags.None, low.Value.Flags & PageFlags.User);
            Assert.Equal(PageFlags.Executable, low.Value.Flags & PageFlags.Executable);
        }
        // The rest of memory: identity, read-write, supervisor; nothing at or above the top.
        foreach (ulong va in new ulong[] { 0x100000, 0x1ff000, memorySize - 0x1000, memorySize - 1 })
        {
            var m = t.Translate(va);
            Assert.NotNull(m);
            Assert.Equal(va, m.Value.PhysicalAddress);
            Assert.Equal(PageFlags.Writable, m.Value.Flags & PageFlags.Writable);
            Assert.Equal(PageFlags.None, m.Value.Flags & PageFlags.User);
            Assert.Equal(PageFlags.Executable, m.Value.Flags & PageFlags.Executable);
        }
        Assert.Null(t.Translate(memorySize));
    }

    [Theory]
    [InlineData(1 * MiB, 2 * MiB)]     // rounds up to one large page, as solo5-hvt does for < 2 MiB
    [InlineData(2 * MiB, 2 * MiB)]
    [InlineData(3 * MiB, 2 * MiB)]     // rounds down
    [InlineData(33 * MiB, 32 * MiB)]
    [InlineData(4096 * MiB, 4096 * MiB)]
    public void Memory_size_is_rounded_to_2_MiB_like_solo5_hvt(ulong requested, ulong expected) =>
        Assert.Equal(expected, new Solo5BootMode().AdjustMemorySize(requested));

    [Fact]
    public void More_than_4_GiB_is_refused()
    {
        var e = Assert.Throws<TenderException>(() => new Solo5BootMode().AdjustMemorySize(4098 * MiB));
        Assert.Contains("4 GiB", e.Message);
    }

    [Fact]
    public void Low_memory_holds_boot_info_then_manifest_then_command_line()
    {
        byte[] mft = new byte[8 + 104];
        BinaryPrimitives.WriteUInt32LittleEndian(mft, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(mft.AsSpan(4), 1);
        mft[50] = 0x5a; // a marker to find in the copy
        byte[] image = Solo5BootInfo.Build(64 * MiB, 0x108000, 2_300_000_000, mft, "hello  world", out var layout);

        Assert.Equal(0x10000UL, layout.BootInfo);
        Assert.Equal(0x10038UL, layout.Manifest);
        Assert.Equal(0x10038UL + 112, layout.CommandLine);
        Assert.Equal(layout.CommandLine + 8192, layout.End);
        ulong U64(int offset) => BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(offset));
        Assert.Equal(64 * MiB, U64(0));
        Assert.Equal(0x108000UL, U64(8));
        Assert.Equal(2_300_000_000UL, U64(16));
        Assert.Equal(layout.CommandLine, U64(24));
        Assert.Equal(layout.Manifest, U64(32));
        Assert.Equal(0UL, U64(40)); // host_features, guest_features: ring I/O not offered
        Assert.Equal(0UL, U64(48)); // net_ring
        Assert.Equal(mft, image.AsSpan(0x38, mft.Length).ToArray());
        int cmd = (int)(layout.CommandLine - 0x10000);
        Assert.Equal("hello  world", Encoding.UTF8.GetString(image, cmd, 12));
        Assert.Equal(0, image[cmd + 12]);
    }

    [Fact]
    public void Command_line_of_8191_bytes_fits_and_8192_does_not()
    {
        byte[] mft = new byte[8 + 104];
        Solo5BootInfo.Build(32 * MiB, 0x108000, 1, mft, new string('x', 8191), out _);
        var e = Assert.Throws<TenderException>(() => Solo5BootInfo.Build(32 * MiB, 0x108000, 1, mft, new string('x', 8192), out _));
        Assert.Contains("8191", e.Message);
    }

    [Fact]
    public void Kernel_end_skips_the_bss_segment_as_solo5_hvt_does()
    {
        // probe.elf: text, rodata, data with file bytes, then a .bss PT_LOAD with none (as Solo5 links).
        var elf = ElfImage.Load(Solo5Guests.Probe);
        LoadSegment bss = Assert.Single(elf.LoadSegments, s => s.FileSize == 0);
        LoadSegment data = elf.LoadSegments.Where(s => s.FileSize != 0).MaxBy(s => s.End)!;
        ulong kernelEnd = Solo5BootInfo.KernelEnd(elf);
        Assert.Equal((data.End + 0xfff) & ~0xfffUL, kernelEnd);
        Assert.True(bss.End > kernelEnd, "the bss lies beyond kernel_end, as in Solo5's own images");
        Assert.Equal(GuestKind.Solo5, elf.Kind);
    }

    [Fact]
    public void A_halt_cookie_is_read_as_a_trap_frame_not_as_text()
    {
        // The frame probe.c passes with "abort": cr2, ec, rip, cs, rflags, rsp, ss.
        ulong[] values = [0xcafe000, 0x2, 0x100123, 0x8, 0x10046, 0x1ffff80, 0x10];
        byte[] frame = new byte[Solo5HaltCookie.TrapFrameSize];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(i * 8), values[i]);
        Assert.Equal("trap frame at the HALT cookie: rip 0x100123 rsp 0x1ffff80 rflags 0x10046 cs 0x8 (CPL 0) ss 0x10 error code 0x2 cr2 0xcafe000",
            Solo5HaltCookie.DescribeTrapFrame(frame));

        // Text, a null CS or a short buffer is not a trap frame.
        Assert.Null(Solo5HaltCookie.DescribeTrapFrame(Encoding.ASCII.GetBytes("Solo5: ABORT: kernel.c:42: something went wrong here, and badly so")));
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(24), 0);
        Assert.Null(Solo5HaltCookie.DescribeTrapFrame(frame));
        Assert.Null(Solo5HaltCookie.DescribeTrapFrame(frame.AsSpan(0, 48)));
    }
}
