using System.Buffers.Binary;

namespace Tender.Loader.Tests;

/// <summary>ELF files made by the real GNU toolchain, laid out as the project's and Solo5's guests are.</summary>
public class RealElfTests
{
    // The Tender note exactly as docs/abi.md defines it, in a section of type SHT_NOTE.
    private const string TenderGuest = """
            .section .note.tender, "a", @note
            .balign 4
            .long 7                 # namesz: "Tender\0"
            .long 16                # descsz
            .long 0x56504454        # NT_TENDER_DEPRIV ("TDPV")
            .asciz "Tender"
            .byte 0                 # name padded to 8
            .long 1                 # version
            .long 0                 # flags
            .quad 0x40000           # stack_size: 256 KiB
            .text
            .globl _start
        _start:
            mov $0x500, %dx
            mov $42, %eax
            out %eax, %dx
            jmp _start
            .section .rodata
        message: .asciz "hello"
            .data
        value: .quad 0x1122334455667788
            .bss
        buffer: .skip 8192
        """;

    [Fact]
    public void GnuLdDefaultLayoutWithTenderNoteParses()
    {
        byte[] elf = Toolchain.Build(TenderGuest, null, "-Ttext-segment=0x100000");
        ElfImage img = ElfImage.Parse(elf);

        Assert.Equal(GuestKind.Deprivileged, img.Kind);
        Assert.Equal(new TenderDeprivilegedNote(1, 0, 0x40000), img.Deprivileged);
        Assert.Contains(img.LoadSegments, s => s.IsExecutable && !s.IsWritable && s.VirtualAddress <= img.Entry && img.Entry < s.VirtualAddress + s.FileSize);
        LoadSegment data = Assert.Single(img.LoadSegments, s => s.IsWritable);
        Assert.True(data.MemorySize >= data.FileSize + 8192);
        Assert.True(img.KernelEnd >= data.End && img.KernelEnd % 4096 == 0);
        Assert.All(img.LoadSegments, s => Assert.True(s.VirtualAddress >= 0x100000));

        // Load it and check that the data word and the note are where the guest will look.
        var mem = new byte[img.RequiredMemory(0)];
        img.LoadInto(mem);
        Assert.Equal(0x1122334455667788UL, BinaryPrimitives.ReadUInt64LittleEndian(mem.AsSpan((int)data.VirtualAddress)));
        ElfNote note = Assert.Single(img.Notes, n => n.Owner == "Tender");
        Assert.NotNull(note.DescriptorGuestAddress);
        Assert.Equal(note.Descriptor, mem.AsSpan((int)note.DescriptorGuestAddress!.Value, 16).ToArray());
    }

    [Fact]
    public void LinkedWithoutTheNoteIsRejectedAsNoGuest()
    {
        string plain = TenderGuest[TenderGuest.IndexOf(".text", StringComparison.Ordinal)..];
        byte[] elf = Toolchain.Build(plain, null, "-Ttext-segment=0x100000");
        var e = Assert.Throws<ElfFormatException>(() => ElfImage.Parse(elf));
        Assert.Equal("ELF: not a Solo5 hvt or tender guest (no ABI note)", e.Message);
    }

    [Fact]
    public void GnuLdDefaultAddressIsAcceptedAndPieIsRejected()
    {
        // Default ld base (0x400000) is above 1 MiB, so it loads; -pie makes ET_DYN, which does not.
        ElfImage img = ElfImage.Parse(Toolchain.Build(TenderGuest));
        Assert.True(img.LoadSegments[0].VirtualAddress >= 0x400000);
        var e = Assert.Throws<ElfFormatException>(() => ElfImage.Parse(Toolchain.Build(TenderGuest, null, "-pie", "--no-dynamic-linker")));
        Assert.Contains("ET_DYN", e.Message);
    }

    [Fact]
    public void LinkedBelowOneMiBIsRejected()
    {
        byte[] elf = Toolchain.Build(TenderGuest, null, "-Ttext-segment=0x10000");
        var e = Assert.Throws<ElfFormatException>(() => ElfImage.Parse(elf));
        Assert.Contains("lies below 0x100000", e.Message);
    }

    // A Solo5 hvt-style image: the same PHDRS layout as Solo5's bindings/solo5_hvt.lds (PT_INTERP,
    // X-only text, rodata holding the notes each in its own PT_NOTE, data, bss), written for this test.
    private const string Solo5Script = """
        ENTRY(_start)
        PHDRS {
            interp PT_INTERP;
            text PT_LOAD FLAGS(1);
            rodata PT_LOAD FLAGS(4);
            data PT_LOAD;
            bss PT_LOAD;
            note_abi PT_NOTE;
            note_manifest PT_NOTE;
        }
        SECTIONS {
            . = 0x100000;
            .interp : { *(.interp) } :interp :text
            .text : { *(.text) } :text
            . = ALIGN(0x1000);
            .note.solo5.manifest : { *(.note.solo5.manifest) } :rodata :note_manifest
            .note.solo5.abi : { *(.note.solo5.abi) } :rodata :note_abi
            .rodata : { *(.rodata) } :rodata
            . = ALIGN(0x1000);
            .data : { *(.data) } :data
            . = ALIGN(0x1000);
            .bss : { *(.bss) } :bss
        }
        """;

    private static string Solo5Guest(uint abiVersion) => $$"""
            .section .interp, "a"
            .asciz "/nonexistent/solo5/"
            .section .note.solo5.abi, "a", @note
            .balign 4
            .long 6, 16, 0x31494241
            .asciz "Solo5"
            .byte 0, 0
            .long 1, {{abiVersion}}, 0, 0
            .section .note.solo5.manifest, "a", @note
            .balign 8                 # struct mft holds u64 fields: the section is 8-aligned, as Solo5's is
            .long 6, 12 + 2 * 104, 0x3154464d
            .asciz "Solo5"
            .byte 0, 0
            .long 0                   # internal padding up to the 8-aligned struct mft
            .long 1, 2                # version, entries
            .fill 68, 1, 0            # entry 0: empty name
            .long 0x40000000          # MFT_RESERVED_FIRST
            .fill 32, 1, 0
            .ascii "net0"             # entry 1
            .fill 64, 1, 0
            .long 2                   # MFT_DEV_NET_BASIC
            .fill 32, 1, 0
            .text
            .globl _start
        _start:
            hlt
            .data
            .quad 1
            .bss
            .skip 4096
        """;

    [Fact]
    public void Solo5StyleImageParsesWithManifestNote()
    {
        byte[] elf = Toolchain.Build(Solo5Guest(2), Solo5Script);
        ElfImage img = ElfImage.Parse(elf);

        Assert.Equal(GuestKind.Solo5, img.Kind);
        Assert.Equal(new Solo5AbiNote(1, 2), img.Solo5Abi);
        Assert.NotNull(img.ManifestNote);
        Assert.Equal(8 + 2 * 104, img.ManifestNote!.Length);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(img.ManifestNote));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(img.ManifestNote.AsSpan(4)));
        Assert.Equal((byte)'n', img.ManifestNote[8 + 104]);
        Assert.Equal(0UL, img.ManifestNoteGuestAddress!.Value % 8);

        var mem = new byte[img.RequiredMemory(0)];
        img.LoadInto(mem);
        Assert.Equal(img.ManifestNote, mem.AsSpan((int)img.ManifestNoteGuestAddress.Value, img.ManifestNote.Length).ToArray());
        Assert.Equal(0xF4, mem[(int)img.Entry]); // hlt
        Assert.False(img.LoadSegments.Single(s => s.IsExecutable).IsReadable); // FLAGS(1): execute only
    }

    [Fact]
    public void Solo5StyleImageWithOldAbiIsRejected()
    {
        byte[] elf = Toolchain.Build(Solo5Guest(1), Solo5Script);
        var e = Assert.Throws<ElfFormatException>(() => ElfImage.Parse(elf));
        Assert.Contains("asks for hvt ABI version 1", e.Message);
    }
}
