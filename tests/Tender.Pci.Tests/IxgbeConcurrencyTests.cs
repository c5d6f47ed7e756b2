using System.Buffers.Binary;
using Tender.Pci.Dma;
using Tender.Pci.Emulation;
using Tender.Pci.Tests.Support;

namespace Tender.Pci.Tests;

/// <summary>
/// The tender's real arrangement: a poller thread delivers wire frames into the device while the
/// vCPU thread (here: the test driver) polls descriptors and writes RDT/TDT.
/// </summary>
public sealed class IxgbeConcurrencyTests
{
    [Fact]
    public void FramesDeliveredFromAnotherThreadArriveInOrderWithNoneLostOrTorn()
    {
        byte[] mac = [0x02, 0, 0, 0, 0, 0x33];
        var memory = new ArrayDmaMemory(TestIxgbeDriver.DmaBase, 8 << 20);
        var device = new Ixgbe82599(memory, new IxgbeOptions { MacAddress = mac });
        var wire = new CapturingWire();
        device.AttachWire(wire);
        device.Config.SetBusMaster(true);
        var driver = new TestIxgbeDriver(device, memory, 64, 64);
        Assert.Equal(10000, driver.Initialise());

        const int total = 5000;
        long refusals = 0;
        var producer = new Thread(() =>
        {
            for (int i = 0; i < total; i++)
            {
                byte[] frame = Frames.Make(mac, 60 + i % 1400, i);
                // A full ring refuses the frame (counted as missed); the "wire" here retries so
                // the test can demand every frame.
                while (!device.Receive(frame)) { Interlocked.Increment(ref refusals); Thread.Yield(); }
            }
        });
        producer.Start();
        int received = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (received < total && DateTime.UtcNow < deadline)
        {
            var batch = driver.ReceiveBatch(32);
            foreach (byte[] frame in batch)
            {
                int seed = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(14));
                Assert.Equal(received, seed);
                Assert.Equal(Frames.Make(mac, 60 + seed % 1400, seed), frame);
                received++;
            }
            // Echo something now and then, so TX doorbells interleave with receive.
            if (batch.Count > 0 && received % 7 == 0) driver.TransmitBatch([Frames.Make(Frames.Broadcast, 64, received)]);
        }
        producer.Join();
        Assert.Equal(total, received);
        Assert.Equal(0, device.ErrorCount);
        Assert.Equal((ulong)Interlocked.Read(ref refusals), (ulong)driver.Rd(TestIxgbeDriver.MPC0));
    }
}
