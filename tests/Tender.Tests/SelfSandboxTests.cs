using System.Text.RegularExpressions;
using Tender.Tests.Support;
using Tender.TestSupport;

namespace Tender.Tests;

/// <summary>
/// The tender's own sandbox (docs/security.md, "The tender's own sandbox"): once set-up ends, a
/// running tender has a seccomp filter, no new privileges and no capabilities, and a system call
/// outside its allow-list, made from inside the tender, kills it with SIGSYS. With --sandbox=off
/// none of that holds. (That every sample still runs is the rest of the suite: it runs with the
/// sandbox on, the default.)
/// </summary>
public class SelfSandboxTests
{
    private const int SigsysExit = 128 + 31;

    private static TenderProcess StartLooping(params string[] options)
    {
        var tender = TenderProcess.Start(["run", "--mem=32", "--timeout=60s", .. options, TestGuests.Build("loop")]);
        tender.WaitForOutput("looping\n", TimeSpan.FromSeconds(30));
        return tender;
    }

    /// <summary>A field of /proc/PID/status (scripts/tender execs, so the PID is the tender's).</summary>
    private static string StatusField(int pid, string name)
    {
        foreach (string line in File.ReadAllLines($"/proc/{pid}/status"))
            if (line.StartsWith(name + ":", StringComparison.Ordinal)) return line[(name.Length + 1)..].Trim();
        throw new InvalidOperationException($"/proc/{pid}/status has no {name} line");
    }

    [GuestFact(HostNeeds.Root)]
    public void A_running_tender_is_filtered_without_new_privileges_or_capabilities()
    {
        using var tender = StartLooping();
        Assert.Equal("2", StatusField(tender.Id, "Seccomp"));           // SECCOMP_MODE_FILTER
        Assert.Equal("1", StatusField(tender.Id, "NoNewPrivs"));
        Assert.Equal("0000000000000000", StatusField(tender.Id, "CapEff"));
        Assert.Equal("0000000000000000", StatusField(tender.Id, "CapPrm"));
        Assert.Equal("0000000000000000", StatusField(tender.Id, "CapBnd"));
        Assert.Equal("0000000000000000", StatusField(tender.Id, "CapAmb"));
        // Every thread, not only the one that installed it (SECCOMP_FILTER_FLAG_TSYNC).
        foreach (string task in Directory.GetDirectories($"/proc/{tender.Id}/task"))
            Assert.Equal("2", File.ReadAllLines(Path.Combine(task, "status")).Single(l => l.StartsWith("Seccomp:", StringComparison.Ordinal))[8..].Trim());
        tender.Signal(TenderProcess.Sigterm);
        var r = tender.WaitForExit();
        Assert.True(r.ExitCode == 143, r.ToString()); // the run still ends as documented
    }

    [GuestFact(HostNeeds.Root)]
    public void With_the_sandbox_off_a_running_tender_keeps_its_privileges()
    {
        using var tender = StartLooping("--sandbox=off");
        Assert.Equal("0", StatusField(tender.Id, "Seccomp"));
        Assert.Equal("0", StatusField(tender.Id, "NoNewPrivs"));
        Assert.NotEqual("0000000000000000", StatusField(tender.Id, "CapEff"));
        tender.Signal(TenderProcess.Sigterm);
        Assert.Equal(143, tender.WaitForExit().ExitCode);
    }

    /// <summary>
    /// gdb attaches to the running tender and makes its main thread call open(2) (the NativeAOT
    /// tender links glibc): no test hook in the product, a real system call from inside it.
    /// </summary>
    private static (int ExitCode, string Output) CallOpenInside(int pid) =>
        Command.TryRun(TimeSpan.FromSeconds(60), "gdb", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-batch", "-nx",
            "-ex", "call (int)open(\"/etc/hostname\", 0)");

    [GuestFact(HostNeeds.Root)]
    public void A_system_call_outside_the_list_kills_the_tender_with_SIGSYS()
    {
        using var tender = StartLooping();
        var (_, gdb) = CallOpenInside(tender.Id);
        var r = tender.WaitForExit();
        Assert.True(r.ExitCode == SigsysExit, $"{r}\n--- gdb\n{gdb}");
        Assert.Contains("SIGSYS", gdb);
    }

    [GuestFact(HostNeeds.Root)]
    public void With_the_sandbox_off_the_same_call_succeeds()
    {
        using var tender = StartLooping("--sandbox=off");
        var (code, gdb) = CallOpenInside(tender.Id);
        Assert.True(code == 0, gdb);
        Assert.Matches(new Regex(@"\$1 = [0-9]+"), gdb);   // a file descriptor, not -1
        Assert.DoesNotContain("SIGSYS", gdb);
        tender.Signal(TenderProcess.Sigterm);
        var r = tender.WaitForExit();
        Assert.True(r.ExitCode == 143, r.ToString()); // gdb detached; the tender ran on
    }

    [GuestFact]
    public void A_bad_sandbox_value_is_refused()
    {
        var r = TenderProcess.Run("run", "--sandbox=maybe", TestGuests.Build("loop"));
        Assert.True(r.ExitCode == 2 || r.ExitCode == 1, r.ToString());
        Assert.Contains("--sandbox=maybe: expected on or off", r.Stderr);
    }
}
