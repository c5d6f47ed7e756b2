namespace Tender.Tests.Support;

/// <summary>Builds a C# sample with scripts/build-guest (once per test run) and returns its ELF.</summary>
public static class SampleGuest
{
    private static readonly Dictionary<string, string> s_built = [];

    public static string Build(string sample)
    {
        lock (s_built)
        {
            if (s_built.TryGetValue(sample, out string? elf)) return elf;
            var info = new System.Diagnostics.ProcessStartInfo(Path.Combine(Tender.Tests.Oci.Repository.Root, "scripts", "build-guest"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(Path.Combine(Tender.Tests.Oci.Repository.Root, "samples", sample));
            using var process = System.Diagnostics.Process.Start(info)!;
            var error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(600_000), "scripts/build-guest did not finish in 10 min");
            Assert.True(process.ExitCode == 0, "scripts/build-guest failed:\n" + output + error.Result);
            elf = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
            Assert.True(File.Exists(elf), "build-guest's last line is not an existing file: " + elf);
            return s_built[sample] = elf;
        }
    }
}
