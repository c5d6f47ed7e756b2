using System.Diagnostics;
using System.Globalization;
using Tender.Oci;
using Tender.Oci.Bundle;
using Tender.Oci.Lifecycle;
using Tender.Oci.Networking;
using Tender.Oci.Spec;

namespace Tender.Cli;

/// <summary>
/// `tender oci …`: the OCI runtime command line that containerd's runc v2 shim drives (issue 15,
/// docs/containers.md). The container's process is a second tender, `tender oci init`, which
/// `create` starts and leaves waiting at the start gate; it boots the guest after `start` and
/// exits with the guest's status, so the shim, which reaps it, reports that status as the task's.
/// </summary>
internal static class OciCommand
{
    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] is "--help" or "-h")
        {
            Console.Out.Write(Help);
            return 0;
        }
        OciArguments parsed;
        try
        {
            parsed = OciArguments.Parse(args);
        }
        catch (TenderException e)
        {
            return Fail(new RuntimeLog(null, false), e.Message);
        }
        string? format = parsed.GlobalValue("--log-format");
        if (format is not (null or "json" or "text"))
            return Fail(new RuntimeLog(null, false), $"oci: --log-format={format}: expected json or text");
        var log = new RuntimeLog(parsed.GlobalValue("--log"), format == "json");
        string root = parsed.GlobalValue("--root") ?? StateDirectory.DefaultRoot;
        try
        {
            return parsed.Command switch
            {
                "create" => Create(parsed, root, log),
                "start" => Start(parsed, root, log),
                "state" => State(parsed, root),
                "kill" => Kill(parsed, root),
                "delete" => Delete(parsed, root, log),
                "features" => Features(),
                "init" => OciInit.Run(parsed, root, log),
                _ => throw new TenderException($"oci: unknown command {parsed.Command}"),
            };
        }
        catch (Exception e) when (e is OciException or TenderException or IOException or UnauthorizedAccessException)
        {
            return Fail(log, $"oci {parsed.Command}: {e.Message}");
        }
    }

    private static int Fail(RuntimeLog log, string message)
    {
        log.Error(message);
        Console.Error.WriteLine($"tender: {message}");
        return Tender.Run.RunOutcome.TenderError;
    }

    /// <summary>How long `create` waits for its container's process to reach the start gate.</summary>
    private static readonly TimeSpan ReadyLimit = TimeSpan.FromSeconds(30);

    private static int Create(OciArguments parsed, string root, RuntimeLog log)
    {
        string id = parsed.Operands[0];
        StateDirectory.CheckId(id);
        string bundle = Path.GetFullPath(parsed.Value("--bundle", "-b") ?? Directory.GetCurrentDirectory());
        // Everything the bundle says is checked here, before any process or file is made.
        var plan = BundleReader.Read(bundle);
        string? consoleSocket = parsed.Value("--console-socket");
        if (plan.Terminal && consoleSocket is null)
            throw new OciException("process.terminal is true but no --console-socket was given to send the terminal to");
        if (parsed.GlobalFlags.Contains("--systemd-cgroup"))
            log.Info("--systemd-cgroup: ignored; cgroupsPath is used as a cgroupfs path (docs/containers.md)");

        var directory = new StateDirectory(root, id);
        directory.CreateNew();
        Process? init = null;
        ContainerRecord? record = null;
        try
        {
            string? console = consoleSocket is null ? null : SendConsole(consoleSocket);
            init = StartInit(parsed, root, bundle, id, console, plan.NetworkNamespace);
            WaitUntilReady(init, directory);
            ulong startTime = InitProcess.StartTime(init.Id) ?? throw new OciException("the container's process ended before it was ready");
            CgroupJoin.Joined? cgroup = plan.CgroupsPath is string cgroupsPath ? CgroupJoin.Join(cgroupsPath, init.Id, plan.MemoryLimitBytes) : null;
            AttachedNetwork? network = plan.NetworkNamespace is string netns ? ContainerNetworking.Attach(netns, id) : null;
            if (plan.NetworkNamespace is not null && network is null)
                log.Info($"network namespace {plan.NetworkNamespace}: no interface with an IPv4 address; the guest has no network device");
            record = new ContainerRecord
            {
                Id = id,
                Bundle = bundle,
                Rootfs = plan.Rootfs,
                Pid = init.Id,
                PidStartTime = startTime,
                Created = DateTime.UtcNow,
                Annotations = plan.Annotations,
                CgroupDirectory = cgroup?.Directory,
                CgroupCreated = cgroup?.Created ?? false,
                NetworkNamespace = plan.NetworkNamespace,
                Network = network,
            };
            directory.Write(record);
            var state = StateOf(record, ContainerStatus.Created);
            // config.md: createRuntime and createContainer run once the runtime environment
            // exists, before pivot_root (there is none here); prestart (deprecated) with them, as runc.
            Hooks.Run("prestart", plan.Hooks.Prestart, state);
            Hooks.Run("createRuntime", plan.Hooks.CreateRuntime, state);
            Hooks.Run("createContainer", plan.Hooks.CreateContainer, state);
            if (parsed.Value("--pid-file") is string pidFile) WritePidFile(pidFile, init.Id);
            return 0;
        }
        catch
        {
            // A container that failed to be created leaves nothing behind.
            if (init is not null && !init.HasExited) Tender.Host.ProcessSignals.Send(init.Id, OciSignals.Kill);
            if (record?.Network is { } attached && record.NetworkNamespace is string ns) ContainerNetworking.Detach(ns, attached);
            if (record is { CgroupCreated: true, CgroupDirectory: string cg }) CgroupJoin.Remove(cg);
            directory.Remove();
            throw;
        }
        finally
        {
            init?.Dispose();
        }
    }

    /// <summary>
    /// The container's process: this tender again, as `oci init`, with the stdio the shim gave
    /// `create` (inherited: the guest's console is the container's stdout). When `create` exits
    /// the shim, a child subreaper, becomes its parent and reaps it.
    /// </summary>
    private static Process StartInit(OciArguments parsed, string root, string bundle, string id, string? console, string? netns)
    {
        string self = Environment.ProcessPath ?? throw new OciException("cannot find the tender's own executable");
        var info = new ProcessStartInfo(self) { UseShellExecute = false };
        foreach (var a in new[] { "oci", "--root", root }) info.ArgumentList.Add(a);
        if (parsed.GlobalValue("--log") is string logPath)
        {
            info.ArgumentList.Add("--log");
            info.ArgumentList.Add(logPath);
        }
        if (parsed.GlobalValue("--log-format") is string logFormat)
        {
            info.ArgumentList.Add("--log-format");
            info.ArgumentList.Add(logFormat);
        }
        foreach (var a in new[] { "init", "--bundle", bundle }) info.ArgumentList.Add(a);
        if (console is not null)
        {
            info.ArgumentList.Add("--console");
            info.ArgumentList.Add(console);
        }
        if (netns is not null)
        {
            info.ArgumentList.Add("--netns");
            info.ArgumentList.Add(netns);
        }
        info.ArgumentList.Add(id);
        return Process.Start(info) ?? throw new OciException("could not start the container's process");
    }

    /// <summary>
    /// With a terminal (`ctr run -t`): a new pseudoterminal whose master goes to the shim over
    /// the console socket, as runc sends it; returns the slave's path, which the container's
    /// process makes its stdio.
    /// </summary>
    private static string SendConsole(string socketPath)
    {
        var (master, slave) = Tender.Host.Pseudoterminal.Open();
        using (master)
        {
            try
            {
                Tender.Host.Pseudoterminal.SendMaster(socketPath, master, slave);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or Tender.Host.HostException)
            {
                throw new OciException($"--console-socket {socketPath}: {e.Message}");
            }
        }
        return slave;
    }

    private static void WaitUntilReady(Process init, StateDirectory directory)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(directory.GatePath))
        {
            if (init.WaitForExit(1))
                throw new OciException($"the container's process exited with status {init.ExitCode} before it was ready");
            if (clock.Elapsed > ReadyLimit)
                throw new OciException($"the container's process was not ready within {ReadyLimit.TotalSeconds:F0} s");
        }
    }

    /// <summary>go-runc reads the pid file as soon as create returns: written whole, then renamed into place.</summary>
    private static void WritePidFile(string path, int pid)
    {
        string temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "." + Path.GetFileName(path) + ".tmp");
        File.WriteAllText(temporary, pid.ToString(CultureInfo.InvariantCulture));
        File.Move(temporary, path, overwrite: true);
    }

    private static ContainerState StateOf(ContainerRecord record, string status) => new()
    {
        Id = record.Id,
        Status = status,
        Pid = status == ContainerStatus.Stopped ? 0 : record.Pid,
        Bundle = record.Bundle,
        Rootfs = record.Rootfs,
        Created = record.Created,
        Annotations = record.Annotations,
    };

    private static int Start(OciArguments parsed, string root, RuntimeLog log)
    {
        var directory = new StateDirectory(root, parsed.Operands[0]);
        var record = directory.Read();
        string status = InitProcess.Status(record, directory);
        if (status != ContainerStatus.Created)
            throw new OciException($"container {record.Id} is {status}, not created: only a created container starts");
        StartGate.Release(directory.GatePath, record.Id);
        var plan = BundleReader.Read(record.Bundle);
        Hooks.RunWarning("poststart", plan.Hooks.Poststart, StateOf(record, ContainerStatus.Running), log.Warning);
        return 0;
    }

    private static int State(OciArguments parsed, string root)
    {
        var directory = new StateDirectory(root, parsed.Operands[0]);
        var record = directory.Read();
        Console.Out.WriteLine(OciJson.Write(StateOf(record, InitProcess.Status(record, directory))));
        return 0;
    }

    /// <summary>
    /// Signals the container's process (the tender: SIGTERM and SIGINT stop the guest, exit
    /// 143/130; SIGKILL ends it at once, 137). --all is the same signal: the container has one process.
    /// </summary>
    private static int Kill(OciArguments parsed, string root)
    {
        int signal = parsed.Operands.Count > 1 ? OciSignals.Parse(parsed.Operands[1]) : OciSignals.Term;
        var directory = new StateDirectory(root, parsed.Operands[0]);
        var record = directory.Read();
        if (!InitProcess.IsAlive(record) || !Tender.Host.ProcessSignals.Send(record.Pid, signal))
            // "container not running": the words containerd's shim looks for to treat the kill as
            // of a process that already finished (runc's own message).
            throw new OciException($"container not running: {record.Id} has stopped");
        return 0;
    }

    private static int Delete(OciArguments parsed, string root, RuntimeLog log)
    {
        var directory = new StateDirectory(root, parsed.Operands[0]);
        bool force = parsed.Has("--force", "-f");
        if (!directory.Exists)
        {
            if (force)
            {
                directory.Remove(); // what a failed create may have left
                return 0;
            }
            throw new OciException($"container {directory.Id} does not exist");
        }
        var record = directory.Read();
        string status = InitProcess.Status(record, directory);
        if (status != ContainerStatus.Stopped)
        {
            if (!force) throw new OciException($"container {record.Id} is {status}: stop it first, or delete --force");
            Tender.Host.ProcessSignals.Send(record.Pid, OciSignals.Kill);
            var clock = Stopwatch.StartNew();
            while (InitProcess.IsAlive(record))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(10)) throw new OciException($"container {record.Id}: its process {record.Pid} did not end after SIGKILL");
                Thread.Sleep(5);
            }
        }
        if (record.Network is { } network && record.NetworkNamespace is string ns) ContainerNetworking.Detach(ns, network);
        if (record is { CgroupCreated: true, CgroupDirectory: string cgroup }) CgroupJoin.Remove(cgroup);
        HooksConfig? hooks = null;
        try
        {
            hooks = OciJson.ReadConfig(Path.Combine(record.Bundle, "config.json")).Hooks;
        }
        catch (OciException e)
        {
            log.Warning($"poststop hooks not run: {e.Message}");
        }
        directory.Remove();
        Hooks.RunWarning("poststop", hooks?.Poststop, StateOf(record, ContainerStatus.Stopped), log.Warning);
        return 0;
    }

    private static int Features()
    {
        var features = new RuntimeFeatures
        {
            Hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
            Linux = new LinuxFeatures { Namespaces = ["network"] },
            Annotations = new Dictionary<string, string>(BundleAnnotations.Described),
        };
        Console.Out.WriteLine(OciJson.Write(features));
        return 0;
    }

    private const string Help = """
        Usage: tender oci [global flags] COMMAND [flags] ID
        The OCI runtime command line, as containerd's runc shim calls it (docs/containers.md).

        Global flags:
          --root DIR            state directory (default /run/tender-oci)
          --log FILE            also write errors and warnings here
          --log-format FORMAT   json or text (the log file's format)
          --systemd-cgroup      accepted and ignored: cgroupsPath is a cgroupfs path
        Commands:
          create --bundle DIR [--pid-file FILE] [--console-socket SOCK] ID
                                                     make the container; its process waits for start
          start ID                                   boot the guest
          state ID                                   print the state as JSON
          kill [--all] ID [SIGNAL]                   signal the container's process (default SIGTERM)
          delete [--force] ID                        remove a stopped container (--force: stop it first)
          features                                   print what this runtime supports, as JSON

        """;
}
