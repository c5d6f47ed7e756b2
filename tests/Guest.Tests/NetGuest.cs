using System.Diagnostics;
using System.Text;
using TestNamespace = Tender.TestSupport.TestNamespace;

namespace Guest.Tests;

/// <summary>
/// A guest running under the tender inside a test's network namespace (`ip netns exec`), with its
/// stdout and stderr collected. The constructor returns once the guest printed "ready" (a line of
/// its own); Dispose kills the tender if it is still running.
/// </summary>
public sealed class NetGuest : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();

    /// <param name="ns">the namespace the tender runs in</param>
    /// <param name="elf">the guest ELF (GuestBuilds.Elf / ElfAt)</param>
    /// <param name="manifest">the guest's manifest, or null for the one embedded in the ELF</param>
    /// <param name="tenderOptions">options before the ELF (devices, --mem, …); --timeout=60s is added unless given</param>
    /// <param name="guestArgs">the guest's command line</param>
    /// <param name="ready">the line to wait for</param>
    public NetGuest(TestNamespace ns, string elf, string? manifest, string[] tenderOptions, string[] guestArgs, string ready = "ready")
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        bool hasTimeout = tenderOptions.Any(o => o.StartsWith("--timeout", StringComparison.Ordinal));
        bool hasMem = tenderOptions.Any(o => o.StartsWith("--mem", StringComparison.Ordinal));
        foreach (string a in (string[])["netns", "exec", ns.Name, Path.Combine(Repo.Root, "scripts", "tender"), "run",
                     .. hasMem ? [] : (string[])["--mem=64"], .. hasTimeout ? [] : (string[])["--timeout=60s"],
                     .. manifest is null ? [] : (string[])["--manifest", manifest], .. tenderOptions, elf, "--", .. guestArgs])
            info.ArgumentList.Add(a);
        TestPlatform.Apply(info);
        _process = Process.Start(info) ?? throw new InvalidOperationException("cannot start the tender");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.Append(e.Data).Append('\n'); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.Append(e.Data).Append('\n'); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(ready + "\n", StringComparison.Ordinal))
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                _process.WaitForExit(1000);
                Assert.Fail($"the guest did not print {ready}:\n" + Output);
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>Everything the tender and the guest printed so far (stdout and stderr interleaved).</summary>
    public string Output { get { lock (_out) return _out.ToString(); } }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits (bounded) for the guest to end; fails the test if it does not.</summary>
    public (int ExitCode, string Output) WaitForExit(TimeSpan? timeout = null)
    {
        if (!_process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail("the guest did not exit in time:\n" + Output);
        }
        _process.WaitForExit();
        return (_process.ExitCode, Output);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
