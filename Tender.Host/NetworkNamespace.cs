using System.Runtime.ExceptionServices;
using Tender.Host.Interop;

namespace Tender.Host;

/// <summary>
/// Runs code inside a named network namespace (the ones `ip netns add` creates, bound at
/// /var/run/netns/NAME). Network namespaces are a per-thread attribute, so the code runs on a
/// dedicated thread that enters the namespace with setns(2) and ends afterwards; no other thread
/// of the process changes namespace. Sockets and TAP descriptors created there stay tied to
/// that namespace after the thread has ended, so they can be used from any thread.
/// </summary>
public static class NetworkNamespace
{
    public const string BindDirectory = "/var/run/netns";

    public static T Run<T>(string name, Func<T> action)
    {
        if (name.Length == 0 || name.Contains('/') || name is "." or "..")
            throw new ArgumentException($"bad network namespace name '{name}'", nameof(name));
        string path = Path.Combine(BindDirectory, name);
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = FileDescriptor.Open(path, LibC.O_RDONLY);
                if (LibC.SetNs(ns.Fd, LibC.CLONE_NEWNET) < 0)
                    throw HostException.FromLastError($"setns {path}");
                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        { IsBackground = true, Name = $"netns {name}" };
        thread.Start();
        thread.Join();
        if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
        return result!;
    }

    public static void Run(string name, Action action) => Run(name, () => { action(); return 0; });

    /// <summary>
    /// Moves the calling thread — only it — into the network namespace at <paramref name="path"/>
    /// (a bind mount such as /var/run/netns/NAME or /proc/PID/ns/net, as an OCI bundle gives it).
    /// The OCI runtime's container process does this on the thread that then opens the guest's
    /// TAP devices, so they are the namespace's.
    /// </summary>
    public static void EnterOnThisThread(string path)
    {
        using var ns = FileDescriptor.Open(path, LibC.O_RDONLY);
        if (LibC.SetNs(ns.Fd, LibC.CLONE_NEWNET) < 0)
            throw HostException.FromLastError($"setns {path}");
    }
}
