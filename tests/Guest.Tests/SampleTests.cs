using System.Globalization;
using System.Text.RegularExpressions;

namespace Guest.Tests;

public class HelloTests
{
    [GuestFact]
    public void Prints_hello_then_each_argument_on_its_own_line_and_exits_0()
    {
        ProcessResult r = Tender.Run(GuestBuilds.Elf("hello"), ["one", "two", "drei"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("hello\none\ntwo\ndrei\n", r.Stdout);
    }

    [GuestTheory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(254)]
    public void Exit_status_comes_from_the_exit_argument(int status)
    {
        ProcessResult r = Tender.Run(GuestBuilds.Elf("hello"), ["x", $"--exit={status}"]);
        Assert.True(r.ExitCode == status, r.ToString());
        Assert.Equal($"hello\nx\n--exit={status}\n", r.Stdout);
    }

    [GuestFact]
    public void Long_and_non_ascii_arguments_come_back_intact()
    {
        // Longer than GuestConsole's 1 KiB encoding buffer, with 2-, 3- and 4-byte UTF-8 sequences.
        string longArg = string.Concat(Enumerable.Repeat("ab€ü😀", 400));
        ProcessResult r = Tender.Run(GuestBuilds.Elf("hello"), [longArg, "ω"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("hello\n" + longArg + "\nω\n", r.Stdout);
    }

    [GuestFact]
    public void No_arguments_prints_only_hello()
    {
        ProcessResult r = Tender.Run(GuestBuilds.Elf("hello"), []);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("hello\n", r.Stdout);
    }

    [GuestFact]
    public void A_bad_exit_value_is_reported_with_status_2()
    {
        ProcessResult r = Tender.Run(GuestBuilds.Elf("hello"), ["--exit=300"]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("hello: bad --exit value: --exit=300", r.Stdout);
    }
}

public class CoreLibChecksTests
{
    // Every check the guest program runs; a check missing from the output fails the test too.
    private static readonly string[] s_checks =
    [
        "strings", "string-format", "spans", "span-slicing-bounds", "arrays", "generics-struct-constrained",
        "generics-class", "interface-dispatch", "interface-dispatch-megamorphic", "virtual-calls", "casts",
        "static-constructors", "static-readonly", "thread-statics", "delegates", "lists", "dictionaries", "timespan-stopwatch", "checked-overflow-throws", "interlocked-volatile",
        "binary-primitives", "memory-marshal", "unsafe", "math-bitops", "allocation", "boxing", "struct-equality", "interpolation", "clock",
        "hashset", "queue", "stack", "stringbuilder", "interpolation-alignment", "composite-format", "double-formatting",
        "double-round-trip", "number-parsing", "span-tryformat", "random", "datetime", "arraypool",
        "yield-deadline", "no-devices", "arguments-environment", "console-environment",
    ];

    [GuestFact]
    public void Every_core_library_check_passes_in_the_guest()
    {
        ProcessResult r = Tender.Run(GuestBuilds.Elf("corelib-checks"), ["alpha", "βeta"], ["--manifest", Path.Combine(Repo.Root, "manifests", "hello.json")]);
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (string check in s_checks)
            Assert.True(lines.Contains("PASS " + check), $"check '{check}' did not pass:\n{r}");
        Assert.DoesNotContain(lines, l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.Contains("console: 42 True end", lines);
        Assert.Contains("0.30000000000000004    7|2.2", lines);
        Assert.Equal("ALL PASSED", lines[^1]);
        Assert.True(r.ExitCode == 0, r.ToString());
    }
}

public class EnvironmentExitTests
{
    [GuestFact]
    public void Environment_Exit_ends_the_guest_with_its_status()
    {
        ProcessResult r = Tender.Run(GuestBuilds.Elf("corelib-checks"), ["--environment-exit"]);
        Assert.True(r.ExitCode == 7, r.ToString());
        Assert.Equal("exiting through Environment.Exit(7)\n", r.Stdout);
    }
}

public class ComputeTests
{
    private static readonly Regex s_line = new(@"^compute: bytes=(\d+) crc32=([0-9A-F]{8}) fnv1a=([0-9A-F]{16}) fill_ns=(\d+) crc32_ns=(\d+) fnv1a_ns=(\d+)$", RegexOptions.Multiline);

    [GuestTheory]
    [InlineData(8)]
    [InlineData(64)]
    public void Guest_checksums_equal_the_same_code_run_on_the_host(int mib)
    {
        ProcessResult r = Tender.Run(GuestBuilds.Elf("compute"), [$"--mib={mib}"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Match m = s_line.Match(r.Stdout);
        Assert.True(m.Success, "unexpected output:\n" + r);

        byte[] buffer = new byte[mib << 20];
        Checksum.Fill(buffer, 0x9E3779B97F4A7C15UL);
        Assert.Equal((long)buffer.Length, long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal(Checksum.Crc32(buffer).ToString("X8", CultureInfo.InvariantCulture), m.Groups[2].Value);
        Assert.Equal(Checksum.Fnv1a64(buffer).ToString("X16", CultureInfo.InvariantCulture), m.Groups[3].Value);
        // The guest's clock measured real work: a pass over mib MiB cannot take 0 ns or a minute.
        for (int g = 4; g <= 6; g++)
        {
            long ns = long.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
            Assert.InRange(ns, 1_000L, 60_000_000_000L);
        }
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        // CRC-32/ISO-HDLC check value for "123456789".
        Assert.Equal(0xCBF43926u, Checksum.Crc32("123456789"u8));
        Assert.Equal(0xcbf29ce484222325UL, Checksum.Fnv1a64([]));
    }
}

public class CrashTests
{
    [GuestTheory]
    [InlineData("null", "#PF")]
    [InlineData("stack", "#PF")]
    [InlineData("divide", "#DE")]
    [InlineData("write-code", "#PF")]
    [InlineData("exec-heap", "#PF")]
    public void A_cpu_fault_ends_in_the_tenders_crash_report_with_125(string variant, string vector)
    {
        ProcessResult r = Tender.Run(GuestBuilds.Elf("crash"), [variant], timeoutSeconds: 60);
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("crash: " + variant, r.Stdout);
        Assert.Contains("guest crashed", r.Stderr);
        Assert.Contains(vector, r.Stderr);
    }

    [GuestTheory]
    [InlineData("null-caught", "crash: caught NullReferenceException", 1)]
    [InlineData("divide-caught", "crash: caught DivideByZeroException", 2)]
    public void A_cpu_fault_in_managed_code_is_caught_as_the_dotnet_exception(string variant, string line, int times)
    {
        ProcessResult r = Tender.Run(GuestBuilds.Elf("crash"), [variant], timeoutSeconds: 60);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(times, r.Stdout.Split('\n').Count(l => l == line));
        Assert.DoesNotContain("guest crashed", r.Stderr);
    }

    [GuestFact]
    public void A_null_dereference_faults_at_a_small_address()
    {
        ProcessResult r = Tender.Run(GuestBuilds.Elf("crash"), ["null"], timeoutSeconds: 60);
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Matches(@"CR2\)?:?\s+0x0*8\b|CR2\s+0+8\b", r.Stderr);
    }

    [GuestTheory]
    [InlineData("index", "Unhandled exception: System.IndexOutOfRangeException: Index was outside the bounds of the array. (thrown at RIP 0x")]
    [InlineData("throw", "Unhandled exception: System.InvalidOperationException: explicit failure requested (thrown at RIP 0x")]
    [InlineData("overflow", "Unhandled exception: System.OverflowException: Arithmetic operation resulted in an overflow. (thrown at RIP 0x")]
    [InlineData("cast", "Unhandled exception: System.InvalidCastException: Specified cast is not valid. (thrown at RIP 0x")]
    [InlineData("custom", "Unhandled exception: crash_Program_SampleFailure (derived from System.InvalidOperationException): a failure of the sample's own kind (thrown at RIP 0x")]
    [InlineData("abort", "crash: abort requested")]
    public void A_managed_exception_or_abort_is_reported_and_exits_255(string variant, string message)
    {
        ProcessResult r = Tender.Run(GuestBuilds.Elf("crash"), [variant], timeoutSeconds: 60);
        Assert.True(r.ExitCode == 255, r.ToString());
        Assert.Contains("crash: " + variant, r.Stdout);
        Assert.Contains(message, r.Stdout + r.Stderr);
    }

    [GuestTheory]
    [InlineData("oom")]
    [InlineData("oom-small")]
    public void Allocation_failure_reports_out_of_memory_and_exits_255(string variant)
    {
        ProcessResult r = Tender.Run(GuestBuilds.Elf("crash"), [variant], ["--mem", "64"], timeoutSeconds: 120);
        Assert.True(r.ExitCode == 255, r.ToString());
        Assert.Matches(@"Out of memory: allocation of \d+ bytes failed \(heap \d+ used, \d+ free\)", r.Stdout + r.Stderr);
    }
}

public class GuestStackTests
{
    [GuestFact]
    public void Guest_Stack_compiled_unchanged_into_a_guest_moves_data_over_tcp()
    {
        ProcessResult r = Tender.Run(GuestBuilds.ElfAt("tests/Guest.Tests/guests/stack-loopback"), ["--mib=2"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches(@"stack-loopback: sent=4194304 received=4194304 mismatches=0 frames=\d+ ns=\d+ ok", r.Stdout);
    }
}
