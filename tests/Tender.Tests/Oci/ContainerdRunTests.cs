using System.Diagnostics;
using Tender.Tests.Support;

namespace Tender.Tests.Oci;

/// <summary>
/// The tender as the OCI runtime of a real containerd (issue 15): `ctr run --runc-binary` with
/// the launcher scripts/oci-runtime prints, the guest ELF and its files in a rootfs directory,
/// the platform chosen by annotation. Each scenario on both platforms.
/// </summary>
public sealed class ContainerdRunTests(ContainerdFixture containerd) : IClassFixture<ContainerdFixture>, IDisposable
{
    private readonly List<string> _directories = [];

    public void Dispose()
    {
        foreach (var directory in _directories) Directory.Delete(directory, recursive: true);
    }

    private string TemporaryDirectory(string prefix)
    {
        string directory = Directory.CreateTempSubdirectory(prefix).FullName;
        _directories.Add(directory);
        return directory;
    }

    private static int s_counter;

    private static string Platform => TestPlatform.Current ?? throw new InvalidOperationException("a [GuestFact] case runs on a platform");

    private static string NewId(string name) => $"{name}-{Platform}-{Interlocked.Increment(ref s_counter)}";

    /// <summary>A rootfs directory holding the given test guests as /NAME.elf.</summary>
    private string Rootfs(params (string Name, string Elf)[] guests)
    {
        string rootfs = TemporaryDirectory("tender-rootfs-");
        foreach (var (name, elf) in guests) File.Copy(elf, Path.Combine(rootfs, name + ".elf"));
        return rootfs;
    }

    private string[] RunArguments(string rootfs, string id, IEnumerable<string> annotations, params string[] command) =>
        ["run", "--rm", "--runc-binary", containerd.Launcher, "--annotation", $"org.tender.platform={Platform}",
         .. annotations.SelectMany(a => new[] { "--annotation", a }), "--rootfs", rootfs, id, .. command];

    [GuestFact(HostNeeds.Root)]
    public void Hello_prints_its_arguments_and_its_exit_status_becomes_the_tasks()
    {
        string rootfs = Rootfs(("hello", TestGuests.Build("hello")), ("exit7", TestGuests.Build("exit7")));
        var (code, output) = containerd.Ctr(RunArguments(rootfs, NewId("hello"), [], "/hello.elf", "a", "b"));
        Assert.True(code == 0, output);
        Assert.Contains("hello from the guest: a b", output);

        (code, output) = containerd.Ctr(RunArguments(rootfs, NewId("exit7"), [], "/exit7.elf"));
        Assert.True(code == 7, $"exit {code}: {output}");
    }

    [GuestFact(HostNeeds.Root)]
    public void Kill_stops_a_looping_guest_and_delete_removes_its_state()
    {
        string rootfs = Rootfs(("loop", TestGuests.Build("loop")));
        string id = NewId("loop");
        using var run = containerd.StartCtr(RunArguments(rootfs, id, [], "/loop.elf"));
        string stateDirectory = Path.Combine(containerd.RuntimeRoot, id);
        WaitFor(() => RuntimeState(id).Contains("\"status\":\"running\""), $"container {id} running");
        Assert.True(Directory.Exists(stateDirectory));
        var (killCode, killOutput) = containerd.Ctr("task", "kill", id);
        Assert.True(killCode == 0, killOutput);
        var (code, output) = run.Wait(TimeSpan.FromSeconds(30));
        Assert.True(code == 143, $"exit {code} (expected 143, SIGTERM's): {output}");
        // ctr run --rm deletes the task and container: the shim called the runtime's delete.
        WaitFor(() => !Directory.Exists(stateDirectory), $"{stateDirectory} removed");
    }

    [GuestFact(HostNeeds.Root)]
    public void Crashed_guest_is_stopped_with_exit_125()
    {
        string rootfs = Rootfs(("crash", TestGuests.Build("fault", ("KIND", "1"))));
        string id = NewId("crash");
        var (code, output) = containerd.Ctr("run", "-d", "--runc-binary", containerd.Launcher, "--annotation", $"org.tender.platform={Platform}",
            "--rootfs", rootfs, id, "/crash.elf");
        Assert.True(code == 0, output);
        WaitFor(() => RuntimeState(id).Contains("\"status\":\"stopped\""), $"container {id} stopped");
        var (_, tasks) = containerd.Ctr("task", "ls");
        Assert.Matches($@"{id}\s+\d+\s+STOPPED", tasks);
        var (deleteCode, deleteOutput) = containerd.Ctr("task", "delete", id);
        Assert.True(deleteCode == 0, deleteOutput);
        Assert.Contains("exit code 125", deleteOutput);
        containerd.Ctr("container", "delete", id);
        Assert.False(Directory.Exists(Path.Combine(containerd.RuntimeRoot, id)));
    }

    public static TheoryData<string, string, string> BadBundles => new()
    {
        // name, annotation ("" for none), the error ctr shows
        { "missing-elf", "", "\"/missing.elf\" does not exist in the container's rootfs" },
        { "dotdot", "org.tender.manifest=../../../etc/passwd", "climbs out of the container's rootfs" },
        { "flag", "org.tender.platform=--gdb=0.0.0.0:1234", "a value shaped like a flag is refused" },
        { "flag-block", "org.tender.block.disk=--net:service=tap0", "a value shaped like a flag is refused" },
        { "unknown", "org.tender.kernel=/hello.elf", "annotation org.tender.kernel: unknown" },
        { "urunc-unsupported", "com.urunc.unikernel.initrd=/initrd", "annotation com.urunc.unikernel.initrd: not supported" },
        { "symlink-out", "", "\"/outside.elf\" does not exist in the container's rootfs" },
        { "fifo-out", "org.tender.manifest=/manifest.json", "\"/manifest.json\" does not exist in the container's rootfs" },
    };

    [GuestTheory(HostNeeds.Root)]
    [MemberData(nameof(BadBundles))]
    public void Bad_bundles_are_refused_with_a_clear_error_and_nothing_outside_the_rootfs_read(string name, string annotation, string expected)
    {
        string rootfs = Rootfs(("hello", TestGuests.Build("hello")));
        string outside = TemporaryDirectory("tender-outside-");
        string elf = name == "missing-elf" ? "/missing.elf" : "/hello.elf";
        if (name == "symlink-out")
        {
            // A real guest outside the rootfs, linked from inside by absolute path: under the
            // rootfs the link means ROOTFS/…/outside.elf, which does not exist; the host's file is never booted.
            File.Copy(TestGuests.Build("hello"), Path.Combine(outside, "outside.elf"));
            File.CreateSymbolicLink(Path.Combine(rootfs, "outside.elf"), Path.Combine(outside, "outside.elf"));
            elf = "/outside.elf";
        }
        if (name == "fifo-out")
        {
            // The manifest links to a FIFO outside the rootfs: opening it to read would block,
            // so a create that returns at once has not opened it.
            string fifo = Path.Combine(outside, "manifest.json");
            Command.Run("mkfifo", fifo);
            File.CreateSymbolicLink(Path.Combine(rootfs, "manifest.json"), fifo);
        }
        string id = NewId(name);
        var clock = Stopwatch.StartNew();
        var (code, output) = containerd.Ctr(TimeSpan.FromSeconds(20), RunArguments(rootfs, id, annotation.Length == 0 ? [] : [annotation], elf, "x"));
        Assert.True(code != 0, output);
        Assert.True(output.Contains("OCI runtime create failed") && output.Contains(expected), output);
        Assert.DoesNotContain("hello from the guest", output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"create took {clock.Elapsed}");
        Assert.False(Directory.Exists(Path.Combine(containerd.RuntimeRoot, id)), "a refused container leaves no state");
        containerd.Ctr("container", "delete", id);
    }

    [GuestFact(HostNeeds.Root)]
    public void A_memory_limit_becomes_the_guests_memory_and_one_too_small_is_refused()
    {
        string rootfs = Rootfs(("hello", TestGuests.Build("hello")));
        string id = NewId("small");
        var (code, output) = containerd.Ctr(["run", "--rm", "--runc-binary", containerd.Launcher, "--memory-limit", (16 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--annotation", $"org.tender.platform={Platform}", "--rootfs", rootfs, id, "/hello.elf"]);
        Assert.True(code != 0, output);
        Assert.Contains($"linux.resources.memory.limit {16 << 20} bytes is too small", output);
        containerd.Ctr("container", "delete", id);

        (code, output) = containerd.Ctr(["run", "--rm", "--runc-binary", containerd.Launcher, "--memory-limit", (96 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--annotation", $"org.tender.platform={Platform}", "--rootfs", rootfs, NewId("limited"), "/hello.elf", "limited"]);
        Assert.True(code == 0, output);
        Assert.Contains("hello from the guest: limited", output);
    }

    [GuestFact(HostNeeds.Root)]
    public void A_container_with_a_terminal_gets_a_pseudoterminal_over_the_console_socket()
    {
        string rootfs = Rootfs(("hello", TestGuests.Build("hello")), ("exit7", TestGuests.Build("exit7")));
        // ctr run -t needs a terminal of its own: script(1) (util-linux, in every Debian) gives it one.
        string Ctr(string id, string command) =>
            $"ctr -a {containerd.Socket} -n {containerd.Namespace} run --rm -t --runc-binary {containerd.Launcher} --annotation org.tender.platform={Platform} --rootfs {rootfs} {id} {command}";
        var (code, output) = Command.TryRun(TimeSpan.FromSeconds(60), "script", "-qec", Ctr(NewId("tty"), "/hello.elf with a tty"), "/dev/null");
        Assert.True(code == 0, output);
        Assert.Contains("hello from the guest: with a tty", output);
        (code, output) = Command.TryRun(TimeSpan.FromSeconds(60), "script", "-qec", Ctr(NewId("tty7"), "/exit7.elf"), "/dev/null");
        Assert.True(code == 7, $"exit {code}: {output}");
    }

    [GuestFact(HostNeeds.Root)]
    public void Annotations_give_the_manifest_a_block_device_file_and_the_memory()
    {
        string rootfs = Rootfs(("blk", TestGuests.Build("blk")));
        Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
        File.WriteAllText(Path.Combine(rootfs, "etc", "manifest.json"),
            """{ "type": "solo5.manifest", "version": 1, "devices": [ { "name": "storage", "type": "BLOCK_BASIC" } ] }""");
        string disk = Path.Combine(rootfs, "disk.img");
        using (var f = File.Create(disk)) f.SetLength(64 * 1024);
        var (code, output) = containerd.Ctr(RunArguments(rootfs, NewId("blk"),
            ["org.tender.manifest=/etc/manifest.json", "org.tender.block.storage=disk.img", "org.tender.memory-mib=32"], "/blk.elf"));
        Assert.True(code == 0, output);
        Assert.Contains("0000000000010000", output); // the capacity the guest read: the rootfs file's size
        Assert.Equal((byte)0x5a, File.ReadAllBytes(disk)[0]); // and it wrote the rootfs's file
    }

    [GuestFact(HostNeeds.Root)]
    public void Uruncs_annotations_name_the_binary_and_its_command_line()
    {
        string rootfs = Rootfs(("hello", TestGuests.Build("hello")));
        string hypervisor = Platform == "kvm" ? "hvt" : "spt";
        // No command after the id: the binary comes from the annotation, as urunc's images say it.
        var (code, output) = containerd.Ctr(RunArguments(rootfs, NewId("urunc"),
            ["com.urunc.unikernel.binary=/hello.elf", "com.urunc.unikernel.cmdline=from urunc", "com.urunc.unikernel.unikernelType=solo5",
             $"com.urunc.unikernel.hypervisor={hypervisor}"]));
        Assert.True(code == 0, output);
        Assert.Contains("hello from the guest: from urunc", output);
    }

    private string RuntimeState(string id)
    {
        var (code, output) = Command.TryRun(containerd.Launcher, "--root", containerd.RuntimeRoot, "state", id);
        return code == 0 ? output : "";
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"waited 30 s for: {what}");
            Thread.Sleep(20);
        }
    }
}
