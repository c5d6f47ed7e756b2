using System.Diagnostics;

namespace Tender.TestSupport;

/// <summary>
/// Builds guest projects with scripts/build-guest, the same entry point users have: once per
/// project and test run, and one build at a time (ilc and the linker take most of this 2-core
/// machine; parallel builds of the shared guest libraries would also race on their outputs).
/// </summary>
public static class GuestProjects
{
    private static readonly Dictionary<string, string> s_built = [];

    /// <summary>Held while a guest (or any other project a test builds) is built.</summary>
    public static object BuildGate { get; } = new();

    /// <summary>Builds samples/<paramref name="sample"/>; returns its ELF.</summary>
    public static string Sample(string sample) => Build(Path.Combine("samples", sample));

    /// <summary>
    /// Builds the guest project in <paramref name="projectDirectory"/> (relative to the repository
    /// root, or absolute) and returns the ELF path: the last line build-guest prints on stdout.
    /// </summary>
    public static string Build(string projectDirectory)
    {
        string directory = Path.GetFullPath(Path.Combine(Repository.Root, projectDirectory));
        lock (BuildGate)
        {
            if (s_built.TryGetValue(directory, out string? elf)) return elf;
            var info = new ProcessStartInfo(Repository.Script("build-guest"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Repository.Root,
            };
            info.ArgumentList.Add(directory);
            using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start scripts/build-guest");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new TimeoutException($"scripts/build-guest {directory} did not finish in 10 min:\n{stdout.Result}{stderr.Result}");
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"scripts/build-guest {directory} exited {process.ExitCode}:\n{stdout.Result}{stderr.Result}");
            string[] lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            elf = lines.Length > 0 ? lines[^1] : "";
            if (!File.Exists(elf))
                throw new InvalidOperationException($"scripts/build-guest {directory}: its last line is not an existing file: '{elf}'\n{stderr.Result}");
            return s_built[directory] = elf;
        }
    }
}
