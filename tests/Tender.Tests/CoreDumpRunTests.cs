using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Tender.Diagnostics;
using Tender.Run;
using Tender.Tests.Solo5;
using Tender.Tests.Support;

namespace Tender.Tests;

/// <summary>
/// Core dumps (`--dumpcore`): the ELF core file format read back byte by byte, a test guest's
/// crash read back by gdb (registers the guest set by hand, so the register note's layout is
/// checked), a Solo5-mode abort whose core shows the trap frame's state, and the file never
/// written through a link or over an existing file.
/// </summary>
public sealed class CoreDumpRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tender-cores-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public unsafe void The_core_file_has_the_notes_and_one_load_per_run_of_pages_that_are_not_zero()
    {
        // Four pages: used, zero, used, used.
        byte[] memory = new byte[4 * CoreFile.PageSize];
        memory[10] = 1;
        memory[2 * CoreFile.PageSize] = 2;
        memory[4 * CoreFile.PageSize - 1] = 3;
        var registers = new ulong[(int)CoreFile.UserRegs.Count];
        for (int i = 0; i < registers.Length; i++) registers[i] = 0x1000UL + (ulong)i;
        var output = new MemoryStream();
        long size;
        fixed (byte* p = memory)
        {
            size = CoreFile.Write(new CoreFile.Contents(11, registers, 4242, "a-rather-long-guest-name.elf", "guest.elf arg", "#PF page fault"),
                [new CoreFile.Segment(0x200000, (ulong)memory.Length, CoreFile.PF_R | CoreFile.PF_W, (nint)p)],
                (offset, bytes) => { Assert.Equal(output.Length, offset); output.Write(bytes); });
        }
        byte[] core = output.ToArray();
        Assert.Equal(core.Length, size);
        Assert.Equal("\x7f" + "ELF", Encoding.ASCII.GetString(core, 0, 4));
        Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(core.AsSpan(16)));   // ET_CORE
        Assert.Equal(62, BinaryPrimitives.ReadUInt16LittleEndian(core.AsSpan(18)));  // EM_X86_64
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(core.AsSpan(56));
        Assert.Equal(3, phnum); // the note and two loads: [0, 1) and [2, 4)

        var (noteType, _, noteOffset, _, noteSize) = ProgramHeader(core, 0);
        Assert.Equal(4u, noteType);
        var notes = ParseNotes(core.AsSpan((int)noteOffset, (int)noteSize));
        Assert.Equal(["CORE/1", "CORE/3", "TENDER/1"], notes.Select(n => $"{n.Name}/{n.Type}"));
        byte[] status = notes[0].Desc;
        Assert.Equal(336, status.Length);
        Assert.Equal(11, BinaryPrimitives.ReadInt32LittleEndian(status));                // si_signo
        Assert.Equal(11, BinaryPrimitives.ReadInt16LittleEndian(status.AsSpan(12)));     // pr_cursig
        Assert.Equal(4242, BinaryPrimitives.ReadInt32LittleEndian(status.AsSpan(32)));   // pr_pid
        for (int i = 0; i < registers.Length; i++)
            Assert.Equal(registers[i], BinaryPrimitives.ReadUInt64LittleEndian(status.AsSpan(112 + 8 * i)));
        byte[] info = notes[1].Desc;
        Assert.Equal(136, info.Length);
        Assert.Equal("a-rather-long-g", Encoding.ASCII.GetString(info, 40, 16).TrimEnd('\0')); // 15 bytes and the NUL
        Assert.Equal("guest.elf arg", Encoding.ASCII.GetString(info, 56, 80).TrimEnd('\0'));
        Assert.Equal("#PF page fault\0", Encoding.UTF8.GetString(notes[2].Desc));

        var first = ProgramHeader(core, 1);
        var second = ProgramHeader(core, 2);
        Assert.Equal((1u, 0x200000UL, (ulong)CoreFile.PageSize), (first.Type, first.Vaddr, first.Size));
        Assert.Equal((1u, 0x202000UL, 2UL * CoreFile.PageSize), (second.Type, second.Vaddr, second.Size));
        Assert.Equal(6u, first.Flags);
        Assert.Equal(0, (int)(first.Offset % CoreFile.PageSize));
        Assert.Equal(memory.AsSpan(0, CoreFile.PageSize).ToArray(), core.AsSpan((int)first.Offset, CoreFile.PageSize).ToArray());
        Assert.Equal(memory.AsSpan(2 * CoreFile.PageSize).ToArray(), core.AsSpan((int)second.Offset, 2 * CoreFile.PageSize).ToArray());
        Assert.Equal(second.Offset + second.Size, (ulong)core.Length);
    }

    [GuestFact]
    public void Gdb_opens_a_test_guests_crash_with_the_registers_it_set()
    {
        // fault.S sets RBX = 0x1111 and R15 = 0x2222, then reads page 0.
        string elf = TestGuests.Build("fault", ("KIND", "2"));
        var r = TenderProcess.Run("run", "--mem=8", $"--dumpcore={_dir}", elf);
        Assert.True(r.ExitCode == 125, r.ToString());
        string core = Assert.Single(Directory.GetFiles(_dir, "core.tender.*"));
        Assert.Contains($"tender: core dumped: {core}", r.Stderr);
        string gdb = Gdb(elf, core, "info registers rip rbx r15", "bt");
        Assert.Contains("Program terminated with signal SIGSEGV", gdb);
        Assert.Matches(@"rbx +0x1111 ", gdb);
        Assert.Matches(@"r15 +0x2222 ", gdb);
        Assert.Matches(@"rip +0x[0-9a-f]+ +0x[0-9a-f]+ <_start\+\d+>", gdb);
    }

    [GuestFact]
    public void A_solo5_abort_on_a_trap_dumps_the_trap_frames_state()
    {
        // probe.c's "abort" halts 255 with a trap frame: rip 0x100123, rsp 0x1ffff80, rflags 0x10046.
        var r = Solo5Run.Run(["--mem=32", $"--dumpcore={_dir}"], Solo5Guests.Probe, "abort");
        Assert.True(r.ExitCode == 255, r.ToString());
        string core = Assert.Single(Directory.GetFiles(_dir, "core.tender.*"));
        string gdb = Gdb(Solo5Guests.Probe, core, "info registers rip rsp eflags", "x/s &fake_trap");
        Assert.Contains("Program terminated with signal SIGABRT", gdb);
        Assert.Matches(@"rip +0x100123 ", gdb);
        Assert.Matches(@"rsp +0x1ffff80 ", gdb);
        Assert.Matches(@"eflags +0x10046 ", gdb);
    }

    [GuestFact]
    public void The_core_is_never_written_through_a_link_or_over_a_file()
    {
        // In-process, so the core's name (core.tender.PID) is known: a link planted there would be
        // followed by a naive open. O_EXCL|O_NOFOLLOW refuse it; the crash is still the outcome.
        string target = Path.Combine(_dir, "target");
        File.WriteAllText(target, "keep");
        string name = Path.Combine(_dir, $"core.tender.{Environment.ProcessId}");
        File.CreateSymbolicLink(name, target);
        string elf = TestGuests.Build("fault", ("KIND", "2"));
        using var stop = new StopController();
        var outcome = new GuestRunner(new RunOptions { KernelPath = elf, MemoryMiB = 8, Platform = TestPlatform.Current == "process" ? PlatformChoice.Process : PlatformChoice.Kvm, DumpCoreDirectory = _dir }, stop).Run();
        Assert.Equal(RunOutcome.Crash, outcome.ExitCode);
        Assert.Equal("keep", File.ReadAllText(target));
        Assert.Equal(target, new FileInfo(name).LinkTarget);
        Assert.Equal(2, Directory.GetFileSystemEntries(_dir).Length);

        // With the name free, the same run dumps.
        File.Delete(name);
        using var stop2 = new StopController();
        new GuestRunner(new RunOptions { KernelPath = elf, MemoryMiB = 8, Platform = TestPlatform.Current == "process" ? PlatformChoice.Process : PlatformChoice.Kvm, DumpCoreDirectory = _dir }, stop2).Run();
        Assert.True(new FileInfo(name).Length > 0);
        Assert.Null(new FileInfo(name).LinkTarget);
    }

    internal static string Gdb(string elf, string core, params string[] commands)
    {
        var info = new ProcessStartInfo("gdb") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["-batch", "-nx"]) info.ArgumentList.Add(a);
        foreach (string c in commands) { info.ArgumentList.Add("-ex"); info.ArgumentList.Add(c); }
        info.ArgumentList.Add(elf);
        info.ArgumentList.Add(core);
        using var gdb = Process.Start(info)!;
        var stderr = gdb.StandardError.ReadToEndAsync();
        string stdout = gdb.StandardOutput.ReadToEnd();
        Assert.True(gdb.WaitForExit(60_000), "gdb did not finish");
        string all = stdout + stderr.Result;
        Assert.True(gdb.ExitCode == 0, all);
        return all;
    }

    private static (uint Type, uint Flags, ulong Offset, ulong Vaddr, ulong Size) ProgramHeader(byte[] core, int index)
    {
        var p = core.AsSpan(64 + 56 * index);
        return (BinaryPrimitives.ReadUInt32LittleEndian(p), BinaryPrimitives.ReadUInt32LittleEndian(p[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(p[8..]), BinaryPrimitives.ReadUInt64LittleEndian(p[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(p[32..]));
    }

    private static List<(string Name, uint Type, byte[] Desc)> ParseNotes(ReadOnlySpan<byte> notes)
    {
        var list = new List<(string, uint, byte[])>();
        int at = 0;
        while (at < notes.Length)
        {
            int nameSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(notes[at..]);
            int descSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(notes[(at + 4)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(notes[(at + 8)..]);
            string name = Encoding.ASCII.GetString(notes.Slice(at + 12, nameSize - 1));
            int desc = at + 12 + ((nameSize + 3) & ~3);
            list.Add((name, type, notes.Slice(desc, descSize).ToArray()));
            at = desc + ((descSize + 3) & ~3);
        }
        return list;
    }
}
