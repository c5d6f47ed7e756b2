using Tender.Pci.Dma;
using Tender.Pci.Emulation;
using Tender.Pci.Tests.Support;
using Tender.Pci.Wire;
using static Tender.Pci.Tests.Support.TestIxgbeDriver;

namespace Tender.Pci.Tests;

/// <summary>Two emulated ports joined by a cable (the forwarder's set-up), and the TAP-style frame port.</summary>
public sealed class IxgbeCableAndWireTests
{
    private static readonly byte[] MacA = [0x02, 0, 0, 0, 0, 0xA];
    private static readonly byte[] MacB = [0x02, 0, 0, 0, 0, 0xB];

    /// <summary>Two ports of one guest: one DMA area (as the guest has one), two drivers in different parts of it.</summary>
    private static (Ixgbe82599 A, Ixgbe82599 B, TestIxgbeDriver DriverA, TestIxgbeDriver DriverB, EthernetCable Cable) TwoPorts(int ring)
    {
        var memory = new ArrayDmaMemory(DmaBase, 8 << 20);
        var a = new Ixgbe82599(memory, new IxgbeOptions { MacAddress = MacA, LanId = 0 });
        var b = new Ixgbe82599(memory, new IxgbeOptions { MacAddress = MacB, LanId = 1 });
        var cable = EthernetCable.Between(a, b);
        a.AttachWire(cable.EndA);
        b.AttachWire(cable.EndB);
        a.Config.SetBusMaster(true);
        b.Config.SetBusMaster(true);
        var driverA = new TestIxgbeDriver(a, memory, ring, ring);
        var driverB = new TestIxgbeDriver(b, memory, ring, ring, areaOffset: driverA.Footprint + 0x10000);
        Assert.Equal(10000, driverA.Initialise());
        Assert.Equal(10000, driverB.Initialise());
        Assert.Equal(0u, driverA.Rd(STATUS) >> 2 & 3);
        Assert.Equal(1u, driverB.Rd(STATUS) >> 2 & 3);
        return (a, b, driverA, driverB, cable);
    }

    [Fact]
    public void FramesCrossTheCableBothWaysWithNothingLostUpToTheRingSize()
    {
        const int ring = 32;
        var (a, b, driverA, driverB, cable) = TwoPorts(ring);
        // One batch of ring - 1 frames fills the receiver's posted buffers exactly (RDT = n - 1).
        var aToB = Enumerable.Range(0, ring - 1).Select(i => Frames.Make(MacB, 60 + i * 40, i)).ToList();
        var bToA = Enumerable.Range(0, ring - 1).Select(i => Frames.Make(MacA, 1514 - i * 40, 1000 + i)).ToList();
        Assert.Equal(ring - 1, driverA.TransmitBatch(aToB));
        Assert.Equal(ring - 1, driverB.TransmitBatch(bToA));
        Assert.Equal(aToB, driverB.ReceiveBatch());
        Assert.Equal(bToA, driverA.ReceiveBatch());
        Assert.Equal(2L * (ring - 1), cable.FramesCarried);
        Assert.Equal(0L, cable.FramesRefused);
        Assert.Equal(0, a.ErrorCount + b.ErrorCount);
        Assert.Equal(0u, driverA.Rd(MPC0) + driverB.Rd(MPC0));
    }

    [Fact]
    public void AForwarderLoopMovesEveryFrameThroughBothPorts()
    {
        // The layer-2 forwarder's data path: what arrives on A is sent out of B and vice versa,
        // in batches, many times the ring size. Two outer ports feed it over cables.
        const int ring = 64;
        var memory = new ArrayDmaMemory(DmaBase, 16 << 20);
        var a = new Ixgbe82599(memory, new IxgbeOptions { MacAddress = MacA });
        var b = new Ixgbe82599(memory, new IxgbeOptions { MacAddress = MacB, LanId = 1 });
        var sourceMemory = new ArrayDmaMemory(DmaBase, 8 << 20);
        var sinkMemory = new ArrayDmaMemory(DmaBase, 8 << 20);
        var source = new Ixgbe82599(sourceMemory);
        var sink = new Ixgbe82599(sinkMemory);
        var cableIn = EthernetCable.Between(source, a);
        var cableOut = EthernetCable.Between(b, sink);
        source.AttachWire(cableIn.EndA);
        a.AttachWire(cableIn.EndB);
        b.AttachWire(cableOut.EndA);
        sink.AttachWire(cableOut.EndB);
        foreach (var port in new[] { a, b, source, sink }) port.Config.SetBusMaster(true);
        var dA = new TestIxgbeDriver(a, memory, ring, ring);
        var dB = new TestIxgbeDriver(b, memory, ring, ring, dA.Footprint + 0x10000);
        var dSource = new TestIxgbeDriver(source, sourceMemory, ring, ring);
        var dSink = new TestIxgbeDriver(sink, sinkMemory, ring, ring);
        foreach (var d in new[] { dA, dB, dSource, dSink }) Assert.Equal(10000, d.Initialise());

        var received = new List<byte[]>();
        int total = 10 * ring, next = 0;
        var expected = Enumerable.Range(0, total).Select(i => Frames.Make(Frames.Broadcast, 60 + i % 1400, i)).ToList();
        for (int round = 0; round < 1000 && received.Count < total; round++)
        {
            int batch = Math.Min(16, total - next);
            next += dSource.TransmitBatch(expected.GetRange(next, batch));
            var forwarded = dA.ReceiveBatch();
            int queued = 0;
            while (queued < forwarded.Count) queued += dB.TransmitBatch(forwarded.GetRange(queued, forwarded.Count - queued));
            received.AddRange(dSink.ReceiveBatch());
        }
        Assert.Equal(total, received.Count);
        Assert.Equal(expected, received);
        Assert.Equal((ulong)total, dA.ReadStats().RxPackets);
        Assert.Equal((ulong)total, dB.ReadStats().TxPackets);
        Assert.Equal(0, a.ErrorCount + b.ErrorCount + source.ErrorCount + sink.ErrorCount);
    }

    [Fact]
    public void OneFrameMoreThanTheReceiverHasBuffersIsDroppedAndCounted()
    {
        const int ring = 16;
        var (_, _, driverA, driverB, cable) = TwoPorts(ring);
        var frames = Enumerable.Range(0, ring - 1).Select(i => Frames.Make(MacB, 100, i)).ToList();
        driverA.TransmitBatch(frames);
        driverA.TransmitBatch([Frames.Make(MacB, 100, 99)]);
        Assert.Equal(1L, cable.FramesRefused);
        Assert.Equal(1u, driverB.Rd(MPC0));
        Assert.Equal(frames, driverB.ReceiveBatch());
    }

    [Fact]
    public void UnpluggedCableTakesTheLinkDown()
    {
        var (a, b, driverA, _, cable) = TwoPorts(16);
        cable.Unplug();
        Assert.False(a.LinkUp);
        Assert.False(b.LinkUp);
        Assert.Equal(0, driverA.LinkSpeed());
        driverA.TransmitBatch([Frames.Make(MacB, 100, 1)]);
        Assert.Equal(0L, cable.FramesCarried);
    }

    /// <summary>A TAP-like frame port in memory: what the host would read and write.</summary>
    private sealed class QueueFramePort : IFramePort
    {
        public Queue<byte[]> Inbound { get; } = new();
        public List<byte[]> Sent { get; } = [];
        public int MaxFrameSize => 1514;
        public bool TrySend(ReadOnlySpan<byte> frame)
        {
            Sent.Add(frame.ToArray());
            return true;
        }
        public int TryReceive(Span<byte> buffer)
        {
            if (!Inbound.TryDequeue(out byte[]? frame)) return 0;
            frame.CopyTo(buffer);
            return frame.Length;
        }
    }

    [Fact]
    public void AFramePortHoldsFramesBackWhileTheRingIsFull()
    {
        var memory = new ArrayDmaMemory(DmaBase, 4 << 20);
        var device = new Ixgbe82599(memory, new IxgbeOptions { MacAddress = MacA });
        var port = new QueueFramePort();
        var wire = new FramePortWire(port, device);
        device.AttachWire(wire);
        device.Config.SetBusMaster(true);
        var driver = new TestIxgbeDriver(device, memory, 16, 16);
        Assert.Equal(10000, driver.Initialise());
        for (int i = 0; i < 40; i++) port.Inbound.Enqueue(Frames.Make(MacA, 80, i));
        Assert.Equal(15, wire.Pump());          // 15 free descriptors; the rest wait in the host queue
        Assert.False(device.ReadyToReceive);
        Assert.Equal(0, wire.Pump());
        Assert.Equal(25, port.Inbound.Count);
        Assert.Equal(0u, driver.Rd(MPC0));      // nothing dropped
        int posted = 0;
        device.ReceiveBuffersPosted += () => posted++;
        var got = driver.ReceiveBatch();        // moves RDT: the device says so, the wire delivers again
        Assert.Equal(1, posted);
        Assert.Equal(15, wire.Pump());
        got.AddRange(driver.ReceiveBatch());
        Assert.Equal(10, wire.Pump());
        got.AddRange(driver.ReceiveBatch());
        Assert.Equal(Enumerable.Range(0, 40).Select(i => Frames.Make(MacA, 80, i)), got);

        // Without holding back, the same burst overruns the ring and the device counts the drops.
        var dropping = new FramePortWire(port, device, holdWhenFull: false);
        for (int i = 0; i < 40; i++) port.Inbound.Enqueue(Frames.Make(MacA, 80, i));
        Assert.Equal(40, dropping.Pump());
        Assert.Equal(25u, driver.Rd(MPC0));
    }

    [Fact]
    public void AFramePortCarriesFramesBothWays()
    {
        var memory = new ArrayDmaMemory(DmaBase, 4 << 20);
        var device = new Ixgbe82599(memory, new IxgbeOptions { MacAddress = MacA });
        var port = new QueueFramePort();
        var wire = new FramePortWire(port, device);
        device.AttachWire(wire);
        device.Config.SetBusMaster(true);
        var driver = new TestIxgbeDriver(device, memory, 32, 32);
        Assert.Equal(10000, driver.Initialise());

        var fromHost = Enumerable.Range(0, 5).Select(i => Frames.Make(MacA, 98, i)).ToList();
        foreach (var f in fromHost) port.Inbound.Enqueue(f);
        Assert.Equal(5, wire.Pump());
        Assert.Equal(0, wire.Pump());
        var received = driver.ReceiveBatch();
        Assert.Equal(fromHost, received);
        // Reflect them back, as ixgbe-reflect does.
        driver.TransmitBatch(received);
        Assert.Equal(fromHost, port.Sent);
        Assert.Equal(0L, wire.SendFailures);
    }
}
