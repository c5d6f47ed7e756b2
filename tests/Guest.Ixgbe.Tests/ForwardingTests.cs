using Guest.Ixgbe.Tests.Support;
using Tender.Pci.Emulation;
using Tender.Pci.Wire;
using Xunit.Abstractions;

namespace Guest.Ixgbe.Tests;

/// <summary>
/// The bidirectional forwarder (first seed, figure 5) between two emulated ports, each cabled to a
/// traffic port driven by the same driver: S ⇄ A [forwarder] B ⇄ K. All four ports share one DMA
/// area and one packet pool, as a guest's would.
/// </summary>
public class ForwardingTests(ITestOutputHelper output)
{
    private sealed class Rig
    {
        public required Harness H;
        public required Ixgbe<ModelRegisters> S, A, B, K;
        public required EthernetCable SideS, SideK;
        public required DmaPacketPool Pool;
    }

    private static Rig Build(int ring)
    {
        var h = new Harness(32 << 20);
        Ixgbe82599 s = h.Device(1), a = h.Device(2), b = h.Device(3), k = h.Device(4);
        var sideS = EthernetCable.Between(s, a);
        s.AttachWire(sideS.EndA);
        a.AttachWire(sideS.EndB);
        var sideK = EthernetCable.Between(b, k);
        b.AttachWire(sideK.EndA);
        k.AttachWire(sideK.EndB);
        var pool = new DmaPacketPool(h.Dma, 8 * ring + 256);
        Ixgbe<ModelRegisters> Port(Ixgbe82599 d, bool promiscuous) =>
            new(new ModelRegisters(d), pool, h.Dma, Harness.Config(ring, promiscuous));
        // The forwarder's ports take every frame (a layer-2 forwarder is promiscuous); the end ports only their own.
        var rig = new Rig { H = h, S = Port(s, false), A = Port(a, true), B = Port(b, true), K = Port(k, false), SideS = sideS, SideK = sideK, Pool = pool };
        var clock = new HostClock();
        foreach (var port in new[] { rig.S, rig.A, rig.B, rig.K })
            Assert.Equal(IxgbeInitResult.Ok, port.Initialize(ref clock));
        return rig;
    }

    private static int Send(Ixgbe<ModelRegisters> from, byte[] to, byte[] fromMac, int first, int count, int length)
    {
        var handles = new PacketHandle[count];
        Assert.Equal(count, from.Pool.AllocateBatch(handles));
        for (int i = 0; i < count; i++)
        {
            byte[] f = Harness.Frame(to, fromMac, first + i, length);
            f.CopyTo(from.Pool.Buffer(handles[i]));
            from.Pool.SetLength(handles[i], f.Length);
        }
        int sent = from.TxBatch(handles);
        from.Pool.FreeBatch(handles.AsSpan(sent));
        return sent;
    }

    private static List<int> Drain(Ixgbe<ModelRegisters> port, byte[] expectTo, byte[] expectFrom, int length)
    {
        var seqs = new List<int>();
        var batch = new PacketHandle[32];
        int n;
        while ((n = port.RxBatch(batch)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                Span<byte> data = port.Pool.Data(batch[i]);
                int seq = BitConverter.ToInt32(data.Slice(14, 4));
                Assert.Equal(Harness.Frame(expectTo, expectFrom, seq, length), data.ToArray());
                seqs.Add(seq);
                port.Pool.Free(batch[i]);
            }
        }
        return seqs;
    }

    [Theory]
    [InlineData(64, 60)]
    [InlineData(128, 1514)]
    [InlineData(512, 200)]
    public void Forwarder_moves_a_full_ring_each_way_without_loss(int ring, int length)
    {
        Rig r = Build(ring);
        var fwd = new Forwarder<ModelRegisters>(r.A, r.B, batchSize: 32);
        int burst = ring - 1; // everything A's (and B's) receive ring can hold at once
        int available = r.Pool.Available;

        // A burst from S towards K and one from K towards S land in the forwarder's receive rings...
        Assert.Equal(burst, Send(r.S, Harness.Mac(4), Harness.Mac(1), 0, burst, length));
        Assert.Equal(burst, Send(r.K, Harness.Mac(1), Harness.Mac(4), 100_000, burst, length));
        Assert.Equal(0, r.SideS.FramesRefused);
        Assert.Equal(0, r.SideK.FramesRefused);

        // ...and the forwarder moves them across, batch by batch.
        for (int round = 0; round < 10 * ring && fwd.Forwarded < (ulong)(2 * burst); round++) fwd.Step();
        Assert.Equal((ulong)(2 * burst), fwd.Forwarded);
        Assert.Equal(0UL, fwd.Dropped);

        List<int> atK = Drain(r.K, Harness.Mac(4), Harness.Mac(1), length);
        List<int> atS = Drain(r.S, Harness.Mac(1), Harness.Mac(4), length);
        Assert.Equal(Enumerable.Range(0, burst), atK);            // all of them, in order
        Assert.Equal(Enumerable.Range(100_000, burst), atS);
        Assert.Equal(0, r.SideS.FramesRefused + r.SideK.FramesRefused);
        Assert.Empty(r.H.Errors);

        // Device statistics agree: A received what S sent and sent what S then received, and so on.
        IxgbeStats a = r.A.ReadStats(), b = r.B.ReadStats();
        Assert.Equal((ulong)burst, a.RxPackets);
        Assert.Equal((ulong)burst, a.TxPackets);
        Assert.Equal((ulong)burst, b.RxPackets);
        Assert.Equal((ulong)burst, b.TxPackets);
        Assert.Equal(0UL, a.RxMissed + b.RxMissed);

        // Every buffer is back once the transmit rings are cleaned.
        foreach (var port in new[] { r.S, r.A, r.B, r.K }) port.TxBatch(ReadOnlySpan<PacketHandle>.Empty);
        Assert.Equal(available, r.Pool.Available);
    }

    [Fact]
    public void Forwarder_keeps_up_with_interleaved_traffic_over_many_rounds()
    {
        Rig r = Build(64);
        var fwd = new Forwarder<ModelRegisters>(r.A, r.B);
        var atK = new List<int>();
        var atS = new List<int>();
        for (int round = 0; round < 50; round++)
        {
            Assert.Equal(20, Send(r.S, Harness.Mac(4), Harness.Mac(1), round * 20, 20, 100));
            Assert.Equal(10, Send(r.K, Harness.Mac(1), Harness.Mac(4), 1_000_000 + round * 10, 10, 300));
            fwd.Step();
            atK.AddRange(Drain(r.K, Harness.Mac(4), Harness.Mac(1), 100));
            atS.AddRange(Drain(r.S, Harness.Mac(1), Harness.Mac(4), 300));
        }
        Assert.Equal(Enumerable.Range(0, 1000), atK);
        Assert.Equal(Enumerable.Range(1_000_000, 500), atS);
        Assert.Equal(1500UL, fwd.Forwarded);
        Assert.Empty(r.H.Errors);
    }

    /// <summary>
    /// Batching amortises the doorbell: in a guest every register access is an MMIO exit (~27 µs
    /// here), so the forwarder may touch registers only once per batch and direction (RDT, TDT),
    /// and an idle poll touches none. Also prints the in-process rate (driver + model, no exits).
    /// </summary>
    [Theory]
    [InlineData(32)]
    [InlineData(8)]
    public void Forwarder_rings_one_doorbell_per_batch_and_none_when_idle(int batchSize)
    {
        Rig r = Build(512);
        var fwd = new Forwarder<ModelRegisters>(r.A, r.B, batchSize);
        ModelRegisters a = r.A.Driver.Registers, b = r.B.Driver.Registers;
        const int Rounds = 200;
        int perRound = 256;
        long aReads0 = a.Counter.Reads, bReads0 = b.Counter.Reads, aWrites0 = a.Counter.Writes, bWrites0 = b.Counter.Writes;
        var batch = new PacketHandle[32];
        long forwardTicks = 0;
        for (int round = 0; round < Rounds; round++)
        {
            // Offer 256 frames towards K (several batches' worth), then let the forwarder move them.
            int offered = 0;
            while (offered < perRound)
            {
                int sent = Send(r.S, Harness.Mac(4), Harness.Mac(1), round * perRound + offered, Math.Min(32, perRound - offered), 60);
                offered += sent;
                if (sent == 0) r.S.TxBatch(ReadOnlySpan<PacketHandle>.Empty);
            }
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            while (fwd.Step() > 0) { }
            forwardTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
            int n;
            while ((n = r.K.RxBatch(batch)) > 0) r.K.Pool.FreeBatch(batch.AsSpan(0, n));
        }
        ulong frames = (ulong)(Rounds * perRound);
        Assert.Equal(frames, fwd.Forwarded);
        Assert.Equal(0UL, fwd.Dropped);
        long batches = (Rounds * perRound + batchSize - 1) / batchSize + Rounds; // + one partial batch per round at most
        long doorbells = (a.Counter.Writes - aWrites0) + (b.Counter.Writes - bWrites0);
        Assert.True(doorbells <= 2 * batches, $"{doorbells} register writes for {frames} frames in batches of {batchSize}");
        Assert.Equal(0, a.Counter.Reads - aReads0); // the data path never reads a register
        Assert.Equal(0, b.Counter.Reads - bReads0);
        // Idle: a step with nothing to do touches no register at all.
        long before = a.Counter.Writes + b.Counter.Writes + a.Counter.Reads + b.Counter.Reads;
        for (int i = 0; i < 100; i++) Assert.Equal(0, fwd.Step());
        Assert.Equal(before, a.Counter.Writes + b.Counter.Writes + a.Counter.Reads + b.Counter.Reads);
        double seconds = forwardTicks / (double)System.Diagnostics.Stopwatch.Frequency;
        output.WriteLine($"batch {batchSize}: {frames} frames forwarded, {doorbells} doorbells ({(double)frames / doorbells:F1} frames per MMIO write), " +
                         $"{frames / seconds / 1e6:F2} Mpps in-process (driver + model incl. the sink port's receive, no VM exits)");
    }

    [Fact]
    public void Forwarder_requires_one_shared_pool()
    {
        var h = new Harness(8 << 20);
        var p1 = new DmaPacketPool(h.Dma, 128);
        var p2 = new DmaPacketPool(h.Dma, 128);
        var a = new Ixgbe<ModelRegisters>(new ModelRegisters(h.Device(1)), p1, h.Dma, Harness.Config(64));
        var b = new Ixgbe<ModelRegisters>(new ModelRegisters(h.Device(2)), p2, h.Dma, Harness.Config(64));
        Assert.Throws<ArgumentException>(() => new Forwarder<ModelRegisters>(a, b));
    }
}
