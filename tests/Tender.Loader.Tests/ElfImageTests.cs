using System.Buffers.Binary;
using System.Text;
using static Tender.Loader.Tests.ElfBuilder;

namespace Tender.Loader.Tests;

public class ElfImageTests
{
    private static ElfFormatException Rejects(byte[] file, params string[] fragments)
    {
        var e = Assert.Throws<ElfFormatException>(() => ElfImage.Parse(file));
        Assert.StartsWith("ELF: ", e.Message);
        foreach (string f in fragments)
            Assert.Contains(f, e.Message);
        return e;
    }

    // ---- valid images ----

    [Fact]
    public void MinimalDeprivilegedImageParses()
    {
        ElfImage img = ElfImage.Parse(MinimalDeprivileged(stack: 0x20000).Build());

        Assert.Equal(GuestKind.Deprivileged, img.Kind);
        Assert.Equal(0x100010UL, img.Entry);
        Assert.Equal(3, img.LoadSegments.Count);
        Assert.Equal(new ulong[] { 0x100000, 0x101000, 0x102000 }, img.LoadSegments.Select(s => s.VirtualAddress));
        Assert.Equal(SegmentFlags.Read | SegmentFlags.Execute, img.LoadSegments[0].Flags);
        Assert.Equal(SegmentFlags.Read, img.LoadSegments[1].Flags);
        Assert.Equal(SegmentFlags.Read | SegmentFlags.Write, img.LoadSegments[2].Flags);
        Assert.Equal(16UL, img.LoadSegments[2].FileSize);
        Assert.Equal(0x2000UL, img.LoadSegments[2].MemorySize);
        Assert.Equal(0x1000UL, img.LoadSegments[2].Alignment);
        Assert.Equal(0x104000UL, img.KernelEnd);
        Assert.Equal(new TenderDeprivilegedNote(1, 0, 0x20000), img.Deprivileged);
        Assert.Equal(0x20000UL + 4096, img.Deprivileged!.Value.ReservedTop);
        Assert.Null(img.Solo5Abi);
        Assert.Null(img.ManifestNote);

        ElfNote note = Assert.Single(img.Notes);
        Assert.Equal("Tender", note.Owner);
        Assert.Equal(TenderDeprivilegedNote.NoteType, note.Type);
        Assert.Equal(2, note.ProgramHeaderIndex);
        Assert.Equal(16, note.Descriptor.Length);
        // The rodata segment holds the note at its start: header 12 + name 8, then the descriptor.
        Assert.Equal(0x101000UL + 20, note.DescriptorGuestAddress);
    }

    [Fact]
    public void ZeroStackSizeMeansTheDefaultOneMiB()
    {
        ElfImage img = ElfImage.Parse(MinimalDeprivileged(stack: 0).Build());
        Assert.Equal(1024UL * 1024, img.Deprivileged!.Value.EffectiveStackSize);
        Assert.Equal(1024UL * 1024 + 4096, img.Deprivileged!.Value.ReservedTop);
    }

    [Fact]
    public void Solo5HvtImageWithInterpMarkerParses()
    {
        ElfImage img = ElfImage.Parse(MinimalSolo5().Build());
        Assert.Equal(GuestKind.Solo5, img.Kind);
        Assert.Equal(new Solo5AbiNote(1, 2), img.Solo5Abi);
        Assert.Null(img.Deprivileged);
        Assert.Equal(0x102000UL, img.KernelEnd);
        Assert.True(img.LoadSegments[0].IsExecutable);
        Assert.False(img.LoadSegments[0].IsReadable);
    }

    [Fact]
    public void TenderNoteWinsOverSolo5Note()
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        int ro = b.AddLoad(0x101000, Concat(ElfBuilder.Solo5AbiNote(), TenderNote()), PfR);
        b.AddNoteFor(ro);
        ElfImage img = ElfImage.Parse(b.Build());
        Assert.Equal(GuestKind.Deprivileged, img.Kind);
        Assert.NotNull(img.Solo5Abi);
        Assert.Equal(2, img.Notes.Count);
    }

    [Fact]
    public void SegmentsAreReportedSortedByAddressEvenWhenHeadersAreNot()
    {
        var b = new ElfBuilder { Entry = 0x200000 };
        b.AddLoad(0x300000, new byte[8], PfR | PfW);
        int ro = b.AddLoad(0x280000, TenderNote(), PfR);
        b.AddNoteFor(ro);
        b.AddLoad(0x200000, Code(), PfR | PfX);
        ElfImage img = ElfImage.Parse(b.Build());
        Assert.Equal(new[] { 3, 1, 0 }, img.LoadSegments.Select(s => s.ProgramHeaderIndex));
        Assert.Equal(0x301000UL, img.KernelEnd);
    }

    [Fact]
    public void EmptyLoadSegmentsAreIgnored()
    {
        ElfBuilder b = MinimalDeprivileged();
        b.AddLoad(0x100000, Array.Empty<byte>(), PfR | PfW, memsz: 0); // would overlap text if it counted
        ElfImage img = ElfImage.Parse(b.Build());
        Assert.Equal(3, img.LoadSegments.Count);
    }

    [Fact]
    public void ManifestNoteIsExtractedWithoutItsPaddingAndWithItsGuestAddress()
    {
        byte[] mft = Enumerable.Range(0, 8 + 104).Select(i => (byte)(i * 3)).ToArray();
        byte[] desc = Concat(new byte[4], mft);
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        byte[] notes = Concat(ElfBuilder.Solo5AbiNote(), Note("Solo5", ElfImage.Solo5ManifestNoteType, desc));
        int ro = b.AddLoad(0x101000, notes, PfR);
        b.AddNoteFor(ro);
        ElfImage img = ElfImage.Parse(b.Build());

        Assert.Equal(mft, img.ManifestNote);
        // ABI note is 36 bytes; the manifest note's descriptor starts 20 bytes later; struct mft 4 after that.
        Assert.Equal(0x101000UL + 36 + 20 + 4, img.ManifestNoteGuestAddress);
    }

    [Fact]
    public void NoteOutsideAnyLoadSegmentHasNoGuestAddress()
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        b.AddRaw(PtNote, TenderNote());
        ElfImage img = ElfImage.Parse(b.Build());
        Assert.Equal(GuestKind.Deprivileged, img.Kind);
        Assert.Null(Assert.Single(img.Notes).DescriptorGuestAddress);
    }

    [Fact]
    public void OtherOwnersAndEightByteAlignedNoteSegmentsAreWalked()
    {
        // A GNU property note (8-aligned segment, 8-byte steps) followed by the Tender note.
        byte[] gnu = Note("GNU", 5, new byte[16]);
        Assert.Equal(32, gnu.Length);
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        b.AddRaw(PtNote, Concat(gnu, TenderNote(), new byte[4]), align: 8);
        ElfImage img = ElfImage.Parse(b.Build());
        Assert.Equal(new[] { "GNU", "Tender" }, img.Notes.Select(n => n.Owner));
        Assert.Equal(GuestKind.Deprivileged, img.Kind);
    }

    [Fact]
    public void NoteWithWrongNameSizeIsNotRecognised()
    {
        // "Tender" with namesz 8 (two NULs) is a different owner spelling: not the Tender note.
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        var d = new byte[16];
        d[0] = 1;
        b.AddRaw(PtNote, Note("Tender\0", TenderDeprivilegedNote.NoteType, d));
        Rejects(b.Build(), "not a Solo5 hvt or tender guest (no ABI note)");
    }

    // ---- guest kind ----

    [Fact]
    public void NoAbiNoteIsRejected()
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        var e = Rejects(b.Build());
        Assert.Equal("ELF: not a Solo5 hvt or tender guest (no ABI note)", e.Message);
    }

    [Fact]
    public void Solo5WrongTargetIsRejectedSayingWhatWasFound()
    {
        Rejects(MinimalSolo5(target: 2).Build(), "target spt (2)", "hvt (1)");
    }

    [Fact]
    public void Solo5WrongAbiVersionIsRejectedSayingWhatIsSupported()
    {
        Rejects(MinimalSolo5(version: 1).Build(), "version 1", "supports hvt ABI version 2");
    }

    [Theory]
    [InlineData(2u, 0u, 0UL, "version 2 is not supported")]
    [InlineData(1u, 4u, 0UL, "flags 0x4 has unknown bits")]
    [InlineData(1u, 0u, 0x1234UL, "not a multiple of 4096")]
    [InlineData(1u, 0u, 1UL << 40, "larger than")]
    public void BadTenderNoteIsRejected(uint version, uint flags, ulong stack, string fragment)
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        int ro = b.AddLoad(0x101000, TenderNote(version, flags, stack), PfR);
        b.AddNoteFor(ro);
        Rejects(b.Build(), "Tender note", fragment);
    }

    [Fact]
    public void TenderNoteWithWrongDescriptorSizeIsRejected()
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        b.AddRaw(PtNote, Note("Tender", TenderDeprivilegedNote.NoteType, new byte[12]));
        Rejects(b.Build(), "Tender note", "descriptor is 12 bytes; expected 16");
    }

    [Fact]
    public void DuplicateNotesAreRejected()
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        b.AddRaw(PtNote, TenderNote());
        b.AddRaw(PtNote, TenderNote());
        Rejects(b.Build(), "two Tender deprivileged", "program headers 1 and 2");
    }

    [Fact]
    public void TooShortSolo5AbiDescriptorIsRejected()
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfX);
        b.AddRaw(PtNote, Note("Solo5", Solo5AbiNote.NoteType, new byte[4]));
        Rejects(b.Build(), "Solo5 ABI note descriptor is 4 bytes");
    }

    [Fact]
    public void OversizedManifestDescriptorIsRejected()
    {
        var b = MinimalSolo5();
        b.AddRaw(PtNote, Note("Solo5", ElfImage.Solo5ManifestNoteType, new byte[ElfImage.Solo5ManifestMaxDescriptorSize + 4]));
        Rejects(b.Build(), "Solo5 manifest note descriptor is");
    }

    // ---- ELF header ----

    [Fact]
    public void EmptyFileIsRejected() => Rejects(Array.Empty<byte>(), "bad magic");

    [Fact]
    public void TruncatedHeaderIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build()[..40];
        Rejects(f, "40 bytes", "shorter than the 64-byte ELF64 header");
    }

    [Fact]
    public void BadMagicIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        f[1] = (byte)'X';
        Rejects(f, "not an ELF file (bad magic");
    }

    [Fact]
    public void Elf32IsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        f[4] = 1;
        Rejects(f, "EI_CLASS is 1", "64-bit");
    }

    [Fact]
    public void BigEndianIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        f[5] = 2;
        Rejects(f, "EI_DATA is 2", "little-endian");
    }

    [Fact]
    public void BadIdentVersionIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        f[6] = 0;
        Rejects(f, "EI_VERSION is 0");
    }

    [Fact]
    public void BadHeaderVersionIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        f[20] = 2;
        Rejects(f, "e_version is 2");
    }

    [Theory]
    [InlineData((ushort)3, "e_machine is 3")]     // i386
    [InlineData((ushort)183, "e_machine is 183")] // aarch64
    public void WrongMachineIsRejected(ushort machine, string fragment)
    {
        var b = MinimalDeprivileged();
        b.Machine = machine;
        Rejects(b.Build(), fragment, "x86-64");
    }

    [Theory]
    [InlineData((ushort)3, "ET_DYN", "-static -no-pie")]
    [InlineData((ushort)1, "ET_REL", "relocatable")]
    [InlineData((ushort)4, "ET_CORE")]
    [InlineData((ushort)0, "e_type is 0")]
    public void NonExecutableTypesAreRejected(ushort type, params string[] fragments)
    {
        var b = MinimalDeprivileged();
        b.Type = type;
        Rejects(b.Build(), fragments);
    }

    [Fact]
    public void WrongHeaderSizesAreRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        Patch16(f, 52, 52);
        Rejects(f, "e_ehsize is 52");
        f = MinimalDeprivileged().Build();
        Patch16(f, 54, 32);
        Rejects(f, "e_phentsize is 32");
    }

    [Fact]
    public void ZeroProgramHeadersAreRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        Patch16(f, 56, 0);
        Rejects(f, "no program headers");
    }

    [Fact]
    public void PhoffOutOfRangeIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        Patch64(f, 32, (ulong)f.Length - 10);
        Rejects(f, "program header table", "exceeds file size");
    }

    [Fact]
    public void PhoffNearTwoToTheSixtyFourDoesNotWrap()
    {
        byte[] f = MinimalDeprivileged().Build();
        Patch64(f, 32, ulong.MaxValue - 8);
        Rejects(f, "program header table", "exceeds file size");
    }

    [Fact]
    public void HugePhnumIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        Patch16(f, 56, 0xFFFE);
        Rejects(f, "65534 entries", "exceeds file size");
        Patch16(f, 56, 0xFFFF);
        Rejects(f, "PN_XNUM");
    }

    // ---- PT_LOAD ----

    [Fact]
    public void LoadBeyondFileIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        PatchPhdr64(f, 3, PhFilesz, 0x10000);
        PatchPhdr64(f, 3, PhMemsz, 0x10000);
        Rejects(f, "program header 3: PT_LOAD file range", $"exceeds file size 0x{f.Length:x}");
    }

    [Fact]
    public void LoadOffsetNearTwoToTheSixtyFourIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        PatchPhdr64(f, 0, PhOffset, ulong.MaxValue - 0x10);
        Rejects(f, "program header 0: PT_LOAD file range", "2^64 or beyond");
    }

    [Fact]
    public void FileSizeLargerThanMemorySizeIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        PatchPhdr64(f, 3, PhMemsz, 8);
        Rejects(f, "program header 3", "file size 0x10 is larger than its memory size 0x8");
    }

    [Fact]
    public void AddressPlusMemorySizeOverflowIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        PatchPhdr64(f, 3, PhVaddr, 0xFFFF_FFFF_FFFF_F000);
        PatchPhdr64(f, 3, PhOffset, ReadPhdr64(f, 3, PhOffset) & 0xFFF); // keep congruence irrelevant: checked first
        PatchPhdr64(f, 3, PhMemsz, 0x2000);
        Rejects(f, "program header 3", "overflows the 64-bit address space");
    }

    [Fact]
    public void EndJustBelowTwoToTheSixtyFourCannotWrapWhenRoundedToAPage()
    {
        byte[] f = MinimalDeprivileged().Build();
        PatchPhdr64(f, 3, PhVaddr, 0xFFFF_FFFF_FFFF_E000);
        PatchPhdr64(f, 3, PhMemsz, 0x1FF0); // end 0x…FFF0: rounding up to 4 KiB would wrap to 0
        Rejects(f, "program header 3", "overflows");
    }

    [Fact]
    public void OverlappingSegmentsAreRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        PatchPhdr64(f, 3, PhVaddr, 0x101000); // data onto rodata's page
        PatchPhdr64(f, 3, PhOffset, ReadPhdr64(f, 3, PhOffset)); // unchanged: offset ≡ 0 mod 4096 still
        Rejects(f, "program headers 1 and 3", "overlap or share a 4 KiB page");
    }

    [Fact]
    public void SegmentsSharingAPageAreRejected()
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(0x80), PfR | PfX);
        b.AddLoad(0x100800, TenderNote(), PfR);
        b.AddNoteFor(1);
        Rejects(b.Build(), "program headers 0 and 1", "share a 4 KiB page");
    }

    [Fact]
    public void WritableAndExecutableSegmentIsRejectedInDeprivilegedMode()
    {
        byte[] f = MinimalDeprivileged().Build();
        PatchPhdr32(f, 0, PhFlags, PfR | PfW | PfX);
        Rejects(f, "program header 0", "writable and executable (W+X)");
    }

    [Fact]
    public void WritableAndExecutableSegmentIsRejectedInSolo5ModeAsSolo5Does()
    {
        byte[] f = MinimalSolo5().Build();
        PatchPhdr32(f, 1, PhFlags, PfW | PfX);
        Rejects(f, "program header 1", "W+X");
    }

    [Fact]
    public void LoadBelowOneMiBIsRejected()
    {
        var b = MinimalDeprivileged();
        b.AddLoad(0xFF000, new byte[16], PfR);
        Rejects(b.Build(), "program header 4", "0xff000 lies below 0x100000", "boot structures");
    }

    [Fact]
    public void LoadAtPageZeroIsRejected()
    {
        var b = MinimalDeprivileged();
        b.AddLoad(0, new byte[16], PfR);
        Rejects(b.Build(), "lies below 0x100000");
    }

    [Fact]
    public void AddressAndOffsetMustAgreeModuloAlignment()
    {
        byte[] f = MinimalDeprivileged().Build();
        PatchPhdr64(f, 3, PhVaddr, 0x102010);
        Rejects(f, "program header 3", "differ modulo the alignment 0x1000");
    }

    [Fact]
    public void NonPowerOfTwoAlignmentIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        PatchPhdr64(f, 3, PhAlign, 0x3000);
        Rejects(f, "alignment 0x3000 is not a power of two");
    }

    [Fact]
    public void NoLoadSegmentIsRejected()
    {
        var b = new ElfBuilder();
        b.AddRaw(PtNote, TenderNote());
        Rejects(b.Build(), "no loadable (PT_LOAD) segment");
    }

    // ---- entry ----

    [Fact]
    public void EntryInDataSegmentIsRejected()
    {
        var b = MinimalDeprivileged();
        b.Entry = 0x102000;
        Rejects(b.Build(), "entry point 0x102000", "executable PT_LOAD");
    }

    [Fact]
    public void EntryInNoSegmentIsRejected()
    {
        var b = MinimalDeprivileged();
        b.Entry = 0x500000;
        Rejects(b.Build(), "entry point 0x500000");
    }

    [Fact]
    public void EntryPastTheCodeBytesIsRejected()
    {
        var b = new ElfBuilder { Entry = 0x100000 + 0x100 };
        b.AddLoad(0x100000, Code(0x40), PfR | PfX, memsz: 0x1000);
        b.AddRaw(PtNote, TenderNote());
        Rejects(b.Build(), "entry point 0x100100");
    }

    // ---- other program headers ----

    [Fact]
    public void DynamicSegmentIsRejected()
    {
        var b = MinimalDeprivileged();
        b.AddRaw(PtDynamic, new byte[16]);
        Rejects(b.Build(), "PT_DYNAMIC", "link statically");
    }

    [Fact]
    public void RealInterpreterIsRejected()
    {
        var b = MinimalDeprivileged();
        b.AddRaw(PtInterp, Encoding.ASCII.GetBytes("/lib64/ld-linux-x86-64.so.2\0"));
        Rejects(b.Build(), "PT_INTERP asks for the dynamic linker \"/lib64/ld-linux-x86-64.so.2\"");
    }

    [Fact]
    public void InterpOutOfFileIsRejected()
    {
        byte[] f = MinimalSolo5().Build();
        PatchPhdr64(f, 0, PhFilesz, 0x100000);
        Rejects(f, "program header 0: PT_INTERP file range");
    }

    [Fact]
    public void TlsAndUnknownHeadersAreIgnored()
    {
        var b = MinimalDeprivileged();
        b.AddRaw(PtTls, new byte[8]);
        b.AddRaw(0x6474e551, Array.Empty<byte>()); // PT_GNU_STACK
        Assert.Equal(3, ElfImage.Parse(b.Build()).LoadSegments.Count);
    }

    // ---- notes ----

    [Fact]
    public void NoteSegmentOutsideTheFileIsRejected()
    {
        byte[] f = MinimalDeprivileged().Build();
        PatchPhdr64(f, 2, PhFilesz, 0x100000);
        Rejects(f, "program header 2: PT_NOTE file range", "exceeds file size");
    }

    [Fact]
    public void NoteDescriptorPastItsSegmentIsRejected()
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        b.AddRaw(PtNote, Note("Tender", TenderDeprivilegedNote.NoteType, new byte[16], descsz: 0x1000));
        Rejects(b.Build(), "program header 1", "descriptor size 0x1000 runs past the end");
    }

    [Fact]
    public void HugeNameSizeIsRejectedWithoutWrapping()
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        b.AddRaw(PtNote, Note("Tender", TenderDeprivilegedNote.NoteType, new byte[16], namesz: 0xFFFF_FFFF));
        Rejects(b.Build(), "name size 0xffffffff runs past the end");
    }

    [Fact]
    public void HugeDescriptorSizeIsRejectedWithoutWrapping()
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        b.AddRaw(PtNote, Note("Tender", TenderDeprivilegedNote.NoteType, new byte[16], descsz: 0xFFFF_FFFD));
        Rejects(b.Build(), "descriptor size 0xfffffffd runs past the end");
    }

    [Fact]
    public void PartialNoteHeaderIsRejectedButZeroPaddingIsNot()
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        b.AddRaw(PtNote, Concat(TenderNote(), new byte[] { 1, 0, 0, 0, 0, 0, 0, 0 }));
        Rejects(b.Build(), "8 trailing bytes", "too few for a note header");

        b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        b.AddRaw(PtNote, Concat(TenderNote(), new byte[8]));
        Assert.Equal(GuestKind.Deprivileged, ElfImage.Parse(b.Build()).Kind);
    }

    // ---- memory size ----

    [Fact]
    public void ImageTooBigForMemoryIsRejectedWithTheSizeItNeeds()
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        int ro = b.AddLoad(0x101000, TenderNote(), PfR);
        b.AddNoteFor(ro);
        b.AddLoad(0x200000, new byte[16], PfR | PfW, memsz: 0x1000000); // 16 MiB bss: ends at 0x1200000
        ElfImage img = ElfImage.Parse(b.Build());
        ulong reserved = img.Deprivileged!.Value.ReservedTop; // 1 MiB + 4 KiB

        var e = Assert.Throws<ElfFormatException>(() => img.Validate(16UL << 20, reserved));
        Assert.Contains("needs at least 20 MiB", e.Message); // 18 MiB + 1 MiB + 4 KiB, rounded up
        Assert.Contains("0x1200000", e.Message);
        Assert.Contains("use --mem", e.Message);
        Assert.Equal(20UL << 20, img.RequiredMemory(reserved));

        img.Validate(20UL << 20, reserved);
        Assert.Throws<ElfFormatException>(() => img.Validate((19UL << 20) + 0x1000, reserved + 0x1000));
        img.Validate(0x1200000, 0); // exactly fits without a reservation
        Assert.Throws<ElfFormatException>(() => img.Validate(0x1200000 - 0x1000, 0));
    }

    [Fact]
    public void ReservationLargerThanMemoryIsRejected()
    {
        ElfImage img = ElfImage.Parse(MinimalDeprivileged().Build());
        Assert.Throws<ElfFormatException>(() => img.Validate(1UL << 20, 2UL << 20));
        Assert.Throws<ElfFormatException>(() => img.Validate(64UL << 20, ulong.MaxValue));
        Assert.Equal(ulong.MaxValue, img.RequiredMemory(ulong.MaxValue));
    }

    // ---- loading ----

    [Fact]
    public void LoadIntoCopiesFileBytesZeroesBssAndTouchesNothingElse()
    {
        ElfBuilder b = MinimalDeprivileged();
        ElfImage img = ElfImage.Parse(b.Build());
        var mem = new byte[2 << 20];
        Array.Fill(mem, (byte)0xAA);

        img.LoadInto(mem);

        var touched = new bool[mem.Length];
        foreach (LoadSegment s in img.LoadSegments)
        {
            byte[] fileBytes = img.GetFileBytes(s);
            Assert.Equal(fileBytes, mem.AsSpan((int)s.VirtualAddress, (int)s.FileSize).ToArray());
            Assert.All(mem.AsSpan((int)(s.VirtualAddress + s.FileSize), (int)(s.MemorySize - s.FileSize)).ToArray(), x => Assert.Equal(0, x));
            for (ulong a = s.VirtualAddress; a < s.End; a++)
                touched[a] = true;
        }
        Assert.Equal(Code(), mem.AsSpan(0x100000, 64).ToArray());
        Assert.Equal(16, mem[0x102000 + 15]);
        for (int a = 0; a < mem.Length; a++)
        {
            if (!touched[a] && mem[a] != 0xAA)
                Assert.Fail($"byte 0x{a:x} outside every segment was written");
        }
    }

    [Fact]
    public void LoadIntoTooSmallMemoryWritesNothing()
    {
        ElfImage img = ElfImage.Parse(MinimalDeprivileged().Build());
        var mem = new byte[0x103000]; // the data segment's bss ends at 0x104000
        Array.Fill(mem, (byte)0x55);
        var e = Assert.Throws<ElfFormatException>(() => img.LoadInto(mem));
        Assert.Contains("needs at least", e.Message);
        Assert.All(mem, x => Assert.Equal(0x55, x));
    }

    [Fact]
    public unsafe void LoadIntoPointerMatchesSpanVersion()
    {
        ElfImage img = ElfImage.Parse(MinimalDeprivileged().Build());
        var a = new byte[2 << 20];
        var b = new byte[2 << 20];
        Array.Fill(a, (byte)0x11);
        Array.Fill(b, (byte)0x11);
        img.LoadInto(a);
        fixed (byte* p = b)
            img.LoadInto(p, (ulong)b.Length);
        Assert.Equal(a, b);
    }

    // ---- files and fuzzing ----

    [Fact]
    public void LoadReportsMissingFilesAsElfErrors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tender-missing-{Guid.NewGuid():N}.elf");
        var e = Assert.Throws<ElfFormatException>(() => ElfImage.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void LoadPrefixesErrorsWithThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tender-bad-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        try
        {
            var e = Assert.Throws<ElfFormatException>(() => ElfImage.Load(path));
            Assert.StartsWith($"{path}: ELF: ", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RandomMutationsNeverThrowAnythingButElfFormatException()
    {
        var rng = new Random(12345);
        byte[][] seeds = { MinimalDeprivileged().Build(), MinimalSolo5().Build() };
        int parsed = 0, rejected = 0;
        for (int iteration = 0; iteration < 20000; iteration++)
        {
            byte[] f = (byte[])seeds[iteration % 2].Clone();
            int edits = rng.Next(1, 6);
            for (int k = 0; k < edits; k++)
            {
                // Mostly hit the headers, where the interesting fields are.
                int at = rng.Next(4) == 0 ? rng.Next(f.Length) : rng.Next(Math.Min(f.Length, 64 + 5 * 56));
                switch (rng.Next(3))
                {
                    case 0: f[at] = (byte)rng.Next(256); break;
                    case 1: f[at] ^= (byte)(1 << rng.Next(8)); break;
                    default:
                        if (at + 8 <= f.Length)
                            BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(at), rng.Next(2) == 0 ? ulong.MaxValue - (ulong)rng.Next(4096) : (ulong)rng.NextInt64());
                        break;
                }
            }
            if (rng.Next(10) == 0)
                f = f[..rng.Next(f.Length)];
            try
            {
                ElfImage img = ElfImage.Parse(f);
                parsed++;
                // Whatever parsed must also load safely into memory it validated against.
                ulong need = img.RequiredMemory(0);
                if (need <= 64UL << 20)
                    img.LoadInto(new byte[need]);
            }
            catch (ElfFormatException)
            {
                rejected++;
            }
        }
        Assert.True(parsed > 100, $"only {parsed} mutants parsed: the fuzz loop is not exercising the success path");
        Assert.True(rejected > 1000, $"only {rejected} mutants were rejected");
    }
}
