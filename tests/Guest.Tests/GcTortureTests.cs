using System.Text.RegularExpressions;

namespace Guest.Tests;

/// <summary>The guest garbage collector (Guest.CoreLib/Runtime/Gc) under the gc-torture guest, in 64 MiB
/// of guest memory: each case checksums its data before and after collections and garbage.</summary>
public class GcTortureTests
{
    private static string Elf => GuestBuilds.ElfAt("tests/Guest.Tests/guests/gc-torture");

    [GuestTheory]
    [InlineData("graph", new[] { "graph-freed", "graph", "graph-cut" })]
    [InlineData("sizes", new[] { "sizes" })]
    [InlineData("churn", new[] { "churn" })]
    [InlineData("volume", new[] { "volume" })]
    [InlineData("interior", new[] { "interior" })]
    [InlineData("statics", new[] { "statics" })]
    [InlineData("wide", new[] { "wide" })]
    public void Data_survives_collections_intact_and_garbage_is_reclaimed(string variant, string[] checks)
    {
        ProcessResult r = Tender.Run(Elf, [variant], ["--mem", "64"], timeoutSeconds: 300);
        Assert.True(r.ExitCode == 0, r.ToString());
        foreach (string check in checks) Assert.Contains("PASS " + check + ":", r.Stdout);
        Assert.DoesNotContain("FAIL", r.Stdout);
        Match m = Regex.Match(r.Stdout, @"gc-torture: ok, collections (\d+), allocated (\d+) bytes, in use (\d+) bytes");
        Assert.True(m.Success, r.ToString());
        Assert.True(int.Parse(m.Groups[1].Value) > 0, "no collection ran:\n" + r);
    }

    [GuestFact]
    public void Allocating_ten_times_the_memory_stays_within_it()
    {
        ProcessResult r = Tender.Run(Elf, ["volume"], ["--mem", "32"], timeoutSeconds: 300);
        Assert.True(r.ExitCode == 0, r.ToString());
        Match m = Regex.Match(r.Stdout, @"PASS volume: (\d+) bytes allocated in \d+ arrays with 32 MiB of memory, at most (\d+) bytes in use");
        Assert.True(m.Success, r.ToString());
        Assert.True(long.Parse(m.Groups[1].Value) >= 10L * 32 * 1024 * 1024, r.Stdout);
        Assert.True(long.Parse(m.Groups[2].Value) < 32L * 1024 * 1024, r.Stdout);
    }

    [GuestFact]
    public void Gc_stats_argument_prints_a_summary_at_exit_and_is_not_passed_to_main()
    {
        ProcessResult r = Tender.Run(Elf, ["statics", "--gc-stats"], ["--mem", "64"], timeoutSeconds: 300);
        Assert.True(r.ExitCode == 0, r.ToString());
        Match m = Regex.Match(r.Stdout, @"gc: collections (\d+), pause total (\d+) us, max (\d+) us, allocated (\d+) bytes, heap (\d+) bytes, in use (\d+) bytes, capacity (\d+) bytes");
        Assert.True(m.Success, r.ToString());
        Assert.True(int.Parse(m.Groups[1].Value) >= 2, r.Stdout);            // the case's two GC.Collect calls at least
        Assert.True(long.Parse(m.Groups[4].Value) > long.Parse(m.Groups[6].Value), r.Stdout); // allocated > in use: memory came back
        Assert.True(long.Parse(m.Groups[7].Value) < 64L * 1024 * 1024, r.Stdout);

        ProcessResult plain = Tender.Run(Elf, ["statics"], ["--mem", "64"], timeoutSeconds: 300);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.DoesNotContain("gc: collections", plain.Stdout);
    }
}
