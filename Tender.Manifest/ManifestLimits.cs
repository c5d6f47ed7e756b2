namespace Tender.Manifest;

/// <summary>Limits and spellings shared by the JSON and the binary form, with the rules that check them.</summary>
public static class ManifestLimits
{
    /// <summary>The manifest format version (Solo5 MFT_VERSION and the JSON "version").</summary>
    public const int Version = 1;

    /// <summary>The JSON "type" value.</summary>
    public const string JsonType = "solo5.manifest";

    /// <summary>Longest device name in characters (Solo5 MFT_NAME_MAX; MFT_NAME_SIZE 68 bytes with the NUL).</summary>
    public const int MaxNameLength = 67;

    /// <summary>
    /// Most devices a manifest may list: Solo5's MFT_MAX_ENTRIES is 64 binary entries, and entry 0 is
    /// always the reserved (RESERVED_FIRST) entry, so 63 remain for devices.
    /// </summary>
    public const int MaxDevices = 63;

    /// <summary>dma_size granularity: the DMA area is backed and mapped with 2 MiB pages (thesis 3.3.4).</summary>
    public const ulong DmaSizeGranularity = 2 * 1024 * 1024;

    /// <summary>
    /// Largest dma_size: the DMA window starts at 2^40 and must stay below the next window of the
    /// address map, so 2^39 bytes (512 GiB) is the hard ceiling; the tender may refuse less.
    /// </summary>
    public const ulong MaxDmaSize = 1UL << 39;

    public static string TypeName(DeviceType type) => type switch
    {
        DeviceType.NetBasic => "NET_BASIC",
        DeviceType.BlockBasic => "BLOCK_BASIC",
        DeviceType.PciBasic => "PCI_BASIC",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>"devices[2] \"nic1\"" — how messages name a device.</summary>
    public static string DeviceLabel(int index, string? name) =>
        name is null ? $"devices[{index}]" : $"devices[{index}] \"{Printable(name)}\"";

    /// <summary>Why <paramref name="name"/> is not a valid device name, or null when it is.</summary>
    public static string? CheckName(string name)
    {
        // Solo5's elftool: non-empty, at most MFT_NAME_MAX characters, each one isalnum() in the C locale.
        if (name.Length == 0)
            return "must not be empty";
        if (name.Length > MaxNameLength)
            return $"is {name.Length} characters long; at most {MaxNameLength} are allowed";
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c))
                return $"contains '{(c >= ' ' && c < 0x7F ? c.ToString() : $"\\u{(int)c:x4}")}'; only ASCII letters and digits are allowed";
        }
        return null;
    }

    /// <summary>Why <paramref name="dmaSize"/> is not a valid dma_size, or null when it is.</summary>
    public static string? CheckDmaSize(ulong dmaSize)
    {
        if (dmaSize % DmaSizeGranularity != 0)
            return $"must be a multiple of 2 MiB (2097152), got {dmaSize}";
        if (dmaSize > MaxDmaSize)
            return $"must be at most 2^39 (549755813888), got {dmaSize}";
        return null;
    }

    /// <summary>
    /// Checks a whole manifest (however it was made): version, device count, names, duplicates and
    /// dma_size. Throws <see cref="ManifestFormatException"/> naming the first problem.
    /// </summary>
    public static void Validate(AppManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Version != Version)
            throw new ManifestFormatException($"manifest: field \"version\": must be {Version}, got {manifest.Version}");
        if (manifest.DmaSize is { } dma && CheckDmaSize(dma) is { } dmaError)
            throw new ManifestFormatException($"manifest: field \"dma_size\": {dmaError}");
        if (manifest.Devices.Count > MaxDevices)
            throw new ManifestFormatException($"manifest: field \"devices\": {manifest.Devices.Count} devices; at most {MaxDevices} are allowed");
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < manifest.Devices.Count; i++)
        {
            Device d = manifest.Devices[i] ?? throw new ManifestFormatException($"manifest: devices[{i}]: is null");
            if (d.Name is null)
                throw new ManifestFormatException($"manifest: devices[{i}]: field \"name\": is missing");
            if (CheckName(d.Name) is { } nameError)
                throw new ManifestFormatException($"manifest: {DeviceLabel(i, d.Name)}: field \"name\": {nameError}");
            if (seen.TryGetValue(d.Name, out int first))
                throw new ManifestFormatException($"manifest: {DeviceLabel(i, d.Name)}: field \"name\": duplicate of devices[{first}]");
            seen.Add(d.Name, i);
            if (d is PciBasicDevice p && (p.MapBarMask & ~PciBasicDevice.ValidBarMask) != 0)
                throw new ManifestFormatException($"manifest: {DeviceLabel(i, d.Name)}: BAR mask 0x{p.MapBarMask:x2} names BARs beyond map_bar5");
        }
    }

    internal static string Printable(string s)
    {
        var b = new System.Text.StringBuilder();
        foreach (char c in s.Length > 80 ? s[..80] + "…" : s)
            b.Append(c >= ' ' && c != 0x7F ? c : '?');
        return b.ToString();
    }
}
