namespace Tender.Pci.Tests;

/// <summary>The --pci:NAME=VALUE syntax and the guest-virtual PCI windows.</summary>
public sealed class PciDeviceSpecTests
{
    [Fact]
    public void HostAddressesAreVfioDevices()
    {
        Assert.True(PciDeviceSpec.TryParse("--pci:pci0", "0000:03:00.1", out var spec, out _));
        Assert.False(spec.IsEmulated);
        Assert.Equal("0000:03:00.1", spec.HostAddress.ToString());
    }

    [Fact]
    public void EmulatedPortsTakeAWireAMacAndTrace()
    {
        Assert.True(PciDeviceSpec.TryParse("--pci:pci0", "emulated-ixgbe,tap=tap7,mac=02:00:00:00:00:0a,trace", out var spec, out string? error), error);
        Assert.True(spec.IsEmulated);
        Assert.Equal(EmulatedWireKind.Tap, spec.Wire);
        Assert.Equal("tap7", spec.WireName);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 0xA }, spec.Mac);
        Assert.True(spec.TraceRegisters);
        Assert.True(PciDeviceSpec.TryParse("--pci:pci1", "emulated-ixgbe,cable=c1", out spec, out _));
        Assert.Equal(EmulatedWireKind.Cable, spec.Wire);
        Assert.True(PciDeviceSpec.TryParse("--pci:pci1", "emulated-ixgbe", out spec, out _));
        Assert.Equal(EmulatedWireKind.None, spec.Wire);
    }

    [Theory]
    [InlineData("emulated-e1000", "neither a PCI address")]
    [InlineData("0000:03:00.0,tap=x", "neither a PCI address")]
    [InlineData("emulated-ixgbe,tap=", "needs a name")]
    [InlineData("emulated-ixgbe,tap=a,cable=b", "one wire")]
    [InlineData("emulated-ixgbe,tap=a,tap=b", "given twice")]
    [InlineData("emulated-ixgbe,tap=a/b", "not a network interface name")]
    [InlineData("emulated-ixgbe,cable=a-b", "letters and digits")]
    [InlineData("emulated-ixgbe,mac=02:00:00:00:00", "not a MAC address")]
    [InlineData("emulated-ixgbe,mac=01:00:5e:00:00:01", "multicast")]
    [InlineData("emulated-ixgbe,speed=1G", "unknown emulated-ixgbe option 'speed=1G'")]
    [InlineData("emulated-ixgbe,trace=yes", "unknown emulated-ixgbe option")]
    public void BadValuesAreRejectedNamingTheProblem(string value, string expected)
    {
        Assert.False(PciDeviceSpec.TryParse("--pci:pci0", value, out _, out string? error));
        Assert.StartsWith("--pci:pci0: ", error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void ACableJoinsExactlyTwoPorts()
    {
        PciDeviceSpec Cable(string name) => new() { Wire = EmulatedWireKind.Cable, WireName = name };
        Assert.Null(PciDeviceSpec.CheckCables([("a", Cable("x")), ("b", Cable("x"))]));
        Assert.Contains("joins 1 port(s) (a)", PciDeviceSpec.CheckCables([("a", Cable("x")), ("b", Cable("y")), ("c", Cable("y"))]));
        Assert.Contains("joins 3 port(s)", PciDeviceSpec.CheckCables([("a", Cable("x")), ("b", Cable("x")), ("c", Cable("x"))]));
    }

    [Fact]
    public void BarWindowsFollowTheAddressMap()
    {
        Assert.Equal(1UL << 39, PciWindows.BarAddress(0, 0));
        Assert.Equal((1UL << 39) + (1UL << 34) + 2 * (1UL << 30), PciWindows.BarAddress(1, 2));
        Assert.Equal(32, PciWindows.MaxDevices);
        Assert.True(PciWindows.BarAddress(31, 5) + PciWindows.BarStride <= PciWindows.DmaWindowBase);
        Assert.Throws<ArgumentOutOfRangeException>(() => PciWindows.BarAddress(32, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PciWindows.BarAddress(0, 6));
        Assert.True(PciWindows.TryLocate(PciWindows.BarAddress(3, 4) + 0x42A4, out int device, out int bar, out ulong offset));
        Assert.Equal((3, 4, 0x42A4UL), (device, bar, offset));
        Assert.False(PciWindows.TryLocate(PciWindows.BarAddress(3, 0) + 6 * PciWindows.BarStride, out _, out _, out _)); // the gap after BAR 5
        Assert.False(PciWindows.TryLocate(PciWindows.DmaWindowBase, out _, out _, out _));
        Assert.False(PciWindows.TryLocate((1UL << 39) - 1, out _, out _, out _));
    }
}
