using Tender.Host.Interop;

namespace Tender.Host;

/// <summary>Signals to another process by pid (the OCI runtime's `kill`), and whether it still exists.</summary>
public static class ProcessSignals
{
    private const int ESRCH = 3;

    /// <summary>Sends <paramref name="signal"/>; false when no such process exists (any more).</summary>
    public static bool Send(int pid, int signal)
    {
        if (pid <= 0) throw new ArgumentOutOfRangeException(nameof(pid), "a process id is positive (0 and negatives name process groups)");
        if (LibC.Kill(pid, signal) == 0) return true;
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        if (errno == ESRCH) return false;
        throw new HostException($"kill({pid}, {signal})", errno);
    }
}
