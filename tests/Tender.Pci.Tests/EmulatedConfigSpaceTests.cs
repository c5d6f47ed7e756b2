using Tender.Pci.Dma;
using Tender.Pci.Emulation;

namespace Tender.Pci.Tests;

/// <summary>The emulated 82599's PCI configuration space.</summary>
public sealed class EmulatedConfigSpaceTests
{
    private static Ixgbe82599 Device() => new(new ArrayDmaMemory(1UL << 40, 1 << 20));

    [Fact]
    public void IdentityIsThe82599SfpPlusFunction()
    {
        var config = Device().Config;
        Assert.Equal(0x10FB8086u, config.Read(0x00, 4));
        Assert.Equal(0x02000001u, config.Read(0x08, 4)); // class 02, subclass 00, progif 00, revision 01
        Assert.Equal(new PciIdentity(0x8086, 0x10FB, 2, 0, 0), config.Identity);
        var header = new byte[12];
        for (int i = 0; i < 12; i += 4) BitConverter.GetBytes(config.Read(i, 4)).CopyTo(header, i);
        Assert.Null(PciIdentity.FromConfigHeader(header).DescribeMismatch(Ixgbe82599.PciIdentity));
        // Identity is read-only.
        config.Write(0x00, 4, 0x12345678);
        Assert.Equal(0x10FB8086u, config.Read(0x00, 4));
    }

    [Fact]
    public void Bar0IsA512KiB64BitMemoryBarThatReportsItsSize()
    {
        var config = Device().Config;
        Assert.Equal(0x4u, config.Read(0x10, 4));           // memory, 64-bit, non-prefetchable
        config.Write(0x10, 4, 0xFFFFFFFF);
        config.Write(0x14, 4, 0xFFFFFFFF);
        Assert.Equal(0xFFF80004u, config.Read(0x10, 4));    // size = ~0xFFF80000 + 1 = 512 KiB
        Assert.Equal(0xFFFFFFFFu, config.Read(0x14, 4));
        config.Write(0x18, 4, 0xFFFFFFFF);
        Assert.Equal(0u, config.Read(0x18, 4));             // BAR2 not implemented
        config.Write(0x10, 4, 0xFEB00000);
        Assert.Equal(0xFEB00004u, config.Read(0x10, 4));
    }

    [Fact]
    public void BusMasterEnableIsWritableAndGatesDma()
    {
        var device = Device();
        Assert.False(device.Config.BusMasterEnabled);
        device.Config.SetBusMaster(true);
        Assert.True(device.Config.BusMasterEnabled);
        Assert.Equal(PciConfig.CommandBusMaster | PciConfig.CommandMemorySpace, device.Config.Command);
        device.Config.Write(PciConfig.Command, 2, 0xFFFF);
        Assert.Equal(0x0547, device.Config.Command);       // only the defined command bits stick
        device.Config.SetBusMaster(false);
        Assert.False(device.Config.BusMasterEnabled);
    }

    [Fact]
    public void BadConfigAccessesAreIgnored()
    {
        var config = Device().Config;
        Assert.Equal(0xFFFFFFFFu, config.Read(0x02, 4));    // misaligned
        Assert.Equal(0xFFFFFFFFu, config.Read(0x100, 4));   // beyond 256 bytes
        config.Write(-4, 4, 0);
        Assert.Equal(0x10FB8086u, config.Read(0, 4));
    }
}
