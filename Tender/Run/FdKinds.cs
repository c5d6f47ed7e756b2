namespace Tender.Run;

/// <summary>
/// The open file descriptors the sandbox's argument filters name, found by what /proc/self/fd
/// says they are rather than passed through every layer that opened them: at the sandbox
/// point every descriptor the run needs is open, and nothing opens another afterwards.
/// </summary>
internal sealed record FdKinds(IReadOnlyList<int> IoctlFds, IReadOnlyList<int> PidFds)
{
    /// <summary>What ioctl is allowed on: the KVM VM and vCPUs, TAP devices, VFIO containers, groups and devices.</summary>
    internal static bool TakesIoctl(string target) =>
        target.StartsWith("anon_inode:kvm-vm", StringComparison.Ordinal)
        || target.StartsWith("anon_inode:kvm-vcpu", StringComparison.Ordinal)
        || target == "/dev/net/tun"
        || target.StartsWith("/dev/vfio/", StringComparison.Ordinal)
        || target == "anon_inode:[vfio-device]";

    public static FdKinds OfThisProcess()
    {
        var ioctl = new List<int>();
        var pidFds = new List<int>();
        foreach (string path in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(path), out int fd)) continue;
            string? target;
            try
            {
                target = new FileInfo(path).LinkTarget;
            }
            catch (IOException)
            {
                continue;   // the directory's own descriptor, closed by now
            }
            if (target is null) continue;
            if (TakesIoctl(target)) ioctl.Add(fd);
            else if (target == "anon_inode:[pidfd]") pidFds.Add(fd);
        }
        ioctl.Sort();
        pidFds.Sort();
        return new FdKinds(ioctl, pidFds);
    }

    /// <summary>The process's children (the process platform's traced guest), from /proc/self/task/*/children.</summary>
    public static int[] ChildrenOfThisProcess()
    {
        var children = new SortedSet<int>();
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(task, "children"));
            }
            catch (IOException)
            {
                continue;   // a thread that has ended meanwhile
            }
            foreach (string pid in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (int.TryParse(pid, out int value)) children.Add(value);
        }
        return [.. children];
    }
}
