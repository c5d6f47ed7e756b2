using System.Buffers.Binary;
using Tender.Manifest;

namespace Tender.Devices.Tests;

/// <summary>Command-line devices matched against the manifest both ways, opened, and written into the guest's manifest copy.</summary>
public sealed class GuestDevicesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tdv-guestdev-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, long size)
    {
        string path = Path.Combine(_dir, name);
        using var f = new FileStream(path, FileMode.Create);
        f.SetLength(size);
        return path;
    }

    private static AppManifest Manifest(params Device[] devices) => new(1, null, devices);

    private static DeviceOption O(string option, string name, string value) => new(option, name, value);

    private static string Error(AppManifest manifest, params DeviceOption[] options) =>
        Assert.Throws<DeviceException>(() => GuestDevices.Attach(manifest, options).Dispose()).Message;

    [Fact]
    public void Block_devices_are_opened_by_name_and_fill_the_manifest_copy()
    {
        var manifest = Manifest(new BlockBasicDevice("disk0"), new BlockBasicDevice("ro0"));
        string disk = File("disk", 64 * 4096), ro = File("ro", 1024);
        using var devices = GuestDevices.Attach(manifest,
            [O("block", "disk0", disk), O("block-sector-size", "disk0", "4096"), O("block-ro", "ro0", ro)]);
        Assert.Equal(3, devices.HandleCount);
        Assert.Null(devices.Block(0));
        Assert.Equal(4096u, devices.Block(1)!.SectorSize);
        Assert.Equal(64ul * 4096, devices.Block(1)!.Capacity);
        Assert.True(devices.Block(2)!.ReadOnly);
        Assert.Equal(512u, devices.Block(2)!.SectorSize);
        Assert.Null(devices.Block(3));
        Assert.Null(devices.Block(ulong.MaxValue));
        Assert.Null(devices.Network(1));
        Assert.False(devices.HasNetwork);

        byte[] mft = Solo5Mft.Encode(manifest);
        devices.FillManifest(mft);
        var e1 = mft.AsSpan(Solo5Mft.EntryOffset(1));
        Assert.Equal(64ul * 4096, BinaryPrimitives.ReadUInt64LittleEndian(e1[Solo5Mft.OffsetUnion..]));
        Assert.Equal(4096, BinaryPrimitives.ReadUInt16LittleEndian(e1[(Solo5Mft.OffsetUnion + 8)..]));
        Assert.Equal(1, e1[Solo5Mft.OffsetAttached]);
        var e2 = mft.AsSpan(Solo5Mft.EntryOffset(2));
        Assert.Equal(1024ul, BinaryPrimitives.ReadUInt64LittleEndian(e2[Solo5Mft.OffsetUnion..]));
        Assert.Equal(512, BinaryPrimitives.ReadUInt16LittleEndian(e2[(Solo5Mft.OffsetUnion + 8)..]));
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64LittleEndian(e2[Solo5Mft.OffsetBacking..])); // no host fd leaks
    }

    [Fact]
    public void Mismatches_between_options_and_manifest_are_refused_naming_both_sides()
    {
        var manifest = Manifest(new BlockBasicDevice("disk0"), new NetBasicDevice("service0"));
        string disk = File("disk", 4096);
        Assert.Contains("--block:nope=" + disk + ": the manifest declares no device 'nope' (it declares 'disk0' (BLOCK_BASIC), 'service0' (NET_BASIC))",
            Error(manifest, O("block", "nope", disk)));
        Assert.Contains("'service0' is a NET_BASIC device in the manifest, not BLOCK_BASIC", Error(manifest, O("block", "service0", disk)));
        Assert.Contains("'disk0' is a BLOCK_BASIC device in the manifest, not NET_BASIC", Error(manifest, O("net", "disk0", "tap0")));
        Assert.Equal("the manifest declares NET_BASIC device 'service0' (handle 2), but no --net:service0=IFACE attaches it",
            Error(manifest, O("block", "disk0", disk)));
        Assert.Equal("the manifest declares BLOCK_BASIC device 'disk0' (handle 1), but no --block:disk0=PATH attaches it",
            Error(Manifest(new BlockBasicDevice("disk0"))));
        Assert.Contains("the manifest declares no device 'disk0' (it declares no devices)", Error(Manifest(), O("block", "disk0", disk)));
        var blockOnly = Manifest(new BlockBasicDevice("disk0"));
        Assert.Contains("is already attached by --block:disk0=", Error(blockOnly, O("block", "disk0", disk), O("block-ro", "disk0", disk)));
        Assert.Contains("--block-sector-size:disk0=4096: no --block:disk0=PATH attaches device 'disk0'",
            Error(Manifest(new BlockBasicDevice("disk0"), new BlockBasicDevice("disk1")), O("block", "disk1", disk), O("block-sector-size", "disk0", "4096")));
        var netOnly = Manifest(new NetBasicDevice("service0"));
        Assert.Contains("--net-mac:service0=02:00:00:00:00:01: no --net:service0=IFACE attaches device 'service0'", Error(netOnly, O("net-mac", "service0", "02:00:00:00:00:01")));
        Assert.Contains("is not a MAC address", Error(netOnly, O("net", "service0", "tap0"), O("net-mac", "service0", "02:00:00:00:00")));
        Assert.Contains("multicast", Error(netOnly, O("net", "service0", "tap0"), O("net-mac", "service0", "03:00:00:00:00:01")));
        Assert.Contains("has '-'", Error(netOnly, O("net", "service-0", "tap0")));
    }

    [Fact]
    public void Bad_backing_files_and_sector_sizes_are_refused_with_the_option()
    {
        var manifest = Manifest(new BlockBasicDevice("disk0"));
        Assert.Equal($"--block:disk0={_dir}/odd: block device '{_dir}/odd': size 1000 bytes is not a multiple of the sector size 512 (488 bytes over)",
            Error(manifest, O("block", "disk0", File("odd", 1000))));
        Assert.Contains("the backing is empty", Error(manifest, O("block", "disk0", File("empty", 0))));
        Assert.Contains("not a multiple of the sector size 4096", Error(manifest, O("block", "disk0", File("small", 2048)), O("block-sector-size", "disk0", "4096")));
        Assert.Contains("cannot open read-write", Error(manifest, O("block", "disk0", _dir + "/missing")));
        Assert.Contains("is a directory", Error(manifest, O("block-ro", "disk0", _dir)));
        Assert.Contains("does not fit the manifest's 16-bit block_size", Error(manifest, O("block", "disk0", File("big", 65536)), O("block-sector-size", "disk0", "65536")));
        Assert.Contains("is not a power of two", Error(manifest, O("block", "disk0", File("d", 4096)), O("block-sector-size", "disk0", "1000")));
        Assert.Contains("is not a decimal number", Error(manifest, O("block", "disk0", File("d2", 4096)), O("block-sector-size", "disk0", "4k")));
    }

    [RootFact]
    public void Network_devices_attach_existing_taps_and_report_mac_and_mtu()
    {
        using var ns = new TestNamespace("tdv");
        ns.AddTap("tdv0", mtu: 9000);
        ns.AddTap("tdv1");
        var manifest = Manifest(new NetBasicDevice("service0"), new NetBasicDevice("service1"));
        using var devices = ns.Run(() => GuestDevices.Attach(manifest,
            [O("net", "service0", "tdv0"), O("net-mac", "service0", "02:aa:bb:cc:dd:ee"), O("net", "service1", "tdv1")]));
        Assert.True(devices.HasNetwork);
        Assert.Equal("02:aa:bb:cc:dd:ee", devices.Network(1)!.GuestMac.ToString());
        Assert.True(devices.Network(2)!.GuestMac.IsLocallyAdministered);
        Assert.Equal([null, devices.Network(1), devices.Network(2)], devices.NetworkByHandle);
        byte[] mft = Solo5Mft.Encode(manifest);
        devices.FillManifest(mft);
        var e1 = mft.AsSpan(Solo5Mft.EntryOffset(1));
        Assert.Equal(new byte[] { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee }, e1.Slice(Solo5Mft.OffsetUnion, 6).ToArray());
        Assert.Equal(9000, BinaryPrimitives.ReadUInt16LittleEndian(e1[(Solo5Mft.OffsetUnion + 6)..]));
        Assert.Equal(1, e1[Solo5Mft.OffsetAttached]);
        using var poller = new DevicePoller();
        devices.AddTo(poller);
        Assert.Equal(0b110ul, poller.Handles);

        Assert.Contains("--net:service0=tdvnone: network interface 'tdvnone' does not exist",
            Assert.Throws<DeviceException>(() => ns.Run(() => GuestDevices.Attach(Manifest(new NetBasicDevice("service0")), [O("net", "service0", "tdvnone")]))).Message);
        Assert.Contains("not a valid interface name",
            Assert.Throws<DeviceException>(() => ns.Run(() => GuestDevices.Attach(Manifest(new NetBasicDevice("service0")), [O("net", "service0", "bad/name")]))).Message);
    }
}
