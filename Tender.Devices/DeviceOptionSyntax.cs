using System.Globalization;

namespace Tender.Devices;

/// <summary>
/// The value syntax of solo5-hvt's per-device options, for the tender's command line:
/// <c>--block:NAME=PATH</c>, <c>--block-sector-size:NAME=N</c>, <c>--net:NAME=TAPIF</c>,
/// <c>--net-mac:NAME=MAC</c>. The option prefix (up to and including ':') is the caller's;
/// these parse what follows it.
/// </summary>
public static class DeviceOptionSyntax
{
    /// <summary>Solo5's limit on a manifest device name (MFT_NAME_MAX, without the NUL).</summary>
    public const int MaxNameLength = 67;

    /// <summary>
    /// Splits "NAME=VALUE". NAME must be a manifest device name (1 to 67 characters, letters and
    /// digits, as Solo5 requires); VALUE must be non-empty. option names the flag in errors.
    /// </summary>
    public static bool TrySplit(string option, string text, out string name, out string value, out string? error)
    {
        name = value = "";
        int eq = text.IndexOf('=');
        if (eq < 0)
        {
            error = $"{option}: '{text}' is not NAME=VALUE";
            return false;
        }
        name = text[..eq];
        value = text[(eq + 1)..];
        if (CheckName(name) is string bad)
        {
            error = $"{option}: {bad}";
            return false;
        }
        if (value.Length == 0)
        {
            error = $"{option}: no value after '{name}='";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>Null if name is a valid manifest device name, else why not.</summary>
    public static string? CheckName(string name)
    {
        if (name.Length == 0) return "the device name is empty";
        if (name.Length > MaxNameLength) return $"device name '{name}' is longer than {MaxNameLength} characters";
        foreach (char c in name)
            if (!char.IsAsciiLetterOrDigit(c)) return $"device name '{name}' has '{c}'; only letters and digits are allowed";
        return null;
    }

    /// <summary>Parses the N of --block-sector-size:NAME=N (decimal, a power of two, at least 512).</summary>
    public static bool TryParseSectorSize(string text, out uint sectorSize, out string? error)
    {
        sectorSize = 0;
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n))
        {
            error = $"sector size '{text}' is not a decimal number";
            return false;
        }
        if (BlockDevice.CheckSectorSize(n) is string bad)
        {
            error = bad;
            return false;
        }
        sectorSize = (uint)n;
        error = null;
        return true;
    }
}
