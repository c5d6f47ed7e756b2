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

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int LibcKill(int pid, int signal);
}
