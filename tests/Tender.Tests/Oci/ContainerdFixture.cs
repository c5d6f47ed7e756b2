using System.Diagnostics;

namespace Tender.Tests.Oci;

/// <summary>
/// A real containerd (Debian's package) of the tests' own: its socket, root, state directory and
/// config in a temporary directory, the CRI plugin off; started once for the test class and
/// stopped afterwards, with everything it made removed. Containers go in a namespace of their
/// own, so the runc shim's runtime root (/run/containerd/runc/NAMESPACE) is the tests' too.
/// Also builds the tender and its OCI launcher (scripts/oci-runtime), as a user would.
/// </summary>
public sealed class ContainerdFixture : IDisposable
{
    private readonly Process _containerd;
    public string Directory { get; }
    public string Socket { get; }
    /// <summary>
    /// The containers' namespace, one per fixture: xunit runs the test classes that use this
    /// fixture in parallel, each with a containerd of its own, and the runc shim keys the runtime's
    /// state (<see cref="RuntimeRoot"/>) by namespace alone. A namespace shared between them let
    /// one class's clean-up delete the state of another class's running container.
    /// </summary>
    public string Namespace { get; } = $"tender-oci-test-{Environment.ProcessId}-{Interlocked.Increment(ref s_fixtures)}";

    private static int s_fixtures;
    /// <summary>The OCI runtime launcher, as scripts/oci-runtime prints it.</summary>
    public string Launcher { get; }
    /// <summary>Where the runc shim tells the runtime to keep its state (--root).</summary>
    public string RuntimeRoot => Path.Combine("/run/containerd/runc", Namespace);

    public ContainerdFixture()
    {
        HostRequirements.Ensure(HostNeeds.Root);
        foreach (var tool in new[] { "containerd", "ctr", "containerd-shim-runc-v2" })
            if (!OnPath(tool)) throw new InvalidOperationException($"{tool} is missing: install Debian's containerd package (scripts/lib/test-packages.sh lists it)");
        Launcher = OciLauncher.Path;
        Directory = System.IO.Directory.CreateTempSubdirectory("tender-containerd-").FullName;
        Socket = Path.Combine(Directory, "containerd.sock");
        string config = Path.Combine(Directory, "config.toml");
        File.WriteAllText(config, $"""
            version = 2
            root = "{Directory}/root"
            state = "{Directory}/state"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{Socket}"
            [ttrpc]
              address = "{Socket}.ttrpc"
            """);
        var info = new ProcessStartInfo("containerd") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        _containerd = Process.Start(info) ?? throw new InvalidOperationException("cannot start containerd");
        _containerd.OutputDataReceived += (_, _) => { };
        _containerd.ErrorDataReceived += (_, _) => { };
        _containerd.BeginOutputReadLine();
        _containerd.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (Command.TryRun("ctr", "-a", Socket, "version").ExitCode != 0)
        {
            if (_containerd.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
                throw new InvalidOperationException($"containerd did not come up on {Socket}");
            Thread.Sleep(50);
        }
    }

    /// <summary>ctr against this containerd, in the tests' namespace.</summary>
    public (int ExitCode, string Output) Ctr(params string[] arguments) => Ctr(TimeSpan.FromSeconds(60), arguments);

    public (int ExitCode, string Output) Ctr(TimeSpan timeout, params string[] arguments) =>
        Command.TryRun(timeout, "ctr", ["-a", Socket, "-n", Namespace, .. arguments]);

    public RunningCommand StartCtr(params string[] arguments) => Command.Start("ctr", ["-a", Socket, "-n", Namespace, .. arguments]);

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

    public void Dispose()
    {
        // Containers a failed test left: their tasks killed, then removed, so no shim outlives the fixture.
        var (_, tasks) = Ctr("task", "ls", "-q");
        foreach (var id in tasks.Split('\n', StringSplitOptions.RemoveEmptyEntries)) Ctr("task", "delete", "--force", id.Trim());
        var (_, containers) = Ctr("container", "ls", "-q");
        foreach (var id in containers.Split('\n', StringSplitOptions.RemoveEmptyEntries)) Ctr("container", "delete", id.Trim());
        Ctr("namespace", "remove", Namespace);
        try
        {
            _containerd.Kill();
            _containerd.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // containerd ended on its own
        }
        _containerd.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
        if (System.IO.Directory.Exists(RuntimeRoot)) System.IO.Directory.Delete(RuntimeRoot, recursive: true);
        // ctr puts each container in cgroup /NAMESPACE/ID; the runtime removes ID, the namespace's is the tests'.
        foreach (var root in new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" })
        {
            string cgroup = Path.Combine(root, Namespace);
            if (File.Exists(Path.Combine(root, "cgroup.controllers")) && System.IO.Directory.Exists(cgroup))
            {
                try
                {
                    System.IO.Directory.Delete(cgroup);
                }
                catch (IOException)
                {
                    // still in use by a process a failed test left: the test's own failure says more
                }
            }
        }
    }
}

/// <summary>The launcher scripts/oci-runtime builds and prints (once per test run).</summary>
public static class OciLauncher
{
    private static readonly Lazy<string> s_path = new(() =>
    {
        // stdout and stderr come merged: the path is the line naming the launcher, not a build message.
        string output = Command.Run(TimeSpan.FromMinutes(10), System.IO.Path.Combine(Repository.Root, "scripts", "oci-runtime"));
        return output.Split('\n').Select(l => l.Trim()).Last(l => l.StartsWith('/') && l.EndsWith("/tender-runc", StringComparison.Ordinal));
    });

    public static string Path => s_path.Value;
}
