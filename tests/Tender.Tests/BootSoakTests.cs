using System.Diagnostics;
using Tender.Run;
using Tender.Tests.Support;
using Tender.TestSupport;
using Xunit.Abstractions;

namespace Tender.Tests;

/// <summary>
/// The soak tests measure the test process itself (descriptors, mappings, threads, children), so
/// nothing else may run beside them: xunit runs this collection alone, after the parallel ones.
/// </summary>
[CollectionDefinition(nameof(SoakCollection), DisableParallelization = true)]
public sealed class SoakCollection;

/// <summary>
/// 1,000 guests booted and stopped in a row inside the test process (the tender's GuestRunner, as
/// `tender run` calls it): halting, stopped by the stop controller's timer, crashing, and with a
/// TAP and the network ring in a test namespace. Nothing may stay behind: the same descriptors and
/// mapped files, no guest memory, no threads beyond the runtime's pool, no child process (the
/// process platform's sandbox reaped), and on the host no extra TAP device or namespace.
/// </summary>
[Collection(nameof(SoakCollection))]
public sealed class BootSoakTests(ITestOutputHelper output)
{
    private const int Boots = 1000;
    // Enough for the test host's JIT to have compiled (and tiered up) every path the boots take.
    private const int WarmUp = 150;
    private const ulong GuestMiB = 32;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private const string NetManifest = """{ "type": "solo5.manifest", "version": 1, "devices": [ { "name": "service0", "type": "NET_BASIC" } ] }""";

    [GuestFact(HostNeeds.Root | HostNeeds.Tun)]
    public void A_thousand_boots_in_a_row_leak_nothing_in_the_tender_or_on_the_host()
    {
        var platform = TestPlatform.Current == "process" ? PlatformChoice.Process : PlatformChoice.Kvm;
        string hello = TestGuests.Build("hello"), loop = TestGuests.Build("loop"), fault = TestGuests.Build("fault", ("KIND", "2"));
        string ringGuest = TestGuests.Build("ring_echo", ("SEND_AND_HALT", "1"), ("COUNT", "4"));
        string dir = Directory.CreateTempSubdirectory("tender-soak-").FullName;
        string manifest = Path.Combine(dir, "net.json");
        File.WriteAllText(manifest, NetManifest);
        string[] hostTapsBefore = HostTaps();
        string[] namespacesBefore = SoakNamespaces();
        try
        {
            using (var ns = new TestNamespace("bsoak"))
            {
                ns.AddTap("tap0");
                // Each kind of end, in turn; the ring guest in the namespace (its TAP reused every time).
                RunOutcome Boot(int i)
                {
                    switch (i % 5)
                    {
                        case 0: return Run(new RunOptions { KernelPath = hello, MemoryMiB = GuestMiB, Platform = platform, GuestArguments = [$"boot{i}"] }, null);
                        case 1: return Run(new RunOptions { KernelPath = loop, MemoryMiB = GuestMiB, Platform = platform }, TimeSpan.FromMilliseconds(1 + i % 7));
                        case 2: return Run(new RunOptions { KernelPath = fault, MemoryMiB = GuestMiB, Platform = platform }, null);
                        case 3:
                        {
                            var options = new RunOptions
                            {
                                KernelPath = ringGuest, MemoryMiB = GuestMiB, Platform = platform, ManifestPath = manifest,
                                Devices = [new Devices.DeviceOption("net", "service0", "tap0")],
                            };
                            return ns.Run(() => Run(options, null));
                        }
                        default:
                        {
                            // A stop request from another thread while the guest runs (as SIGINT's handler makes).
                            using var stop = new StopController();
                            using var timer = new Timer(_ => stop.Request(new RunOutcome(RunOutcome.Sigint, "stopped by SIGINT")), null, 3, Timeout.Infinite);
                            return new GuestRunner(new RunOptions { KernelPath = loop, MemoryMiB = GuestMiB, Platform = platform }, stop).Run();
                        }
                    }
                }
                int[] expected = [0, RunOutcome.Timeout, RunOutcome.Crash, 0, RunOutcome.Sigint];

                for (int i = 0; i < WarmUp; i++) Assert.Equal(expected[i % 5], Boot(i).ExitCode);
                var before = Snapshot.Take();
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < Boots; i++)
                {
                    var outcome = Boot(i);
                    Assert.True(outcome.ExitCode == expected[i % 5], $"boot {i}: exit {outcome.ExitCode} ({outcome.Description}), expected {expected[i % 5]}");
                    Assert.True(clock.Elapsed < Limit, $"only {i} boots in {Limit}");
                }
                double seconds = clock.Elapsed.TotalSeconds;
                var after = Snapshot.Take();
                output.WriteLine($"{TestPlatform.Current}: {Boots} boots in {seconds:F1} s ({Boots / seconds:F0} boots/s)");
                output.WriteLine($"before: {before}\nafter:  {after}");
                after.AssertNoLeakSince(before);
                Assert.True(ns.Ip("link", "show", "tap0").Contains("tap0", StringComparison.Ordinal), "the namespace's TAP is gone");
            }
            Assert.Equal(hostTapsBefore, HostTaps());
            Assert.Equal(namespacesBefore, SoakNamespaces());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>One boot as `tender run` does it (Program.cs): a stop controller with signals and the --timeout timer.</summary>
    private static RunOutcome Run(RunOptions options, TimeSpan? timeout)
    {
        using var stop = new StopController();
        stop.ListenForSignals();
        if (timeout is TimeSpan t) stop.StartTimeout(t, $"{t.TotalMilliseconds}ms");
        return new GuestRunner(options, stop).Run();
    }

    /// <summary>TAP devices of the host's own namespace (the test process's): those with a tun_flags attribute.</summary>
    internal static string[] HostTaps() =>
        Directory.GetDirectories("/sys/class/net").Where(d => File.Exists(Path.Combine(d, "tun_flags"))).Select(Path.GetFileName).OfType<string>().Order().ToArray();

    /// <summary>The namespaces these tests create (prefix "bsoak"/"ssoak"): other engineers' tests on a shared host make their own.</summary>
    internal static string[] SoakNamespaces() =>
        Command.Run("ip", "netns", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0]).Where(n => n.StartsWith("bsoak-", StringComparison.Ordinal) || n.StartsWith("ssoak-", StringComparison.Ordinal)).Order().ToArray();

    /// <summary>What the test process holds: descriptors, mappings, threads, children.</summary>
    private sealed record Snapshot(string[] Fds, string[] NamedMaps, int AnonymousMaps, long AnonymousKiB, int Threads, string[] Children)
    {
        public static Snapshot Take()
        {
            // Managed objects the runs dropped (and the finalisers of any SafeHandle left open, which
            // would then hide a leak of descriptors: none of the tender's may rely on them, so the
            // descriptors are compared exactly below, after the collection).
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            string[] fds = Directory.GetFileSystemEntries("/proc/self/fd")
                .Select(p => { try { return Path.GetFileName(p) + " -> " + (new FileInfo(p).LinkTarget ?? "?"); } catch (IOException) { return null; } })
                .OfType<string>().Order().ToArray();
            var named = new List<string>();
            int anonymous = 0;
            long anonymousKiB = 0;
            foreach (string line in File.ReadAllLines("/proc/self/maps"))
            {
                // start-end perms offset dev inode [path]
                string[] f = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                string path = f.Length > 5 ? f[5].Trim() : "";
                // The JIT's code heap is a double-mapped memfd of the test host's runtime (the
                // NativeAOT tender has no JIT): it grows as tests' code is compiled, like the heap.
                if (path.Length == 0 || path.StartsWith('[') || path.StartsWith("/memfd:doublemapper", StringComparison.Ordinal))
                {
                    anonymous++;
                    string[] range = f[0].Split('-');
                    anonymousKiB += (long)(Convert.ToUInt64(range[1], 16) - Convert.ToUInt64(range[0], 16)) / 1024;
                }
                else named.Add($"{f[1]} {path}");
            }
            int threads = Directory.GetDirectories("/proc/self/task").Length;
            string[] children = Directory.GetDirectories("/proc/self/task")
                .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Order().ToArray();
            return new Snapshot(fds, named.Order().ToArray(), anonymous, anonymousKiB, threads, children);
        }

        public void AssertNoLeakSince(Snapshot before)
        {
            // Exact: every descriptor and every mapping of a file, memfd or anon inode (the guest's
            // memory file, /dev/kvm's VM and vCPU, the TAP, the ring's eventfds).
            Assert.True(before.Fds.SequenceEqual(Fds), "descriptors changed:\n" + Difference(before.Fds, Fds));
            Assert.True(before.NamedMaps.SequenceEqual(NamedMaps), "mappings of files changed:\n" + Difference(before.NamedMaps, NamedMaps));
            Assert.Empty(Children);
            // Anonymous mappings also hold the GC heap, the JIT's code and each thread's stack,
            // which the runtime grows and trims on its own; a guest's RAM is one mapping of 32 MiB
            // (KVM) and a boot leaking anything would leak it 200 times in 1,000 boots. So: at most
            // a few more mappings (two per extra thread, stack and guard; heap and code regions)
            // and less than one guest's RAM beyond the extra threads' stacks (8 MiB reserved each).
            int extraThreads = Math.Max(0, Threads - before.Threads);
            Assert.True(AnonymousMaps - before.AnonymousMaps <= 2 * extraThreads + 32, $"anonymous mappings: {before.AnonymousMaps} → {AnonymousMaps}");
            Assert.True(AnonymousKiB - before.AnonymousKiB < ((long)GuestMiB + 8 * extraThreads) * 1024, $"anonymous memory: {before.AnonymousKiB} KiB → {AnonymousKiB} KiB");
            // Threads: the runtime's thread pool (timers, the signal handlers' callbacks) may add a
            // worker or retire one; a thread leaked per boot would be hundreds.
            Assert.True(Threads - before.Threads <= 4, $"threads: {before.Threads} → {Threads}");
        }

        /// <summary>"- x" for each entry gone, "+ x" for each new one, counting repeats (a file mapped twice).</summary>
        private static string Difference(string[] before, string[] after)
        {
            var counts = new Dictionary<string, int>();
            foreach (string b in before) counts[b] = counts.GetValueOrDefault(b) - 1;
            foreach (string a in after) counts[a] = counts.GetValueOrDefault(a) + 1;
            return string.Join("\n", counts.Where(c => c.Value != 0).Select(c => $"{(c.Value > 0 ? "+" : "-")} {c.Key} ×{Math.Abs(c.Value)}"));
        }

        public override string ToString() =>
            $"{Fds.Length} fds, {NamedMaps.Length} file mappings, {AnonymousMaps} anonymous mappings ({AnonymousKiB} KiB), {Threads} threads, {Children.Length} children";
    }
}
