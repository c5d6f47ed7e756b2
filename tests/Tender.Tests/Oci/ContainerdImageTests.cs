using Tender.Tests.Support;

namespace Tender.Tests.Oci;

/// <summary>
/// An image from `tender image build`, imported by a real containerd (`ctr images import`) and run
/// through `tender oci`: the entrypoint, the arguments after the image name, and the image's own
/// annotations (manifest, block device file, memory) reaching the runtime from the rootfs.
/// </summary>
public sealed class ContainerdImageTests(ContainerdFixture containerd) : IClassFixture<ContainerdFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tender-image-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Import(string tag, params string[] buildArguments)
    {
        string tar = Path.Combine(_directory, tag.Replace(':', '-') + ".tar");
        var build = TenderProcess.Run(["image", "build", .. buildArguments, "--tag", tag, "-o", tar]);
        Assert.True(build.ExitCode == 0, build.ToString());
        var (code, output) = containerd.Ctr(TimeSpan.FromSeconds(120), "images", "import", tar);
        Assert.True(code == 0, output);
        Assert.Contains("docker.io/library/" + tag, containerd.Ctr("images", "ls", "-q").Output);
        return "docker.io/library/" + tag;
    }

    /// <remarks>
    /// `ctr run IMAGE ID CMD…` replaces the whole of process.args (entrypoint included; Kubernetes'
    /// `args` would keep it), so the arguments are given with the ELF's path, and a run without any
    /// boots the entrypoint.
    /// </remarks>
    [GuestFact(HostNeeds.Root)]
    public void An_imported_image_runs_its_entrypoint_or_the_command_given_to_ctr_run()
    {
        string image = Import($"hello-{TestPlatform.Current}:1", "--elf", TestGuests.Build("hello"), "--elf-path", "/boot/hello.elf");
        string[] run = ["run", "--rm", "--runc-binary", containerd.Launcher, "--annotation", $"org.tender.platform={TestPlatform.Current}", image];
        var (code, output) = containerd.Ctr([.. run, $"img-hello-{TestPlatform.Current}"]);
        Assert.True(code == 0, output);
        Assert.Contains("hello from the guest:", output);
        (code, output) = containerd.Ctr([.. run, $"img-hello-args-{TestPlatform.Current}", "/boot/hello.elf", "a", "b"]);
        Assert.True(code == 0, output);
        Assert.Contains("hello from the guest: a b", output);
    }

    [GuestFact(HostNeeds.Root)]
    public void The_images_annotations_give_its_manifest_block_device_and_memory()
    {
        string manifest = Path.Combine(_directory, "manifest.json");
        File.WriteAllText(manifest, """{ "type": "solo5.manifest", "version": 1, "devices": [ { "name": "storage", "type": "BLOCK_BASIC" } ] }""");
        string disk = Path.Combine(_directory, "disk.img");
        File.WriteAllBytes(disk, new byte[64 * 1024]);
        string image = Import($"blk-{TestPlatform.Current}:1", "--elf", TestGuests.Build("blk"), "--manifest", manifest, "--add", disk + ":/data/disk.img",
            "--annotation", "org.tender.block.storage=/data/disk.img", "--annotation", "org.tender.memory-mib=32");
        var (code, output) = containerd.Ctr("run", "--rm", "--runc-binary", containerd.Launcher, "--annotation", $"org.tender.platform={TestPlatform.Current}",
            image, $"img-blk-{TestPlatform.Current}");
        Assert.True(code == 0, output);
        Assert.Contains("0000000000010000", output); // the capacity the guest read: the image's disk file
    }
}
