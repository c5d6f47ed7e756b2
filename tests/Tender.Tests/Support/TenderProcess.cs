using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Tender.Tests.Support;

/// <summary>What one run of the tender printed and returned.</summary>
public sealed record TenderResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalMilliseconds:F0} ms\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the tender as users run it — `scripts/tender`, the NativeAOT binary it builds when the
/// sources changed (scripts/test builds it before the tests start) — as its own process.
/// </summary>
public sealed partial class TenderProcess : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public static string TenderPath { get; } = Repository.Script("tender");

    private TenderProcess(IEnumerable<string> arguments, string? networkNamespace = null)
    {
        var info = new ProcessStartInfo(networkNamespace is null ? TenderPath : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (networkNamespace is not null)
            foreach (var argument in new[] { "netns", "exec", networkNamespace, TenderPath }) info.ArgumentList.Add(argument);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        TestPlatform.Apply(info);
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.Append(e.Data).Append('\n'); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.Append(e.Data).Append('\n'); };
        if (!_process.Start()) throw new InvalidOperationException($"cannot start {TenderPath}");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public static TenderProcess Start(params string[] arguments) => new(arguments);

    /// <summary>Starts the tender inside a network namespace (`ip netns exec`, which execs it: the process is the tender's).</summary>
    public static TenderProcess StartInNamespace(string networkNamespace, params string[] arguments) => new(arguments, networkNamespace);

    /// <summary>Runs the tender inside a network namespace (`ip netns exec`) to completion.</summary>
    public static TenderResult RunInNamespace(string networkNamespace, params string[] arguments)
    {
        using var process = new TenderProcess(arguments, networkNamespace);
        return process.WaitForExit();
    }

    /// <summary>Runs the tender to completion (bounded) and returns its result.</summary>
    public static TenderResult Run(params string[] arguments)
    {
        using var process = Start(arguments);
        return process.WaitForExit();
    }

    public string StdoutSoFar { get { lock (_stdout) return _stdout.ToString(); } }

    /// <summary>Waits until stdout contains <paramref name="text"/> (the guest is running).</summary>
    public void WaitForOutput(string text, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!StdoutSoFar.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || clock.Elapsed > limit)
                Assert.Fail($"the guest did not print '{text}' within {limit.TotalSeconds} s:\n{WaitForExit()}");
            Thread.Sleep(20);
        }
    }

    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0) throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed");
    }

    public TenderResult WaitForExit()
    {
        if (!_process.WaitForExit(Limit))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            Assert.Fail($"the tender did not finish in {Limit.TotalSeconds} s:\n--- stdout\n{StdoutSoFar}");
        }
        _process.WaitForExit(); // drains the redirected streams
        string stderr;
        lock (_stderr) stderr = _stderr.ToString();
        return new TenderResult(_process.ExitCode, StdoutSoFar, stderr, _clock.Elapsed);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    /// <summary>Sends a signal unless the tender has already ended (a race a test may set up on purpose); true if sent.</summary>
    public bool SignalIfRunning(int signal)
    {
        if (Kill(_process.Id, signal) == 0) return true;
        if (Marshal.GetLastSystemError() == Esrch || _process.HasExited) return false;
        throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed");
    }

    private const int Esrch = 3;

    public const int Sigint = 2, Sigterm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
