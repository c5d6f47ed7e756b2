using Tender.Oci;
using Tender.Oci.Bundle;
using Tender.Oci.Spec;

namespace Tender.Tests.Oci;

/// <summary>From config.json and the rootfs to the guest's typed plan: annotations and paths are untrusted (no KVM needed).</summary>
public sealed class BundleTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("tender-bundle-").FullName;
    private string RootfsDir => Path.Combine(_bundle, "rootfs");

    public BundleTests()
    {
        Directory.CreateDirectory(Path.Combine(RootfsDir, "boot"));
        File.WriteAllText(Path.Combine(RootfsDir, "boot", "guest.elf"), "ELF");
        File.WriteAllText(Path.Combine(RootfsDir, "disk.img"), "disk");
        File.WriteAllText(Path.Combine(_bundle, "secret"), "outside the rootfs");
    }

    public void Dispose() => Directory.Delete(_bundle, recursive: true);

    private GuestPlan Plan(Dictionary<string, string>? annotations = null, List<string>? args = null, long? limit = null) =>
        BundleReader.FromConfig(_bundle, new RuntimeConfig
        {
            Root = new RootConfig { Path = "rootfs" },
            Process = new ProcessConfig { Args = args ?? ["/boot/guest.elf", "a", "-b"] },
            Annotations = annotations,
            Linux = limit is null ? null : new LinuxConfig { Resources = new ResourcesConfig { Memory = new MemoryConfig { Limit = limit } } },
        });

    [Fact]
    public void Args_give_the_elf_in_the_rootfs_and_the_guests_arguments()
    {
        var plan = Plan();
        Assert.Equal(Path.Combine(RootfsDir, "boot", "guest.elf"), plan.KernelPath);
        Assert.Equal(["a", "-b"], plan.GuestArguments); // the guest's own arguments may look like flags: they are never the tender's
        Assert.Equal("auto", plan.Platform);
        Assert.Equal(BundleReader.DefaultMemoryMiB, plan.MemoryMiB);
    }

    [Fact]
    public void Our_annotations_become_typed_values()
    {
        var plan = Plan(new()
        {
            ["org.tender.platform"] = "process",
            ["org.tender.memory-mib"] = "64",
            ["org.tender.block.disk"] = "disk.img",
            ["org.tender.manifest"] = "/boot/guest.elf",
            ["io.kubernetes.cri.container-type"] = "container", // another's prefix: left alone
        });
        Assert.Equal("process", plan.Platform);
        Assert.Equal(64UL, plan.MemoryMiB);
        Assert.Equal(new BlockFile("disk", Path.Combine(RootfsDir, "disk.img")), Assert.Single(plan.BlockFiles));
        Assert.Equal(Path.Combine(RootfsDir, "boot", "guest.elf"), plan.ManifestPath);
    }

    [Fact]
    public void Uruncs_annotations_that_mean_the_same_are_read()
    {
        var plan = Plan(new()
        {
            ["com.urunc.unikernel.binary"] = "/boot/guest.elf",
            ["com.urunc.unikernel.cmdline"] = "x  y",
            ["com.urunc.unikernel.unikernelType"] = "solo5",
            ["com.urunc.unikernel.hypervisor"] = "spt",
            ["com.urunc.unikernel.unikernelVersion"] = "0.6.9",
        }, args: ["/ignored-by-binary"]);
        Assert.Equal(Path.Combine(RootfsDir, "boot", "guest.elf"), plan.KernelPath);
        Assert.Equal(["x", "y"], plan.GuestArguments);
        Assert.Equal("process", plan.Platform);
    }

    [Theory]
    [InlineData("org.tender.platform", "--gdb", "a value shaped like a flag is refused")]
    [InlineData("org.tender.manifest", "-", "a value shaped like a flag is refused")]
    [InlineData("org.tender.block.disk", "--net:x=tap0", "a value shaped like a flag is refused")]
    [InlineData("org.tender.platform", "hvt", "expected kvm, process or auto")]
    [InlineData("org.tender.memory-mib", "1e9", "expected a whole number of MiB")]
    [InlineData("org.tender.memory-mib", "99999999", "expected a whole number of MiB")]
    [InlineData("org.tender.kernel", "/boot/guest.elf", "annotation org.tender.kernel: unknown")]
    [InlineData("org.tender.block.-x", "disk.img", "the device name \"-x\"")]
    [InlineData("org.tender.block.a/b", "disk.img", "the device name \"a/b\"")]
    [InlineData("org.tender.manifest", "a\nb", "control characters")]
    [InlineData("org.tender.manifest", "", "the value is empty")]
    [InlineData("com.urunc.unikernel.unikernelType", "unikraft", "Solo5 hvt ABI guests")]
    [InlineData("com.urunc.unikernel.hypervisor", "qemu", "expected hvt")]
    [InlineData("com.urunc.unikernel.block", "/disk", "not supported by this runtime")]
    public void Bad_annotations_are_refused(string key, string value, string expected)
    {
        var e = Assert.Throws<OciException>(() => Plan(new() { [key] = value }));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("../secret", "climbs out of the container's rootfs")]
    [InlineData("/boot/../../secret", "climbs out of the container's rootfs")]
    [InlineData("boot/../../../secret", "climbs out of the container's rootfs")]
    [InlineData("/missing.elf", "does not exist in the container's rootfs")]
    [InlineData("/boot", "is not a regular file")]
    [InlineData("/boot/guest.elf/x", "is not a directory")]
    [InlineData("", "the path is empty")]
    public void Paths_stay_inside_the_rootfs(string path, string expected)
    {
        var e = Assert.Throws<OciException>(() => Plan(args: [path]));
        Assert.Contains(expected, e.Message);
        Assert.Contains("process.args[0]", e.Message);
    }

    [Fact]
    public void Symbolic_links_resolve_inside_the_rootfs()
    {
        // Absolute links mean the image's "/", the rootfs; relative ones may not climb out of it.
        File.CreateSymbolicLink(Path.Combine(RootfsDir, "abs.elf"), "/boot/guest.elf");
        File.CreateSymbolicLink(Path.Combine(RootfsDir, "rel.elf"), "boot/guest.elf");
        File.CreateSymbolicLink(Path.Combine(RootfsDir, "up.elf"), "../secret");
        File.CreateSymbolicLink(Path.Combine(RootfsDir, "host.elf"), Path.Combine(_bundle, "secret"));
        File.CreateSymbolicLink(Path.Combine(RootfsDir, "loop.elf"), "loop.elf");
        Directory.CreateSymbolicLink(Path.Combine(RootfsDir, "bin"), "/boot");
        string guest = Path.Combine(RootfsDir, "boot", "guest.elf");
        Assert.Equal(guest, RootfsPath.ResolveFile(RootfsDir, "/abs.elf", "t"));
        Assert.Equal(guest, RootfsPath.ResolveFile(RootfsDir, "rel.elf", "t"));
        Assert.Equal(guest, RootfsPath.ResolveFile(RootfsDir, "/bin/guest.elf", "t"));
        Assert.Contains("climbs out", Assert.Throws<OciException>(() => RootfsPath.ResolveFile(RootfsDir, "/up.elf", "t")).Message);
        Assert.Contains("does not exist", Assert.Throws<OciException>(() => RootfsPath.ResolveFile(RootfsDir, "/host.elf", "t")).Message);
        Assert.Contains("symbolic links", Assert.Throws<OciException>(() => RootfsPath.ResolveFile(RootfsDir, "/loop.elf", "t")).Message);
    }

    [Fact]
    public void A_fifo_is_not_a_guest_file()
    {
        Command.Run("mkfifo", Path.Combine(RootfsDir, "pipe"));
        Assert.Contains("is not a regular file", Assert.Throws<OciException>(() => Plan(args: ["/pipe"])).Message);
    }

    [Fact]
    public void The_memory_limit_sets_the_guests_memory_with_the_tenders_reserve()
    {
        Assert.Equal(96UL - BundleReader.TenderReserveMiB, Plan(limit: (96L << 20) + 12345).MemoryMiB);
        Assert.Equal(16UL, Plan(new() { ["org.tender.memory-mib"] = "16" }, limit: 96L << 20).MemoryMiB);
        Assert.Contains("is too small", Assert.Throws<OciException>(() => Plan(limit: 16L << 20)).Message);
        Assert.Contains("does not fit the memory limit", Assert.Throws<OciException>(() => Plan(new() { ["org.tender.memory-mib"] = "80" }, limit: 96L << 20)).Message);
        Assert.Equal(BundleAnnotations.MaxMemoryMiB, Plan(limit: 1L << 40).MemoryMiB);
    }

    [Fact]
    public void A_bundle_without_args_or_root_is_refused()
    {
        Assert.Contains("process.args is empty", Assert.Throws<OciException>(() => Plan(args: [])).Message);
        Assert.Contains("root.path is missing", Assert.Throws<OciException>(() => BundleReader.FromConfig(_bundle, new RuntimeConfig())).Message);
        File.WriteAllText(Path.Combine(_bundle, "config.json"), "{ not json");
        Assert.Contains("not a valid OCI config", Assert.Throws<OciException>(() => BundleReader.Read(_bundle)).Message);
    }
}
