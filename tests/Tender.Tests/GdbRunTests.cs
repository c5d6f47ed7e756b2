using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tender.Tests.Support;

namespace Tender.Tests;

/// <summary>
/// `tender run --gdb=PORT` with Debian's gdb: Ctrl-C (SIGINT to gdb, which sends \x03) stops a
/// guest spinning at CPL 3 where it is, and gdb's `kill` ends the run with 137. Guests/loop.S
/// prints "looping", then spins on `1: jmp 1b` inside _start. On both platforms.
/// </summary>
public sealed class GdbRunTests
{
    [GuestFact]
    public void Ctrl_c_stops_a_spinning_guest_where_it_is_and_kill_ends_the_run_with_137()
    {
        string elf = TestGuests.Build("loop");
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        using var tender = TenderProcess.Start("run", "--mem=8", "--timeout=120s", $"--gdb={port}", elf);
        var info = new ProcessStartInfo("gdb") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["-batch", "-nx", "-ex", "set pagination off", "-ex", "set tcp connect-timeout 60",
                     "-ex", $"target remote 127.0.0.1:{port}", "-ex", "continue", "-ex", "info registers rip", "-ex", "kill", elf])
            info.ArgumentList.Add(a);
        using var gdb = Process.Start(info)!;
        var stdout = gdb.StandardOutput.ReadToEndAsync();
        var stderr = gdb.StandardError.ReadToEndAsync();
        tender.WaitForOutput("looping", TimeSpan.FromSeconds(90)); // gdb connected and continued; the guest spins
        Thread.Sleep(300);
        Assert.Equal(0, LibcKill(gdb.Id, 2)); // SIGINT: gdb's Ctrl-C
        Assert.True(gdb.WaitForExit(60_000), "gdb did not finish");
        string output = stdout.Result + stderr.Result;
        Assert.Contains("received signal SIGINT", output);
        Assert.Matches(@"rip +0x[0-9a-f]+ +0x[0-9a-f]+ <_start\+\d+>", output);
        var result = tender.WaitForExit();
        Assert.True(result.ExitCode == 137, result + "\ngdb:\n" + output);
    }

    /// <summary>
    /// `watch` on a word the guest stores to three times: gdb stops after each store with the old and
    /// new value, then the watchpoint is deleted and the guest runs to its end. Through the debug
    /// registers where they work (process platform, plain KVM); under this host's nested KVM (PVM),
    /// which fires neither KVM's guest debugging nor the guest's own DR0-DR7, through the watched
    /// page made read-only on the host (docs/debugging.md).
    /// </summary>
    [GuestFact]
    public async Task A_watchpoint_stops_the_guest_after_each_store()
    {
        string elf = TestGuests.Build("store");
        var nm = Process.Start(new ProcessStartInfo("nm", [elf]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        string symbols = nm.StandardOutput.ReadToEnd();
        nm.WaitForExit();
        string counter = "0x" + symbols.Split('\n').Single(l => l.EndsWith(" counter", StringComparison.Ordinal)).Split(' ')[0];
        int port = FreePort();
        using var tender = TenderProcess.Start("run", "--mem=8", "--timeout=120s", $"--gdb={port}", elf);
        var g = Process.Start(GdbBatch(port, elf, $"watch *(int *){counter}", "continue", "continue", "delete", "continue"))!;
        var stdout = g.StandardOutput.ReadToEndAsync();
        var stderr = g.StandardError.ReadToEndAsync();
        Assert.True(g.WaitForExit(90_000), "gdb did not finish");
        string output = await stdout + await stderr;
        Assert.Contains("Hardware watchpoint 1", output);
        Assert.Matches(@"Old value = 0\s+New value = 1", output);
        Assert.Matches(@"Old value = 1\s+New value = 2", output);
        Assert.Contains("exited normally", output);
        var result = tender.WaitForExit();
        Assert.True(result.ExitCode == 0, result + "\ngdb:\n" + output);
    }

    /// <summary>
    /// A Solo5-mode guest (the probe, CPL 0 with its own page tables) under gdb: stopped at its entry,
    /// its memory read through its own translation, continued to its HALT status. Stepping it is
    /// tested on the process platform, where ptrace's single step reaches it; under KVM on this host
    /// neither KVM's single step nor the trap flag reaches a guest that owns its IDT.
    /// </summary>
    [GuestFact]
    public async Task Gdb_stops_a_solo5_guest_at_its_entry_and_continues_it_to_its_halt()
    {
        string elf = Tender.Tests.Solo5.Solo5Guests.Probe;
        int port = FreePort();
        bool process = TestPlatform.Current == "process";
        using var tender = TenderProcess.Start("run", "--mem=32", "--timeout=120s", $"--gdb={port}", elf, "--", "halt", "7");
        string[] commands = process
            ? ["info registers rip", "x/4bx $pc", "stepi", "stepi", "info registers rip", "continue"]
            : ["info registers rip", "x/4bx $pc", "continue"];
        var g = Process.Start(GdbBatch(port, elf, commands))!;
        var stdout = g.StandardOutput.ReadToEndAsync();
        var stderr = g.StandardError.ReadToEndAsync();
        Assert.True(g.WaitForExit(90_000), "gdb did not finish");
        string output = await stdout + await stderr;
        Assert.Matches(@"rip +0x[0-9a-f]+ +0x[0-9a-f]+ <_start>", output);
        Assert.Matches(@"<_start>:\s+0x[0-9a-f]{2}", output);
        if (process) Assert.Matches(@"rip +0x[0-9a-f]+ +0x[0-9a-f]+ <_start\+\d+>", output);
        Assert.Contains("exited with code 07", output);
        var result = tender.WaitForExit();
        Assert.True(result.ExitCode == 7, result + "\ngdb:\n" + output);
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static ProcessStartInfo GdbBatch(int port, string elf, params string[] commands)
    {
        var info = new ProcessStartInfo("gdb") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["-batch", "-nx", "-ex", "set pagination off", "-ex", "set tcp connect-timeout 60", "-ex", $"target remote 127.0.0.1:{port}"])
            info.ArgumentList.Add(a);
        foreach (string c in commands) { info.ArgumentList.Add("-ex"); info.ArgumentList.Add(c); }
        info.ArgumentList.Add(elf);
        return info;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int LibcKill(int pid, int signal);
}
