using System.Diagnostics;
using System.Text;

namespace Guest.Tests;

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

public static class Repo
{
    public static string Root => global::Tender.TestSupport.Repository.Root;

    public static ProcessResult Run(string file, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Root,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        TestPlatform.Apply(psi);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}:\n{stdout}\n{stderr}");
        }
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>Guest builds for these tests (<see cref="global::Tender.TestSupport.GuestProjects"/>).</summary>
public static class GuestBuilds
{
    /// <summary>Builds samples/<paramref name="sample"/> and returns the ELF path (the script's last line).</summary>
    public static string Elf(string sample) => global::Tender.TestSupport.GuestProjects.Sample(sample);

    /// <summary>Builds the guest project in <paramref name="relativeDir"/> (from the repository root).</summary>
    public static string ElfAt(string relativeDir) => global::Tender.TestSupport.GuestProjects.Build(relativeDir);

    /// <summary>Builds a plain project (not a guest) in Release, serialised with the guest builds.</summary>
    public static void BuildProject(string relativePath)
    {
        lock (global::Tender.TestSupport.GuestProjects.BuildGate)
        {
            ProcessResult r = Repo.Run("dotnet", ["build", Path.Combine(Repo.Root, relativePath), "-c", "Release", "-nologo", "-v", "q"], TimeSpan.FromMinutes(10));
            Assert.True(r.ExitCode == 0, "dotnet build " + relativePath + " failed:\n" + r);
        }
    }
}

public static class Tender
{
    /// <summary>Boots <paramref name="elf"/> with scripts/tender run.</summary>
    public static ProcessResult Run(string elf, string[] guestArgs, string[]? tenderOptions = null, int timeoutSeconds = 120)
    {
        var args = new List<string> { "run", "--timeout", $"{timeoutSeconds}s" };
        if (tenderOptions is not null) args.AddRange(tenderOptions);
        args.Add(elf);
        args.Add("--");
        args.AddRange(guestArgs);
        return Repo.Run(Path.Combine(Repo.Root, "scripts", "tender"), args, TimeSpan.FromSeconds(timeoutSeconds + 300));
    }
}
