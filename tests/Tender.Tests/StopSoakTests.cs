using System.Diagnostics;
using System.Text.RegularExpressions;
using Tender.Run;
using Tender.Tests.Support;
using Tender.TestSupport;
using Xunit.Abstractions;

namespace Tender.Tests;

/// <summary>
/// The tender (the CLI, one process per guest) stopped by SIGINT, SIGTERM and --timeout at every
/// moment of boot and shutdown: a sweep of delays from its start, so the stop lands before the
/// signal handlers exist, while devices are opened, the machine is built, the vCPU starts, the
/// guest runs and the tender tears down. The exit code is always a documented one (the stop's,
/// or the guest's own when it ended first), never a .NET crash or a hang; stderr has no unhandled
/// exception; no process-platform child outlives the tender; the namespace's TAP stays usable.
/// </summary>
[Collection(nameof(SoakCollection))]
public sealed partial class StopSoakTests(ITestOutputHelper output)
{
    private const HostNeeds Needs = HostNeeds.Root | HostNeeds.Tun;
    private const string NetManifest = """{ "type": "solo5.manifest", "version": 1, "devices": [ { "name": "service0", "type": "NET_BASIC" } ] }""";
    // From the tender's start, in ms: before main (`ip netns exec`, scripts/tender's staleness check
    // and the runtime take ~50–150 ms here), then through set-up (~10–40 ms, more on a loaded
    // machine) into the running guest.
    private static readonly int[] Delays = [0, 2, 5, 10, 20, 40, .. Enumerable.Range(0, 17).Select(i => 60 + 12 * i)];

    [GuestTheory(Needs)]
    [InlineData(TenderProcess.Sigint, RunOutcome.Sigint)]
    [InlineData(TenderProcess.Sigterm, RunOutcome.Sigterm)]
    public void A_signal_at_any_moment_of_boot_ends_the_tender_with_its_exit_code(int signal, int expected)
    {
        Sweep("ssoak", (ns, args, delay) =>
        {
            using var tender = TenderProcess.StartInNamespace(ns, args);
            if (delay < 0) tender.WaitForOutput("ready", TimeSpan.FromSeconds(30)); // the guest runs, waiting for frames
            else Thread.Sleep(delay);
            tender.Signal(signal);
            return tender.WaitForExit();
        }, [expected]);
    }

    [GuestFact(Needs)]
    public void A_timeout_that_expires_at_any_moment_of_boot_ends_the_tender_with_124()
    {
        // --timeout=N ms from the tender's own start: delays of the sweep as the timeout itself.
        Sweep("ssoak", (ns, args, delay) =>
            TenderProcess.RunInNamespace(ns, [args[0], $"--timeout={Math.Max(delay, 1)}ms", .. args[1..]]), [RunOutcome.Timeout]);
    }

    [GuestFact]
    public void A_signal_or_timeout_racing_a_guest_that_halts_at_once_ends_with_either_exit_code()
    {
        BuildTender();
        string hello = TestGuests.Build("hello");
        var seen = new Dictionary<int, int>();
        foreach (int delay in Delays)
            foreach (int signal in (int[])[TenderProcess.Sigint, TenderProcess.Sigterm, 0])
            {
                TenderResult r;
                if (signal == 0) r = TenderProcess.Run("run", "--mem=32", $"--timeout={Math.Max(delay, 1)}ms", hello);
                else
                {
                    using var tender = TenderProcess.Start("run", "--mem=32", hello);
                    Thread.Sleep(delay);
                    tender.SignalIfRunning(signal); // the guest may have halted already
                    r = tender.WaitForExit();
                }
                int stopCode = signal switch { TenderProcess.Sigint => RunOutcome.Sigint, TenderProcess.Sigterm => RunOutcome.Sigterm, _ => RunOutcome.Timeout };
                Assert.True(r.ExitCode == 0 || r.ExitCode == stopCode, $"signal {signal}, {delay} ms: {r}");
                AssertClean(r);
                seen[r.ExitCode] = seen.GetValueOrDefault(r.ExitCode) + 1;
            }
        output.WriteLine("exit codes: " + string.Join(", ", seen.Select(p => $"{p.Key} ×{p.Value}")));
        AssertNoSandboxLeft();
    }

    /// <summary>
    /// Runs <paramref name="run"/> for each delay (and -1: once the guest runs) with a guest that
    /// waits for frames on the ring of a TAP in a test namespace, so every stop lands before it
    /// could end on its own; checks each result and what is left behind.
    /// </summary>
    private void Sweep(string prefix, Func<string, string[], int, TenderResult> run, int[] allowed)
    {
        BuildTender();
        string dir = Directory.CreateTempSubdirectory("tender-stop-").FullName;
        try
        {
            string manifest = Path.Combine(dir, "net.json");
            File.WriteAllText(manifest, NetManifest);
            string guest = TestGuests.Build("ring_echo");
            string[] hostTaps = BootSoakTests.HostTaps();
            var reached = new Dictionary<string, int>();
            using (var ns = new TestNamespace(prefix))
            {
                ns.AddTap("tap0");
                string[] args = ["run", "--mem=32", "--log-level=debug", "--manifest", manifest, "--net:service0=tap0", guest];
                foreach (int delay in Delays.Append(-1))
                {
                    var r = run(ns.Name, args, delay);
                    Assert.True(allowed.Contains(r.ExitCode), $"{delay} ms: expected exit {string.Join(" or ", allowed)}, got {r}");
                    AssertClean(r);
                    string phase = LastPhase(r.Stderr);
                    reached[phase] = reached.GetValueOrDefault(phase) + 1;
                    Assert.Contains("tap0", ns.Ip("link", "show", "tap0"));
                }
                // The TAP is still usable: a guest runs on it after all the stops.
                var last = TenderProcess.RunInNamespace(ns.Name, [.. args[..^1], "--timeout=2s", guest]);
                Assert.True(last.ExitCode == RunOutcome.Timeout && last.Stdout.Contains("ready", StringComparison.Ordinal), last.ToString());
            }
            output.WriteLine("last boot phase each stopped run completed: " + string.Join(", ", reached.Select(p => $"\"{p.Key}\" ×{p.Value}")));
            AssertNoSandboxLeft();
            Assert.Equal(hostTaps, BootSoakTests.HostTaps());
            Assert.Empty(BootSoakTests.SoakNamespaces());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Builds the tender first if its sources changed (scripts/tender --build): a signal in the
    /// sweep must reach the tender, not scripts/tender's NativeAOT build.
    /// </summary>
    private static void BuildTender() => Command.Run(TimeSpan.FromMinutes(10), TenderProcess.TenderPath, "--build");

    /// <summary>What every stopped run's stderr must not show: a .NET crash, an unhandled exception, an internal error.</summary>
    private static void AssertClean(TenderResult r)
    {
        Assert.True(r.ExitCode is not (134 or 139 or RunOutcome.TenderError), r.ToString());
        Assert.DoesNotContain("Unhandled", r.Stderr);
        Assert.DoesNotContain("internal error", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr); // a stack trace
    }

    // "tender: debug: boot phases since main, … ms: A +x ms, B +y ms, torn down +z ms"
    [GeneratedRegex(@"boot phases since main, [0-9.]+ ms: (.*)$", RegexOptions.Multiline)]
    private static partial Regex PhasesLine();

    [GeneratedRegex(@"(?:^|, )(.+?) \+[0-9.]+ ms")]
    private static partial Regex PhaseEntry();

    /// <summary>The last set-up phase the run completed before it was stopped ("before main" if the log has none: the stop came before the logger).</summary>
    private static string LastPhase(string stderr)
    {
        var m = PhasesLine().Match(stderr);
        if (!m.Success) return "before the logger";
        // Phase names contain commas ("ELF, manifest and devices"): split at each "+Δ ms".
        string[] phases = PhaseEntry().Matches(m.Groups[1].Value).Select(e => e.Groups[1].Value).Where(p => p != "torn down").ToArray();
        return phases.Length == 0 ? "main" : phases[^1];
    }

    /// <summary>
    /// No process-platform child (named "tender-sandbox", or its fd number before it renames
    /// itself) and no tender of this test process's process group is still alive: other engineers'
    /// tenders on a shared host run in other groups.
    /// </summary>
    private static void AssertNoSandboxLeft()
    {
        string self = File.ReadAllText("/proc/self/stat");
        string group = self[(self.LastIndexOf(')') + 2)..].Split(' ')[2];
        var clock = Stopwatch.StartNew();
        string[] left;
        do
        {
            var found = new List<string>();
            foreach (string dir in Directory.GetDirectories("/proc"))
            {
                string pid = Path.GetFileName(dir);
                if (!pid.All(char.IsAsciiDigit)) continue;
                string stat;
                try { stat = File.ReadAllText(Path.Combine(dir, "stat")); } catch (IOException) { continue; } // gone meanwhile
                string comm = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // state, ppid, pgrp, …
                if (rest[2] == group && rest[0] != "Z" && (comm is "tender" or "tender-sandbox" || comm.All(char.IsAsciiDigit)))
                    found.Add($"{pid} ({comm})");
            }
            left = [.. found];
            if (left.Length == 0) return;
            Thread.Sleep(50);
        } while (clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Fail("processes outlived their tender: " + string.Join(", ", left));
    }
}
