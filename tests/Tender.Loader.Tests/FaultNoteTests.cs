using System.Buffers.Binary;
using Tender.Loader;
using static Tender.Loader.Tests.ElfBuilder;

namespace Tender.Loader.Tests;

/// <summary>The Tender fault note (NT_TENDER_FAULTS, docs/abi.md "CPU faults as guest exceptions").</summary>
public class FaultNoteTests
{
    private static byte[] FaultNote(ulong entry, uint version = 1, uint flags = 0, int size = 16)
    {
        var d = new byte[size];
        BinaryPrimitives.WriteUInt32LittleEndian(d, version);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(4), flags);
        if (size >= 16) BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(8), entry);
        return Note("Tender", TenderFaultNote.NoteType, d);
    }

    private static ElfImage Parse(byte[] faultNote, bool deprivileged = true)
    {
        var b = new ElfBuilder { Entry = 0x100010 };
        if (!deprivileged) b.AddRaw(PtInterp, System.Text.Encoding.ASCII.GetBytes(ElfImage.Solo5InterpMarker + "\0\0\0\0\0"));
        b.AddLoad(0x100000, Code(), PfR | PfX);
        byte[] notes = deprivileged ? Concat(TenderNote(), faultNote) : Concat(Solo5AbiNote(), faultNote);
        int ro = b.AddLoad(0x101000, notes, PfR);
        b.AddNoteFor(ro);
        return ElfImage.Parse(b.Build());
    }

    [Fact]
    public void Absent_note_means_no_fault_entry() =>
        Assert.Null(ElfImage.Parse(MinimalDeprivileged().Build()).Faults);

    [Fact]
    public void The_entry_is_read_from_the_note()
    {
        ElfImage img = Parse(FaultNote(0x100020));
        Assert.Equal(new TenderFaultNote(1, 0, 0x100020), img.Faults);
        Assert.Equal(GuestKind.Deprivileged, img.Kind);
    }

    [Theory]
    [InlineData(0x102000UL, "not inside the file bytes of an executable")]   // no segment there
    [InlineData(0x101000UL, "not inside the file bytes of an executable")]   // the read-only notes
    public void An_entry_outside_the_code_is_refused(ulong entry, string message)
    {
        var e = Assert.Throws<ElfFormatException>(() => Parse(FaultNote(entry)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Unknown_versions_flags_and_sizes_are_refused()
    {
        Assert.Contains("version 2", Assert.Throws<ElfFormatException>(() => Parse(FaultNote(0x100020, version: 2))).Message);
        Assert.Contains("unknown bits", Assert.Throws<ElfFormatException>(() => Parse(FaultNote(0x100020, flags: 1))).Message);
        Assert.Contains("expected 16", Assert.Throws<ElfFormatException>(() => Parse(FaultNote(0x100020, size: 8))).Message);
    }

    [Fact]
    public void Only_a_deprivileged_guest_may_carry_it() =>
        Assert.Contains("only a deprivileged guest", Assert.Throws<ElfFormatException>(() => Parse(FaultNote(0x100020), deprivileged: false)).Message);
}
