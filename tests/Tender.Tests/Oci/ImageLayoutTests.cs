using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tender.Oci;
using Tender.Oci.Image;
using Tender.Tests.Support;

namespace Tender.Tests.Oci;

/// <summary>
/// `tender image build`'s OCI image layout, read back by the test: every blob's sha256 is its name,
/// every descriptor's size and media type right, the config's entrypoint the ELF, the layer holding
/// the files and the annotations; the same inputs give the same bytes; bad input a clear error.
/// </summary>
public sealed class ImageLayoutTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tender-image-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ImageSpec Spec(string? reference = null) => new()
    {
        ElfPath = TestGuests.Build("hello"),
        ManifestPath = WriteManifest(),
        Files = [(WriteDisk(), "/data/disk.img")],
        Annotations = new Dictionary<string, string> { ["org.tender.memory-mib"] = "32", ["org.tender.block.storage"] = "/data/disk.img" },
        Reference = reference ?? "hello:1.0",
    };

    private string WriteManifest()
    {
        string path = Path.Combine(_directory, "manifest.json");
        File.WriteAllText(path, """{ "type": "solo5.manifest", "version": 1, "devices": [ { "name": "storage", "type": "BLOCK_BASIC" } ] }""");
        return path;
    }

    private string WriteDisk()
    {
        string path = Path.Combine(_directory, "disk.img");
        File.WriteAllBytes(path, new byte[4096]);
        return path;
    }

    private static Dictionary<string, byte[]> ReadTar(byte[] tar)
    {
        var entries = new Dictionary<string, byte[]>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType == TarEntryType.Directory) continue;
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(0), entry.ModificationTime);
            Assert.Equal(0, entry.Uid);
            var bytes = new MemoryStream();
            entry.DataStream?.CopyTo(bytes);
            entries.Add(entry.Name, bytes.ToArray());
        }
        return entries;
    }

    private static byte[] Blob(Dictionary<string, byte[]> layout, JsonElement descriptor, string mediaType)
    {
        Assert.Equal(mediaType, descriptor.GetProperty("mediaType").GetString());
        string digest = descriptor.GetProperty("digest").GetString()!;
        byte[] blob = layout["blobs/sha256/" + digest["sha256:".Length..]];
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob)), digest);
        Assert.Equal(blob.Length, descriptor.GetProperty("size").GetInt64());
        return blob;
    }

    [Fact]
    public void The_layout_has_verified_blobs_an_entrypoint_the_files_and_the_annotations()
    {
        var spec = Spec();
        var output = new MemoryStream();
        ImageLayout.Write(spec, output);
        var layout = ReadTar(output.ToArray());

        Assert.Equal("1.0.0", JsonDocument.Parse(layout["oci-layout"]).RootElement.GetProperty("imageLayoutVersion").GetString());
        var index = JsonDocument.Parse(layout["index.json"]).RootElement;
        Assert.Equal(2, index.GetProperty("schemaVersion").GetInt32());
        var entry = Assert.Single(index.GetProperty("manifests").EnumerateArray());
        Assert.Equal("docker.io/library/hello:1.0", entry.GetProperty("annotations").GetProperty("io.containerd.image.name").GetString());
        Assert.Equal("1.0", entry.GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString());
        var manifest = JsonDocument.Parse(Blob(layout, entry, "application/vnd.oci.image.manifest.v1+json")).RootElement;
        var config = JsonDocument.Parse(Blob(layout, manifest.GetProperty("config"), "application/vnd.oci.image.config.v1+json")).RootElement;
        byte[] layer = Blob(layout, Assert.Single(manifest.GetProperty("layers").EnumerateArray()), "application/vnd.oci.image.layer.v1.tar");
        Assert.Equal("/" + Path.GetFileName(spec.ElfPath), config.GetProperty("config").GetProperty("Entrypoint")[0].GetString());
        Assert.Equal(("amd64", "linux"), (config.GetProperty("architecture").GetString(), config.GetProperty("os").GetString()));
        Assert.Equal(ImageLayout.Digest(layer), config.GetProperty("rootfs").GetProperty("diff_ids")[0].GetString());
        Assert.Equal("/manifest.json", manifest.GetProperty("annotations").GetProperty("org.tender.manifest").GetString());

        var files = ReadTar(layer);
        string elfName = Path.GetFileName(spec.ElfPath);
        Assert.Equal(new[] { ".tender/annotations.json", "data/disk.img", elfName, "manifest.json" }.Order(StringComparer.Ordinal), files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(File.ReadAllBytes(spec.ElfPath), files[elfName]);
        Assert.Equal(File.ReadAllBytes(spec.ManifestPath!), files["manifest.json"]);
        var annotations = JsonDocument.Parse(files[".tender/annotations.json"]).RootElement;
        Assert.Equal("32", annotations.GetProperty("org.tender.memory-mib").GetString());
        Assert.Equal("/manifest.json", annotations.GetProperty("org.tender.manifest").GetString());
    }

    [Fact]
    public void The_same_inputs_give_the_same_bytes_and_another_tag_another_index_only()
    {
        var first = new MemoryStream();
        var second = new MemoryStream();
        var other = new MemoryStream();
        ImageLayout.Write(Spec(), first);
        ImageLayout.Write(Spec(), second);
        ImageLayout.Write(Spec("registry.example:5000/team/hello"), other);
        Assert.Equal(first.ToArray(), second.ToArray());
        var a = ReadTar(first.ToArray());
        var b = ReadTar(other.ToArray());
        Assert.NotEqual(a["index.json"], b["index.json"]);
        Assert.Equal(a.Keys.Where(k => k.StartsWith("blobs/", StringComparison.Ordinal)).Order(), b.Keys.Where(k => k.StartsWith("blobs/", StringComparison.Ordinal)).Order());
        Assert.Contains("registry.example:5000/team/hello:latest", Encoding.UTF8.GetString(b["index.json"]));
    }

    [Theory]
    [InlineData("Hello:1", "a reference is name[:tag]")]
    [InlineData("hello:", "the name or the tag is empty")]
    [InlineData("a b", "a reference is name[:tag]")]
    public void Bad_references_are_refused(string reference, string message) =>
        Assert.Contains(message, Assert.Throws<OciException>(() => ImageLayout.Write(Spec(reference), new MemoryStream())).Message);

    [Theory]
    [InlineData("/data/../../etc/passwd")]
    [InlineData("relative/disk.img")]
    [InlineData("/data//disk.img")]
    public void Files_at_bad_image_paths_are_refused(string imagePath)
    {
        var spec = Spec() with { Files = [(WriteDisk(), imagePath)] };
        Assert.Contains("a path in the image is absolute", Assert.Throws<OciException>(() => ImageLayout.Write(spec, new MemoryStream())).Message);
    }

    [Fact]
    public void The_command_line_checks_annotations_and_inputs_before_writing_anything()
    {
        string output = Path.Combine(_directory, "out.tar");
        string elf = TestGuests.Build("hello");
        var bad = TenderProcess.Run("image", "build", "--elf", elf, "--annotation", "org.tender.unknown=1", "--tag", "hello", "-o", output);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("org.tender.unknown", bad.Stderr);
        var flag = TenderProcess.Run("image", "build", "--elf", elf, "--annotation", "org.tender.manifest=--mem=1", "--tag", "hello", "-o", output);
        Assert.Equal(1, flag.ExitCode);
        var missing = TenderProcess.Run("image", "build", "--elf", Path.Combine(_directory, "nothing.elf"), "--tag", "hello", "-o", output);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("nothing.elf", missing.Stderr);
        Assert.False(File.Exists(output));
        var good = TenderProcess.Run("image", "build", "--elf", elf, "--tag", "hello:2", "-o", output);
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains("docker.io/library/hello:2", good.Stdout);
        Assert.True(File.Exists(output));
    }
}
