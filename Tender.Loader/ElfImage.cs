using System.Buffers.Binary;
using System.Text;

namespace Tender.Loader;

/// <summary>
/// A validated static ELF64 x86-64 executable (ET_EXEC) ready to be copied into guest memory.
/// The file is untrusted: <see cref="Parse"/> checks every header, range and note before any value
/// is used, and reports the first problem as an <see cref="ElfFormatException"/>.
/// </summary>
public sealed class ElfImage
{
    /// <summary>Page size of the guest (x86-64): permissions and kernel_end are per 4 KiB page.</summary>
    public const ulong PageSize = 0x1000;

    /// <summary>
    /// Lowest address an image may occupy (Solo5's HVT_GUEST_MIN_BASE): the tender keeps the null page,
    /// its boot structures, the boot info, command line and manifest below it.
    /// </summary>
    public const ulong MinLoadAddress = 0x100000;

    /// <summary>
    /// The PT_INTERP contents every Solo5 binary carries (elf_abi.h, DECLARE_ELF_INTERP) so that a
    /// host OS refuses to exec it. It is the one PT_INTERP accepted; it asks for nothing.
    /// </summary>
    public const string Solo5InterpMarker = "/nonexistent/solo5/";

    /// <summary>n_type of Solo5's manifest note (mft_abi.h MFT1_NOTE_TYPE): the bytes "MFT1".</summary>
    public const uint Solo5ManifestNoteType = 0x3154464d;

    /// <summary>
    /// Bytes between the start of the MFT1 descriptor and struct mft: Solo5 declares the note as one C
    /// struct whose `struct mft m` member is 8-aligned, so it sits at note offset 24 while the
    /// descriptor starts at 20 (mft.c: mft_get_builtin_mft1 subtracts the same 4 bytes).
    /// </summary>
    public const int Solo5ManifestDescriptorPadding = 4;

    /// <summary>Largest MFT1 descriptor Solo5 accepts (MFT1_NOTE_MAX_SIZE: 12 + 64 entries of 104 bytes).</summary>
    public const int Solo5ManifestMaxDescriptorSize = 12 + 64 * 104;

    /// <summary>Largest ABI1 descriptor Solo5 accepts (ABI1_NOTE_MAX_SIZE).</summary>
    public const int Solo5AbiMaxDescriptorSize = 32;

    // ELF constants (System V gABI and the x86-64 psABI).
    private const int EhdrSize = 64;
    private const int PhdrSize = 56;
    private const int NhdrSize = 12;
    private const byte ElfClass64 = 2;
    private const byte ElfData2Lsb = 1;
    private const byte EvCurrent = 1;
    private const ushort EtRel = 1, EtExec = 2, EtDyn = 3, EtCore = 4;
    private const ushort EmX86_64 = 62;
    private const ushort PnXnum = 0xFFFF;
    private const uint PtLoad = 1, PtDynamic = 2, PtInterp = 3, PtNote = 4;

    private readonly byte[] _file;

    private ElfImage(
        byte[] file,
        ulong entry,
        IReadOnlyList<LoadSegment> segments,
        IReadOnlyList<ElfNote> notes,
        ulong kernelEnd,
        GuestKind kind,
        Solo5AbiNote? solo5Abi,
        TenderDeprivilegedNote? deprivileged,
        byte[]? manifestNote,
        ulong? manifestNoteGuestAddress,
        TenderFaultNote? faults = null)
    {
        _file = file;
        Entry = entry;
        LoadSegments = segments;
        Notes = notes;
        KernelEnd = kernelEnd;
        Kind = kind;
        Solo5Abi = solo5Abi;
        Deprivileged = deprivileged;
        ManifestNote = manifestNote;
        ManifestNoteGuestAddress = manifestNoteGuestAddress;
        Faults = faults;
    }

    /// <summary>The Tender fault note when present (a deprivileged guest's fault entry point).</summary>
    public TenderFaultNote? Faults { get; }

    /// <summary>e_entry: checked to lie inside the file bytes of an executable PT_LOAD segment.</summary>
    public ulong Entry { get; }

    /// <summary>The non-empty PT_LOAD segments, sorted by address, no two sharing a 4 KiB page.</summary>
    public IReadOnlyList<LoadSegment> LoadSegments { get; }

    /// <summary>Every note of every PT_NOTE segment, in file order.</summary>
    public IReadOnlyList<ElfNote> Notes { get; }

    /// <summary>End of the highest PT_LOAD segment rounded up to 4 KiB (hvt_boot_info.kernel_end).</summary>
    public ulong KernelEnd { get; }

    /// <summary>The boot mode the notes select (docs/abi.md).</summary>
    public GuestKind Kind { get; }

    /// <summary>Solo5's ABI note when present (already checked to be hvt ABI v2 when Kind is Solo5).</summary>
    public Solo5AbiNote? Solo5Abi { get; }

    /// <summary>The Tender deprivileged note when present (then Kind is Deprivileged).</summary>
    public TenderDeprivilegedNote? Deprivileged { get; }

    /// <summary>
    /// The bytes of Solo5's binary manifest (struct mft, without the note's internal padding) from the
    /// MFT1 note, or null when the ELF has none. Not validated here: Tender.Manifest decodes it.
    /// </summary>
    public byte[]? ManifestNote { get; }

    /// <summary>
    /// Guest address of the first byte of <see cref="ManifestNote"/> once loaded (null when the note is
    /// outside every PT_LOAD). Solo5 itself never writes there: it validates a copy, fills the copy in
    /// and places it after hvt_boot_info in low memory. This address is informational.
    /// </summary>
    public ulong? ManifestNoteGuestAddress { get; }

    /// <summary>Lowest address of any loaded segment (its page start).</summary>
    public ulong ImageStart => LoadSegments[0].PageStart;

    /// <summary>Reads and parses an ELF file; I/O failures are reported as ElfFormatException too.</summary>
    public static ElfImage Load(string path)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
                throw new ElfFormatException($"{path}: ELF: file not found");
            if (info.Length > int.MaxValue)
                throw new ElfFormatException($"{path}: ELF: file is {info.Length} bytes; at most {int.MaxValue} are supported");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ElfFormatException($"{path}: ELF: cannot read the file: {e.Message}");
        }
        try
        {
            return Parse(bytes);
        }
        catch (ElfFormatException e)
        {
            throw new ElfFormatException($"{path}: {e.Message}");
        }
    }

    /// <summary>Parses and validates an ELF image held in memory (the bytes are copied).</summary>
    public static ElfImage Parse(ReadOnlySpan<byte> file)
    {
        byte[] copy = file.ToArray();
        return new Parser(copy).Run();
    }

    /// <summary>
    /// Checks that the image fits guest memory of <paramref name="memorySize"/> bytes with the top
    /// <paramref name="reservedTop"/> bytes kept free (deprivileged mode: stack + guard page, see
    /// <see cref="TenderDeprivilegedNote.ReservedTop"/>; Solo5 mode: 0 or whatever the tender keeps).
    /// Every segment must lie inside [0x100000, memorySize - reservedTop).
    /// </summary>
    public void Validate(ulong memorySize, ulong reservedTop)
    {
        ulong needed = RequiredMemory(reservedTop);
        if (reservedTop >= memorySize || KernelEnd > memorySize - reservedTop)
        {
            string reserved = reservedTop == 0
                ? ""
                : $" plus {FormatSize(reservedTop)} reserved at the top of memory";
            string neededText = needed == ulong.MaxValue ? "more than 16 EiB" : $"{needed / (1024 * 1024)} MiB";
            throw new ElfFormatException(
                $"ELF: the image needs at least {neededText} of guest memory (its segments end at 0x{KernelEnd:x}{reserved}) " +
                $"but the guest has {FormatSize(memorySize)}; use --mem");
        }
    }

    /// <summary>
    /// Smallest memory size, a whole number of MiB, that <see cref="Validate"/> accepts with this
    /// reservedTop (ulong.MaxValue when that does not fit in 64 bits).
    /// </summary>
    public ulong RequiredMemory(ulong reservedTop)
    {
        const ulong MiB = 1024 * 1024;
        // KernelEnd + reservedTop (the image may end exactly where the reservation starts), rounded
        // up to whole MiB. Every step saturates instead of wrapping.
        ulong total = KernelEnd;
        if (reservedTop > ulong.MaxValue - total)
            return ulong.MaxValue;
        total += reservedTop;
        if (total > ulong.MaxValue - (MiB - 1))
            return ulong.MaxValue;
        return (total + MiB - 1) / MiB * MiB;
    }

    /// <summary>
    /// Copies every segment's file bytes to guest memory at its address and zeroes its bss part.
    /// Throws (and writes nothing) when a segment does not fit in <paramref name="guestMemory"/>.
    /// </summary>
    public void LoadInto(Span<byte> guestMemory)
    {
        Validate((ulong)guestMemory.Length, 0);
        foreach (LoadSegment s in LoadSegments)
        {
            // Validate proved End <= Length <= int.MaxValue, so every value below fits an int.
            int address = checked((int)s.VirtualAddress);
            int fileSize = checked((int)s.FileSize);
            int bssSize = checked((int)(s.MemorySize - s.FileSize));
            _file.AsSpan(checked((int)s.FileOffset), fileSize).CopyTo(guestMemory.Slice(address, fileSize));
            guestMemory.Slice(address + fileSize, bssSize).Clear();
        }
    }

    /// <summary>
    /// Same as <see cref="LoadInto(Span{byte})"/> for guest memory larger than a span can describe
    /// (more than 2 GiB): <paramref name="guestMemory"/> points at guest-physical address 0.
    /// </summary>
    public unsafe void LoadInto(byte* guestMemory, ulong guestMemorySize)
    {
        if (guestMemory == null)
            throw new ArgumentNullException(nameof(guestMemory));
        Validate(guestMemorySize, 0);
        foreach (LoadSegment s in LoadSegments)
        {
            // File bytes come from a managed array, so FileSize < 2^31 and fits a span.
            int fileSize = checked((int)s.FileSize);
            _file.AsSpan(checked((int)s.FileOffset), fileSize)
                .CopyTo(new Span<byte>(guestMemory + s.VirtualAddress, fileSize));
            // The bss may be larger than a span; clear it in chunks.
            ulong at = s.VirtualAddress + s.FileSize;
            ulong left = s.MemorySize - s.FileSize;
            while (left > 0)
            {
                int chunk = (int)Math.Min(left, 1UL << 30);
                new Span<byte>(guestMemory + at, chunk).Clear();
                at += (ulong)chunk;
                left -= (ulong)chunk;
            }
        }
    }

    /// <summary>A copy of the file bytes of a segment (for tests and listings).</summary>
    public byte[] GetFileBytes(LoadSegment segment) =>
        _file.AsSpan(checked((int)segment.FileOffset), checked((int)segment.FileSize)).ToArray();

    /// <summary>"16 MiB", "4 KiB" or "123 bytes (0x7b)": sizes in messages and listings.</summary>
    public static string FormatSizeText(ulong bytes) => FormatSize(bytes);

    internal static string FormatSize(ulong bytes)
    {
        if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
            return $"{bytes / (1024 * 1024)} MiB";
        if (bytes >= 1024 && bytes % 1024 == 0)
            return $"{bytes / 1024} KiB";
        return $"{bytes} bytes (0x{bytes:x})";
    }

    /// <summary>The parsing steps, kept together so that each check reads top to bottom.</summary>
    private sealed class Parser
    {
        private readonly byte[] _f;
        private readonly List<LoadSegment> _segments = new();
        private readonly List<ElfNote> _notes = new();
        private readonly List<(int Index, ulong Offset, ulong Size, ulong Align)> _noteHeaders = new();

        public Parser(byte[] file) => _f = file;

        private ulong Length => (ulong)_f.Length;

        private static ElfFormatException Fail(string message) => new("ELF: " + message);

        public ElfImage Run()
        {
            (ulong entry, ulong phoff, int phnum) = ParseHeader();
            for (int i = 0; i < phnum; i++)
                ParseProgramHeader(i, phoff + (ulong)i * PhdrSize);

            if (_segments.Count == 0)
                throw Fail("no loadable (PT_LOAD) segment with a non-zero size");
            _segments.Sort((a, b) => a.VirtualAddress.CompareTo(b.VirtualAddress));
            for (int i = 1; i < _segments.Count; i++)
            {
                LoadSegment a = _segments[i - 1], b = _segments[i];
                if (a.PageEnd > b.PageStart)
                    throw Fail(
                        $"program headers {a.ProgramHeaderIndex} and {b.ProgramHeaderIndex}: PT_LOAD segments " +
                        $"[0x{a.VirtualAddress:x},0x{a.End:x}) and [0x{b.VirtualAddress:x},0x{b.End:x}) overlap or share a 4 KiB page " +
                        "(each segment needs its own pages for its permissions)");
            }
            ulong kernelEnd = _segments[^1].PageEnd;

            foreach (var h in _noteHeaders)
                ParseNotes(h.Index, h.Offset, h.Size, h.Align);

            (GuestKind kind, Solo5AbiNote? abi, TenderDeprivilegedNote? depriv, byte[]? mft, ulong? mftAddress) = DecodeKnownNotes();
            TenderFaultNote? faults = DecodeFaultNote(kind);

            // The entry point must be code the image actually contains (not bss, not data).
            bool entryOk = _segments.Any(s =>
                s.IsExecutable && entry >= s.VirtualAddress && entry - s.VirtualAddress < s.FileSize);
            if (!entryOk)
                throw Fail($"entry point 0x{entry:x} is not inside the file bytes of an executable PT_LOAD segment");

            if (faults is TenderFaultNote f && !_segments.Any(s => s.IsExecutable && f.Entry >= s.VirtualAddress && f.Entry - s.VirtualAddress < s.FileSize))
                throw Fail($"Tender fault note: entry 0x{f.Entry:x} is not inside the file bytes of an executable PT_LOAD segment");

            return new ElfImage(_f, entry, _segments.ToArray(), _notes.ToArray(), kernelEnd, kind, abi, depriv, mft, mftAddress, faults);
        }

        private (ulong Entry, ulong PhOff, int PhNum) ParseHeader()
        {
            ReadOnlySpan<byte> f = _f;
            if (f.Length < 4 || f[0] != 0x7F || f[1] != (byte)'E' || f[2] != (byte)'L' || f[3] != (byte)'F')
                throw Fail("not an ELF file (bad magic; expected 7F 45 4C 46)");
            if (f.Length < EhdrSize)
                throw Fail($"file is {f.Length} bytes, shorter than the 64-byte ELF64 header");
            if (f[4] != ElfClass64)
                throw Fail($"EI_CLASS is {f[4]}; only 64-bit ELF (ELFCLASS64 = 2) is supported");
            if (f[5] != ElfData2Lsb)
                throw Fail($"EI_DATA is {f[5]}; only little-endian ELF (ELFDATA2LSB = 1) is supported");
            if (f[6] != EvCurrent)
                throw Fail($"EI_VERSION is {f[6]}; expected 1 (EV_CURRENT)");
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(f[16..]);
            ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(f[18..]);
            uint version = BinaryPrimitives.ReadUInt32LittleEndian(f[20..]);
            ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(f[24..]);
            ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(f[32..]);
            ushort ehsize = BinaryPrimitives.ReadUInt16LittleEndian(f[52..]);
            ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(f[54..]);
            ushort phnum = BinaryPrimitives.ReadUInt16LittleEndian(f[56..]);

            if (machine != EmX86_64)
                throw Fail($"e_machine is {machine}; only x86-64 (EM_X86_64 = 62) is supported");
            switch (type)
            {
                case EtExec:
                    break;
                case EtDyn:
                    throw Fail("e_type is ET_DYN (a shared object or position-independent executable); " +
                               "only static executables (ET_EXEC) can run: link with -static -no-pie at a fixed address");
                case EtRel:
                    throw Fail("e_type is ET_REL (a relocatable object file); link it into a static executable (ET_EXEC) first");
                case EtCore:
                    throw Fail("e_type is ET_CORE (a core dump); only static executables (ET_EXEC) can run");
                default:
                    throw Fail($"e_type is {type}; only static executables (ET_EXEC = 2) can run");
            }
            if (version != EvCurrent)
                throw Fail($"e_version is {version}; expected 1 (EV_CURRENT)");
            if (ehsize != EhdrSize)
                throw Fail($"e_ehsize is {ehsize}; an ELF64 header is 64 bytes");
            if (phentsize != PhdrSize)
                throw Fail($"e_phentsize is {phentsize}; an ELF64 program header is 56 bytes");
            if (phnum == 0)
                throw Fail("no program headers (e_phnum is 0)");
            if (phnum == PnXnum)
                throw Fail("e_phnum is 0xffff (PN_XNUM, more program headers than the header can count); not supported");
            // phnum < 2^16 and PhdrSize < 2^6, so the product cannot overflow; the sum is checked.
            ulong tableSize = (ulong)phnum * PhdrSize;
            if (phoff > Length || tableSize > Length - phoff)
                throw Fail($"program header table [0x{phoff:x},0x{(phoff > ulong.MaxValue - tableSize ? ulong.MaxValue : phoff + tableSize):x}) " +
                           $"({phnum} entries) exceeds file size 0x{Length:x}");
            return (entry, phoff, phnum);
        }

        private void ParseProgramHeader(int index, ulong at)
        {
            ReadOnlySpan<byte> p = _f.AsSpan((int)at, PhdrSize);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(p);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(p[8..]);
            ulong vaddr = BinaryPrimitives.ReadUInt64LittleEndian(p[16..]);
            ulong filesz = BinaryPrimitives.ReadUInt64LittleEndian(p[32..]);
            ulong memsz = BinaryPrimitives.ReadUInt64LittleEndian(p[40..]);
            ulong align = BinaryPrimitives.ReadUInt64LittleEndian(p[48..]);
            string where = $"program header {index}";

            switch (type)
            {
                case PtLoad:
                    ParseLoad(index, where, flags, offset, vaddr, filesz, memsz, align);
                    break;
                case PtNote:
                    CheckFileRange(where, "PT_NOTE", offset, filesz);
                    _noteHeaders.Add((index, offset, filesz, align));
                    break;
                case PtInterp:
                    CheckInterp(where, offset, filesz);
                    break;
                case PtDynamic:
                    throw Fail($"{where}: PT_DYNAMIC: dynamically linked executables are not supported; link statically");
                default:
                    // PT_PHDR, PT_TLS, PT_GNU_STACK, PT_GNU_PROPERTY, … describe parts of the image
                    // or hints for an OS loader; none of them changes what the tender loads.
                    break;
            }
        }

        private void CheckFileRange(string where, string what, ulong offset, ulong size)
        {
            if (offset > Length || size > Length - offset)
            {
                string end = offset > ulong.MaxValue - size ? "2^64 or beyond" : $"0x{offset + size:x}";
                throw Fail($"{where}: {what} file range [0x{offset:x},{end}) exceeds file size 0x{Length:x}");
            }
        }

        private void CheckInterp(string where, ulong offset, ulong size)
        {
            CheckFileRange(where, "PT_INTERP", offset, size);
            ReadOnlySpan<byte> text = _f.AsSpan((int)offset, (int)size);
            int nul = text.IndexOf((byte)0);
            ReadOnlySpan<byte> path = nul < 0 ? text : text[..nul];
            string interp = Encoding.ASCII.GetString(path);
            // Solo5 binaries name a nonexistent interpreter so that a host OS refuses them; that is
            // the only one accepted, everything else means "needs a dynamic linker".
            if (interp == Solo5InterpMarker && nul >= 0 && !text[nul..].ContainsAnyExcept((byte)0))
                return;
            throw Fail($"{where}: PT_INTERP asks for the dynamic linker \"{Printable(interp)}\"; " +
                       "only static executables can run (link with -static)");
        }

        private void ParseLoad(int index, string where, uint flags, ulong offset, ulong vaddr, ulong filesz, ulong memsz, ulong align)
        {
            if (filesz > memsz)
                throw Fail($"{where}: PT_LOAD file size 0x{filesz:x} is larger than its memory size 0x{memsz:x}");
            CheckFileRange(where, "PT_LOAD", offset, filesz);
            if (vaddr > ulong.MaxValue - memsz || vaddr + memsz > ulong.MaxValue - (PageSize - 1))
                throw Fail($"{where}: PT_LOAD address 0x{vaddr:x} + memory size 0x{memsz:x} overflows the 64-bit address space");
            if (memsz == 0)
                return; // Occupies nothing; Solo5 skips such segments too.
            if (align > 1)
            {
                if ((align & (align - 1)) != 0)
                    throw Fail($"{where}: PT_LOAD alignment 0x{align:x} is not a power of two");
                if (vaddr % align != offset % align)
                    throw Fail($"{where}: PT_LOAD address 0x{vaddr:x} and file offset 0x{offset:x} differ modulo the alignment 0x{align:x}");
            }
            if (vaddr < MinLoadAddress)
                throw Fail($"{where}: PT_LOAD at 0x{vaddr:x} lies below 0x{MinLoadAddress:x}; the first MiB holds the tender's boot structures, " +
                           "so link the image at 0x100000 or above");
            const uint knownFlags = (uint)(SegmentFlags.Read | SegmentFlags.Write | SegmentFlags.Execute);
            var f = (SegmentFlags)(flags & knownFlags);
            if ((f & (SegmentFlags.Write | SegmentFlags.Execute)) == (SegmentFlags.Write | SegmentFlags.Execute))
                throw Fail($"{where}: PT_LOAD [0x{vaddr:x},0x{vaddr + memsz:x}) is both writable and executable (W+X); " +
                           "code and data must be in separate segments");
            _segments.Add(new LoadSegment(index, offset, vaddr, filesz, memsz, f, align));
        }

        /// <summary>Guest address of file bytes [offset, offset+size) when some PT_LOAD carries them.</summary>
        private ulong? GuestAddressOf(ulong offset, ulong size)
        {
            foreach (LoadSegment s in _segments)
            {
                if (offset >= s.FileOffset && offset - s.FileOffset <= s.FileSize && size <= s.FileSize - (offset - s.FileOffset))
                    return s.VirtualAddress + (offset - s.FileOffset);
            }
            return null;
        }

        private void ParseNotes(int index, ulong offset, ulong size, ulong align)
        {
            string where = $"program header {index}";
            // Steps between notes follow the segment's alignment (4, or 8 for 8-aligned note sections).
            // The name is always padded to 4 bytes before the descriptor: that is how Solo5 lays out
            // its notes (a fixed 20-byte header) and how the Tender note is defined, even when the
            // linker gives the segment 8-byte alignment; for the usual 4-byte names both agree.
            ulong step = align == 8 ? 8UL : 4UL;
            ReadOnlySpan<byte> seg = _f.AsSpan((int)offset, (int)size);
            ulong pos = 0;
            int n = 0;
            while (pos < size)
            {
                ulong left = size - pos;
                if (left < NhdrSize)
                {
                    // Alignment padding at the end of a segment is harmless; anything else is not a note.
                    if (seg[(int)pos..].ContainsAnyExcept((byte)0))
                        throw Fail($"{where}: PT_NOTE has {left} trailing bytes at offset 0x{pos:x}, too few for a note header");
                    break;
                }
                ReadOnlySpan<byte> h = seg[(int)pos..];
                uint namesz = BinaryPrimitives.ReadUInt32LittleEndian(h);
                uint descsz = BinaryPrimitives.ReadUInt32LittleEndian(h[4..]);
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
                // All in 64-bit arithmetic: pos < 2^31 and namesz, descsz < 2^32, so nothing wraps.
                ulong nameAt = pos + NhdrSize;
                ulong descAt = nameAt + Align(namesz, 4);
                ulong descEnd = descAt + descsz;
                if (nameAt + namesz > size)
                    throw Fail($"{where}: note {n} name size 0x{namesz:x} runs past the end of the PT_NOTE segment (size 0x{size:x})");
                if (descEnd > size)
                    throw Fail($"{where}: note {n} descriptor size 0x{descsz:x} runs past the end of the PT_NOTE segment (size 0x{size:x})");
                ReadOnlySpan<byte> name = seg.Slice((int)nameAt, (int)namesz);
                int nul = name.IndexOf((byte)0);
                string owner = Encoding.Latin1.GetString(nul < 0 ? name : name[..nul]);
                byte[] desc = seg.Slice((int)descAt, (int)descsz).ToArray();
                ulong descFileOffset = offset + descAt;
                _notes.Add(new ElfNote(owner, namesz, type, desc, index, descFileOffset, GuestAddressOf(descFileOffset, descsz)));
                n++;
                pos = Align(descEnd, step);
            }
        }

        private static ulong Align(ulong v, ulong a) => (v + a - 1) & ~(a - 1);

        private static string Printable(string s)
        {
            var b = new StringBuilder();
            foreach (char c in s.Length > 100 ? s[..100] : s)
                b.Append(c >= ' ' && c < 0x7F ? c : '?');
            return b.ToString();
        }

        private TenderFaultNote? DecodeFaultNote(GuestKind kind)
        {
            ElfNote? found = null;
            foreach (ElfNote note in _notes)
                if (note.NameSize == (uint)TenderDeprivilegedNote.OwnerName.Length + 1 && note.Owner == TenderDeprivilegedNote.OwnerName && note.Type == TenderFaultNote.NoteType)
                    found = Single(found, note, "Tender faults (NT_TENDER_FAULTS)");
            if (found is null) return null;
            string where = $"program header {found.ProgramHeaderIndex}: Tender fault note";
            if (kind != GuestKind.Deprivileged)
                throw Fail($"{where}: only a deprivileged guest (with the Tender deprivileged note) may carry it");
            byte[] d = found.Descriptor;
            if (d.Length != TenderFaultNote.DescriptorSize)
                throw Fail($"{where}: descriptor is {d.Length} bytes; expected {TenderFaultNote.DescriptorSize}");
            var t = new TenderFaultNote(
                BinaryPrimitives.ReadUInt32LittleEndian(d),
                BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(4)),
                BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(8)));
            if (t.Version != TenderFaultNote.SupportedVersion)
                throw Fail($"{where}: version {t.Version} is not supported (this tender supports version {TenderFaultNote.SupportedVersion})");
            if (t.Flags != 0)
                throw Fail($"{where}: flags 0x{t.Flags:x} has unknown bits (must be 0)");
            return t;
        }

        private (GuestKind, Solo5AbiNote?, TenderDeprivilegedNote?, byte[]?, ulong?) DecodeKnownNotes()
        {
            ElfNote? abiNote = null, tenderNote = null, mftNote = null;
            foreach (ElfNote note in _notes)
            {
                // A recognised owner must be spelled exactly, NUL included, as its definition says.
                if (note.NameSize != (uint)note.Owner.Length + 1)
                    continue;
                if (note.Owner == Solo5AbiNote.OwnerName && note.Type == Solo5AbiNote.NoteType)
                    abiNote = Single(abiNote, note, "Solo5 ABI (ABI1)");
                else if (note.Owner == Solo5AbiNote.OwnerName && note.Type == Solo5ManifestNoteType)
                    mftNote = Single(mftNote, note, "Solo5 manifest (MFT1)");
                else if (note.Owner == TenderDeprivilegedNote.OwnerName && note.Type == TenderDeprivilegedNote.NoteType)
                    tenderNote = Single(tenderNote, note, "Tender deprivileged (NT_TENDER_DEPRIV)");
            }

            Solo5AbiNote? abi = null;
            if (abiNote is not null)
            {
                byte[] d = abiNote.Descriptor;
                if (d.Length < 8 || d.Length > Solo5AbiMaxDescriptorSize)
                    throw Fail($"program header {abiNote.ProgramHeaderIndex}: Solo5 ABI note descriptor is {d.Length} bytes; expected 8..{Solo5AbiMaxDescriptorSize}");
                abi = new Solo5AbiNote(BinaryPrimitives.ReadUInt32LittleEndian(d), BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(4)));
            }

            TenderDeprivilegedNote? depriv = null;
            if (tenderNote is not null)
            {
                string where = $"program header {tenderNote.ProgramHeaderIndex}: Tender note";
                byte[] d = tenderNote.Descriptor;
                if (d.Length != TenderDeprivilegedNote.DescriptorSize)
                    throw Fail($"{where}: descriptor is {d.Length} bytes; expected {TenderDeprivilegedNote.DescriptorSize}");
                var t = new TenderDeprivilegedNote(
                    BinaryPrimitives.ReadUInt32LittleEndian(d),
                    BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(4)),
                    BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(8)));
                if (t.Version != TenderDeprivilegedNote.SupportedVersion)
                    throw Fail($"{where}: version {t.Version} is not supported (this tender supports version {TenderDeprivilegedNote.SupportedVersion})");
                if (t.Flags != 0)
                    throw Fail($"{where}: flags 0x{t.Flags:x} has unknown bits (must be 0)");
                if (t.StackSize % PageSize != 0)
                    throw Fail($"{where}: stack size 0x{t.StackSize:x} is not a multiple of 4096");
                if (t.StackSize > 1UL << 36)
                    throw Fail($"{where}: stack size 0x{t.StackSize:x} is larger than the 64 GiB any guest can have");
                depriv = t;
            }

            byte[]? mft = null;
            ulong? mftAddress = null;
            if (mftNote is not null)
            {
                byte[] d = mftNote.Descriptor;
                if (d.Length <= Solo5ManifestDescriptorPadding || d.Length > Solo5ManifestMaxDescriptorSize)
                    throw Fail($"program header {mftNote.ProgramHeaderIndex}: Solo5 manifest note descriptor is {d.Length} bytes; " +
                               $"expected {Solo5ManifestDescriptorPadding + 1}..{Solo5ManifestMaxDescriptorSize}");
                mft = d.AsSpan(Solo5ManifestDescriptorPadding).ToArray();
                mftAddress = mftNote.DescriptorGuestAddress + Solo5ManifestDescriptorPadding;
            }

            GuestKind kind;
            if (depriv is not null)
            {
                kind = GuestKind.Deprivileged;
            }
            else if (abi is { } a)
            {
                if (a.Target != Solo5AbiNote.HvtTarget)
                    throw Fail($"Solo5 ABI note is for target {Solo5AbiNote.TargetName(a.Target)} ({a.Target}); " +
                               $"this tender runs hvt ({Solo5AbiNote.HvtTarget}) binaries");
                if (a.Version != Solo5AbiNote.SupportedHvtVersion)
                    throw Fail($"Solo5 ABI note asks for hvt ABI version {a.Version}; this tender supports hvt ABI version {Solo5AbiNote.SupportedHvtVersion}");
                kind = GuestKind.Solo5;
            }
            else
            {
                throw Fail("not a Solo5 hvt or tender guest (no ABI note)");
            }
            return (kind, abi, depriv, mft, mftAddress);
        }

        private static ElfNote Single(ElfNote? existing, ElfNote found, string what)
        {
            if (existing is not null)
                throw Fail($"two {what} notes (program headers {existing.ProgramHeaderIndex} and {found.ProgramHeaderIndex}); expected one");
            return found;
        }
    }
}
