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
    private static Session Gdb(Action<FakeTarget>? prepare, params string[] commands)
    {
        using var listener = GdbServer.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var start = new ProcessStartInfo("gdb") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-batch", "-nx", "-ex", "set confirm off", "-ex", "set pagination off", "-ex", $"target remote 127.0.0.1:{port}" })
            start.ArgumentList.Add(a);
        foreach (var c in commands)
        {
            start.ArgumentList.Add("-ex");
            start.ArgumentList.Add(c);
        }
        using var gdb = Process.Start(start)!;
        var stdout = gdb.StandardOutput.ReadToEndAsync();
        var stderr = gdb.StandardError.ReadToEndAsync();
        Assert.True(listener.Poll(30_000_000, System.Net.Sockets.SelectMode.SelectRead), "gdb did not connect");
        var runner = new Runner(GdbServer.Accept(listener, out _));
        prepare?.Invoke(runner.Target);
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
}
