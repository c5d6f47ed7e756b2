using Tender.Pci.Dma;
using Tender.Pci.Emulation;
using Tender.Pci.Tests.Support;
using Tender.Pci.Wire;

namespace Tender.Pci.Tests;

/// <summary>Building a guest's emulated ports from --pci specs.</summary>
public sealed class EmulatedIxgbePortsTests
{
    private sealed class ListPort : IFramePort
    {
        public List<byte[]> Sent { get; } = [];
        public Queue<byte[]> Inbound { get; } = new();
        public int MaxFrameSize => 1514;
        public bool TrySend(ReadOnlySpan<byte> frame) { Sent.Add(frame.ToArray()); return true; }
        public int TryReceive(Span<byte> buffer)
        {
            if (!Inbound.TryDequeue(out byte[]? f)) return 0;
            f.CopyTo(buffer);
            return f.Length;
        }
    }

    private static PciDeviceSpec Spec(string value)
    {
        Assert.True(PciDeviceSpec.TryParse("--pci:x", value, out var spec, out string? error), error);
        return spec;
    }

    [Fact]
    public void CablesJoinTheirTwoPortsAndTapsGoThroughTheOpener()
    {
        var memory = new ArrayDmaMemory(TestIxgbeDriver.DmaBase, 8 << 20);
        var taps = new Dictionary<string, ListPort>();
        var set = EmulatedIxgbePorts.Create(
        [
            ("pci0", Spec("emulated-ixgbe,cable=c1"), true),
            ("pci1", Spec("emulated-ixgbe,tap=tap5,mac=02:aa:00:00:00:01"), true),
            ("pci2", Spec("emulated-ixgbe,cable=c1"), false),
        ], memory, name => taps[name] = new ListPort());

        Assert.Equal(3, set.Ports.Count);
        Assert.Single(set.Cables);
        Assert.Equal(["tap5"], taps.Keys);
        Assert.True(set.Ports[0].Device.Config.BusMasterEnabled);
        Assert.False(set.Ports[2].Device.Config.BusMasterEnabled);
        Assert.NotNull(set.Ports[1].Tap);
        Assert.True(set.Ports[0].Device.LinkUp || WaitLink(set.Ports[0].Device));
        Assert.True(WaitLink(set.Ports[2].Device));

        var driver0 = new TestIxgbeDriver(set.Ports[0].Device, memory, 16, 16);
        Assert.Equal([0x02, 0x00, 0x00, 0x82, 0x59, 0x01], driver0.MacAddress());
        var driver1 = new TestIxgbeDriver(set.Ports[1].Device, memory, 16, 16, driver0.Footprint + 0x10000);
        Assert.Equal([0x02, 0xAA, 0, 0, 0, 1], driver1.MacAddress());
        Assert.Equal(0u, driver0.Rd(TestIxgbeDriver.STATUS) >> 2 & 3);
        var driver2 = new TestIxgbeDriver(set.Ports[2].Device, memory, 16, 16, 2 * (driver0.Footprint + 0x10000));
        Assert.Equal(1u, driver2.Rd(TestIxgbeDriver.STATUS) >> 2 & 3);

        driver1.Initialise();
        taps["tap5"].Inbound.Enqueue(Frames.Make([0x02, 0xAA, 0, 0, 0, 1], 100, 1));
        Assert.Equal(1, set.PumpTaps());
        Assert.Single(driver1.ReceiveBatch());
    }

    private static bool WaitLink(Ixgbe82599 device)
    {
        for (int i = 0; i < 200 && !device.LinkUp; i++) Thread.Sleep(1);
        return device.LinkUp;
    }

    [Fact]
    public void BadSetsAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => EmulatedIxgbePorts.Create(
            [("pci0", Spec("emulated-ixgbe,cable=c1"), true)], NoDmaMemory.Instance, _ => throw new InvalidOperationException()));
        Assert.Contains("cable 'c1' joins 1 port(s)", e.Message);
        e = Assert.Throws<ArgumentException>(() => EmulatedIxgbePorts.Create(
            [("pci0", Spec("0000:03:00.0"), true)], NoDmaMemory.Instance, _ => throw new InvalidOperationException()));
        Assert.Contains("host device", e.Message);
    }

    [Fact]
    public void WithoutADmaAreaEveryDmaIsADeviceError()
    {
        var device = new Ixgbe82599(NoDmaMemory.Instance);
        device.AttachWire(new CapturingWire());
        device.Config.SetBusMaster(true);
        device.WriteRegister(TestIxgbeDriver.RDBAL(0), 4, 0);
        device.WriteRegister(TestIxgbeDriver.RDBAH(0), 4, 0x100);
        device.WriteRegister(TestIxgbeDriver.RDLEN(0), 4, 1024);
        device.WriteRegister(TestIxgbeDriver.RXDCTL(0), 4, TestIxgbeDriver.RXDCTL_ENABLE);
        Assert.Equal(0u, device.ReadRegister(TestIxgbeDriver.RXDCTL(0), 4) & TestIxgbeDriver.RXDCTL_ENABLE);
        Assert.Equal(IxgbeErrorKind.DmaOutOfRange, Assert.Single(device.RecentErrors).Kind);
    }
}
