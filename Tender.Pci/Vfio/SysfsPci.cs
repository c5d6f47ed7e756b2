using System.Globalization;

namespace Tender.Pci.Vfio;

/// <summary>A host PCI function as sysfs describes it.</summary>
/// <param name="Address">Its address.</param>
/// <param name="Driver">The bound driver's name, or null if none.</param>
/// <param name="IommuGroup">The IOMMU group number, or null if the device has none (no IOMMU).</param>
/// <param name="Identity">Vendor, device and class from sysfs.</param>
/// <param name="IsBridge">Whether its header type is not a normal (type 0) function: bridges may share a group.</param>
public sealed record HostPciFunction(PciAddress Address, string? Driver, int? IommuGroup, PciIdentity Identity, bool IsBridge);

/// <summary>
/// Finds a host PCI function in sysfs and decides whether it can be passed to a guest through
/// VFIO: it must be bound to vfio-pci, be in an IOMMU group, and every other member of that group
/// must be harmless (bound to vfio-pci or pci-stub, unbound, or a bridge) — the same rule the
/// kernel applies when it calls a group viable. The sysfs root is a parameter so the logic is
/// tested against a fake tree.
/// </summary>
public sealed class SysfsPci
{
    public const string VfioPciDriver = "vfio-pci";

    /// <summary>Drivers the kernel lets share an IOMMU group with a VFIO device (vfio_driver_allowed).</summary>
    private static readonly string[] s_harmlessDrivers = [VfioPciDriver, "pci-stub"];

    public SysfsPci(string sysRoot = "/sys") => SysRoot = sysRoot;

    public string SysRoot { get; }

    private string DevicePath(PciAddress address) => Path.Combine(SysRoot, "bus", "pci", "devices", address.ToString());

    /// <summary>Reads what sysfs says about a function, or throws <see cref="VfioException"/> if it does not exist.</summary>
    public HostPciFunction Inspect(PciAddress address)
    {
        string dir = DevicePath(address);
        if (!Directory.Exists(dir))
            throw new VfioException($"PCI device {address} does not exist on this host ({dir} is missing)");
        string? driver = LinkName(Path.Combine(dir, "driver"));
        string? groupName = LinkName(Path.Combine(dir, "iommu_group"));
        int? group = groupName is not null && int.TryParse(groupName, NumberStyles.None, CultureInfo.InvariantCulture, out int g) ? g : null;
        ushort vendor = (ushort)ReadHex(dir, "vendor", address);
        ushort device = (ushort)ReadHex(dir, "device", address);
        uint classCode = ReadHex(dir, "class", address);
        var identity = new PciIdentity(vendor, device, (byte)(classCode >> 16), (byte)(classCode >> 8), (byte)classCode);
        // Header type 1 (PCI-to-PCI bridge) and 2 (CardBus) functions are bridges; sysfs has no
        // header-type file, but class 0x06 subclass 0x04/0x07 is exactly those.
        bool isBridge = identity.ClassCode == 0x06 && identity.Subclass is 0x04 or 0x07;
        return new HostPciFunction(address, driver, group, identity, isBridge);
    }

    /// <summary>The other functions in an IOMMU group, by address.</summary>
    public IReadOnlyList<PciAddress> GroupMembers(int group)
    {
        string dir = Path.Combine(SysRoot, "kernel", "iommu_groups", group.ToString(CultureInfo.InvariantCulture), "devices");
        if (!Directory.Exists(dir)) return [];
        var members = new List<PciAddress>();
        foreach (string entry in Directory.EnumerateFileSystemEntries(dir))
            if (PciAddress.TryParse(Path.GetFileName(entry), out PciAddress member))
                members.Add(member);
        members.Sort((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));
        return members;
    }

    /// <summary>
    /// Checks that <paramref name="address"/> can be given to a guest as the manifest's device
    /// <paramref name="manifestName"/>: bound to vfio-pci, in an IOMMU group whose other members
    /// are not in use (except by functions the same guest also takes, <paramref name="alsoAttached"/>),
    /// and with the expected identity. Returns the function and its group, or throws a
    /// <see cref="VfioException"/> with one clear reason.
    /// </summary>
    public HostPciFunction RequireAssignable(PciAddress address, PciIdentity expected, string manifestName,
        IReadOnlyCollection<PciAddress>? alsoAttached = null)
    {
        HostPciFunction function = Inspect(address);
        if (function.Driver != VfioPciDriver)
            throw new VfioException($"PCI device {address} ({manifestName}) is not bound to vfio-pci (driver: {function.Driver ?? "none"}); " +
                                    $"bind it with: echo {address} > /sys/bus/pci/drivers/{function.Driver ?? "DRIVER"}/unbind; " +
                                    $"echo vfio-pci > /sys/bus/pci/devices/{address}/driver_override; echo {address} > /sys/bus/pci/drivers_probe");
        if (function.IommuGroup is not int group)
            throw new VfioException($"PCI device {address} ({manifestName}) is in no IOMMU group: the host has no IOMMU enabled (intel_iommu=on / amd_iommu=on)");
        foreach (PciAddress member in GroupMembers(group))
        {
            if (member == address || (alsoAttached?.Contains(member) ?? false)) continue;
            HostPciFunction other = Inspect(member);
            bool harmless = other.Driver is null || other.IsBridge || Array.IndexOf(s_harmlessDrivers, other.Driver) >= 0;
            if (!harmless)
                throw new VfioException($"IOMMU group {group} also holds {member}, which is in use (driver: {other.Driver}); " +
                                        $"{address} ({manifestName}) can only be passed through with its whole group: bind {member} to vfio-pci or unbind it");
        }
        string? mismatch = function.Identity.DescribeMismatch(expected);
        if (mismatch is not null)
            throw new VfioException($"PCI device {address} does not match the manifest's device {manifestName}: {mismatch}");
        return function;
    }

    private static string? LinkName(string path)
    {
        var info = new FileInfo(path);
        string? target = info.LinkTarget;
        // sysfs expresses both the driver and the IOMMU group as symbolic links named after them.
        if (target is null) return null;
        return Path.GetFileName(target.TrimEnd('/'));
    }

    private static uint ReadHex(string dir, string file, PciAddress address)
    {
        string path = Path.Combine(dir, file);
        string text;
        try { text = File.ReadAllText(path).Trim(); }
        catch (IOException e) { throw new VfioException($"cannot read {path} for PCI device {address}: {e.Message}", e); }
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) text = text[2..];
        if (!uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint value))
            throw new VfioException($"{path} for PCI device {address} holds '{text}', not a hex number");
        return value;
    }
}
