using System.Buffers.Binary;
using System.Text;

namespace Tender.Diagnostics;

/// <summary>
/// An ELF core file of a guest, in the form Linux writes for a process, so that
/// <c>gdb guest.elf core</c> opens it: an ELF64 header of type ET_CORE, one PT_NOTE with
/// NT_PRSTATUS (the signal and the registers, <c>struct elf_prstatus</c>), NT_PRPSINFO (the
/// guest's name and command line) and a "TENDER" note with the crash report's headline, then one
/// PT_LOAD per run of guest pages that hold anything. All-zero pages are left out (a guest of
/// 512 MiB that used 3 MiB gives a core of about 3 MiB); gdb reports them as unreadable.
/// The layouts are the x86-64 Linux ones (include/uapi/linux/elfcore.h, asm/user_64.h).
/// </summary>
internal static class CoreFile
{
    public const int PageSize = 4096;
    private const int ElfHeaderSize = 64, ProgramHeaderSize = 56;
    private const uint PT_LOAD = 1, PT_NOTE = 4;
    public const uint PF_X = 1, PF_W = 2, PF_R = 4;
    private const uint NT_PRSTATUS = 1, NT_PRPSINFO = 3;
    /// <summary>The tender's own note type in the "TENDER" namespace: the crash report's headline, UTF-8.</summary>
    public const uint NT_TENDER_CRASH = 1;
    private const int PrStatusSize = 336, PrStatusRegsOffset = 112, PrPsInfoSize = 136;

    /// <summary>A guest-virtual range and the tender's mapping of the memory behind it.</summary>
    public readonly unsafe record struct Segment(ulong VirtualAddress, ulong Length, uint Flags, nint Host);

    /// <summary>What goes into the notes.</summary>
    /// <param name="Signal">the signal a process would have died of (SIGSEGV for a page fault, …)</param>
    /// <param name="Registers">struct user_regs_struct's 27 values, in its order (<see cref="UserRegs"/>)</param>
    public sealed record Contents(int Signal, ulong[] Registers, int Pid, string Name, string CommandLine, string Crash);

    /// <summary>Indices into <see cref="Contents.Registers"/>: struct user_regs_struct's order.</summary>
    public enum UserRegs
    {
        R15, R14, R13, R12, Rbp, Rbx, R11, R10, R9, R8, Rax, Rcx, Rdx, Rsi, Rdi, OrigRax,
        Rip, Cs, Eflags, Rsp, Ss, FsBase, GsBase, Ds, Es, Fs, Gs, Count,
    }

    /// <summary>One PT_LOAD: [VirtualAddress, + Length) read from Host.</summary>
    private readonly record struct Load(ulong VirtualAddress, ulong Length, uint Flags, nint Host);

    /// <summary>Writes the core through <paramref name="write"/> (offset, bytes), in increasing offsets; returns its size.</summary>
    public static unsafe long Write(Contents contents, IReadOnlyList<Segment> segments, Action<long, ReadOnlySpan<byte>> write)
    {
        if (contents.Registers.Length != (int)UserRegs.Count)
            throw new ArgumentException($"{contents.Registers.Length} registers; struct user_regs_struct has {(int)UserRegs.Count}");
        var loads = new List<Load>();
        foreach (var s in segments) SplitAtZeroPages(s, loads);

        byte[] notes = Notes(contents);
        int phnum = 1 + loads.Count;
        if (phnum >= 0xFFFF) throw new InvalidOperationException($"{phnum} program headers do not fit an ELF header (PN_XNUM is not written)");
        long notesOffset = ElfHeaderSize + (long)phnum * ProgramHeaderSize;
        long dataOffset = AlignUp(notesOffset + notes.Length, PageSize);

        var head = new byte[dataOffset];
        WriteElfHeader(head, (ushort)phnum);
        var ph = head.AsSpan(ElfHeaderSize);
        WriteProgramHeader(ph, PT_NOTE, 0, notesOffset, 0, (ulong)notes.Length, 0);
        long offset = dataOffset;
        for (int i = 0; i < loads.Count; i++)
        {
            WriteProgramHeader(ph[((i + 1) * ProgramHeaderSize)..], PT_LOAD, loads[i].Flags, offset, loads[i].VirtualAddress, loads[i].Length, PageSize);
            offset += (long)loads[i].Length;
        }
        notes.CopyTo(head.AsSpan((int)notesOffset));
        write(0, head);
        offset = dataOffset;
        foreach (var load in loads)
        {
            for (ulong done = 0; done < load.Length;)
            {
                int chunk = (int)Math.Min(load.Length - done, 1UL << 20);
                write(offset, new ReadOnlySpan<byte>((byte*)load.Host + done, chunk));
                offset += chunk;
                done += (ulong)chunk;
            }
        }
        return offset;
    }

    /// <summary>Cuts a segment into runs of pages that are not all zero (page-aligned segments only).</summary>
    private static unsafe void SplitAtZeroPages(Segment s, List<Load> into)
    {
        if (s.VirtualAddress % PageSize != 0 || s.Length % PageSize != 0)
            throw new ArgumentException($"segment 0x{s.VirtualAddress:x} + 0x{s.Length:x} is not page-aligned");
        ulong runStart = 0;
        bool inRun = false;
        for (ulong page = 0; page < s.Length; page += PageSize)
        {
            bool used = !new ReadOnlySpan<byte>((byte*)s.Host + page, PageSize).SequenceEqual(ZeroPage);
            if (used && !inRun) { runStart = page; inRun = true; }
            else if (!used && inRun)
            {
                into.Add(new Load(s.VirtualAddress + runStart, page - runStart, s.Flags, s.Host + (nint)runStart));
                inRun = false;
            }
        }
        if (inRun) into.Add(new Load(s.VirtualAddress + runStart, s.Length - runStart, s.Flags, s.Host + (nint)runStart));
    }

    private static readonly byte[] ZeroPage = new byte[PageSize];

    private static void WriteElfHeader(Span<byte> h, ushort phnum)
    {
        h[0] = 0x7F; h[1] = (byte)'E'; h[2] = (byte)'L'; h[3] = (byte)'F';
        h[4] = 2;  // ELFCLASS64
        h[5] = 1;  // ELFDATA2LSB
        h[6] = 1;  // EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], 4);     // ET_CORE
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], 62);    // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);     // EV_CURRENT
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], ElfHeaderSize); // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], ElfHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], ProgramHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], phnum);
        BinaryPrimitives.WriteUInt16LittleEndian(h[58..], 64);    // e_shentsize (no sections)
    }

    private static void WriteProgramHeader(Span<byte> p, uint type, uint flags, long offset, ulong vaddr, ulong size, ulong align)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(p, type);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], (ulong)offset);
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], vaddr);
        BinaryPrimitives.WriteUInt64LittleEndian(p[24..], vaddr);  // p_paddr: guest RAM is identity-mapped
        BinaryPrimitives.WriteUInt64LittleEndian(p[32..], size);   // p_filesz
        BinaryPrimitives.WriteUInt64LittleEndian(p[40..], size);   // p_memsz
        BinaryPrimitives.WriteUInt64LittleEndian(p[48..], align);
    }

    private static byte[] Notes(Contents c)
    {
        var status = new byte[PrStatusSize];
        BinaryPrimitives.WriteInt32LittleEndian(status, c.Signal);               // pr_info.si_signo
        BinaryPrimitives.WriteInt16LittleEndian(status.AsSpan(12), (short)c.Signal); // pr_cursig
        BinaryPrimitives.WriteInt32LittleEndian(status.AsSpan(32), c.Pid);       // pr_pid
        for (int i = 0; i < c.Registers.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(status.AsSpan(PrStatusRegsOffset + 8 * i), c.Registers[i]);

        var info = new byte[PrPsInfoSize];
        info[0] = 0; info[1] = (byte)'R';                                         // pr_state, pr_sname
        BinaryPrimitives.WriteInt32LittleEndian(info.AsSpan(24), c.Pid);         // pr_pid
        CopyCString(c.Name, info.AsSpan(40, 16));                                // pr_fname
        CopyCString(c.CommandLine, info.AsSpan(56, 80));                         // pr_psargs

        var notes = new MemoryStream();
        Note(notes, "CORE", NT_PRSTATUS, status);
        Note(notes, "CORE", NT_PRPSINFO, info);
        Note(notes, "TENDER", NT_TENDER_CRASH, Encoding.UTF8.GetBytes(c.Crash + "\0"));
        return notes.ToArray();
    }

    private static void CopyCString(string text, Span<byte> field)
    {
        // At most field.Length - 1 bytes, so the field stays NUL-terminated (cut at a character boundary).
        var bytes = Encoding.UTF8.GetBytes(text);
        int n = Math.Min(bytes.Length, field.Length - 1);
        while (n > 0 && n < bytes.Length && (bytes[n] & 0xC0) == 0x80) n--;
        bytes.AsSpan(0, n).CopyTo(field);
    }

    private static void Note(MemoryStream into, string name, uint type, ReadOnlySpan<byte> desc)
    {
        byte[] nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)nameBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)desc.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], type);
        into.Write(header);
        into.Write(nameBytes);
        Pad4(into);
        into.Write(desc);
        Pad4(into);
    }

    private static void Pad4(MemoryStream s)
    {
        while (s.Length % 4 != 0) s.WriteByte(0);
    }

    private static long AlignUp(long value, long unit) => (value + unit - 1) / unit * unit;
}
