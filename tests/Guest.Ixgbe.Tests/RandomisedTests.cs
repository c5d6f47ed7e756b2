using Guest.Ixgbe.Tests.Support;
using Tender.Pci.Emulation;
using Tender.Pci.Wire;

namespace Guest.Ixgbe.Tests;

/// <summary>
/// Seeded random interleavings of everything a guest does with two cabled ports sharing one pool:
/// frames from outside, receive batches of random size, holding buffers for a while, sending them
/// out of either port, freeing them. Invariants after every operation: no buffer is owned twice,
/// none leaks (free + held + in the rings = capacity), every frame that arrives is one that was
/// sent, intact, and nothing the device accepted is lost.
/// </summary>
public class RandomisedTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_traffic_keeps_buffers_accounted_and_frames_intact(int seed)
    {
        var rng = new Random(seed);
        var h = new Harness(16 << 20);
        Ixgbe82599 da = h.Device(1), db = h.Device(2);
        var cable = EthernetCable.Between(da, db);
        da.AttachWire(cable.EndA);
        db.AttachWire(cable.EndB);
        const int Ring = 32, PoolSize = 160;
        var pool = new DmaPacketPool(h.Dma, PoolSize);
        var ports = new[]
        {
            new Ixgbe<ModelRegisters>(new ModelRegisters(da), pool, h.Dma, Harness.Config(Ring)),
            new Ixgbe<ModelRegisters>(new ModelRegisters(db), pool, h.Dma, Harness.Config(Ring)),
        };
        var devices = new[] { da, db };
        var clock = new HostClock();
        foreach (var p in ports) Assert.Equal(IxgbeInitResult.Ok, p.Initialize(ref clock));

        var held = new List<PacketHandle>();                  // owned by the "application"
        var expected = new Dictionary<int, byte[]>();         // seq → frame, for everything put on a wire
        var delivered = new HashSet<int>();
        long acceptedByDevices = 0, received = 0;
        int nextSeq = 0;
        var batch = new PacketHandle[Ring];

        void Check()
        {
            var owners = new HashSet<int>();
            foreach (var hd in held)
            {
                Assert.True(pool.IsValid(hd));
                Assert.True(owners.Add(hd.Index), "a buffer is held twice");
            }
            int inRings = 0;
            foreach (var p in ports) inRings += p.Driver.RxRingSize + p.Driver.TxInFlight;
            Assert.Equal(PoolSize, pool.Available + held.Count + inRings);
        }

        for (int op = 0; op < 4000; op++)
        {
            int port = rng.Next(2);
            switch (rng.Next(5))
            {
                case 0: // frames arrive from outside on a port
                    for (int k = rng.Next(1, 12); k > 0; k--)
                    {
                        int seq = nextSeq++;
                        byte[] f = Harness.Frame(Harness.Mac(port + 1), Harness.Mac(9), seq, rng.Next(18, 1515));
                        expected[seq] = f.Length < 60 ? [.. f, .. new byte[60 - f.Length]] : f;
                        if (devices[port].Receive(f)) acceptedByDevices++;
                        else expected.Remove(seq);
                    }
                    break;
                case 1: // a receive batch of random size
                {
                    int n = ports[port].RxBatch(batch.AsSpan(0, rng.Next(1, Ring + 1)));
                    for (int i = 0; i < n; i++)
                    {
                        byte[] data = pool.Data(batch[i]).ToArray();
                        int seq = BitConverter.ToInt32(data, 14);
                        Assert.True(expected.TryGetValue(seq, out byte[]? want), "received a frame nobody sent");
                        Assert.Equal(want, data);
                        Assert.True(delivered.Add(seq), "frame delivered twice");
                        held.Add(batch[i]);
                    }
                    received += n;
                    break;
                }
                case 2: // send some held buffers out of a port, as new frames to the other side
                {
                    int count = Math.Min(held.Count, rng.Next(0, 20));
                    var send = new PacketHandle[count];
                    for (int i = 0; i < count; i++)
                    {
                        int pick = rng.Next(held.Count);
                        send[i] = held[pick];
                        held.RemoveAt(pick);
                        int seq = nextSeq++;
                        byte[] f = Harness.Frame(Harness.Mac(2 - port), Harness.Mac(port + 1), seq, rng.Next(60, 1515));
                        f.CopyTo(pool.Buffer(send[i]));
                        pool.SetLength(send[i], f.Length);
                        expected[seq] = f;
                    }
                    long carried = cable.FramesCarried;
                    int sent = ports[port].TxBatch(send);
                    acceptedByDevices += cable.FramesCarried - carried;
                    for (int i = sent; i < count; i++)
                    {
                        expected.Remove(BitConverter.ToInt32(pool.Data(send[i]).Slice(14, 4)));
                        held.Add(send[i]);
                    }
                    for (int i = 0; i < sent; i++) Assert.False(pool.IsValid(send[i]));
                    break;
                }
                case 3: // free some held buffers
                    for (int k = rng.Next(0, held.Count + 1); k > 0 && held.Count > 0; k--)
                    {
                        int pick = rng.Next(held.Count);
                        pool.Free(held[pick]);
                        held.RemoveAt(pick);
                    }
                    break;
                case 4: // allocate a few (an application building frames), or reclaim transmit descriptors
                    if (rng.Next(2) == 0)
                    {
                        for (int k = rng.Next(1, 6); k > 0 && pool.TryAllocate(out PacketHandle hd); k--) held.Add(hd);
                    }
                    else ports[port].TxBatch(ReadOnlySpan<PacketHandle>.Empty);
                    break;
            }
            Check();
        }

        // Drain: free everything, then every frame a device accepted must come out.
        foreach (var hd in held) pool.Free(hd);
        held.Clear();
        for (int round = 0; round < 100; round++)
            foreach (var p in ports)
            {
                int n = p.RxBatch(batch);
                for (int i = 0; i < n; i++)
                {
                    int seq = BitConverter.ToInt32(pool.Data(batch[i]).Slice(14, 4));
                    Assert.True(delivered.Add(seq), "frame delivered twice");
                    pool.Free(batch[i]);
                }
                received += n;
                p.TxBatch(ReadOnlySpan<PacketHandle>.Empty);
            }
        Assert.Equal(acceptedByDevices, received);
        Assert.Equal(PoolSize - 2 * Ring, pool.Available);
        Assert.Empty(h.Errors);
        Assert.True(received > 1000, "the run moved enough frames to mean something");
    }
}
