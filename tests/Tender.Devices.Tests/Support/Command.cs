using System.Diagnostics;

namespace Tender.Devices.Tests;

/// <summary>Runs a host tool (ip, losetup, sh) with a time limit and fails the test with its output if it fails.</summary>
internal static class Command
{
    public static string Run(string file, params string[] arguments)
    {
        var (code, output) = TryRun(file, arguments);
        if (code != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {code}: {output}");
        return output;
    }

    public static (int ExitCode, string Output) TryRun(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in 20 s");
        }
        process.WaitForExit();
        return (process.ExitCode, (stdout.Result + stderr.Result).Trim());
    }
}
