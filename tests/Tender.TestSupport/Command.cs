using System.ComponentModel;
using System.Diagnostics;

namespace Tender.TestSupport;

/// <summary>
/// Runs a host tool (ip, ping, losetup, sh) with a time limit and captures what it printed. A
/// failure names the command line, the exit status and the output, so a failing test says what
/// went wrong on the host without a second run.
/// </summary>
public static class Command
{
    /// <summary>The limit when none is given: long enough for a loaded 2-core machine.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Runs the command; returns its output (stdout then stderr, trimmed) or throws if it exits non-zero.</summary>
    public static string Run(string file, params string[] arguments) => Run(DefaultTimeout, file, arguments);

    public static string Run(TimeSpan timeout, string file, params string[] arguments)
    {
        var (code, output) = TryRun(timeout, file, arguments);
        if (code != 0)
            throw new InvalidOperationException($"{Describe(file, arguments)} exited {code}: {output}");
        return output;
    }

    /// <summary>
    /// Runs the command and returns its exit status and output, whatever the status. Throws only
    /// if it cannot start or does not finish in time (it is killed then).
    /// </summary>
    public static (int ExitCode, string Output) TryRun(string file, params string[] arguments) => TryRun(DefaultTimeout, file, arguments);

    public static (int ExitCode, string Output) TryRun(TimeSpan timeout, string file, params string[] arguments)
    {
        using var running = Start(file, arguments);
        return running.Wait(timeout);
    }

    /// <summary>Starts the command and returns at once (for a peer that runs while the test works).</summary>
    public static RunningCommand Start(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {Describe(file, arguments)}");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start {Describe(file, arguments)}: {e.Message} (is {file} installed?)", e);
        }
        return new RunningCommand(process, Describe(file, arguments));
    }

    internal static string Describe(string file, string[] arguments) =>
        arguments.Length == 0 ? file : $"{file} {string.Join(' ', arguments)}";
}

/// <summary>A command started by <see cref="Command.Start"/>; disposing it kills it if it still runs.</summary>
public sealed class RunningCommand : IDisposable
{
    private readonly Process _process;
    // Both pipes are drained from the start: a chatty child must never block on a full pipe.
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    internal RunningCommand(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public string CommandLine { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Waits for the command to end and returns its exit status and output. If it has not ended
    /// within the timeout it is killed and a <see cref="TimeoutException"/> names it.
    /// </summary>
    public (int ExitCode, string Output) Wait(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            string partial = Output(TimeSpan.FromSeconds(2));
            throw new TimeoutException($"{CommandLine} did not finish in {timeout.TotalSeconds:0.#} s; output so far: {partial}");
        }
        _process.WaitForExit(); // also waits for the output pipes to reach end of file
        return (_process.ExitCode, Output(Timeout.InfiniteTimeSpan));
    }

    private string Output(TimeSpan timeout)
    {
        Task.WhenAll(_stdout, _stderr).Wait(timeout);
        string Text(Task<string> t) => t.IsCompletedSuccessfully ? t.Result : "";
        return (Text(_stdout) + Text(_stderr)).Trim();
    }

    private void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // It ended between the check and the kill.
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
