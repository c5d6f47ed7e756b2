using System.Globalization;
using Tender.Tests.Support;

namespace Tender.Tests;

/// <summary>
/// Boots the assembly guests of Guests/ in deprivileged mode through the built tender and checks
/// what a user would see: output, exit code, reports.
/// </summary>
public class DeprivilegedRunTests
{
    private static TenderResult Run(string elf, params string[] more) =>
        TenderProcess.Run(["run", "--mem=32", .. more.TakeWhile(a => a != "--"), elf, .. more.SkipWhile(a => a != "--")]);

    private static ulong Hex(string line) => ulong.Parse(line.Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [GuestFact]
    public void Prints_its_command_line_and_halts_with_status_0()
    {
        var r = Run(TestGuests.Build("hello"), "--", "one", "two three");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("hello from the guest: one two three\n", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [GuestFact]
    public void Guest_arguments_may_look_like_options()
    {
        var r = TenderProcess.Run("run", "--mem=32", TestGuests.Build("hello"), "--mem=7", "-x");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("hello from the guest: --mem=7 -x\n", r.Stdout);
    }

    [GuestFact]
    public void Halt_status_becomes_the_exit_code()
    {
        var r = Run(TestGuests.Build("exit7"));
        Assert.True(r.ExitCode == 7, r.ToString());
    }

    [GuestFact]
    public void Abort_prints_the_message_and_exits_255()
    {
        var r = Run(TestGuests.Build("abort"));
        Assert.True(r.ExitCode == 255, r.ToString());
        Assert.Contains("guest aborted: assertion failed: the answer is 42", r.Stderr);
    }

    [GuestFact]
    public void Walltime_is_the_host_clock()
    {
        var before = DateTime.UtcNow;
        var r = Run(TestGuests.Build("walltime"));
        var after = DateTime.UtcNow;
        Assert.True(r.ExitCode == 0, r.ToString());
        var guestTime = DateTime.UnixEpoch.AddTicks((long)(Hex(r.Stdout) / 100));
        Assert.InRange(guestTime, before.AddSeconds(-1), after.AddSeconds(1));
    }

    [GuestFact]
    public void Poll_sleeps_at_least_its_timeout_and_reports_nothing_ready()
    {
        var r = Run(TestGuests.Build("poll"));
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        ulong elapsedNs = Hex(lines[0]);
        Assert.InRange(elapsedNs, 300_000_000UL, 5_000_000_000UL);
        Assert.Equal(0UL, Hex(lines[1])); // ready_set
        Assert.Equal(0UL, Hex(lines[2])); // ret
    }

    [GuestFact]
    public void Divide_by_zero_is_reported_as_DE_with_RIP_and_the_instruction()
    {
        var r = Run(TestGuests.Build("fault", ("KIND", "1")));
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("guest crashed: #DE divide error (vector 0)", r.Stderr);
        Assert.Matches(@"RIP\s+00000000001000[0-9a-f]{2}", r.Stderr);
        Assert.Matches(@"RBX\s+0000000000001111", r.Stderr);
        Assert.Matches(@"R15\s+0000000000002222", r.Stderr);
        Assert.Matches(@"=> 00000000001000[0-9a-f]{2}\s+f7f1\s+div\s+ecx", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [GuestFact]
    public void Reading_page_0_is_a_page_fault_with_CR2_0()
    {
        var r = Run(TestGuests.Build("fault", ("KIND", "2")));
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("#PF page fault (vector 14)", r.Stderr);
        Assert.Contains("page not present, read, user mode", r.Stderr);
        Assert.Contains("faulting address (CR2): 0x0\n", r.Stderr);
    }

    [GuestFact]
    public void Writing_own_text_is_a_write_protection_fault()
    {
        var r = Run(TestGuests.Build("fault", ("KIND", "3")));
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("#PF page fault", r.Stderr);
        Assert.Contains("protection violation (page present), write, user mode", r.Stderr);
        Assert.Matches(@"faulting address \(CR2\): 0x1000[0-9a-f]{2}", r.Stderr);
    }

    [GuestFact]
    public void Executing_data_is_an_instruction_fetch_fault()
    {
        var r = Run(TestGuests.Build("fault", ("KIND", "4")));
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("instruction fetch, user mode", r.Stderr);
        Assert.Matches(@"faulting address \(CR2\): 0x102[0-9a-f]{3}", r.Stderr);
    }

    [GuestFact]
    public void Hlt_at_CPL_3_is_a_general_protection_fault()
    {
        var r = Run(TestGuests.Build("fault", ("KIND", "5")));
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("#GP general protection fault (vector 13)", r.Stderr);
        Assert.Matches(@"=> [0-9a-f]{16}\s+f4\s+hlt", r.Stderr);
    }

    [GuestFact]
    public void Stack_overflow_into_the_guard_page_faults()
    {
        var r = Run(TestGuests.Build("fault", ("KIND", "7")));
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("page not present, write, user mode", r.Stderr);
        // --mem=32, default 1 MiB stack: the guard page is [32 MiB - 1 MiB - 4 KiB, 32 MiB - 1 MiB).
        Assert.Contains("faulting address (CR2): 0x1efff", r.Stderr);
    }

    [GuestFact]
    public void The_tenders_system_area_is_not_readable_by_the_guest()
    {
        var r = Run(TestGuests.Build("fault", ("KIND", "8")));
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("protection violation (page present), read, user mode", r.Stderr);
        Assert.Contains("faulting address (CR2): 0x400000000", r.Stderr);
    }

    [GuestTheory]
    [InlineData("9", @"out\s+dx,eax")]    // a port outside the I/O bitmap
    [InlineData("10", @"out\s+0F1h,al")]  // the tender's private fault-report port: the guest cannot fake a report
    [InlineData("11", "cli")]
    public void Privileged_instructions_and_other_ports_are_general_protection_faults(string kind, string instruction)
    {
        var r = Run(TestGuests.Build("fault", ("KIND", kind)));
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("#GP general protection fault (vector 13)", r.Stderr);
        Assert.Matches($@"=> [0-9a-f]{{16}}\s+[0-9a-f]+\s+{instruction}", r.Stderr);
    }

    [GuestTheory]
    [InlineData("0x10", "4", "[0x10, +0x4) is not readable guest memory (0x10 is unmapped)")]
    [InlineData("0x101000", "0xffffffffffffffff", "wraps around the end of the address space")]
    [InlineData("0x100000", "0x10000000", "is not readable guest memory from 0x")]
    [InlineData("0x400000000", "16", "0x400000000 is unmapped")]
    [InlineData("0x1eeff000", "16", "0x1eeff000 is unmapped")]
    public void Puts_with_a_bad_pointer_or_length_ends_the_guest_with_a_report(string data, string length, string reason)
    {
        var r = Run(TestGuests.Build("puts_bad", ("DATA", data), ("LEN", length)));
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("tender: guest crashed: invalid hypercall argument: PUTS data/len: ", r.Stderr);
        Assert.Contains(reason, r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [GuestFact]
    public void Timeout_stops_a_guest_that_loops_forever_with_124()
    {
        var r = Run(TestGuests.Build("loop"), "--timeout=1s");
        Assert.True(r.ExitCode == 124, r.ToString());
        Assert.Equal("looping\n", r.Stdout);
        Assert.Contains("--timeout=1s expired", r.Stderr);
        Assert.InRange(r.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
    }

    [GuestFact]
    public void Timeout_cuts_a_long_poll_short()
    {
        var r = Run(TestGuests.Build("poll", ("NS", "60000000000")), "--timeout=1s");
        Assert.True(r.ExitCode == 124, r.ToString());
        Assert.InRange(r.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
    }

    [GuestFact]
    public void Block_device_reads_and_writes_the_backing_file()
    {
        string dir = Directory.CreateTempSubdirectory("tender-block-").FullName;
        try
        {
            string disk = Path.Combine(dir, "disk.img");
            var bytes = new byte[4096];
            "sector zero holds this text....."u8.CopyTo(bytes);
            File.WriteAllBytes(disk, bytes);
            string manifest = Path.Combine(dir, "manifest.json");
            File.WriteAllText(manifest, """{ "type": "solo5.manifest", "version": 1, "devices": [ { "name": "disk", "type": "BLOCK_BASIC" } ] }""");
            var r = Run(TestGuests.Build("block"), "--manifest", manifest, $"--block:disk={disk}");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("sector zero holds this text.....\n", r.Stdout); // the harness ends the last line
            Assert.Equal("written by the guest", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(disk), 512, 20));

            // Declared but not attached: refused before booting, as solo5-hvt does.
            var missing = Run(TestGuests.Build("block"), "--manifest", manifest);
            Assert.True(missing.ExitCode == 1, missing.ToString());
            Assert.Contains("disk", missing.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [GuestFact]
    public void Block_calls_without_a_device_get_EINVAL()
    {
        var r = Run(TestGuests.Build("block"));
        Assert.True(r.ExitCode == 12, r.ToString()); // the guest halts with 10 + SOLO5_R_EINVAL
    }

    [GuestTheory]
    [InlineData(TenderProcess.Sigterm, 143, "SIGTERM")]
    [InlineData(TenderProcess.Sigint, 130, "SIGINT")]
    public void A_signal_stops_a_looping_guest(int signal, int exitCode, string name)
    {
        using var tender = TenderProcess.Start("run", "--mem=32", TestGuests.Build("loop"));
        tender.WaitForOutput("looping\n", TimeSpan.FromSeconds(30));
        tender.Signal(signal);
        var r = tender.WaitForExit();
        Assert.True(r.ExitCode == exitCode, r.ToString());
        Assert.Contains($"stopped by {name}", r.Stderr);
    }

    // Signals keep arriving while the run ends and the VM is torn down (as `timeout` or a CI runner
    // may send them): the first one decides the exit code, later ones must not touch the disposed
    // vCPU or poller (that once crashed the tender with an unhandled ObjectDisposedException).
    [GuestFact]
    public void Repeated_signals_during_shutdown_keep_the_first_outcome()
    {
        using var tender = TenderProcess.Start("run", "--mem=32", TestGuests.Build("loop"));
        tender.WaitForOutput("looping\n", TimeSpan.FromSeconds(30));
        SignalRepeatedly(tender, TenderProcess.Sigterm);
        var r = tender.WaitForExit();
        Assert.True(r.ExitCode == 143, r.ToString());
        Assert.DoesNotContain("Unhandled", r.Stderr);
        Assert.DoesNotContain("internal error", r.Stderr);
    }

    [GuestFact]
    public void A_signal_racing_a_guest_that_halts_on_its_own_never_crashes_the_tender()
    {
        for (int attempt = 0; attempt < 5; attempt++)
        {
            using var tender = TenderProcess.Start("run", "--mem=32", TestGuests.Build("exit7"));
            Thread.Sleep(40 * attempt); // land the signals at different points of boot, run and teardown
            SignalRepeatedly(tender, TenderProcess.Sigterm);
            var r = tender.WaitForExit();
            Assert.True(r.ExitCode is 7 or 143, r.ToString());
            Assert.DoesNotContain("Unhandled", r.Stderr);
            Assert.DoesNotContain("internal error", r.Stderr);
        }
    }

    private static void SignalRepeatedly(TenderProcess tender, int signal)
    {
        for (int i = 0; i < 40; i++)
        {
            try { tender.Signal(signal); }
            catch (InvalidOperationException) { return; } // the process is gone
            Thread.Sleep(3);
        }
    }

    [GuestFact]
    public void Trace_prints_each_hypercall_with_its_arguments()
    {
        var r = Run(TestGuests.Build("poll"), "--trace");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches(@"\[\s*\d+\.\d{6}\] vcpu0 WALLTIME nsecs=\d+ \(\d+\.\d us\)", r.Stderr);
        Assert.Matches(@"vcpu0 POLL\s+timeout_nsecs=300000000 ready_set=0x0 -> ret=0 \(\d+\.\d us\)", r.Stderr);
        Assert.Matches(@"vcpu0 PUTS\s+data=0x[0-9a-f]+ len=17", r.Stderr);
        Assert.Matches(@"vcpu0 HALT\s+cookie=0x0 exit_status=0", r.Stderr);
    }

    [GuestFact]
    public void Log_levels_quiet_shows_only_errors_info_shows_the_boot()
    {
        var info = Run(TestGuests.Build("exit7"), "--log-level=info");
        Assert.True(info.ExitCode == 7, info.ToString());
        Assert.Contains("tender: information: booting ", info.Stderr);
        Assert.Contains("in deprivileged mode: 32 MiB", info.Stderr);
        Assert.Contains("guest halted with status 7", info.Stderr);

        var quiet = Run(TestGuests.Build("hello"), "--quiet", "--", "shh");
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Equal("hello from the guest: shh\n", quiet.Stdout);
        Assert.Equal("", quiet.Stderr);

        var crash = Run(TestGuests.Build("fault", ("KIND", "1")), "--quiet");
        Assert.True(crash.ExitCode == 125, crash.ToString());
        Assert.Contains("#DE divide error", crash.Stderr); // errors are still shown
    }

    [GuestFact]
    public void Trace_to_a_file_as_json_lines()
    {
        string file = Path.Combine(Path.GetTempPath(), $"tender-trace-{Guid.NewGuid():N}.jsonl");
        try
        {
            var r = Run(TestGuests.Build("exit7"), $"--trace={file}", "--trace-format=json");
            Assert.True(r.ExitCode == 7, r.ToString());
            var lines = File.ReadAllLines(file);
            var halt = System.Text.Json.JsonDocument.Parse(Assert.Single(lines)).RootElement;
            Assert.Equal("HALT", halt.GetProperty("call").GetString());
            Assert.Equal(7, halt.GetProperty("exit_status").GetInt32());
            Assert.Equal(0, halt.GetProperty("vcpu").GetInt32());
            Assert.True(halt.GetProperty("us").GetDouble() >= 0);
            Assert.DoesNotContain("HALT", r.Stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
