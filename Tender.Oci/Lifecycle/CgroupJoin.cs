using System.Globalization;

namespace Tender.Oci.Lifecycle;

/// <summary>
/// Puts the container's process into linux.cgroupsPath on the cgroup v2 hierarchy, making the
/// directory when needed, and applies the memory limit there when the memory controller is
/// available: the limit then holds the tender and its guest together (the guest's memory is the
/// tender's, or on the process platform its child's, which inherits the cgroup). The unified
/// hierarchy is /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host.
/// </summary>
public static class CgroupJoin
{
    public sealed record Joined(string Directory, bool Created, bool MemoryLimited);

    public static string? UnifiedRoot()
    {
        foreach (var candidate in new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" })
            if (File.Exists(Path.Combine(candidate, "cgroup.controllers"))) return candidate;
        return null;
    }

    /// <param name="cgroupsPath">The spec's path; a relative one is taken under the root as well.</param>
    public static Joined Join(string cgroupsPath, int pid, long? memoryLimit)
    {
        string root = UnifiedRoot() ?? throw new OciException($"linux.cgroupsPath {cgroupsPath}: this host has no cgroup v2 hierarchy (looked for /sys/fs/cgroup and /sys/fs/cgroup/unified)");
        if (cgroupsPath.Contains(':'))
            throw new OciException($"linux.cgroupsPath \"{cgroupsPath}\" is a systemd slice path; this runtime manages cgroupfs paths only (set SystemdCgroup = false)");
        var parts = cgroupsPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => p is "." or ".."))
            throw new OciException($"linux.cgroupsPath \"{cgroupsPath}\": expected a path of cgroup names without \".\" or \"..\"");
        string directory = Path.Combine([root, .. parts]);
        bool created = !Directory.Exists(directory);
        bool memory = memoryLimit is long && File.ReadAllText(Path.Combine(root, "cgroup.controllers")).Split(' ', '\n').Contains("memory");
        try
        {
            if (memory)
            {
                // Each ancestor hands the memory controller down (cgroup v2's subtree_control).
                string current = root;
                foreach (var part in parts)
                {
                    File.AppendAllText(Path.Combine(current, "cgroup.subtree_control"), "+memory");
                    current = Path.Combine(current, part);
                    Directory.CreateDirectory(current);
                }
            }
            Directory.CreateDirectory(directory);
            if (memory) File.WriteAllText(Path.Combine(directory, "memory.max"), memoryLimit!.Value.ToString(CultureInfo.InvariantCulture));
            File.AppendAllText(Path.Combine(directory, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OciException($"linux.cgroupsPath {cgroupsPath}: cannot join {directory}: {e.Message}");
        }
        return new Joined(directory, created, memory);
    }

    /// <summary>Removes the cgroup directory `create` made (once its processes are gone).</summary>
    public static void Remove(string directory)
    {
        for (int attempt = 0; attempt < 50 && Directory.Exists(directory); attempt++)
        {
            try
            {
                Directory.Delete(directory);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(10); // EBUSY: the last process is still leaving
            }
        }
    }
}
