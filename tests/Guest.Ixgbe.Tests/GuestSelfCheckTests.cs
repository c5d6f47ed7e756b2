using System.Diagnostics;

namespace Guest.Ixgbe.Tests;

/// <summary>
/// Guest.Ixgbe compiled unchanged into a NativeAOT guest (guests/ixgbe-selfcheck) and booted by the
/// tender under KVM at CPL 3: the build proves the driver, the adapter and their generic
/// instantiations compile against the guest core library; the run checks the device-independent
/// parts on guest memory. Skipped only when /dev/kvm is missing, never under CI=true.
/// </summary>
public class GuestSelfCheckTests
{
    private static (int Exit, string Out, string Err) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository.Root };
        foreach (string a in args) psi.ArgumentList.Add(a);
        TestPlatform.Apply(psi);
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException(file + " did not finish in 10 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [GuestFact]
    public void Driver_compiles_into_a_guest_and_its_checks_pass_at_cpl3()
    {
        string elf = GuestProjects.Build(Path.Combine("tests", "Guest.Ixgbe.Tests", "guests", "ixgbe-selfcheck"));
        var run = Run(Repository.Script("tender"), "run", "--timeout", "60s", elf);
        string report = $"exit {run.Exit}\n{run.Out}\n{run.Err}";
        Assert.True(run.Exit == 0, report);
        string[] lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.DoesNotContain(lines, l => l.StartsWith("FAIL "));
        Assert.Equal(15, lines.Count(l => l.StartsWith("PASS ")));
        Assert.Contains("ixgbe-selfcheck: 15 checks, 0 failed", lines);
    }
}
