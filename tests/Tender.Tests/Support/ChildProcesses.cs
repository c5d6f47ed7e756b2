namespace Tender.Tests.Support;

/// <summary>A process's children, from /proc (for tests that a tender leaves no guest process behind).</summary>
public static class ChildProcesses
{
    /// <summary>The child processes of <paramref name="pid"/>, from /proc/PID/task/*/children.</summary>
    public static int[] Of(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task")
            .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(int.Parse).Distinct().ToArray();

    /// <summary>Whether <paramref name="pid"/> still runs. A zombie is not running code: dead enough
    /// (its parent, the tender, is gone; init reaps it).</summary>
    public static bool Alive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat") is var stat && stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
}
