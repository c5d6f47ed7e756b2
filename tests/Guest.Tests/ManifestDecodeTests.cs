using GuestBindings;
using Tender.Manifest;

namespace Guest.Tests;

/// <summary>GuestBindings decodes the binary manifest exactly as the tender encodes and attaches it.</summary>
public class ManifestDecodeTests
{
    private static unsafe ManifestDevice[] Decode(byte[] mft, out ulong dmaSize)
    {
        fixed (byte* p = mft) return GuestBindings.Manifest.Parse(p, out dmaSize);
    }

    [Fact]
    public void Devices_of_every_kind_decode_with_their_attached_values()
    {
        var manifest = new AppManifest(1, 1UL << 24,
        [
            new NetBasicDevice("service0"),
            new BlockBasicDevice("storage"),
            new PciBasicDevice("nic0", 0x02, 0x00, 0x00, 0x8086, 0x10FB, true, 0b000101),
            new NetBasicDevice("spare"),
        ]);
        byte[] mft = Solo5Mft.Encode(manifest);
        Solo5Mft.AttachNet(mft, 0, [0x02, 0x11, 0x22, 0x33, 0x44, 0x55], 9000);
        Solo5Mft.AttachBlock(mft, 1, 1UL << 30, 4096);
        Solo5Mft.AttachPci(mft, 2);

        ManifestDevice[] d = Decode(mft, out ulong dma);
        Assert.Equal(1UL << 24, dma);
        Assert.Equal(4, d.Length);

        Assert.Equal(("service0", DeviceKind.NetBasic, 1, true), (d[0].Name, d[0].Kind, d[0].Handle, d[0].Attached));
        Assert.Equal(new byte[] { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 }, d[0].MacAddress);
        Assert.Equal(9000, d[0].Mtu);

        Assert.Equal(("storage", DeviceKind.BlockBasic, 2, true), (d[1].Name, d[1].Kind, d[1].Handle, d[1].Attached));
        Assert.Equal(1UL << 30, d[1].Capacity);
        Assert.Equal(4096, d[1].BlockSize);

        Assert.Equal(("nic0", DeviceKind.PciBasic, 3, true), (d[2].Name, d[2].Kind, d[2].Handle, d[2].Attached));
        Assert.Equal((0x8086, 0x10FB, 0x02, 0x00, 0x00, true, 0b000101),
            ((int)d[2].VendorId, (int)d[2].DeviceId, (int)d[2].ClassCode, (int)d[2].Subclass, (int)d[2].ProgIf, d[2].BusMasterEnable, (int)d[2].MapBarMask));

        Assert.Equal(("spare", DeviceKind.NetBasic, 4, false), (d[3].Name, d[3].Kind, d[3].Handle, d[3].Attached));
    }

    [Fact]
    public void An_empty_manifest_has_no_devices()
    {
        byte[] mft = Solo5Mft.Encode(new AppManifest(1, null, []));
        Assert.Empty(Decode(mft, out ulong dma));
        Assert.Equal(0UL, dma);
    }

    [Fact]
    public void A_name_of_the_maximum_length_decodes_whole()
    {
        string name = new('n', ManifestLimits.MaxNameLength);
        byte[] mft = Solo5Mft.Encode(new AppManifest(1, null, [new BlockBasicDevice(name)]));
        Assert.Equal(name, Assert.Single(Decode(mft, out _)).Name);
    }
}
