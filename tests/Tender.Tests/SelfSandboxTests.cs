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
    /// gdb attaches to the running tender and makes its main thread make a system call (the
    /// NativeAOT tender links glibc): no test hook in the product, a real call from inside it.
    /// </summary>
    private static (int ExitCode, string Output) CallInside(int pid, string call) =>
        Command.TryRun(TimeSpan.FromSeconds(60), "gdb", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-batch", "-nx",
            "-ex", $"call {call}");

    private const string OpenSocket = "(int)socket(2, 2, 0)";            // AF_INET, SOCK_DGRAM
    private const string OpenFile = "(int)open(\"/etc/hostname\", 0)";
    private const string Errno = "*(int*)__errno_location()";

    [GuestFact(HostNeeds.Root)]
    public void A_system_call_outside_the_list_kills_the_tender_with_SIGSYS()
    {
        using var tender = StartLooping();
        var (_, gdb) = CallInside(tender.Id, OpenSocket);
        var r = tender.WaitForExit();
        // Killed by SIGSYS (the exit status says so; gdb's own wording of the death varies with
        // how far it got before the process vanished under it).
        Assert.True(r.ExitCode == SigsysExit, $"{r}\n--- gdb\n{gdb}");
    }

    [GuestFact(HostNeeds.Root)]
    public void With_the_sandbox_off_the_same_call_succeeds()
    {
        using var tender = StartLooping("--sandbox=off");
        var (code, gdb) = CallInside(tender.Id, OpenSocket);
        Assert.True(code == 0, gdb);
        Assert.Matches(new Regex(@"\$1 = [0-9]+"), gdb);   // a file descriptor, not -1
        Assert.DoesNotContain("SIGSYS", gdb);
        tender.Signal(TenderProcess.Sigterm);
        var r = tender.WaitForExit();
        Assert.True(r.ExitCode == 143, r.ToString()); // gdb detached; the tender ran on
    }

    /// <summary>
    /// open/openat are refused with EACCES rather than fatal (the .NET GC probes /proc/meminfo
    /// lazily): the file stays closed and the run goes on.
    /// </summary>
    [GuestFact(HostNeeds.Root)]
    public void Opening_a_file_after_set_up_is_refused_and_the_run_goes_on()
    {
        using var tender = StartLooping();
        var (code, gdb) = Command.TryRun(TimeSpan.FromSeconds(60), "gdb", "-p", tender.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "-batch", "-nx",
            "-ex", $"call {OpenFile}", "-ex", $"print {Errno}");
        Assert.True(code == 0, gdb);
        Assert.Matches(new Regex(@"\$1 = -1\b"), gdb);
        Assert.Matches(new Regex(@"\$2 = 13\b"), gdb);    // EACCES
        Assert.DoesNotContain("SIGSYS", gdb);
        tender.Signal(TenderProcess.Sigterm);
        var r = tender.WaitForExit();
        Assert.True(r.ExitCode == 143, r.ToString());
    }

    [GuestFact]
    public void A_bad_sandbox_value_is_refused()
    {
        var r = TenderProcess.Run("run", "--sandbox=maybe", TestGuests.Build("loop"));
        Assert.True(r.ExitCode == 2 || r.ExitCode == 1, r.ToString());
        Assert.Contains("--sandbox=maybe: expected on or off", r.Stderr);
    }
}
