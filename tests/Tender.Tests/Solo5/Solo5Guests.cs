using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Tender.Tests.Solo5;

/// <summary>
/// Builds the Solo5-mode test guests (guest/start.S, guest/probe.c, guest/solo5-guest.ld) with
/// gcc and ld, once per test run, into a temporary directory. They are ELF files that look like
/// Solo5 hvt unikernels to a tender: Solo5's ABI note (hvt, v2) and manifest note, linked at 1 MiB.
/// </summary>
public static class Solo5Guests
{
    // General-purpose registers only: the guests run at CPL 0, where SSE fails on nested PVM hosts.
    private const string CompileFlags =
        "-O2 -ffreestanding -nostdlib -mgeneral-regs-only -mno-red-zone -fno-pic -static " +
        "-fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin -Wall -Wextra -Werror";

    private static readonly Lazy<(string Probe, string ProbeBlock, string ProbeNet)> Built = new(Build);

    /// <summary>The probe with a manifest of one entry (the reserved entry: no devices).</summary>
    public static string Probe => Built.Value.Probe;

    /// <summary>The probe with a second manifest entry: a BLOCK_BASIC device named "storage".</summary>
    public static string ProbeWithBlock => Built.Value.ProbeBlock;

    /// <summary>The probe with a second manifest entry: a NET_BASIC device named "service0".</summary>
    public static string ProbeWithNet => Built.Value.ProbeNet;

    /// <summary>The folder holding the guest sources (next to this file).</summary>
    public static string SourceDirectory { get; } = FindSources();

    private static string FindSources([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "guest"));

    private static (string, string, string) Build()
    {
        string src = SourceDirectory;
        string output = Directory.CreateTempSubdirectory("tender-solo5-guests-").FullName;
        string O(string name) => Path.Combine(output, name);

        Tool("gcc", $"{CompileFlags} -c {Q(Path.Combine(src, "probe.c"))} -o {Q(O("probe.o"))}");
        Tool("gcc", $"{CompileFlags} -c {Q(Path.Combine(src, "start.S"))} -o {Q(O("start.o"))}");
        Tool("gcc", $"{CompileFlags} -DGUEST_BLOCK -c {Q(Path.Combine(src, "start.S"))} -o {Q(O("start-block.o"))}");
        Tool("gcc", $"{CompileFlags} -DGUEST_NET -c {Q(Path.Combine(src, "start.S"))} -o {Q(O("start-net.o"))}");
        string link = $"-static -nostdlib -z noexecstack -z max-page-size=0x1000 -T {Q(Path.Combine(src, "solo5-guest.ld"))}";
        Tool("ld", $"{link} -o {Q(O("probe.elf"))} {Q(O("start.o"))} {Q(O("probe.o"))}");
        Tool("ld", $"{link} -o {Q(O("probe-block.elf"))} {Q(O("start-block.o"))} {Q(O("probe.o"))}");
        Tool("ld", $"{link} -o {Q(O("probe-net.elf"))} {Q(O("start-net.o"))} {Q(O("probe.o"))}");
        return (O("probe.elf"), O("probe-block.elf"), O("probe-net.elf"));
    }

    private static string Q(string path) => "\"" + path + "\"";

    private static void Tool(string tool, string arguments)
    {
        var info = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {arguments} failed with {process.ExitCode}:\n{stdout.Result}{stderr}");
    }
}
