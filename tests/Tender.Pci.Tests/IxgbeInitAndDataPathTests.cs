using System.Buffers.Binary;
using Tender.Pci.Dma;
using Tender.Pci.Emulation;
using Tender.Pci.Tests.Support;
using static Tender.Pci.Tests.Support.TestIxgbeDriver;

namespace Tender.Pci.Tests;

/// <summary>The emulated 82599 driven by an ixy-style driver: initialisation, receive, transmit, statistics.</summary>
public sealed class IxgbeInitAndDataPathTests
{
    private static readonly byte[] Mac = [0x02, 0x00, 0x00, 0x82, 0x59, 0x01];

    private static (Ixgbe82599 Device, ArrayDmaMemory Memory, TestIxgbeDriver Driver, CapturingWire Wire) Setup(bool promiscuous = true, int rx = 64, int tx = 64)
    {
        var memory = new ArrayDmaMemory(DmaBase, 4 << 20);
        var device = new Ixgbe82599(memory, new IxgbeOptions { MacAddress = Mac });
        var wire = new CapturingWire();
        device.AttachWire(wire);
        device.Config.SetBusMaster(true);
        var driver = new TestIxgbeDriver(device, memory, rx, tx);
        Assert.Equal(10000, driver.Initialise(promiscuous));
        return (device, memory, driver, wire);
    }

    [Fact]
    public void IxyInitialisationWaitsForResetEepromDmaInitAndLinkAndReaches10G()
    {
        var (device, _, driver, _) = Setup();
        // The model makes the driver wait as the datasheet requires (§4.6.3): each wait loop ran.
        Assert.True(driver.ResetWaits > 0, "CTRL.RST cleared without any wait");
        Assert.True(driver.EepromWaits > 0, "EEC.ARD was set without any wait after reset");
        Assert.True(driver.DmaInitWaits > 0, "RDRXCTL.DMAIDONE was set without any wait after reset");
        Assert.True(device.LinkUp);
        Assert.Equal(Mac, driver.MacAddress());
        Assert.Equal(0, device.ErrorCount);
        // Registers read back as configured, through the 82598 aliases the driver used.
        Assert.Equal(SRRCTL_DESCTYPE_ADV_ONEBUF | SRRCTL_DROP_EN, driver.Rd(SRRCTL(0)) & (SRRCTL_DESCTYPE_MASK | SRRCTL_DROP_EN));
        Assert.Equal(driver.Rd(SRRCTL(0)), driver.Rd(0x01014));
        Assert.Equal(0u, driver.Rd(DCA_RXCTRL(0)) & (1u << 12));
        Assert.Equal(RXDCTL_ENABLE, driver.Rd(RXDCTL(0)) & RXDCTL_ENABLE);
        Assert.Equal((uint)(driver.RxEntries - 1), driver.Rd(RDT(0)));
        Assert.Equal(FCTRL_BAM | FCTRL_MPE | FCTRL_UPE, driver.Rd(FCTRL) & (FCTRL_BAM | FCTRL_MPE | FCTRL_UPE));
        Assert.Equal(0u, driver.Rd(AUTOC) & AUTOC_AN_RESTART); // self-clearing
        Assert.Equal(0x80u, driver.Rd(STATUS) & 0x80);          // STATUS.LINK_UP
    }

    [Fact]
    public void LinkStaysDownWithoutCarrierAndComesUpWithIt()
    {
        var memory = new ArrayDmaMemory(DmaBase, 4 << 20);
        var device = new Ixgbe82599(memory, new IxgbeOptions { LinkUpDelay = TimeSpan.FromHours(1) });
        var driver = new TestIxgbeDriver(device, memory);
        Assert.Equal(0, driver.LinkSpeed()); // no wire at all
        var wire = new CapturingWire { CarrierPresent = false };
        device.AttachWire(wire);
        for (int i = 0; i < 10; i++) Assert.Equal(0, driver.LinkSpeed());
        wire.CarrierPresent = true;
        int reads = 0;
        while (driver.LinkSpeed() == 0) Assert.True(++reads < 10, "link never came up");
        Assert.Equal(10000, driver.LinkSpeed());
        // 1 Gb/s link modes report 1G.
        driver.Wr(AUTOC, (driver.Rd(AUTOC) & ~AUTOC_LMS_MASK) | (0x2u << 13));
        while (driver.LinkSpeed() == 0) { }
        Assert.Equal(1000, driver.LinkSpeed());
    }

    [Fact]
    public void FramesFromTheWireArriveInRxDescriptorsWithDdEopLengthAndBytes()
    {
        var (device, _, driver, _) = Setup();
        var sent = new List<byte[]>();
        for (int i = 0; i < 10; i++)
        {
            byte[] frame = Frames.Make(Mac, 60 + i * 97, i);
            sent.Add(frame);
            Assert.True(device.Receive(frame));
        }
        for (int i = 0; i < 10; i++)
        {
            var (status, length) = driver.RxWriteBack(i);
            Assert.Equal(RXDADV_STAT_DD | RXDADV_STAT_EOP, status & 0xF);
            Assert.Equal(sent[i].Length, length);
        }
        List<byte[]> received = driver.ReceiveBatch();
        Assert.Equal(sent.Count, received.Count);
        for (int i = 0; i < sent.Count; i++) Assert.Equal(sent[i], received[i]);
        Assert.Equal(9u, driver.Rd(RDT(0)));   // ixy hands back up to the last one it took
        Assert.Equal(10u, driver.Rd(RDH(0)));
        var stats = driver.ReadStats();
        Assert.Equal(10UL, stats.RxPackets);
        Assert.Equal((ulong)sent.Sum(f => f.Length + 4), stats.RxBytes); // octets include the FCS
        Assert.Equal(0u, driver.Rd(GPRC));                                // cleared by the read
    }

    [Fact]
    public void ShortFramesArePaddedAndTheFcsIsKeptWhenCrcStrippingIsOff()
    {
        var (device, _, driver, _) = Setup();
        driver.Wr(HLREG0, driver.Rd(HLREG0) & ~HLREG0_RXCRCSTRP);
        byte[] arp = Frames.Make(Frames.Broadcast, 42, 7, 0x0806);
        Assert.True(device.Receive(arp));
        byte[] got = driver.ReceiveBatch().Single();
        Assert.Equal(64, got.Length);                               // 60 padded + 4 FCS
        Assert.Equal(arp, got[..42]);
        Assert.All(got[42..60], b => Assert.Equal(0, b));
        Assert.Equal(EthernetCrc.Compute(got.AsSpan(0, 60)), BinaryPrimitives.ReadUInt32LittleEndian(got.AsSpan(60)));
        Assert.Equal(1u, driver.Rd(BPRC));
    }

    [Fact]
    public void EthernetCrcMatchesTheStandardCheckValue() =>
        Assert.Equal(0xCBF43926u, EthernetCrc.Compute("123456789"u8));

    [Fact]
    public void TransmittedDescriptorsReachTheWireAndGetDdWrittenBack()
    {
        var (_, _, driver, wire) = Setup();
        var frames = Enumerable.Range(0, 20).Select(i => Frames.Make(Frames.Broadcast, 64 + i * 50, i)).ToList();
        frames.Add(Frames.Make(Frames.Broadcast, 30, 99)); // short: TXPADEN pads it
        Assert.Equal(frames.Count, driver.TransmitBatch(frames));
        Assert.Equal(frames.Count, wire.Frames.Count);
        for (int i = 0; i < 20; i++) Assert.Equal(frames[i], wire.Frames[i]);
        Assert.Equal(60, wire.Frames[20].Length);
        Assert.Equal(frames[20], wire.Frames[20][..30]);
        for (int i = 0; i < frames.Count; i++) Assert.Equal(ADVTXD_STAT_DD, driver.TxStatus(i) & 1);
        Assert.Equal((uint)frames.Count, driver.Rd(TDH(0)));
        Assert.Equal(frames.Count, driver.CleanTx());
        var stats = driver.ReadStats();
        Assert.Equal((ulong)frames.Count, stats.TxPackets);
        Assert.Equal((ulong)(frames.Take(20).Sum(f => f.Length + 4) + 64), stats.TxBytes);
        Assert.Equal(0u, driver.Rd(GPTC));
    }

    [Fact]
    public void APacketSpreadOverSeveralTxDescriptorsIsSentOnceItsEopIsPosted()
    {
        var (_, _, driver, wire) = Setup();
        byte[] frame = Frames.Make(Frames.Broadcast, 300, 5);
        const uint data = ADVTXD_DCMD_DEXT | ADVTXD_DTYP_DATA | ADVTXD_DCMD_IFCS | ADVTXD_DCMD_RS;
        frame.AsSpan(0, 100).CopyTo(driver.Mem(driver.TxBuffer(0), 100));
        frame.AsSpan(100, 200).CopyTo(driver.Mem(driver.TxBuffer(1), 200));
        driver.PutRawTxDescriptor(driver.TxBuffer(0), data | 100);
        driver.RingTxDoorbell();
        Assert.Empty(wire.Frames);                 // no EOP yet: the device waits for the rest
        Assert.Equal(0u, driver.Rd(TDH(0)));
        driver.PutRawTxDescriptor(driver.TxBuffer(1), data | ADVTXD_DCMD_EOP | 200);
        driver.RingTxDoorbell();
        Assert.Equal(frame, Assert.Single(wire.Frames));
        Assert.Equal(2u, driver.Rd(TDH(0)));
    }

    [Fact]
    public void WithoutIfcsTheDriverSuppliedFcsIsNotPutOnTheWire()
    {
        var (_, _, driver, wire) = Setup();
        byte[] frame = Frames.Make(Frames.Broadcast, 100, 1);
        byte[] withFcs = [.. frame, 1, 2, 3, 4];
        withFcs.CopyTo(driver.Mem(driver.TxBuffer(0), withFcs.Length));
        driver.PutRawTxDescriptor(driver.TxBuffer(0), ADVTXD_DCMD_DEXT | ADVTXD_DTYP_DATA | ADVTXD_DCMD_EOP | ADVTXD_DCMD_RS | (uint)withFcs.Length);
        driver.RingTxDoorbell();
        Assert.Equal(frame, Assert.Single(wire.Frames));
    }

    [Fact]
    public void LegacyTxDescriptorsWork()
    {
        var (_, _, driver, wire) = Setup();
        byte[] frame = Frames.Make(Frames.Broadcast, 128, 3);
        frame.CopyTo(driver.Mem(driver.TxBuffer(0), frame.Length));
        // Legacy: length in bits 15:0, CMD byte (EOP|IFCS|RS) in bits 31:24, DEXT clear.
        driver.PutRawTxDescriptor(driver.TxBuffer(0), ADVTXD_DCMD_EOP | ADVTXD_DCMD_IFCS | ADVTXD_DCMD_RS | 128);
        driver.RingTxDoorbell();
        Assert.Equal(frame, Assert.Single(wire.Frames));
        Assert.Equal(1u, driver.TxStatus(0) & 1);
    }

    [Fact]
    public void ContextDescriptorsAreConsumedWithoutData()
    {
        var (_, _, driver, wire) = Setup();
        byte[] frame = Frames.Make(Frames.Broadcast, 200, 4);
        frame.CopyTo(driver.Mem(driver.TxBuffer(1), frame.Length));
        driver.PutRawTxDescriptor(0, ADVTXD_DCMD_DEXT | 0x00200000); // advanced context descriptor
        driver.PutRawTxDescriptor(driver.TxBuffer(1), ADVTXD_DCMD_DEXT | ADVTXD_DTYP_DATA | ADVTXD_DCMD_EOP | ADVTXD_DCMD_IFCS | ADVTXD_DCMD_RS | 200);
        driver.RingTxDoorbell();
        Assert.Equal(frame, Assert.Single(wire.Frames));
        Assert.Equal(2u, driver.Rd(TDH(0)));
    }

    [Fact]
    public void LargeFramesSpanSeveralRxBuffersWithEopOnlyOnTheLast()
    {
        var (device, _, driver, _) = Setup();
        driver.Wr(SRRCTL(0), (driver.Rd(SRRCTL(0)) & ~0x1Fu) | 1); // 1 KiB buffers
        byte[] frame = Frames.Make(Mac, 1514, 8);
        Assert.True(device.Receive(frame));
        var (s0, l0) = driver.RxWriteBack(0);
        var (s1, l1) = driver.RxWriteBack(1);
        Assert.Equal(RXDADV_STAT_DD, s0 & 3);
        Assert.Equal(RXDADV_STAT_DD | RXDADV_STAT_EOP, s1 & 3);
        Assert.Equal(1024, l0);
        Assert.Equal(1514 - 1024, l1);
        byte[] joined = [.. driver.Mem(driver.RxBuffer(0), 1024).ToArray(), .. driver.Mem(driver.RxBuffer(1), l1).ToArray()];
        Assert.Equal(frame, joined);
    }

    [Fact]
    public void LegacyRxDescriptorsGetTheLegacyWriteBack()
    {
        var (device, _, driver, _) = Setup();
        driver.Wr(SRRCTL(0), driver.Rd(SRRCTL(0)) & ~SRRCTL_DESCTYPE_MASK);
        byte[] frame = Frames.Make(Mac, 200, 9);
        Assert.True(device.Receive(frame));
        Span<byte> d = driver.Mem(driver.RxRing, 16);
        Assert.Equal(driver.RxBuffer(0), BinaryPrimitives.ReadUInt64LittleEndian(d)); // the address stays
        Assert.Equal(200, BinaryPrimitives.ReadUInt16LittleEndian(d[8..]));          // length
        Assert.Equal(RXDADV_STAT_DD | RXDADV_STAT_EOP, (uint)d[12]);                 // status
        Assert.Equal(0, d[13]);                                                       // errors
        Assert.Equal(frame, driver.Mem(driver.RxBuffer(0), 200).ToArray());
    }

    [Fact]
    public void TransmitHeadIsWrittenBackWhenAsked()
    {
        var (_, _, driver, _) = Setup();
        ulong headAddress = DmaBase + (3 << 20);
        driver.Wr(0x06038, (uint)headAddress | 1);   // TDWBAL[0] with Head_WB_En
        driver.Wr(0x0603C, (uint)(headAddress >> 32));
        driver.TransmitBatch([Frames.Make(Frames.Broadcast, 100, 1), Frames.Make(Frames.Broadcast, 100, 2)]);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(driver.Mem(headAddress, 4)));
    }

    [Fact]
    public void OversizedAndRuntFramesAreCountedAndDropped()
    {
        var (device, _, driver, _) = Setup();
        Assert.False(device.Receive(Frames.Make(Mac, 1515, 1)));  // 1519 with FCS > 1518
        Assert.Equal(1u, driver.Rd(ROC));
        Assert.False(device.Receive(new byte[10]));
        Assert.Equal(1u, driver.Rd(RUC));
        // Jumbo frames pass with HLREG0.JUMBOEN and MAXFRS.MFS.
        driver.Wr(HLREG0, driver.Rd(HLREG0) | 0x4);
        driver.Wr(0x04268, 9018u << 16);
        driver.Wr(SRRCTL(0), (driver.Rd(SRRCTL(0)) & ~0x1Fu) | 10);
        Assert.True(device.Receive(Frames.Make(Mac, 9000, 2)));
        Assert.Equal(9000, driver.RxWriteBack(0).Length);
        Assert.Equal(0, device.ErrorCount);
    }

    [Fact]
    public void AddressFilterFollowsFctrlRarAndMta()
    {
        var (device, _, driver, _) = Setup(promiscuous: false);
        byte[] other = [0x02, 0x99, 0x99, 0x99, 0x99, 0x99];
        byte[] multicast = [0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB];
        Assert.True(device.Receive(Frames.Make(Mac, 64, 1)));           // own address (RAL/RAH[0])
        Assert.False(device.Receive(Frames.Make(other, 64, 2)));         // someone else's
        Assert.True(device.Receive(Frames.Make(Frames.Broadcast, 64, 3)));// BAM
        Assert.False(device.Receive(Frames.Make(multicast, 64, 4)));     // no MPE, MTA off
        // MTA with MO = 0: bits 47:36 of the address index the table.
        int vector = (multicast[4] >> 4 | multicast[5] << 4) & 0xFFF;
        driver.Wr(MTA0 + (uint)(vector >> 5) * 4, 1u << (vector & 31));
        driver.Wr(MCSTCTRL, 0x4);
        Assert.True(device.Receive(Frames.Make(multicast, 64, 5)));
        // A second unicast address in RAL/RAH[1] (alias 0x05408).
        driver.Wr(RAL(1), BinaryPrimitives.ReadUInt32LittleEndian(other));
        driver.Wr(RAH(1), (uint)(other[4] | other[5] << 8) | 0x80000000);
        Assert.True(device.Receive(Frames.Make(other, 64, 6)));
        driver.Wr(FCTRL, driver.Rd(FCTRL) & ~FCTRL_BAM);
        Assert.False(device.Receive(Frames.Make(Frames.Broadcast, 64, 7)));
        Assert.Equal(4, driver.ReceiveBatch().Count);
        Assert.Equal(1u, driver.Rd(MPRC));
    }

    [Fact]
    public void RxWithNoFreeDescriptorsDropsAndCountsMissedPackets()
    {
        var (device, _, driver, _) = Setup(rx: 16);
        // ixy leaves one descriptor unposted (RDT = n - 1): 15 free.
        for (int i = 0; i < 15; i++) Assert.True(device.Receive(Frames.Make(Mac, 64, i)));
        uint head = driver.Rd(RDH(0));
        Assert.False(device.Receive(Frames.Make(Mac, 64, 100)));
        Assert.False(device.Receive(Frames.Make(Mac, 64, 101)));
        Assert.Equal(head, driver.Rd(RDH(0)));
        Assert.Equal(2u, driver.Rd(MPC0));
        Assert.Equal(2u, driver.Rd(RNBC0));
        Assert.Equal(0u, driver.Rd(MPC0)); // clear on read
        Assert.Equal(0, device.ErrorCount);  // a full ring is the network's problem, not a device error
        Assert.Equal(15, driver.ReceiveBatch().Count);
        Assert.True(device.Receive(Frames.Make(Mac, 64, 102))); // room again after the driver returned buffers
        var stats = driver.ReadStats();
        Assert.Equal(16UL, stats.RxPackets);
    }

    [Fact]
    public void ReceiveIsOffUntilRxenAndNothingIsCounted()
    {
        var (device, _, driver, _) = Setup();
        driver.Wr(RXCTRL, 0);
        Assert.False(device.Receive(Frames.Make(Mac, 64, 1)));
        Assert.Equal(0u, driver.Rd(MPC0));
        Assert.Equal(0u, driver.Rd(GPRC));
    }

    [Fact]
    public void ResetStopsQueuesAndRestoresDefaults()
    {
        var (device, _, driver, _) = Setup();
        driver.Wr(RAL(0), 0x12345678);
        driver.Wr(CTRL, CTRL_RST_MASK);
        while ((driver.Rd(CTRL) & CTRL_RST_MASK) != 0) { }
        Assert.Equal(0u, driver.Rd(RXDCTL(0)) & RXDCTL_ENABLE);
        Assert.Equal(0u, driver.Rd(TXDCTL(0)) & TXDCTL_ENABLE);
        Assert.Equal(0u, driver.Rd(RXCTRL));
        Assert.Equal(Mac, driver.MacAddress());
        Assert.Equal(1u << 12, driver.Rd(DCA_RXCTRL(0)) & (1u << 12));
        Assert.False(device.Receive(Frames.Make(Mac, 64, 1)));
    }

    [Fact]
    public void RegisterTraceSeesEveryAccessWithItsName()
    {
        var (device, _, driver, _) = Setup();
        var trace = new List<IxgbeRegisterAccess>();
        device.RegisterTrace = trace.Add;
        driver.Wr(RDT(0), 5);
        driver.Rd(GPRC);
        Assert.Equal(2, trace.Count);
        Assert.True(trace[0].IsWrite);
        Assert.Contains("RDT[0]", trace[0].ToString());
        Assert.Contains("GPRC", trace[1].ToString());
        Assert.Equal("SRRCTL[0]", IxgbeRegisters.NameOf(SRRCTL(0)));
        Assert.Equal("RAH[1]", IxgbeRegisters.NameOf(RAH(1)));
        Assert.Equal("RDBAL[64]", IxgbeRegisters.NameOf(0x0D000));
    }

    [Fact]
    public void MmioExitsOfEverySizeAreDecoded()
    {
        var (device, _, driver, _) = Setup();
        Span<byte> data = stackalloc byte[8];
        // An 8-byte write is two dword writes (RDBAL, RDBAH).
        BinaryPrimitives.WriteUInt64LittleEndian(data, 0x0000_0123_4567_8980UL);
        device.HandleMmio(RDBAL(1), data, isWrite: true);
        Assert.Equal(0x45678980u, driver.Rd(RDBAL(1)));
        Assert.Equal(0x123u, driver.Rd(RDBAH(1)));
        device.HandleMmio(RDBAL(1), data, isWrite: false);
        Assert.Equal(0x0000_0123_4567_8980UL, BinaryPrimitives.ReadUInt64LittleEndian(data));
        // Sub-dword reads return the addressed bytes.
        device.HandleMmio(RDBAL(1) + 2, data[..2], isWrite: false);
        Assert.Equal(0x4567, BinaryPrimitives.ReadUInt16LittleEndian(data));
        Assert.Equal(0x89u, device.ReadRegister(RDBAL(1) + 1, 1));
        Assert.Equal(0, device.ErrorCount);
    }
}
