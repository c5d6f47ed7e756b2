using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Tender.Tests.Support;

/// <summary>
/// Builds the test guests from the assembly sources in Guests/ with GNU as and ld (the linker
/// script Guests/guest.ld lays them out as deprivileged guests), once per test run.
/// </summary>
public static class TestGuests
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, string> Built = [];
    private static readonly string OutputDirectory =
        Directory.CreateTempSubdirectory("tender-test-guests-").FullName;

    public static string SourceDirectory { get; } = FindSources();

    private static string FindSources([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "Guests"));

    /// <summary>The ELF built from Guests/<paramref name="source"/>.S with the given --defsym symbols.</summary>
    public static string Build(string source, params (string Name, string Value)[] symbols)
    {
        string key = source + string.Concat(symbols.Select(s => $"-{s.Name}={s.Value}"));
        lock (Gate)
        {
            if (Built.TryGetValue(key, out var existing)) return existing;
            string stem = Path.Combine(OutputDirectory, key.Replace('=', '_'));
            var asArguments = new List<string> { "-I", SourceDirectory, "-o", stem + ".o", Path.Combine(SourceDirectory, source + ".S") };
            foreach (var (name, value) in symbols) asArguments.AddRange(["--defsym", $"{name}={value}"]);
            Tool("as", asArguments);
            Tool("ld", ["-static", "-nostdlib", "-T", Path.Combine(SourceDirectory, "guest.ld"), "-o", stem + ".elf", stem + ".o"]);
            Built[key] = stem + ".elf";
            return stem + ".elf";
        }
    }

    private static void Tool(string name, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(name) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {name}");
        string errors = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{name} {string.Join(' ', info.ArgumentList)} failed:\n{errors}");
    }
}
