using System.Diagnostics;
using System.Net;
using Tender.Gdb;

namespace Tender.Gdb.Tests;

/// <summary>
/// Debian's gdb in batch mode against a session on a loopback listener, with the fake target
/// "running" in this process (see <see cref="Runner"/>): what a user types, and what gdb prints.
/// </summary>
public class RealGdbTests
{
    private sealed record Session(string Output, Runner Runner);

    /// <summary>Runs gdb with <paramref name="commands"/> after connecting; bounded: gdb is killed after a minute.</summary>
    private static Session Gdb(Action<FakeTarget>? prepare, params string[] commands) => Gdb(null, prepare, commands);

    private static Session Gdb(string? elf, Action<FakeTarget>? prepare, params string[] commands) => Gdb(elf, prepare, null, commands);

    /// <param name="whileRunning">called with gdb's process id once the fake guest runs (for a Ctrl-C)</param>
    private static Session Gdb(string? elf, Action<FakeTarget>? prepare, Action<int>? whileRunning, params string[] commands)
    {
        using var listener = GdbServer.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var start = new ProcessStartInfo("gdb") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-batch", "-nx", "-ex", "set confirm off", "-ex", "set pagination off", "-ex", $"target remote 127.0.0.1:{port}" })
            start.ArgumentList.Add(a);
        if (elf is not null) start.ArgumentList.Add(elf);
        foreach (var c in commands)
        {
            start.ArgumentList.Add("-ex");
            start.ArgumentList.Add(c);
        }
        using var gdb = Process.Start(start)!;
        var stdout = gdb.StandardOutput.ReadToEndAsync();
        var stderr = gdb.StandardError.ReadToEndAsync();
        Assert.True(listener.Poll(30_000_000, System.Net.Sockets.SelectMode.SelectRead), "gdb did not connect");
        var runner = new Runner(GdbServer.Accept(listener, out _), prepare);
        if (whileRunning is not null)
        {
            var wait = Stopwatch.StartNew();
            while (!runner.Running && wait.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(20);
            Assert.True(runner.Running, "gdb never resumed the guest");
            whileRunning(gdb.Id);
        }
        if (!gdb.WaitForExit(60_000))
        {
            gdb.Kill();
            Assert.Fail("gdb did not finish within a minute: " + stdout.Result + stderr.Result);
        }
        Assert.True(runner.Join(TimeSpan.FromSeconds(10)), "the session did not end after gdb quit");
        runner.Dispose();
        Assert.Null(runner.Failure);
        return new Session(stdout.Result + stderr.Result, runner);
    }

    /// <summary>A step the tender cannot do (a Solo5-mode guest's iretq under KVM without guest
    /// debugging): gdb prints the reason and stops with SIGSTOP where it was.</summary>
    [Fact]
    public void A_refused_step_shows_its_reason_and_stops_gdb_with_sigstop()
    {
        var s = Gdb(t => t.RefuseStep = "tender: cannot step `iretq` at 0x401000", "stepi", "info registers rip");
        Assert.Contains("tender: cannot step `iretq` at 0x401000", s.Output);
        Assert.Contains("Program received signal SIGSTOP", s.Output);
        Assert.Matches(@"rip\s+0x401000\s+0x401000", s.Output);
    }

    [Fact]
    public void Info_registers_shows_the_targets_registers()
    {
        var s = Gdb(t => { t.Registers.Rax = 0x1234; t.Registers.FsBase = 0x7000; }, "info registers");
        Assert.Matches(@"rax\s+0x1234\s+4660", s.Output);
        Assert.Matches(@"rip\s+0x401000\s+0x401000", s.Output);
        Assert.Matches(@"eflags\s+0x202\s+\[ IF \]", s.Output);
        Assert.Matches(@"cs\s+0x33\s+51", s.Output);
        Assert.Matches(@"fs_base\s+0x7000\s+28672", s.Output);
        Assert.Equal(new Resume(ResumeKind.Detach), s.Runner.Final);
    }

    [Fact]
    public unsafe void Sse_and_x87_registers_come_from_the_target_when_it_has_them()
    {
        var s = Gdb(t =>
        {
            t.Registers.HasFpu = true;
            t.Registers.Mxcsr = 0x1f80;
            t.Registers.Xmm[16] = 0x42;            // xmm1, lowest byte
            t.Registers.St[9] = 0x3f; t.Registers.St[8] = 0xff; t.Registers.St[7] = 0x80; // st0 = 1.0
        }, "p/x $mxcsr", "p/x $xmm1.uint128", "p $st0", "p $xmm2.v4_int32");
        Assert.Contains("= 0x1f80", s.Output);
        Assert.Contains("= 0x42", s.Output);
        Assert.Contains("= 1\n", s.Output);
        Assert.Contains("= {0, 0, 0, 0}", s.Output);
    }

    [Fact]
    public void Ctrl_c_in_gdb_stops_the_running_guest_with_sigint()
    {
        var s = Gdb(null, null, gdbPid =>
        {
            // What a terminal's Ctrl-C does: SIGINT to gdb, which sends \x03 to the stub.
            using var kill = Process.Start("kill", ["-INT", gdbPid.ToString()]);
            kill.WaitForExit();
        }, "continue", "p/x $pc");
        Assert.Contains("Program received signal SIGINT, Interrupt.", s.Output);
        Assert.Contains("= 0x401000", s.Output);
        Assert.Contains(new Resume(ResumeKind.Continue), s.Runner.Resumes);
    }

    [Fact]
    public void X_reads_memory_and_the_hole_is_an_error()
    {
        var s = Gdb(t => t.Memory[0x1001] = 0xAB, "x/8bx 0x401000", "x/2bx 0x408000");
        Assert.Contains("0x401000:\t0x90\t0xab\t0x90\t0x90\t0x90\t0x90\t0x90\t0x90", s.Output);
        Assert.Contains("Cannot access memory at address 0x408000", s.Output);
    }

    [Fact]
    public void Set_writes_memory_and_registers()
    {
        var s = Gdb(null, "set {char}0x401000 = 1", "p $rax = 5", "p/x $rax", "x/1bx 0x401000");
        Assert.Equal(1, s.Runner.Target.At(0x401000));
        Assert.Equal(5UL, s.Runner.Target.Registers.Rax);
        Assert.Contains("= 0x5", s.Output);
        Assert.Contains("0x401000:\t0x01", s.Output);
    }

    [Fact]
    public void Break_continue_and_stepi()
    {
        var s = Gdb(t => t.Memory[0x1040] = 0x55, "break *0x401040", "continue", "p/x $pc", "stepi", "p/x $pc", "x/1bx 0x401040");
        Assert.Contains("Breakpoint 1, 0x0000000000401040 in ?? ()", s.Output);
        Assert.Contains("= 0x401040", s.Output);
        Assert.Contains("= 0x401041", s.Output);
        Assert.Contains("0x401040:\t0x55", s.Output);
        Assert.Equal(0x55, s.Runner.Target.At(0x401040)); // the int3 is out after gdb detached
        Assert.Contains(new Resume(ResumeKind.Continue), s.Runner.Resumes);
        Assert.Contains(new Resume(ResumeKind.Step), s.Runner.Resumes);
    }

    [Fact]
    public void A_watchpoint_fires_on_a_store()
    {
        var s = Gdb(null, "watch *(int*)0x402000", "continue");
        Assert.Contains("Hardware watchpoint 1: *(int*)0x402000", s.Output);
        Assert.Contains("Old value = -1869574000", s.Output); // 0x90909090
        Assert.Contains("New value = -1869573999", s.Output);
        Assert.Empty(s.Runner.Target.Hardware); // cleared on detach
    }

    [Fact]
    public void Detach_ends_the_session_with_detach()
    {
        var s = Gdb(null, "break *0x401040", "detach");
        Assert.Contains("[Inferior 1 (Remote target) detached]", s.Output);
        Assert.Equal(new Resume(ResumeKind.Detach), s.Runner.Final);
        Assert.Equal(0x90, s.Runner.Target.At(0x401040));
    }

    [Fact]
    public void Kill_ends_the_session_with_kill()
    {
        var s = Gdb(null, "kill");
        Assert.Contains("killed", s.Output);
        Assert.Equal(new Resume(ResumeKind.Kill), s.Runner.Final);
    }

    /// <summary>
    /// _start calls Main, Main (with a frame pointer) calls Helper; linked at 0x401000 and loaded into
    /// the fake's memory. The fake's stack is laid out as if the calls had happened, so that when the
    /// "run" stops at Helper's breakpoint gdb unwinds through Main to _start by the symbols alone.
    /// </summary>
    private const string CallChain = """
        .text
        .globl _start, Main, Helper
        _start:             # 0x401000
            call Main       # returns to 0x401005
            hlt
        .org 0x20
        Main:               # 0x401020
            push %rbp
            mov %rsp, %rbp
            call Helper     # at 0x401024, returns to 0x401029
            pop %rbp
            ret
        .org 0x40
        Helper:             # 0x401040
            nop
            nop
            ret
        """;

    [Fact]
    public void Break_on_a_symbol_and_backtrace_through_the_callers()
    {
        byte[] elf = Tender.TestSupport.Toolchain.Build(CallChain, null, "-Ttext=0x401000");
        string path = Path.Combine(Path.GetTempPath(), $"gdb-stub-test-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(path, elf);
        try
        {
            var s = Gdb(path, t =>
            {
                LoadSegments(elf, t);
                const ulong stack = 0x40e000;
                t.Registers.Rsp = stack;
                // At Helper's first instruction: [rsp] = return into Main; Main's saved rbp above it, then the return into _start.
                BitConverter.GetBytes(0x401029UL).CopyTo(t.Memory, (int)(stack - FakeTarget.Base));
                BitConverter.GetBytes(0UL).CopyTo(t.Memory, (int)(stack + 8 - FakeTarget.Base));
                BitConverter.GetBytes(0x401005UL).CopyTo(t.Memory, (int)(stack + 16 - FakeTarget.Base));
                t.Registers.Rbp = stack + 8;
            }, "break Helper", "continue", "bt", "x/2i $pc");
            Assert.Contains("Breakpoint 1, 0x0000000000401040 in Helper ()", s.Output);
            Assert.Matches(@"#1\s+0x0000000000401029 in Main \(\)", s.Output);
            Assert.Matches(@"#2\s+0x0000000000401005 in _start \(\)", s.Output);
            Assert.Matches(@"=> 0x401040 <Helper>:\s+nop", s.Output); // the original byte, not the int3
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The ELF's PT_LOAD segments into the fake's memory (ELF64 little-endian, as ld wrote it).</summary>
    private static void LoadSegments(byte[] elf, FakeTarget target)
    {
        ulong phoff = BitConverter.ToUInt64(elf, 0x20);
        int size = BitConverter.ToUInt16(elf, 0x36), count = BitConverter.ToUInt16(elf, 0x38);
        for (int i = 0; i < count; i++)
        {
            int ph = (int)phoff + i * size;
            if (BitConverter.ToUInt32(elf, ph) != 1) continue; // PT_LOAD
            ulong offset = BitConverter.ToUInt64(elf, ph + 8), vaddr = BitConverter.ToUInt64(elf, ph + 16), filesz = BitConverter.ToUInt64(elf, ph + 32);
            Assert.InRange(vaddr, FakeTarget.Base, FakeTarget.Base + FakeTarget.Size - filesz);
            elf.AsSpan((int)offset, (int)filesz).CopyTo(target.Memory.AsSpan((int)(vaddr - FakeTarget.Base)));
        }
    }
}
