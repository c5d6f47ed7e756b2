using Tender.Oci.Spec;

namespace Tender.Oci.Bundle;

/// <summary>
/// What a bundle asks the tender to boot, as typed values with every path resolved inside the
/// rootfs: the tender's run options are built from this, never from a string of flags.
/// </summary>
public sealed record GuestPlan
{
    public required string Bundle { get; init; }
    public required string Rootfs { get; init; }
    /// <summary>The guest ELF on the host (inside the rootfs).</summary>
    public required string KernelPath { get; init; }
    public IReadOnlyList<string> GuestArguments { get; init; } = [];
    public string? ManifestPath { get; init; }
    /// <summary>kvm, process or auto.</summary>
    public string Platform { get; init; } = "auto";
    public ulong MemoryMiB { get; init; }
    /// <summary>Block devices: manifest name and the file on the host (inside the rootfs).</summary>
    public IReadOnlyList<BlockFile> BlockFiles { get; init; } = [];
    /// <summary>The network namespace to attach to (linux.namespaces' network path); null: none.</summary>
    public string? NetworkNamespace { get; init; }
    public string? CgroupsPath { get; init; }
    public long? MemoryLimitBytes { get; init; }
    public bool Terminal { get; init; }
    public HooksConfig Hooks { get; init; } = new();
    public Dictionary<string, string>? Annotations { get; init; }
}

/// <summary>Reads a bundle (config.json and the rootfs) into a <see cref="GuestPlan"/>, refusing what it cannot honour.</summary>
public static class BundleReader
{
    /// <summary>solo5-hvt's default guest memory, used when neither the limit nor an annotation says.</summary>
    public const ulong DefaultMemoryMiB = 512;
    /// <summary>
    /// What the tender itself needs inside the container's memory limit (its runtime, page tables,
    /// device buffers): the guest gets the limit minus this.
    /// </summary>
    public const ulong TenderReserveMiB = 32;
    /// <summary>The smallest guest this runtime starts (a guest's stack, heap and image).</summary>
    public const ulong MinimumGuestMiB = 8;

    public static GuestPlan Read(string bundle)
    {
        if (!Path.IsPathFullyQualified(bundle)) bundle = Path.GetFullPath(bundle);
        if (!Directory.Exists(bundle)) throw new OciException($"bundle {bundle}: no such directory");
        var config = OciJson.ReadConfig(Path.Combine(bundle, "config.json"));
        return FromConfig(bundle, config);
    }

    public static GuestPlan FromConfig(string bundle, RuntimeConfig config)
    {
        string rootPath = config.Root?.Path is { Length: > 0 } p ? p : throw new OciException("config.json: root.path is missing");
        string rootfs = Path.GetFullPath(Path.IsPathRooted(rootPath) ? rootPath : Path.Combine(bundle, rootPath));
        if (!Directory.Exists(rootfs)) throw new OciException($"config.json: root.path {rootfs}: no such directory");

        var annotations = BundleAnnotations.Parse(WithImageAnnotations(rootfs, config.Annotations));
        var args = config.Process?.Args ?? [];
        string? elf = annotations.Binary ?? (args.Count > 0 ? args[0] : null);
        if (elf is null) throw new OciException("config.json: process.args is empty: its first element is the guest ELF's path in the rootfs");
        IReadOnlyList<string> guestArguments = args.Count > 1 ? args.GetRange(1, args.Count - 1) : [];
        if (annotations.Cmdline is { } cmdline)
        {
            if (guestArguments.Count > 0)
                throw new OciException($"both process.args[1:] and annotation {BundleAnnotations.UruncCmdlineKey} give the guest's arguments; give one");
            guestArguments = cmdline;
        }
        string what = annotations.Binary is null ? "process.args[0]" : $"annotation {BundleAnnotations.UruncBinaryKey}";
        string kernel = RootfsPath.ResolveFile(rootfs, elf, what);
        string? manifest = annotations.ManifestPath is { } m ? RootfsPath.ResolveFile(rootfs, m, $"annotation {BundleAnnotations.ManifestKey}") : null;
        var blocks = annotations.BlockFiles
            .Select(b => b with { RootfsPath = RootfsPath.ResolveFile(rootfs, b.RootfsPath, $"annotation {BundleAnnotations.BlockKeyPrefix}{b.Name}") })
            .ToList();

        long? limit = config.Linux?.Resources?.Memory?.Limit is long l and > 0 ? l : null;
        ulong memory = GuestMemory(limit, annotations.MemoryMiB);

        string? netns = null;
        foreach (var ns in config.Linux?.Namespaces ?? [])
        {
            if (ns.Type == "network" && ns.Path is { Length: > 0 } path)
            {
                if (!Path.IsPathFullyQualified(path)) throw new OciException($"config.json: the network namespace path \"{path}\" is not absolute");
                netns = path;
            }
        }
        return new GuestPlan
        {
            Bundle = bundle,
            Rootfs = rootfs,
            KernelPath = kernel,
            GuestArguments = guestArguments,
            ManifestPath = manifest,
            Platform = annotations.Platform ?? "auto",
            MemoryMiB = memory,
            BlockFiles = blocks,
            NetworkNamespace = netns,
            CgroupsPath = config.Linux?.CgroupsPath is { Length: > 0 } cg ? cg : null,
            MemoryLimitBytes = limit,
            Terminal = config.Process?.Terminal ?? false,
            Hooks = config.Hooks ?? new HooksConfig(),
            Annotations = config.Annotations,
        };
    }

    /// <summary>Largest image annotations file read (it is untrusted, like the rest of the rootfs).</summary>
    public const int MaxImageAnnotationsBytes = 64 * 1024;

    /// <summary>
    /// The bundle's annotations over those of the image (the rootfs's
    /// <see cref="Image.ImageLayout.AnnotationsFile"/>, written by `tender image build`, since
    /// containerd does not hand an image's annotations to the runtime): config.json's win. Both go
    /// through the same checks afterwards.
    /// </summary>
    public static IReadOnlyDictionary<string, string>? WithImageAnnotations(string rootfs, IReadOnlyDictionary<string, string>? bundle)
    {
        string what = $"the image's annotations {Image.ImageLayout.AnnotationsFile}";
        if (!File.Exists(Path.Combine(rootfs, Image.ImageLayout.AnnotationsFile.TrimStart('/')))) return bundle;
        string file = RootfsPath.ResolveFile(rootfs, Image.ImageLayout.AnnotationsFile, what);
        byte[] bytes;
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read))
        {
            if (stream.Length > MaxImageAnnotationsBytes) throw new OciException($"{what}: larger than {MaxImageAnnotationsBytes} bytes");
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object) throw new OciException($"{what}: not a JSON object");
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != System.Text.Json.JsonValueKind.String)
                    throw new OciException($"{what}: {property.Name}: the value is not a string");
                merged[property.Name] = property.Value.GetString()!;
            }
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new OciException($"{what}: not valid JSON: {e.Message}");
        }
        foreach (var (key, value) in bundle ?? new Dictionary<string, string>()) merged[key] = value;
        return merged;
    }

    /// <summary>
    /// The guest's memory: the annotation when given, else the default; with a container memory
    /// limit, at most the limit (rounded down to MiB) minus the tender's reserve — a limit that
    /// leaves less than the smallest guest is an error, not a guest that dies at boot.
    /// </summary>
    public static ulong GuestMemory(long? limitBytes, ulong? annotationMiB)
    {
        if (limitBytes is not long limit) return annotationMiB ?? DefaultMemoryMiB;
        ulong limitMiB = (ulong)limit >> 20;
        if (limitMiB < MinimumGuestMiB + TenderReserveMiB)
            throw new OciException($"linux.resources.memory.limit {limit} bytes is too small: the guest needs at least {MinimumGuestMiB} MiB and the tender {TenderReserveMiB} MiB, so at least {(MinimumGuestMiB + TenderReserveMiB) << 20} bytes");
        ulong available = Math.Min(limitMiB - TenderReserveMiB, BundleAnnotations.MaxMemoryMiB);
        if (annotationMiB is ulong asked)
        {
            if (asked > available)
                throw new OciException($"annotation {BundleAnnotations.MemoryKey}={asked} does not fit the memory limit of {limit} bytes (at most {available} MiB after the tender's {TenderReserveMiB} MiB)");
            return asked;
        }
        return available;
    }
}
