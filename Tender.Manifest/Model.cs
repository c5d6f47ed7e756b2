namespace Tender.Manifest;

/// <summary>The device kinds a manifest can request.</summary>
public enum DeviceType
{
    /// <summary>"NET_BASIC": a network interface served by the tender (TAP), Solo5 MFT_DEV_NET_BASIC.</summary>
    NetBasic,
    /// <summary>"BLOCK_BASIC": a block device served by the tender (a file), Solo5 MFT_DEV_BLOCK_BASIC.</summary>
    BlockBasic,
    /// <summary>"PCI_BASIC": a PCI device whose BARs are mapped into the guest (the thesis' extension).</summary>
    PciBasic,
}

/// <summary>One requested device. Its position in <see cref="AppManifest.Devices"/> fixes its handle.</summary>
public abstract record Device(string Name)
{
    public abstract DeviceType Type { get; }

    /// <summary>The JSON spelling of the type ("NET_BASIC", "BLOCK_BASIC", "PCI_BASIC").</summary>
    public string TypeName => ManifestLimits.TypeName(Type);
}

/// <summary>A NET_BASIC device: the tender attaches it to a TAP interface.</summary>
public sealed record NetBasicDevice(string Name) : Device(Name)
{
    public override DeviceType Type => DeviceType.NetBasic;
}

/// <summary>A BLOCK_BASIC device: the tender attaches it to a file.</summary>
public sealed record BlockBasicDevice(string Name) : Device(Name)
{
    public override DeviceType Type => DeviceType.BlockBasic;
}

/// <summary>
/// A PCI_BASIC device (thesis figure 3.7): which host device to map (matched by class, subclass,
/// programming interface, vendor and device id), whether it may master the bus (DMA), and which of
/// its six BARs are mapped into the guest.
/// </summary>
public sealed record PciBasicDevice(
    string Name,
    byte ClassCode,
    byte Subclass,
    byte ProgIf,
    ushort VendorId,
    ushort DeviceId,
    bool BusMasterEnable,
    byte MapBarMask) : Device(Name)
{
    /// <summary>Number of BARs a PCI type-0 header has.</summary>
    public const int BarCount = 6;

    /// <summary>Mask of the bits MapBarMask may use (bit i = map BAR i).</summary>
    public const byte ValidBarMask = 0x3F;

    public override DeviceType Type => DeviceType.PciBasic;

    /// <summary>map_bar0..map_bar5 as booleans.</summary>
    public IReadOnlyList<bool> MapBar =>
        Enumerable.Range(0, BarCount).Select(MapsBar).ToArray();

    /// <summary>Whether BAR <paramref name="bar"/> (0..5) is to be mapped.</summary>
    public bool MapsBar(int bar) =>
        bar is >= 0 and < BarCount ? (MapBarMask & (1 << bar)) != 0 : throw new ArgumentOutOfRangeException(nameof(bar));

    /// <summary>Builds the mask from six booleans (map_bar0 first).</summary>
    public static byte MaskOf(params bool[] mapBar)
    {
        if (mapBar.Length > BarCount)
            throw new ArgumentException($"at most {BarCount} BARs", nameof(mapBar));
        byte mask = 0;
        for (int i = 0; i < mapBar.Length; i++)
            if (mapBar[i])
                mask |= (byte)(1 << i);
        return mask;
    }
}

/// <summary>
/// An application manifest: the devices a guest asks for and how much DMA memory it wants. Named
/// AppManifest (not Manifest) so that it does not collide with the Tender.Manifest namespace in code
/// under the Tender namespace.
/// </summary>
public sealed record AppManifest(int Version, ulong? DmaSize, IReadOnlyList<Device> Devices)
{
    /// <summary>A manifest with no devices and no DMA memory.</summary>
    public static AppManifest Empty { get; } = new(ManifestLimits.Version, null, Array.Empty<Device>());

    /// <summary>The PCI_BASIC devices in manifest order: the n-th one gets the BAR window 2^39 + n·2^34.</summary>
    public IEnumerable<PciBasicDevice> PciDevices => Devices.OfType<PciBasicDevice>();

    /// <summary>Solo5 handle (index into the binary manifest) of device <paramref name="deviceIndex"/>.</summary>
    public static int HandleOf(int deviceIndex) => deviceIndex + 1;

    /// <summary>The device with this name, or null.</summary>
    public Device? Find(string name) => Devices.FirstOrDefault(d => d.Name == name);

    public bool Equals(AppManifest? other) =>
        other is not null && Version == other.Version && DmaSize == other.DmaSize && Devices.SequenceEqual(other.Devices);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Version);
        h.Add(DmaSize);
        foreach (Device d in Devices)
            h.Add(d);
        return h.ToHashCode();
    }
}
