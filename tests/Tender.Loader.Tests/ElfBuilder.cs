using System.Buffers.Binary;
using System.Text;
using Tender.Loader;

namespace Tender.Loader.Tests;

/// <summary>
/// Builds small ELF64 files byte by byte, so that each test can make exactly the file it needs and
/// then break one field of it.
/// </summary>
internal sealed class ElfBuilder
{
    public const int EhdrSize = 64;
    public const int PhdrSize = 56;
    public const uint PtLoad = 1, PtDynamic = 2, PtInterp = 3, PtNote = 4, PtTls = 7;
    public const uint PfX = 1, PfW = 2, PfR = 4;

    public sealed class Segment
    {
        public uint Type;
        public uint Flags;
        public ulong VirtualAddress;
        public byte[] Data = Array.Empty<byte>();
        public ulong MemorySize;
        public ulong Align = 0x1000;
        /// <summary>For a PT_NOTE (or other) header that describes bytes of another segment.</summary>
        public int? SharesDataOf;
        public ulong SharedOffset;
        public ulong? SharedLength;
        // Filled by Build.
        public ulong FileOffset;
    }

    public ushort Type = 2;
    public ushort Machine = 62;
    public ulong Entry = 0x100000;
    public List<Segment> Segments { get; } = new();

    public int AddLoad(ulong vaddr, byte[] data, uint flags, ulong? memsz = null)
    {
        Segments.Add(new Segment { Type = PtLoad, Flags = flags, VirtualAddress = vaddr, Data = data, MemorySize = memsz ?? (ulong)data.Length });
        return Segments.Count - 1;
    }

    /// <summary>A PT_NOTE describing [offset, offset+length) of the data of segment <paramref name="of"/>.</summary>
    public int AddNoteFor(int of, ulong offset = 0, ulong? length = null, ulong align = 4)
    {
        Segments.Add(new Segment { Type = PtNote, Flags = PfR, SharesDataOf = of, SharedOffset = offset, SharedLength = length, Align = align });
        return Segments.Count - 1;
    }

    /// <summary>A segment of any type with its own file bytes (PT_NOTE outside any PT_LOAD, PT_INTERP, …).</summary>
    public int AddRaw(uint type, byte[] data, ulong vaddr = 0, ulong align = 4)
    {
        Segments.Add(new Segment { Type = type, Flags = PfR, VirtualAddress = vaddr, Data = data, MemorySize = (ulong)data.Length, Align = align });
        return Segments.Count - 1;
    }

    public byte[] Build()
    {
        int n = Segments.Count;
        ulong pos = Align((ulong)(EhdrSize + n * PhdrSize), 16);
        foreach (Segment s in Segments.Where(s => s.SharesDataOf is null))
        {
            if (s.Type == PtLoad)
            {
                // Keep offset ≡ vaddr (mod 4096) as a linker does.
                ulong page = Align(pos, 0x1000);
                s.FileOffset = page + s.VirtualAddress % 0x1000;
                if (s.FileOffset < pos)
                    s.FileOffset += 0x1000;
            }
            else
            {
                s.FileOffset = Align(pos, 8);
            }
            pos = s.FileOffset + (ulong)s.Data.Length;
        }
        var file = new byte[pos];
        WriteHeader(file, n);
        for (int i = 0; i < n; i++)
        {
            Segment s = Segments[i];
            ulong offset, vaddr, filesz, memsz;
            if (s.SharesDataOf is int of)
            {
                Segment o = Segments[of];
                offset = o.FileOffset + s.SharedOffset;
                vaddr = o.VirtualAddress + s.SharedOffset;
                filesz = memsz = s.SharedLength ?? (ulong)o.Data.Length - s.SharedOffset;
            }
            else
            {
                s.Data.CopyTo(file, (int)s.FileOffset);
                offset = s.FileOffset;
                vaddr = s.VirtualAddress;
                filesz = (ulong)s.Data.Length;
                memsz = s.MemorySize;
            }
            WritePhdr(file, i, s.Type, s.Flags, offset, vaddr, filesz, memsz, s.Align);
        }
        return file;
    }

    private void WriteHeader(byte[] f, int phnum)
    {
        f[0] = 0x7F; f[1] = (byte)'E'; f[2] = (byte)'L'; f[3] = (byte)'F';
        f[4] = 2; f[5] = 1; f[6] = 1;
        Span<byte> h = f;
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Entry);
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], EhdrSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], EhdrSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], PhdrSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], (ushort)phnum);
    }

    public static void WritePhdr(byte[] f, int i, uint type, uint flags, ulong offset, ulong vaddr, ulong filesz, ulong memsz, ulong align)
    {
        Span<byte> p = f.AsSpan(EhdrSize + i * PhdrSize, PhdrSize);
        BinaryPrimitives.WriteUInt32LittleEndian(p, type);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], vaddr);
        BinaryPrimitives.WriteUInt64LittleEndian(p[24..], vaddr);
        BinaryPrimitives.WriteUInt64LittleEndian(p[32..], filesz);
        BinaryPrimitives.WriteUInt64LittleEndian(p[40..], memsz);
        BinaryPrimitives.WriteUInt64LittleEndian(p[48..], align);
    }

    // Field offsets for patching a built file.
    public const int PhType = 0, PhFlags = 4, PhOffset = 8, PhVaddr = 16, PhFilesz = 32, PhMemsz = 40, PhAlign = 48;

    public static void PatchPhdr64(byte[] f, int i, int field, ulong value) =>
        BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(EhdrSize + i * PhdrSize + field), value);

    public static void PatchPhdr32(byte[] f, int i, int field, uint value) =>
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(EhdrSize + i * PhdrSize + field), value);

    public static ulong ReadPhdr64(byte[] f, int i, int field) =>
        BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(EhdrSize + i * PhdrSize + field));

    public static void Patch16(byte[] f, int at, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(at), v);
    public static void Patch64(byte[] f, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(at), v);

    /// <summary>One note: header, name padded to 4, descriptor padded to 4.</summary>
    public static byte[] Note(string owner, uint type, byte[] desc, uint? namesz = null, uint? descsz = null)
    {
        byte[] name = Encoding.ASCII.GetBytes(owner + "\0");
        var b = new List<byte>();
        b.AddRange(U32(namesz ?? (uint)name.Length));
        b.AddRange(U32(descsz ?? (uint)desc.Length));
        b.AddRange(U32(type));
        b.AddRange(name);
        while (b.Count % 4 != 0) b.Add(0);
        b.AddRange(desc);
        while (b.Count % 4 != 0) b.Add(0);
        return b.ToArray();
    }

    public static byte[] TenderNote(uint version = 1, uint flags = 0, ulong stack = 0)
    {
        var d = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(d, version);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(8), stack);
        return Note("Tender", TenderDeprivilegedNote.NoteType, d);
    }

    public static byte[] Solo5AbiNote(uint target = 1, uint version = 2)
    {
        var d = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(d, target);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(4), version);
        return Note("Solo5", Tender.Loader.Solo5AbiNote.NoteType, d);
    }

    public static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static ulong Align(ulong v, ulong a) => (v + a - 1) / a * a;

    /// <summary>Code bytes: a recognisable pattern (the loader never executes them).</summary>
    public static byte[] Code(int length = 64) => Enumerable.Range(0, length).Select(i => (byte)(0x90 + i % 7)).ToArray();

    /// <summary>
    /// A valid deprivileged image: text R-X at 0x100000, rodata R at 0x101000 with the Tender note
    /// (and a PT_NOTE for it), data RW at 0x102000 with 16 file bytes and an 8 KiB bss.
    /// Segment indices: 0 text, 1 rodata, 2 PT_NOTE, 3 data.
    /// </summary>
    public static ElfBuilder MinimalDeprivileged(ulong stack = 0)
    {
        var b = new ElfBuilder { Entry = 0x100010 };
        b.AddLoad(0x100000, Code(), PfR | PfX);
        int ro = b.AddLoad(0x101000, TenderNote(stack: stack), PfR);
        b.AddNoteFor(ro);
        b.AddLoad(0x102000, Enumerable.Range(1, 16).Select(i => (byte)i).ToArray(), PfR | PfW, memsz: 0x2000);
        return b;
    }

    /// <summary>A valid Solo5 hvt image: PT_INTERP marker, text, rodata with the ABI note.</summary>
    public static ElfBuilder MinimalSolo5(uint target = 1, uint version = 2)
    {
        var b = new ElfBuilder { Entry = 0x100000 };
        b.AddRaw(PtInterp, Encoding.ASCII.GetBytes(ElfImage.Solo5InterpMarker + "\0\0\0\0\0"));
        b.AddLoad(0x100000, Code(), PfX);
        int ro = b.AddLoad(0x101000, Solo5AbiNote(target, version), PfR);
        b.AddNoteFor(ro);
        return b;
    }
}
