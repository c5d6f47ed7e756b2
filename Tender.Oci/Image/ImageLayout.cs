using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Tender.Oci.Image;

/// <summary>What goes into a unikernel image: the guest ELF, its manifest, other files, annotations, a name.</summary>
public sealed record ImageSpec
{
    /// <summary>The guest ELF on this host.</summary>
    public required string ElfPath { get; init; }
    /// <summary>Its absolute path in the image (the entrypoint); default "/" + its file name.</summary>
    public string? ElfImagePath { get; init; }
    /// <summary>A JSON manifest on this host, stored as /manifest.json with org.tender.manifest pointing at it.</summary>
    public string? ManifestPath { get; init; }
    /// <summary>More files: host path → absolute path in the image (a block device's disk, say).</summary>
    public IReadOnlyList<(string HostPath, string ImagePath)> Files { get; init; } = [];
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
    /// <summary>The image's name, e.g. docker.io/library/hello:latest or hello:1.0.</summary>
    public required string Reference { get; init; }
}

/// <summary>
/// Writes an OCI image layout as one tar (image-layout.md: oci-layout, index.json, blobs/sha256/…)
/// that `ctr images import` and `skopeo copy oci-archive:` read. One uncompressed layer holds the
/// files; the config's Entrypoint is the ELF, so `ctr run IMAGE ID a b` boots it with `a b`.
/// Annotations go into the manifest (for registries and people) and into the layer as
/// <see cref="AnnotationsFile"/>, because containerd does not pass an image's annotations on to the
/// runtime: `tender oci` reads that file from the rootfs, as untrusted as any annotation.
/// Reproducible: fixed times, owners and modes, entries in a fixed order, so the same inputs give
/// the same bytes and digests.
/// </summary>
public static class ImageLayout
{
    /// <summary>The layer file holding the image's annotations (a JSON object of strings).</summary>
    public const string AnnotationsFile = "/.tender/annotations.json";
    public const string ManifestImagePath = "/manifest.json";
    private const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar";
    private const string ConfigMediaType = "application/vnd.oci.image.config.v1+json";
    private const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(0);

    public static void Write(ImageSpec spec, Stream output)
    {
        string elfPath = spec.ElfImagePath ?? "/" + Path.GetFileName(spec.ElfPath);
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in spec.Annotations) annotations[key] = value;
        if (spec.ManifestPath is not null) annotations[Bundle.BundleAnnotations.ManifestKey] = ManifestImagePath;

        var files = new SortedDictionary<string, (byte[] Bytes, UnixFileMode Mode)>(StringComparer.Ordinal);
        void Add(string imagePath, byte[] bytes, UnixFileMode mode, string what)
        {
            string normal = CheckImagePath(imagePath, what);
            if (!files.TryAdd(normal, (bytes, mode))) throw new OciException($"{what}: {imagePath} is in the image twice");
        }
        const UnixFileMode Regular = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode Executable = Regular | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        Add(elfPath, ReadHostFile(spec.ElfPath, "--elf"), Executable, "--elf");
        if (spec.ManifestPath is not null) Add(ManifestImagePath, ReadHostFile(spec.ManifestPath, "--manifest"), Regular, "--manifest");
        foreach (var (host, image) in spec.Files) Add(image, ReadHostFile(host, "--add"), Regular, "--add");
        if (annotations.Count > 0) Add(AnnotationsFile, Json(w => WriteStrings(w, annotations)), Regular, "annotations");

        byte[] layer = Tar(files);
        string layerDigest = Digest(layer);
        byte[] config = Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("architecture", "amd64");
            w.WriteString("os", "linux");
            w.WriteStartObject("config");
            w.WriteStartArray("Entrypoint");
            w.WriteStringValue(elfPath);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("rootfs");
            w.WriteString("type", "layers");
            w.WriteStartArray("diff_ids");
            w.WriteStringValue(layerDigest);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });
        byte[] manifest = Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", ManifestMediaType);
            w.WritePropertyName("config");
            WriteDescriptor(w, ConfigMediaType, config, null);
            w.WriteStartArray("layers");
            WriteDescriptor(w, LayerMediaType, layer, null);
            w.WriteEndArray();
            if (annotations.Count > 0)
            {
                w.WritePropertyName("annotations");
                WriteStrings(w, annotations);
            }
            w.WriteEndObject();
        });
        var (name, tag) = SplitReference(spec.Reference);
        byte[] index = Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", "application/vnd.oci.image.index.v1+json");
            w.WriteStartArray("manifests");
            // containerd's importer names the image by io.containerd.image.name; other tools by ref.name (the tag).
            WriteDescriptor(w, ManifestMediaType, manifest, new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["io.containerd.image.name"] = name + ":" + tag,
                ["org.opencontainers.image.ref.name"] = tag,
            });
            w.WriteEndArray();
            w.WriteEndObject();
        });

        var outer = new SortedDictionary<string, (byte[] Bytes, UnixFileMode Mode)>(StringComparer.Ordinal)
        {
            ["/oci-layout"] = (Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}"), Regular),
            ["/index.json"] = (index, Regular),
        };
        foreach (byte[] blob in new[] { layer, config, manifest })
            outer.TryAdd("/blobs/sha256/" + Digest(blob)["sha256:".Length..], (blob, Regular));
        byte[] archive = Tar(outer);
        output.Write(archive);
    }

    /// <summary>sha256:HEX of the bytes.</summary>
    public static string Digest(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// name and tag of a reference: "hello" → docker.io/library/hello, latest; "reg.example/app:1"
    /// stays as given. Only the characters the distribution spec allows.
    /// </summary>
    public static (string Name, string Tag) SplitReference(string reference)
    {
        if (reference.Length is 0 or > 255 || reference.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-' or '_' or '/' or ':')))
            throw new OciException($"--tag {reference}: a reference is name[:tag] of [a-z0-9._/-], at most 255 characters");
        int slash = reference.LastIndexOf('/');
        int colon = reference.LastIndexOf(':');
        string name = colon > slash ? reference[..colon] : reference;
        string tag = colon > slash ? reference[(colon + 1)..] : "latest";
        if (name.Length == 0 || tag.Length == 0)
            throw new OciException($"--tag {reference}: the name or the tag is empty");
        int firstSlash = name.IndexOf('/');
        string first = firstSlash < 0 ? "" : name[..firstSlash];
        bool hasRegistry = first.Contains('.') || first.Contains(':') || first == "localhost";
        if (!hasRegistry) name = "docker.io/" + (firstSlash < 0 ? "library/" + name : name);
        return (name, tag);
    }

    private static string CheckImagePath(string path, string what)
    {
        if (!path.StartsWith('/') || path.Length > 200 || path.EndsWith('/')
            || path.Split('/').Skip(1).Any(part => part is "" or "." or ".." || part.Any(char.IsControl)))
            throw new OciException($"{what}: {path}: a path in the image is absolute, without empty, '.' or '..' parts, at most 200 characters");
        return path;
    }

    private static byte[] ReadHostFile(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OciException($"{what} {path}: {e.Message}");
        }
    }

    private static byte[] Tar(SortedDictionary<string, (byte[] Bytes, UnixFileMode Mode)> files)
    {
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Ustar, leaveOpen: true))
        {
            var directories = new SortedSet<string>(StringComparer.Ordinal);
            foreach (string path in files.Keys)
                for (int i = path.IndexOf('/', 1); i > 0; i = path.IndexOf('/', i + 1)) directories.Add(path[1..i] + "/");
            foreach (string directory in directories)
                writer.WriteEntry(Entry(TarEntryType.Directory, directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute, null));
            foreach (var (path, (bytes, mode)) in files)
                writer.WriteEntry(Entry(TarEntryType.RegularFile, path[1..], mode, bytes));
        }
        return stream.ToArray();
    }

    private static UstarTarEntry Entry(TarEntryType type, string name, UnixFileMode mode, byte[]? bytes)
    {
        // ustar, not PAX: PAX entries carry access and change times that would differ between builds.
        var entry = new UstarTarEntry(type, name)
        {
            ModificationTime = Epoch,
            Mode = mode,
            Uid = 0,
            Gid = 0,
        };
        if (bytes is not null) entry.DataStream = new MemoryStream(bytes, writable: false);
        return entry;
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream)) write(writer);
        return stream.ToArray();
    }

    private static void WriteStrings(Utf8JsonWriter w, IEnumerable<KeyValuePair<string, string>> strings)
    {
        w.WriteStartObject();
        foreach (var (key, value) in strings) w.WriteString(key, value);
        w.WriteEndObject();
    }

    private static void WriteDescriptor(Utf8JsonWriter w, string mediaType, byte[] blob, IEnumerable<KeyValuePair<string, string>>? annotations)
    {
        w.WriteStartObject();
        w.WriteString("mediaType", mediaType);
        w.WriteString("digest", Digest(blob));
        w.WriteNumber("size", blob.Length);
        if (annotations is not null)
        {
            w.WritePropertyName("annotations");
            WriteStrings(w, annotations);
        }
        w.WriteEndObject();
    }
}
