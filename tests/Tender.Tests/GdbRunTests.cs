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
        string counter = SymbolAddress(elf, "counter");
        int port = FreePort();
        using var tender = TenderProcess.Start("run", "--mem=8", "--timeout=120s", $"--gdb={port}", elf);
        string output = await RunGdb(port, elf, $"watch *(int *){counter}", "continue", "continue", "delete", "continue");
        Assert.Contains("Hardware watchpoint 1", output);
        Assert.Matches(@"Old value = 0\s+New value = 1", output);
        Assert.Matches(@"Old value = 1\s+New value = 2", output);
        Assert.Contains("exited normally", output);
        var result = tender.WaitForExit();
        Assert.True(result.ExitCode == 0, result + "\ngdb:\n" + output);
    }

    /// <summary>
    /// The guest ends while the client is still connected and silent: the tender tells it the exit
    /// (W00) and closes the connection while its reader thread waits in a receive. .NET then reads
    /// the socket's type and shuts it down before closing; under the sandbox that once killed the
    /// tender with SIGSYS (exit 159) after gdb had seen the exit. Repeated, as it was a race.
    /// </summary>
    [GuestFact]
    public void The_run_ends_with_the_guests_status_while_a_silent_client_stays_connected()
    {
        string elf = TestGuests.Build("store");
        for (int i = 0; i < 5; i++)
        {
            int port = FreePort();
            using var tender = TenderProcess.Start("run", "--mem=8", "--timeout=60s", $"--gdb={port}", elf);
            using var client = new TcpClient();
            var clock = Stopwatch.StartNew();
            while (true)
            {
                try { client.Connect(IPAddress.Loopback, port); break; }
                catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(30)) { Thread.Sleep(50); }
            }
            var stream = client.GetStream();
            stream.Write("$c#63"u8);
            var reply = new System.Text.StringBuilder();
            var buffer = new byte[256];
            stream.ReadTimeout = 30_000;
            while (!reply.ToString().Contains("$W00#"))
            {
                int n = stream.Read(buffer);
                Assert.True(n > 0, "the connection closed before the exit was told: " + reply);
                reply.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            }
            // The client neither acknowledges nor closes: the tender must end on its own, with the guest's status.
            var result = tender.WaitForExit();
            Assert.True(result.ExitCode == 0, result.ToString());
        }
    }

    /// <summary>
    /// `rwatch` and `awatch` stop the guest at the loads (and, for awatch, the read-modify-write)
    /// of a watched word and nowhere else, although the word shares its page with another that is
    /// stored to first: on the process platform and plain KVM through the debug registers, under
    /// KVM on this nested PVM host through the page made inaccessible on the host and the faulting
    /// instruction's decoded operands (docs/debugging.md).
    /// </summary>
    [GuestFact]
    public async Task Read_and_access_watchpoints_stop_the_guest_at_each_access_of_the_watched_word()
    {
        string elf = TestGuests.Build("store");
        string source = SymbolAddress(elf, "source"), total = SymbolAddress(elf, "total");

        int port = FreePort();
        using (var tender = TenderProcess.Start("run", "--mem=8", "--timeout=120s", $"--gdb={port}", elf))
        {
            string output = await RunGdb(port, elf, $"rwatch *(int *){source}", "continue", "info registers rip", "continue", "info registers rip", "delete", "continue");
            Assert.Contains("Hardware read watchpoint 1", output);
            Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(output, @"Value = 7").Count);
            // Each stop is after its load: the first at the second load, the second at the add.
            var rips = System.Text.RegularExpressions.Regex.Matches(output, @"rip +(0x[0-9a-f]+)").Select(m => m.Groups[1].Value).ToArray();
            Assert.Equal(2, rips.Length);
            Assert.NotEqual(rips[0], rips[1]);
            Assert.Contains("exited normally", output);
            var result = tender.WaitForExit();
            Assert.True(result.ExitCode == 0, result + "\ngdb:\n" + output);
        }

        port = FreePort();
        using (var tender = TenderProcess.Start("run", "--mem=8", "--timeout=120s", $"--gdb={port}", elf))
        {
            string output = await RunGdb(port, elf, $"awatch *(int *){total}", "continue", "delete", "continue");
            Assert.Contains("Hardware access (read/write) watchpoint 1", output);
            Assert.Matches(@"(Old value = 0\s+New value = 5)|(Value = 5)", output);
            Assert.Contains("exited normally", output);
            var result = tender.WaitForExit();
            Assert.True(result.ExitCode == 0, result + "\ngdb:\n" + output);
        }
    }

    private static string SymbolAddress(string elf, string name)
    {
        var nm = Process.Start(new ProcessStartInfo("nm", [elf]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        string symbols = nm.StandardOutput.ReadToEnd();
        nm.WaitForExit();
        return "0x" + symbols.Split('\n').Single(l => l.EndsWith(" " + name, StringComparison.Ordinal)).Split(' ')[0];
    }

    private static async Task<string> RunGdb(int port, string elf, params string[] commands)
    {
        var g = Process.Start(GdbBatch(port, elf, commands))!;
        var stdout = g.StandardOutput.ReadToEndAsync();
        var stderr = g.StandardError.ReadToEndAsync();
        Assert.True(g.WaitForExit(90_000), "gdb did not finish");
        return await stdout + await stderr;
    }

    /// <summary>
    /// gdb's `hbreak` on a deprivileged-mode guest stops it there and it runs on to its end: a debug
    /// register where they fire (process platform, plain KVM), a software breakpoint where they do
    /// not (this nested PVM host), which gdb still sees as its hardware breakpoint.
    /// </summary>
    [GuestFact]
    public async Task Hbreak_stops_the_guest_at_its_address()
    {
        string elf = TestGuests.Build("store");
        int port = FreePort();
        using var tender = TenderProcess.Start("run", "--mem=8", "--timeout=120s", $"--gdb={port}", elf);
        var g = Process.Start(GdbBatch(port, elf, "hbreak lib_halt", "continue", "info registers rip", "x/1bx lib_halt", "continue"))!;
        var stdout = g.StandardOutput.ReadToEndAsync();
        var stderr = g.StandardError.ReadToEndAsync();
        Assert.True(g.WaitForExit(90_000), "gdb did not finish");
        string output = await stdout + await stderr;
        Assert.Contains("Hardware assisted breakpoint 1 at", output);
        Assert.Matches(@"Breakpoint 1, 0x[0-9a-f]+ in lib_halt \(\)", output);
        Assert.Matches(@"rip +0x[0-9a-f]+ +0x[0-9a-f]+ <lib_halt>", output);
        Assert.Matches(@"<lib_halt>:\s+0x48", output); // movq $0, ...(%rip): REX.W, not the int3 under it
        Assert.Contains("exited normally", output);
        var result = tender.WaitForExit();
        Assert.True(result.ExitCode == 0, result + "\ngdb:\n" + output);
    }

    /// <summary>
    /// A Solo5-mode guest (the probe, CPL 0 with its own IDT and page tables) under gdb: stopped at
    /// its entry, stepped twice, stopped at a breakpoint on guest_main (gdb keeping it inserted, so
    /// the bytes read there come from the tender, which shows the original ones), at a hardware
    /// breakpoint on halt, and continued to its HALT status. The same commands on both platforms:
    /// under KVM on a host without guest debugging (this nested PVM host) breakpoints and steps are
    /// hlt bytes (docs/debugging.md), elsewhere int3, the debug registers and the CPU's single step.
    /// </summary>
    [GuestFact]
    public async Task Gdb_steps_a_solo5_guest_stops_it_at_breakpoints_and_continues_it_to_its_halt()
    {
        string elf = Tender.Tests.Solo5.Solo5Guests.Probe;
        int port = FreePort();
        using var tender = TenderProcess.Start("run", "--mem=32", "--timeout=120s", $"--gdb={port}", elf, "--", "halt", "7");
        var g = Process.Start(GdbBatch(port, elf, "set breakpoint always-inserted on", "info registers rip", "x/4bx guest_main",
            "stepi", "stepi", "info registers rip", "break guest_main", "hbreak halt", "continue", "x/4bx guest_main",
            "info registers rip", "continue", "info registers rip", "continue"))!;
        var stdout = g.StandardOutput.ReadToEndAsync();
        var stderr = g.StandardError.ReadToEndAsync();
        Assert.True(g.WaitForExit(90_000), "gdb did not finish");
        string output = await stdout + await stderr;
        var rips = System.Text.RegularExpressions.Regex.Matches(output, @"rip +0x[0-9a-f]+ +0x[0-9a-f]+ <(\w+(?:\+\d+)?)>").Select(m => m.Groups[1].Value).ToList();
        Assert.True(rips.Count == 4, output);
        Assert.Equal("_start", rips[0]);
        Assert.Matches(@"^_start\+\d+$", rips[1]); // two instructions on
        Assert.Equal("guest_main", rips[2]);
        Assert.Equal("halt", rips[3]);
        Assert.Contains("Breakpoint 1, 0x", output);
        Assert.Contains("Hardware assisted breakpoint 2 at", output);
        Assert.Contains("Breakpoint 2, 0x", output);
        // The bytes at guest_main, before the breakpoint and with it inserted, are the same: the original code.
        var bytes = System.Text.RegularExpressions.Regex.Matches(output, @"<guest_main>:((?:\s+0x[0-9a-f]{2}){4})").Select(m => m.Groups[1].Value.Trim()).ToList();
        Assert.True(bytes.Count == 2, output);
        Assert.Equal(bytes[0], bytes[1]);
        Assert.DoesNotContain("0xf4", bytes[0].Split()[0]);
        Assert.DoesNotContain("0xcc", bytes[0].Split()[0]);
        Assert.Contains("exited with code 07", output);
        var result = tender.WaitForExit();
        Assert.True(result.ExitCode == 7, result + "\ngdb:\n" + output);
    }

    /// <summary>
    /// gdb holds the looping guest stopped at a breakpoint (on lib_puts_cstr, before it prints), then
    /// runs a shell that leaves a marker file and sleeps, keeping the guest stopped meanwhile.
    /// </summary>
    private sealed class HeldGuest : IDisposable
    {
        private const int GdbSleepSeconds = 15;
        private readonly string _marker = Path.Combine(Path.GetTempPath(), $"tender-gdb-held-{Guid.NewGuid():N}");
        private readonly Process _gdb;
        private readonly Task<string> _stdout, _stderr;

        public HeldGuest(string timeout)
        {
            string elf = TestGuests.Build("loop");
            int port = FreePort();
            Tender = TenderProcess.Start("run", "--mem=8", $"--timeout={timeout}", $"--gdb={port}", elf);
            _gdb = Process.Start(GdbBatch(port, elf, "break lib_puts_cstr", "continue",
                $"shell touch {_marker}; sleep {GdbSleepSeconds}", "info registers rip"))!;
            _stdout = _gdb.StandardOutput.ReadToEndAsync();
            _stderr = _gdb.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (!File.Exists(_marker))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90) && !_gdb.HasExited, "gdb did not stop the guest:\n" + Tender.StdoutSoFar);
                Thread.Sleep(20);
            }
            Held = Stopwatch.StartNew();
            Children = ChildProcesses.Of(Tender.Id);
        }

        public TenderProcess Tender { get; }

        /// <summary>Since gdb holds the guest stopped at the breakpoint.</summary>
        public Stopwatch Held { get; }

        /// <summary>The tender's children while gdb held the guest (the process platform's guest).</summary>
        public int[] Children { get; }

        /// <summary>The tender ended before gdb's shell woke up: it did not wait for gdb.</summary>
        public void AssertEndedWhileHeld(TenderResult result) =>
            Assert.True(Held.Elapsed < TimeSpan.FromSeconds(GdbSleepSeconds - 3), $"the tender ended {Held.Elapsed.TotalSeconds:F1} s after gdb stopped the guest:\n{result}");

        /// <summary>gdb's output once it has exited (it must, the connection being gone).</summary>
        public string GdbOutput()
        {
            Assert.True(_gdb.WaitForExit(60_000), "gdb did not exit");
            return _stdout.Result + _stderr.Result;
        }

        public void AssertNoChildLeft()
        {
            var clock = Stopwatch.StartNew();
            while (Children.Any(ChildProcesses.Alive) && clock.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(20);
            Assert.All(Children, pid => Assert.False(ChildProcesses.Alive(pid), $"process {pid} outlived the tender"));
        }

        public void Dispose()
        {
            if (!_gdb.HasExited) _gdb.Kill(entireProcessTree: true);
            _gdb.Dispose();
            Tender.Dispose();
            File.Delete(_marker);
        }
    }

    /// <summary>
    /// --timeout expiring while gdb holds the guest at a breakpoint ends the run with 124 at once
    /// (the tender used to wait until gdb resumed the guest); gdb finds the connection closed and
    /// exits; no guest process is left.
    /// </summary>
    [GuestFact]
    public void A_timeout_ends_a_run_that_gdb_holds_at_a_breakpoint()
    {
        using var held = new HeldGuest("4s");
        var result = held.Tender.WaitForExit();
        Assert.True(result.ExitCode == 124, result.ToString());
        held.AssertEndedWhileHeld(result);
        Assert.Contains("--timeout=4s expired", result.Stderr);
        Assert.DoesNotContain("looping", result.Stdout); // held before it printed, to the end
        string gdb = held.GdbOutput();
        Assert.Contains("Breakpoint 1, ", gdb);
        Assert.Contains("Remote connection closed", gdb);
        held.AssertNoChildLeft();
    }

    /// <summary>SIGTERM to the tender while gdb holds the guest at a breakpoint: exit 143 at once, gdb exits.</summary>
    [GuestFact]
    public void Sigterm_ends_a_run_that_gdb_holds_at_a_breakpoint()
    {
        using var held = new HeldGuest("120s");
        held.Tender.Signal(TenderProcess.Sigterm);
        var result = held.Tender.WaitForExit();
        Assert.True(result.ExitCode == 143, result.ToString());
        held.AssertEndedWhileHeld(result);
        Assert.Contains("stopped by SIGTERM", result.Stderr);
        string gdb = held.GdbOutput();
        Assert.Contains("Breakpoint 1, ", gdb);
        Assert.Contains("Remote connection closed", gdb);
        held.AssertNoChildLeft();
    }

    /// <summary>--timeout while the tender still waits for gdb to connect: 124, the guest never ran.</summary>
    [GuestFact]
    public void A_timeout_ends_a_run_still_waiting_for_gdb()
    {
        var result = TenderProcess.Run("run", "--mem=8", "--timeout=2s", $"--gdb={FreePort()}", TestGuests.Build("loop"));
        Assert.True(result.ExitCode == 124, result.ToString());
        Assert.Contains("waiting for gdb", result.Stderr);
        Assert.DoesNotContain("looping", result.Stdout);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(30), result.ToString());
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
