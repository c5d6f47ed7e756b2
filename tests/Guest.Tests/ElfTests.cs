using System.Buffers.Binary;

namespace Guest.Tests;

/// <summary>The linked guest ELF has the shape docs/abi.md asks of a deprivileged guest.</summary>
public class ElfTests
{
    private const uint PtLoad = 1, PtNote = 4, PfX = 1, PfW = 2;

    private sealed record Segment(uint Type, uint Flags, ulong Offset, ulong VAddr, ulong FileSize, ulong MemSize);

    private static (ulong Entry, List<Segment> Segments, byte[] Bytes) Read(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        Assert.True(b.AsSpan(0, 4).SequenceEqual("\x7f"u8.ToArray().Concat("ELF"u8.ToArray()).ToArray()), "not an ELF");
        Assert.Equal(2, b[4]); // ELFCLASS64
        Assert.Equal(62, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(18))); // EM_X86_64
        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(24));
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(32));
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(54));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(56));
        var segments = new List<Segment>();
        for (int i = 0; i < phnum; i++)
        {
            ReadOnlySpan<byte> p = b.AsSpan((int)phoff + i * phentsize, phentsize);
            segments.Add(new Segment(BinaryPrimitives.ReadUInt32LittleEndian(p), BinaryPrimitives.ReadUInt32LittleEndian(p[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(p[8..]), BinaryPrimitives.ReadUInt64LittleEndian(p[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(p[32..]), BinaryPrimitives.ReadUInt64LittleEndian(p[40..])));
        }
        return (entry, segments, b);
    }

    [Fact]
    public void Hello_is_linked_at_1_MiB_with_no_writable_and_executable_segment()
    {
        var (entry, segments, _) = Read(GuestBuilds.Elf("hello"));
        List<Segment> loads = segments.Where(s => s.Type == PtLoad).ToList();
        Assert.NotEmpty(loads);
        Assert.Equal(0x100000UL, loads.Min(s => s.VAddr));
        Assert.All(loads, s => Assert.False((s.Flags & (PfW | PfX)) == (PfW | PfX), $"W+X segment at {s.VAddr:x}"));
        Assert.Contains(loads, s => (s.Flags & PfX) != 0 && entry >= s.VAddr && entry < s.VAddr + s.MemSize);
    }

    [Fact]
    public void Hello_carries_the_Tender_deprivileged_note_inside_a_loaded_segment()
    {
        var (_, segments, bytes) = Read(GuestBuilds.Elf("hello"));
        Segment note = Assert.Single(segments, s => s.Type == PtNote);
        Assert.Contains(segments, s => s.Type == PtLoad && note.VAddr >= s.VAddr && note.VAddr + note.FileSize <= s.VAddr + s.FileSize);
        ReadOnlySpan<byte> n = bytes.AsSpan((int)note.Offset, (int)note.FileSize);
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(n));            // namesz
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32LittleEndian(n[4..]));      // descsz
        Assert.Equal(0x56504454u, BinaryPrimitives.ReadUInt32LittleEndian(n[8..])); // NT_TENDER_DEPRIV
        Assert.True(n.Slice(12, 7).SequenceEqual("Tender\0"u8));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(n[20..]));     // version
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(n[24..]));     // flags
        ulong stack = BinaryPrimitives.ReadUInt64LittleEndian(n[28..]);
        Assert.Equal(1UL << 20, stack);
    }
}
