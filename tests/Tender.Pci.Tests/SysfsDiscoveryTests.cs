using Tender.Pci.Vfio;

namespace Tender.Pci.Tests;

/// <summary>Host-device discovery against a fake sysfs tree laid out as the kernel lays out /sys.</summary>
public sealed class SysfsDiscoveryTests : IDisposable
{
    private static readonly PciIdentity Ixgbe = new(0x8086, 0x10FB, 0x02, 0x00, 0x00);
    private readonly TempDir _sys = new();

    public void Dispose() => _sys.Dispose();

    /// <summary>Adds a function: its folder with vendor/device/class, and driver/iommu_group links as sysfs has them.</summary>
    private void AddDevice(string address, string? driver, int? group, uint vendor = 0x8086, uint device = 0x10FB, uint classCode = 0x020000)
    {
        string real = Path.Combine(_sys.Path, "devices", "pci0000:00", address);
        Directory.CreateDirectory(real);
        File.WriteAllText(Path.Combine(real, "vendor"), $"0x{vendor:x4}\n");
        File.WriteAllText(Path.Combine(real, "device"), $"0x{device:x4}\n");
        File.WriteAllText(Path.Combine(real, "class"), $"0x{classCode:x6}\n");
        string busDevices = Path.Combine(_sys.Path, "bus", "pci", "devices");
        Directory.CreateDirectory(busDevices);
        File.CreateSymbolicLink(Path.Combine(busDevices, address), real);
        if (driver is not null)
        {
            string driverDir = Path.Combine(_sys.Path, "bus", "pci", "drivers", driver);
            Directory.CreateDirectory(driverDir);
            File.CreateSymbolicLink(Path.Combine(real, "driver"), driverDir);
        }
        if (group is int g)
        {
            string groupDir = Path.Combine(_sys.Path, "kernel", "iommu_groups", g.ToString());
            Directory.CreateDirectory(Path.Combine(groupDir, "devices"));
            File.CreateSymbolicLink(Path.Combine(real, "iommu_group"), groupDir);
            File.CreateSymbolicLink(Path.Combine(groupDir, "devices", address), real);
        }
    }

    private SysfsPci Sysfs => new(_sys.Path);

    [Fact]
    public void InspectReadsDriverGroupAndIdentity()
    {
        AddDevice("0000:03:00.0", "vfio-pci", 7);
        HostPciFunction f = Sysfs.Inspect(PciAddress.Parse("0000:03:00.0"));
        Assert.Equal("vfio-pci", f.Driver);
        Assert.Equal(7, f.IommuGroup);
        Assert.Equal(Ixgbe, f.Identity);
        Assert.False(f.IsBridge);
    }

    [Fact]
    public void AssignableDeviceAloneInItsGroupPasses()
    {
        AddDevice("0000:03:00.0", "vfio-pci", 7);
        HostPciFunction f = Sysfs.RequireAssignable(PciAddress.Parse("0000:03:00.0"), Ixgbe, "pci0");
        Assert.Equal(7, f.IommuGroup);
    }

    [Fact]
    public void MissingDeviceIsNamed()
    {
        var e = Assert.Throws<VfioException>(() => Sysfs.RequireAssignable(PciAddress.Parse("0000:09:00.0"), Ixgbe, "pci0"));
        Assert.Contains("PCI device 0000:09:00.0 does not exist", e.Message);
    }

    [Fact]
    public void DeviceBoundToAnotherDriverIsRefusedNamingTheDriver()
    {
        AddDevice("0000:03:00.0", "ixgbe", 7);
        var e = Assert.Throws<VfioException>(() => Sysfs.RequireAssignable(PciAddress.Parse("0000:03:00.0"), Ixgbe, "pci0"));
        Assert.Contains("not bound to vfio-pci (driver: ixgbe)", e.Message);
    }

    [Fact]
    public void UnboundDeviceIsRefusedWithDriverNone()
    {
        AddDevice("0000:03:00.0", null, 7);
        var e = Assert.Throws<VfioException>(() => Sysfs.RequireAssignable(PciAddress.Parse("0000:03:00.0"), Ixgbe, "pci0"));
        Assert.Contains("not bound to vfio-pci (driver: none)", e.Message);
    }

    [Fact]
    public void DeviceWithoutIommuGroupIsRefused()
    {
        AddDevice("0000:03:00.0", "vfio-pci", null);
        var e = Assert.Throws<VfioException>(() => Sysfs.RequireAssignable(PciAddress.Parse("0000:03:00.0"), Ixgbe, "pci0"));
        Assert.Contains("in no IOMMU group", e.Message);
    }

    [Fact]
    public void GroupMemberInUseIsNamed()
    {
        AddDevice("0000:03:00.0", "vfio-pci", 7);
        AddDevice("0000:03:00.1", "ixgbe", 7);
        var e = Assert.Throws<VfioException>(() => Sysfs.RequireAssignable(PciAddress.Parse("0000:03:00.0"), Ixgbe, "pci0"));
        Assert.Contains("IOMMU group 7 also holds 0000:03:00.1, which is in use", e.Message);
        Assert.Contains("driver: ixgbe", e.Message);
    }

    [Fact]
    public void HarmlessGroupMembersAreAccepted()
    {
        AddDevice("0000:03:00.0", "vfio-pci", 7);
        AddDevice("0000:03:00.1", null, 7);                                   // unbound
        AddDevice("0000:03:00.2", "pci-stub", 7);                             // the kernel's allowed stub
        AddDevice("0000:00:01.0", "pcieport", 7, 0x8086, 0x1901, 0x060400);   // a bridge
        AddDevice("0000:03:00.3", "vfio-pci", 7);
        Sysfs.RequireAssignable(PciAddress.Parse("0000:03:00.0"), Ixgbe, "pci0");
        Assert.Equal(5, Sysfs.GroupMembers(7).Count);
    }

    [Fact]
    public void GroupMemberTakenByTheSameGuestIsAccepted()
    {
        AddDevice("0000:03:00.0", "vfio-pci", 7);
        AddDevice("0000:03:00.1", "vfio-pci", 7);
        var both = new[] { PciAddress.Parse("0000:03:00.0"), PciAddress.Parse("0000:03:00.1") };
        Sysfs.RequireAssignable(both[0], Ixgbe, "pci0", both);
        Sysfs.RequireAssignable(both[1], Ixgbe, "pci1", both);
    }

    [Theory]
    [InlineData(0x8086, 0x10FB, 0x02, 0x00, 0x00, null)]
    [InlineData(0x1AF4, 0x10FB, 0x02, 0x00, 0x00, "vendor is 0x8086, the manifest says 0x1af4")]
    [InlineData(0x8086, 0x1528, 0x02, 0x00, 0x00, "device_id is 0x10fb, the manifest says 0x1528")]
    [InlineData(0x8086, 0x10FB, 0x01, 0x00, 0x00, "class is 0x02, the manifest says 0x01")]
    [InlineData(0x8086, 0x10FB, 0x02, 0x80, 0x00, "subclass is 0x00, the manifest says 0x80")]
    [InlineData(0x8086, 0x10FB, 0x02, 0x00, 0x01, "progif is 0x00, the manifest says 0x01")]
    public void IdentityMismatchNamesTheField(int vendor, int device, int cls, int sub, int progIf, string? expected)
    {
        AddDevice("0000:03:00.0", "vfio-pci", 7);
        var manifest = new PciIdentity((ushort)vendor, (ushort)device, (byte)cls, (byte)sub, (byte)progIf);
        if (expected is null)
        {
            Sysfs.RequireAssignable(PciAddress.Parse("0000:03:00.0"), manifest, "pci0");
            return;
        }
        var e = Assert.Throws<VfioException>(() => Sysfs.RequireAssignable(PciAddress.Parse("0000:03:00.0"), manifest, "pci0"));
        Assert.Contains("does not match the manifest's device pci0: " + expected, e.Message);
    }

    [Fact]
    public void SessionOnAHostWithoutVfioSaysSo()
    {
        // This machine (and CI) has no /dev/vfio: after the sysfs checks pass, opening the
        // container must fail with a clear message, not a crash, and leave nothing open.
        AddDevice("0000:03:00.0", "vfio-pci", 7);
        using var dev = new TempDir();
        var request = new VfioDeviceRequest("pci0", PciAddress.Parse("0000:03:00.0"), Ixgbe, true);
        var e = Assert.Throws<VfioException>(() => VfioSession.Open([request], _sys.Path, dev.Path));
        Assert.Contains("VFIO is not available", e.Message);
    }

    [Fact]
    public void SameDeviceTwiceIsRefused()
    {
        AddDevice("0000:03:00.0", "vfio-pci", 7);
        var request = new VfioDeviceRequest("pci0", PciAddress.Parse("0000:03:00.0"), Ixgbe, true);
        var e = Assert.Throws<VfioException>(() => VfioSession.Open([request, request with { ManifestName = "pci1" }], _sys.Path, _sys.Path));
        Assert.Contains("same PCI device", e.Message);
    }
}
