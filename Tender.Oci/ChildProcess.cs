using System.Diagnostics;

namespace Tender.Oci;

/// <summary>
/// Runs a helper program the runtime needs (a bundle's hook; `ip`/`tc` in the container's network
/// namespace) to its end: argv as given, never through a shell; optional stdin; both outputs read
/// from the start so a chatty child cannot block on a full pipe; and a time limit after which the
/// child and its descendants are killed, so no helper hangs the runtime and with it containerd.
/// </summary>
internal static class ChildProcess
{
    public readonly record struct Result(int ExitCode, string Stdout, string Stderr);

    /// <param name="what">names the child in errors ("prestart hook /bin/x")</param>
    public static Result Run(ProcessStartInfo info, string? stdin, TimeSpan timeout, string what)
    {
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = stdin is not null;
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new OciException($"{what}: could not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new OciException($"{what}: {e.Message}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                try
                {
                    process.StandardInput.Write(stdin);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The child need not read its stdin.
                }
            }
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
                throw new OciException($"{what}: timed out after {timeout.TotalSeconds:F0} s");
            }
            process.WaitForExit(); // the output pipes to their end
            return new Result(process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
