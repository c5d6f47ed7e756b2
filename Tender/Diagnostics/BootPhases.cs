using System.Diagnostics;

namespace Tender.Diagnostics;

/// <summary>
/// Where a run's time goes, from main to exit (docs/tender.md, "Start-up"): each phase's end is
/// marked once with a timestamp; --log-level=debug prints them at exit. Marking costs one
/// Stopwatch read, so it stays on in every run.
/// </summary>
internal static class BootPhases
{
    private static readonly long Main = Stopwatch.GetTimestamp();
    private static readonly (string Name, long At)[] Marks = new (string, long)[12];
    private static int _count;

    /// <summary>Forces the class's initialisation: call first thing in main.</summary>
    public static void Start() => _ = Main;

    /// <summary>Records the end of a phase; later marks of the same run after the array is full are dropped.</summary>
    public static void Mark(string name)
    {
        if (_count < Marks.Length) Marks[_count++] = (name, Stopwatch.GetTimestamp());
    }

    /// <summary>"name +Δ ms (t ms)" for each phase, from main.</summary>
    public static string Describe()
    {
        var parts = new List<string>(_count);
        long previous = Main;
        for (int i = 0; i < _count; i++)
        {
            var (name, at) = Marks[i];
            parts.Add($"{name} +{Stopwatch.GetElapsedTime(previous, at).TotalMilliseconds:F2} ms");
            previous = at;
        }
        return $"since main, {Stopwatch.GetElapsedTime(Main).TotalMilliseconds:F2} ms: " + string.Join(", ", parts);
    }
}
