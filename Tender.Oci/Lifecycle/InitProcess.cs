using System.Globalization;
using Tender.Oci.Spec;

namespace Tender.Oci.Lifecycle;

/// <summary>
/// The container's process as the later commands see it: alive or not, by pid and by its start
/// time (field 22 of /proc/PID/stat), so a pid the kernel gave to another process since does not
/// pass for the container. A zombie (exited, not yet reaped by the shim) counts as stopped.
/// </summary>
public static class InitProcess
{
    /// <summary>The process's start time in clock ticks since boot; null when it does not exist or has exited.</summary>
    public static ulong? StartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // "PID (COMM) STATE ..." — COMM may hold spaces and parentheses: fields start after the last ')'.
        int close = stat.LastIndexOf(')');
        if (close < 0) return null;
        var fields = stat[(close + 2)..].Split(' ');
        if (fields.Length < 20) return null;
        if (fields[0] is "Z" or "X") return null;
        return ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out ulong start) ? start : null;
    }

    public static bool IsAlive(ContainerRecord record) =>
        record.Pid > 0 && StartTime(record.Pid) is ulong start && start == record.PidStartTime;

    /// <summary>created (alive, the start gate still open), running, or stopped.</summary>
    public static string Status(ContainerRecord record, StateDirectory directory)
    {
        if (!IsAlive(record)) return ContainerStatus.Stopped;
        return File.Exists(directory.GatePath) ? ContainerStatus.Created : ContainerStatus.Running;
    }
}
