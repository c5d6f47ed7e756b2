using System.Globalization;
using Tender.Tests.Support;

namespace Tender.Tests.Solo5;

/// <summary>Runs Solo5-mode guests through the built tender (<see cref="TenderProcess"/>) and reads the probe's output.</summary>
public static class Solo5Run
{
    /// <summary>`tender run OPTIONS KERNEL -- ARGS`.</summary>
    public static TenderResult Run(IEnumerable<string> tenderOptions, string kernel, params string[] guestArguments) =>
        TenderProcess.Run(["run", .. tenderOptions, kernel, "--", .. guestArguments]);

    /// <summary>With 32 MiB of guest memory.</summary>
    public static TenderResult Run(string kernel, params string[] guestArguments) =>
        Run(["--mem=32"], kernel, guestArguments);

    /// <summary>
    /// A value the probe printed on a "key=value" line, as 0x… hexadecimal or decimal. Fails the
    /// test, showing the whole run, if the guest printed no such line.
    /// </summary>
    public static ulong Number(this TenderResult result, string key)
    {
        string prefix = key + "=";
        string? line = result.Stdout.Split('\n').LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(line is not null, $"the guest printed no {key}=; run:\n{result}");
        string text = line![prefix.Length..];
        return text.StartsWith("0x", StringComparison.Ordinal)
            ? ulong.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : ulong.Parse(text, CultureInfo.InvariantCulture);
    }
}
