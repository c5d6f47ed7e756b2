using Guest.Ixgbe.Tests.Support;
using Tender.Pci.Emulation;

namespace Guest.Ixgbe.Tests;

/// <summary>The driver against the emulated 82599: initialisation, receive, transmit, pool exhaustion, statistics.</summary>
public unsafe class DriverTests
{
    private sealed class Port
    {
        public required Harness H;
        public required Ixgbe82599 Device;
        public required ModelRegisters Regs;
        public required Ixgbe<ModelRegisters> Nic;
        public required FrameSink Wire;
        public required IxgbeInitResult Init;
    }

    private static Port Start(int ring = 64, int poolSize = 256, bool promiscuous = false, bool carrier = true)
    {
        var h = new Harness();
        var device = h.Device(1);
        var wire = new FrameSink { CarrierPresent = carrier };
        device.AttachWire(wire);
        var regs = new ModelRegisters(device);
        var pool = new DmaPacketPool(h.Dma, poolSize);
        var config = Harness.Config(ring, promiscuous);
        if (!carrier) config.LinkTimeoutNanoseconds = 50_000_000;
        var nic = new Ixgbe<ModelRegisters>(regs, pool, h.Dma, config);
        var clock = new HostClock();
        var init = nic.Initialize(ref clock);
        return new Port { H = h, Device = device, Regs = regs, Nic = nic, Wire = wire, Init = init };
    }

    [Fact]
    public void Initialisation_follows_the_datasheet_and_reaches_link_up()
    {
        var p = Start();
        Assert.Equal(IxgbeInitResult.Ok, p.Init);
        Assert.Empty(p.H.Errors);
        Assert.True(p.Nic.LinkUp);
        Assert.Equal(10000, p.Nic.LinkSpeedMbps);
        Assert.Equal(0x02_00_00_00_00_01UL, p.Nic.MacAddress);
        Ixgbe82599 d = p.Device;
        uint Reg(uint o) => d.ReadRegister(o, 4);
        Assert.NotEqual(0u, Reg(IxgbeRegisters.RXCTRL) & IxgbeRegisters.RXCTRL_RXEN);
        Assert.Equal(IxgbeRegisters.SRRCTL_DESCTYPE_ADV_ONEBUF, Reg(IxgbeRegisters.SRRCTL0) & IxgbeRegisters.SRRCTL_DESCTYPE_MASK);
        Assert.Equal(2u, Reg(IxgbeRegisters.SRRCTL0) & IxgbeRegisters.SRRCTL_BSIZEPACKET_MASK);
        Assert.NotEqual(0u, Reg(IxgbeRegisters.FCTRL) & IxgbeRegisters.FCTRL_BAM);
        Assert.Equal(0u, Reg(IxgbeRegisters.FCTRL) & IxgbeRegisters.FCTRL_UPE);
        uint hl = Reg(IxgbeRegisters.HLREG0);
        Assert.Equal(IxgbeRegisters.HLREG0_RXCRCSTRP | IxgbeRegisters.HLREG0_TXCRCEN | IxgbeRegisters.HLREG0_TXPADEN,
            hl & (IxgbeRegisters.HLREG0_RXCRCSTRP | IxgbeRegisters.HLREG0_TXCRCEN | IxgbeRegisters.HLREG0_TXPADEN));
        Assert.NotEqual(0u, Reg(IxgbeRegisters.RXDCTL0) & IxgbeRegisters.RXDCTL_ENABLE);
        Assert.NotEqual(0u, Reg(IxgbeRegisters.TXDCTL0) & IxgbeRegisters.TXDCTL_ENABLE);
        Assert.NotEqual(0u, Reg(IxgbeRegisters.DMATXCTL) & IxgbeRegisters.DMATXCTL_TE);
        Assert.Equal(0u, Reg(IxgbeRegisters.RTTDCS) & IxgbeRegisters.RTTDCS_ARBDIS);
        Assert.Equal(PinnedDmaArea.Window >> 32, Reg(IxgbeRegisters.RDBAH0)); // rings are in the DMA window
        Assert.Equal(64u * 16, Reg(IxgbeRegisters.RDLEN0));
        Assert.Equal(63u, Reg(IxgbeRegisters.RDT0)); // all but one descriptor handed to the device
        Assert.Equal(256 - 64, p.Nic.Pool.Available); // the ring holds one buffer per descriptor
        // The global reset was issued (CTRL.RST), exactly once.
        Assert.Equal(1, p.Regs.Counter.WritesOf(IxgbeRegisters.CTRL));
    }

    [Fact]
    public void Initialisation_without_a_link_partner_reports_link_down_after_the_timeout()
    {
        var p = Start(carrier: false);
        Assert.Equal(IxgbeInitResult.LinkDown, p.Init);
        Assert.False(p.Nic.LinkUp);
        Assert.Equal(0, p.Nic.LinkSpeedMbps);
        Assert.True(p.Nic.Driver.Running);
    }

    [Fact]
    public void Initialisation_waits_for_a_slow_reset_and_link_training()
    {
        // The model can hold CTRL.RST, EEC.ARD, RDRXCTL.DMAIDONE and the link back for many reads:
        // a driver that skipped a wait would go on with an unfinished reset or report link down.
        var h = new Harness();
        var device = new Ixgbe82599(h.Area, new IxgbeOptions
        {
            MacAddress = Harness.Mac(1), ResetLatencyReads = 500, LinkUpLatencyReads = 2000, LinkUpDelay = TimeSpan.FromSeconds(30),
        });
        device.Config.SetBusMaster(true);
        device.AttachWire(new FrameSink());
        var regs = new ModelRegisters(device);
        var nic = new Ixgbe<ModelRegisters>(regs, new DmaPacketPool(h.Dma, 256), h.Dma, Harness.Config());
        var clock = new HostClock();
        Assert.Equal(IxgbeInitResult.Ok, nic.Initialize(ref clock));
        Assert.True(regs.Counter.Reads > 2000, "the driver polled the link until it trained");
        Assert.True(nic.LinkUp);
        Assert.Equal(0, device.ErrorCount);
    }

    [Fact]
    public void A_dma_area_the_device_cannot_reach_fails_initialisation_with_a_named_step()
    {
        // Wiring mistake: the driver believes its DMA memory is at IOVA 2^41, the device's window is 2^40.
        var area = new PinnedDmaArea(4 << 20);
        var dma = DmaAllocator.Over(new PointerDmaRegion(area.Region.Pointer, 1UL << 41, area.Size));
        var device = new Ixgbe82599(area, new IxgbeOptions { MacAddress = Harness.Mac(1) });
        device.Config.SetBusMaster(true);
        device.AttachWire(new FrameSink());
        var nic = new Ixgbe<ModelRegisters>(new ModelRegisters(device), new DmaPacketPool(dma, 256), dma, Harness.Config());
        var clock = new HostClock();
        Assert.Equal(IxgbeInitResult.RxQueueTimeout, nic.Initialize(ref clock));
        Assert.Contains(device.RecentErrors, e => e.Kind == IxgbeErrorKind.DmaOutOfRange && e.Message.Contains("RX queue 0"));
        Assert.False(nic.Driver.Running);
        Assert.Throws<InvalidOperationException>(() => nic.RxBatch(new PacketHandle[1]));
    }

    [Fact]
    public void Losing_the_link_completes_transmissions_without_sending_and_frees_the_buffers()
    {
        var h = new Harness();
        Ixgbe82599 a = h.Device(1), b = h.Device(2);
        var cable = Tender.Pci.Wire.EthernetCable.Between(a, b);
        a.AttachWire(cable.EndA);
        b.AttachWire(cable.EndB);
        var pool = new DmaPacketPool(h.Dma, 256);
        var na = new Ixgbe<ModelRegisters>(new ModelRegisters(a), pool, h.Dma, Harness.Config());
        var nb = new Ixgbe<ModelRegisters>(new ModelRegisters(b), pool, h.Dma, Harness.Config());
        var clock = new HostClock();
        Assert.Equal(IxgbeInitResult.Ok, na.Initialize(ref clock));
        Assert.Equal(IxgbeInitResult.Ok, nb.Initialize(ref clock));
        int free = pool.Available;
        cable.Unplug();
        Assert.False(na.LinkUp);
        var handles = new PacketHandle[10];
        Assert.Equal(10, pool.AllocateBatch(handles));
        foreach (var hd in handles) { Harness.Frame(Harness.Mac(2), Harness.Mac(1), 0).CopyTo(pool.Buffer(hd)); pool.SetLength(hd, 128); }
        Assert.Equal(10, na.TxBatch(handles));
        na.TxBatch(ReadOnlySpan<PacketHandle>.Empty);
        Assert.Equal(free, pool.Available);
        Assert.Equal(0, nb.RxBatch(new PacketHandle[16]));
        Assert.Equal(0UL, na.ReadStats().TxPackets);
        Assert.Equal(0L, cable.FramesCarried);
    }

    [Fact]
    public void Promiscuous_option_sets_unicast_and_multicast_promiscuous()
    {
        var p = Start(promiscuous: true);
        uint fctrl = p.Device.ReadRegister(IxgbeRegisters.FCTRL, 4);
        Assert.Equal(IxgbeRegisters.FCTRL_UPE | IxgbeRegisters.FCTRL_MPE, fctrl & (IxgbeRegisters.FCTRL_UPE | IxgbeRegisters.FCTRL_MPE));
        // A frame for someone else now arrives.
        Assert.True(p.Device.Receive(Harness.Frame(Harness.Mac(9), Harness.Mac(8), 1)));
        Assert.Equal(1, p.Nic.RxBatch(new PacketHandle[4]));
        p.Nic.SetPromiscuous(false);
        Assert.False(p.Device.Receive(Harness.Frame(Harness.Mac(9), Harness.Mac(8), 2)));
    }

    [Fact]
    public void Frames_from_the_wire_come_out_of_RxBatch_intact_with_one_doorbell_per_batch()
    {
        var p = Start();
        var sent = new List<byte[]>();
        for (int i = 0; i < 20; i++)
        {
            byte[] f = Harness.Frame(Harness.Mac(1), Harness.Mac(7), i, 60 + i * 70);
            sent.Add(f);
            Assert.True(p.Device.Receive(f));
        }
        Assert.True(p.Device.Receive(Harness.Frame([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], Harness.Mac(7), 99)));
        Assert.False(p.Device.Receive(Harness.Frame(Harness.Mac(5), Harness.Mac(7), 98))); // not ours, not promiscuous
        long rdtBefore = p.Regs.Counter.WritesOf(IxgbeRegisters.RDT0);

        var got = new PacketHandle[32];
        int n = p.Nic.RxBatch(got);
        Assert.Equal(21, n);
        Assert.Equal(rdtBefore + 1, p.Regs.Counter.WritesOf(IxgbeRegisters.RDT0));
        for (int i = 0; i < 20; i++)
            Assert.Equal(sent[i], p.Nic.Pool.Data(got[i]).ToArray());
        Assert.Equal(99, BitConverter.ToInt32(p.Nic.Pool.Data(got[20]).Slice(14, 4)));
        Assert.Equal(0, p.Nic.RxBatch(got)); // nothing more
        Assert.Equal(rdtBefore + 1, p.Regs.Counter.WritesOf(IxgbeRegisters.RDT0)); // an empty batch rings no doorbell
        p.Nic.Pool.FreeBatch(got.AsSpan(0, n));
        Assert.Equal(256 - 64, p.Nic.Pool.Available);
        Assert.Empty(p.H.Errors);
    }

    [Fact]
    public void A_frame_spanning_several_buffers_is_dropped_whole_and_the_next_one_arrives()
    {
        // 1 KiB buffers: the device splits a 1514-byte frame over two descriptors (only the last has EOP).
        var h = new Harness();
        var device = h.Device(1);
        device.AttachWire(new FrameSink());
        var nic = new Ixgbe<ModelRegisters>(new ModelRegisters(device), new DmaPacketPool(h.Dma, 256, 1024), h.Dma, Harness.Config());
        var clock = new HostClock();
        Assert.Equal(IxgbeInitResult.Ok, nic.Initialize(ref clock));
        Assert.Equal(1u, device.ReadRegister(IxgbeRegisters.SRRCTL0, 4) & IxgbeRegisters.SRRCTL_BSIZEPACKET_MASK);
        Assert.True(device.Receive(Harness.Frame(Harness.Mac(1), Harness.Mac(7), 1, 1514)));
        Assert.True(device.Receive(Harness.Frame(Harness.Mac(1), Harness.Mac(7), 2, 3000 / 3)));
        Assert.True(device.Receive(Harness.Frame(Harness.Mac(1), Harness.Mac(7), 3, 2000)) == false); // over 1518: ROC, not taken
        Assert.True(device.Receive(Harness.Frame(Harness.Mac(1), Harness.Mac(7), 4, 1100)));
        Assert.True(device.Receive(Harness.Frame(Harness.Mac(1), Harness.Mac(7), 5, 200)));
        var got = new PacketHandle[8];
        int n = nic.RxBatch(got);
        Assert.Equal(2, n);
        Assert.Equal(Harness.Frame(Harness.Mac(1), Harness.Mac(7), 2, 1000), nic.Pool.Data(got[0]).ToArray());
        Assert.Equal(Harness.Frame(Harness.Mac(1), Harness.Mac(7), 5, 200), nic.Pool.Data(got[1]).ToArray());
        Assert.Equal(2UL, nic.Driver.Stats.RxDropped); // the 1514- and 1100-byte frames, once each
        Assert.Equal(256 - 64 - 2, nic.Pool.Available); // the dropped frames' buffers went back into the ring
    }

    [Fact]
    public void Short_frames_arrive_padded_to_the_ethernet_minimum()
    {
        var p = Start();
        byte[] f = Harness.Frame(Harness.Mac(1), Harness.Mac(7), 3, 42);
        Assert.True(p.Device.Receive(f));
        var got = new PacketHandle[1];
        Assert.Equal(1, p.Nic.RxBatch(got));
        Span<byte> data = p.Nic.Pool.Data(got[0]);
        Assert.Equal(60, data.Length);
        Assert.Equal(f, data[..42].ToArray());
        Assert.True(data[42..].IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void TxBatch_frames_appear_on_the_wire_and_buffers_return_to_the_pool()
    {
        var p = Start();
        DmaPacketPool pool = p.Nic.Pool;
        var handles = new PacketHandle[40];
        Assert.Equal(40, pool.AllocateBatch(handles));
        var frames = new List<byte[]>();
        for (int i = 0; i < 40; i++)
        {
            byte[] f = Harness.Frame(Harness.Mac(7), Harness.Mac(1), i, 64 + i * 30);
            frames.Add(f);
            f.CopyTo(pool.Buffer(handles[i]));
            pool.SetLength(handles[i], f.Length);
        }
        long tdtBefore = p.Regs.Counter.WritesOf(IxgbeRegisters.TDT0);
        Assert.Equal(40, p.Nic.TxBatch(handles));
        Assert.Equal(tdtBefore + 1, p.Regs.Counter.WritesOf(IxgbeRegisters.TDT0)); // one doorbell for the batch
        Assert.Equal(40, p.Wire.Frames.Count);
        for (int i = 0; i < 40; i++) Assert.Equal(frames[i], p.Wire.Frames[i]);
        // The handles went to the driver with the frames.
        Assert.False(pool.IsValid(handles[0]));
        Assert.Throws<InvalidOperationException>(() => pool.Free(handles[0]));
        // Completed descriptors are reclaimed on the next call, a batch at a time.
        Assert.Equal(256 - 64 - 40, pool.Available);
        Assert.Equal(0, p.Nic.TxBatch(ReadOnlySpan<PacketHandle>.Empty));
        Assert.Equal(256 - 64, pool.Available);
        Assert.Equal(0, p.Nic.Driver.TxInFlight);
        Assert.Empty(p.H.Errors);
    }

    [Fact]
    public void Sending_through_a_handle_already_given_away_is_refused()
    {
        var p = Start();
        DmaPacketPool pool = p.Nic.Pool;
        Assert.True(pool.TryAllocate(out PacketHandle h));
        Harness.Frame(Harness.Mac(7), Harness.Mac(1), 0).CopyTo(pool.Buffer(h));
        pool.SetLength(h, 128);
        Assert.Equal(1, p.Nic.TxBatch([h]));
        Assert.Contains("stale packet buffer", Assert.Throws<InvalidOperationException>(() => p.Nic.TxBatch([h])).Message);
        if (DmaPacketPool.ChecksEveryAccess)
            Assert.Throws<InvalidOperationException>(() => pool.Data(h)); // writing into an in-flight buffer is caught in debug
        Assert.Single(p.Wire.Frames);
    }

    [Fact]
    public void Received_handle_is_stale_once_freed()
    {
        var p = Start();
        Assert.True(p.Device.Receive(Harness.Frame(Harness.Mac(1), Harness.Mac(7), 1)));
        var got = new PacketHandle[1];
        Assert.Equal(1, p.Nic.RxBatch(got));
        p.Nic.Pool.Free(got[0]);
        // Another frame may now land in the same buffer; the old handle must not see it.
        Assert.True(p.Device.Receive(Harness.Frame(Harness.Mac(1), Harness.Mac(7), 2)));
        if (DmaPacketPool.ChecksEveryAccess)
            Assert.Contains("stale packet buffer", Assert.Throws<InvalidOperationException>(() => p.Nic.Pool.Data(got[0])).Message);
        Assert.Throws<InvalidOperationException>(() => p.Nic.Pool.Free(got[0]));
    }

    [Fact]
    public void Transmit_ring_full_returns_the_rest_to_the_caller()
    {
        var p = Start(ring: 16, poolSize: 64);
        p.Wire.CarrierPresent = true;
        // Stop the device from completing: disable transmit in the device so descriptors stay pending.
        p.Device.WriteRegister(IxgbeRegisters.DMATXCTL, 4, 0);
        DmaPacketPool pool = p.Nic.Pool;
        var handles = new PacketHandle[20];
        Assert.Equal(20, pool.AllocateBatch(handles));
        foreach (var h in handles) { Harness.Frame(Harness.Mac(7), Harness.Mac(1), 0).CopyTo(pool.Buffer(h)); pool.SetLength(h, 128); }
        int n = p.Nic.TxBatch(handles);
        Assert.Equal(15, n); // 16 descriptors, one always empty
        Assert.True(pool.IsValid(handles[15])); // the caller still owns what was not taken
        Assert.Equal(0, p.Nic.TxBatch(handles.AsSpan(15)));
        Assert.Empty(p.Wire.Frames);
        // Transmit back on: the device sends the 15 and the ring drains.
        p.Device.WriteRegister(IxgbeRegisters.DMATXCTL, 4, IxgbeRegisters.DMATXCTL_TE);
        Assert.Equal(15, p.Wire.Frames.Count);
        Assert.Equal(5, p.Nic.TxBatch(handles.AsSpan(15)));
        Assert.Equal(20, p.Wire.Frames.Count);
    }

    [Fact]
    public void An_exhausted_pool_leaves_frames_in_the_ring_until_buffers_come_back()
    {
        // Ring 16 (15 usable descriptors) and a pool of 20: 16 in the ring, 4 free.
        var p = Start(ring: 16, poolSize: 20);
        DmaPacketPool pool = p.Nic.Pool;
        Assert.Equal(4, pool.Available);
        for (int i = 0; i < 10; i++) Assert.True(p.Device.Receive(Harness.Frame(Harness.Mac(1), Harness.Mac(7), i)));
        var held = new PacketHandle[16];
        int n = p.Nic.RxBatch(held);
        Assert.Equal(4, n); // only as many as there are replacement buffers
        Assert.Equal(0, pool.Available);
        Assert.Equal(0, p.Nic.RxBatch(held.AsSpan(n)));
        // The ring keeps the 6 waiting frames; the doorbell gave the device the 4 refilled
        // descriptors, so it has 9 free (15 usable − 6 waiting), takes 9 more frames, then misses.
        int accepted = 0;
        for (int i = 10; i < 30; i++) if (p.Device.Receive(Harness.Frame(Harness.Mac(1), Harness.Mac(7), i))) accepted++;
        Assert.Equal(9, accepted);
        IxgbeStats stats = p.Nic.ReadStats();
        Assert.Equal(11UL, stats.RxMissed);
        Assert.Equal(19UL, stats.RxPackets);
        // Buffers come back: the waiting frames come out in order, none lost in the driver.
        pool.FreeBatch(held.AsSpan(0, n));
        var batch = new PacketHandle[16];
        int m;
        int seqExpected = 4;
        while ((m = p.Nic.RxBatch(batch)) > 0)
        {
            for (int i = 0; i < m; i++)
            {
                Assert.Equal(seqExpected++, BitConverter.ToInt32(pool.Data(batch[i]).Slice(14, 4)));
                pool.Free(batch[i]);
            }
        }
        Assert.Equal(19, seqExpected);
        Assert.Empty(p.H.Errors);
    }

    [Fact]
    public void Statistics_accumulate_packets_and_octets_both_ways()
    {
        var p = Start();
        int rxBytes = 0;
        for (int i = 0; i < 10; i++)
        {
            int len = 60 + i * 100;
            Assert.True(p.Device.Receive(Harness.Frame(Harness.Mac(1), Harness.Mac(7), i, len)));
            rxBytes += len + 4; // octets on the wire include the FCS
        }
        var got = new PacketHandle[16];
        Assert.Equal(10, p.Nic.RxBatch(got));
        // Send them back out: same lengths.
        Assert.Equal(10, p.Nic.TxBatch(got.AsSpan(0, 10)));
        IxgbeStats s = p.Nic.ReadStats();
        Assert.Equal(10UL, s.RxPackets);
        Assert.Equal(10UL, s.TxPackets);
        Assert.Equal((ulong)rxBytes, s.RxBytes);
        Assert.Equal((ulong)rxBytes, s.TxBytes);
        Assert.Equal(0UL, s.RxMissed);
        // The registers are clear-on-read: a second read adds nothing, later traffic adds on.
        Assert.Equal(10UL, p.Nic.ReadStats().RxPackets);
        Assert.True(p.Device.Receive(Harness.Frame(Harness.Mac(1), Harness.Mac(7), 11, 100)));
        Assert.Equal(11UL, p.Nic.ReadStats().RxPackets);
        Assert.Equal((ulong)rxBytes + 104, p.Nic.Driver.Stats.RxBytes);
    }

    [Fact]
    public void Reflector_sends_every_frame_back_to_its_sender()
    {
        var p = Start();
        var reflector = new Reflector<ModelRegisters>(p.Nic, batchSize: 8);
        for (int i = 0; i < 20; i++) Assert.True(p.Device.Receive(Harness.Frame(Harness.Mac(1), Harness.Mac(7), i)));
        while (reflector.Step() > 0) { }
        Assert.Equal(20UL, reflector.Reflected);
        Assert.Equal(0UL, reflector.Dropped);
        Assert.Equal(20, p.Wire.Frames.Count);
        for (int i = 0; i < 20; i++)
        {
            byte[] expected = Harness.Frame(Harness.Mac(7), Harness.Mac(1), i);
            Assert.Equal(expected, p.Wire.Frames[i]);
        }
    }
}
