using System.Globalization;

namespace Tender.Cli;

/// <summary>Durations as in GNU timeout and Go: "500ms", "5s", "2m", "1h", "1.5s"; a bare number is seconds.</summary>
internal static class DurationParser
{
    public static bool TryParse(string text, out TimeSpan duration, out string? error)
    {
        duration = default;
        error = null;
        string s = text.Trim();
        (string unit, double scale)[] units = [("ms", 0.001), ("us", 1e-6), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];
        double factor = 1;
        foreach (var (unit, scale) in units)
        {
            if (s.EndsWith(unit, StringComparison.Ordinal))
            {
                s = s[..^unit.Length];
                factor = scale;
                break;
            }
        }
        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) || s.Length == 0)
        {
            error = $"'{text}' is not a duration (examples: 500ms, 5s, 2m, 1h)";
            return false;
        }
        double seconds = value * factor;
        if (seconds <= 0 || seconds > TimeSpan.FromDays(365).TotalSeconds)
        {
            error = $"'{text}' must be more than 0 and at most a year";
            return false;
        }
        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
