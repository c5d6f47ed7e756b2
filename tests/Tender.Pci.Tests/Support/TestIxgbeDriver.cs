using System.Buffers.Binary;
using Tender.Pci.Dma;
using Tender.Pci.Emulation;

namespace Tender.Pci.Tests.Support;

/// <summary>
/// A tiny ixgbe driver written for the tests, doing what ixy's driver does (reset_and_init,
/// init_link, init_rx/init_tx, start queues, promiscuous mode, wait for link, rx_batch, tx_batch)
/// against the emulated device. It deliberately uses literal register offsets and bits from
/// ixgbe_type.h / the 82599 datasheet, not the model's own constants, so a wrong constant in the
/// model shows up as a failing test.
/// </summary>
internal sealed class TestIxgbeDriver
{
    // Register offsets (ixgbe_type.h), including the 82598-compatible aliases ixy uses.
    public const uint CTRL = 0x00000, STATUS = 0x00008, CTRL_EXT = 0x00018, EEC = 0x10010, EICR = 0x00800, EIMS = 0x00880, EIMC = 0x00888;
    public const uint RDRXCTL = 0x02F00, AUTOC = 0x042A0, LINKS = 0x042A4, RXCTRL = 0x03000, HLREG0 = 0x04240, FCTRL = 0x05080;
    public const uint DMATXCTL = 0x04A80, DTXMXSZRQ = 0x08100, RTTDCS = 0x04900, MCSTCTRL = 0x05090, MTA0 = 0x05200;
    public const uint GPRC = 0x04074, GPTC = 0x04080, GORCL = 0x04088, GORCH = 0x0408C, GOTCL = 0x04090, GOTCH = 0x04094;
    public const uint MPC0 = 0x03FA0, RNBC0 = 0x03FC0, BPRC = 0x04078, MPRC = 0x0407C, ROC = 0x040AC, RUC = 0x040A4, TPR = 0x040D0, TPT = 0x040D4;
    public static uint RXPBSIZE(int i) => 0x03C00 + (uint)i * 4;
    public static uint TXPBSIZE(int i) => 0x0CC00 + (uint)i * 4;
    public static uint SRRCTL(int i) => 0x02100 + (uint)i * 4;          // alias for queues 0..15
    public static uint DCA_RXCTRL(int i) => 0x02200 + (uint)i * 4;      // alias for queues 0..15
    public static uint RAL(int i) => 0x05400 + (uint)i * 8;             // alias for entries 0..15
    public static uint RAH(int i) => 0x05404 + (uint)i * 8;
    public static uint RDBAL(int i) => 0x01000 + (uint)i * 0x40;
    public static uint RDBAH(int i) => 0x01004 + (uint)i * 0x40;
    public static uint RDLEN(int i) => 0x01008 + (uint)i * 0x40;
    public static uint RDH(int i) => 0x01010 + (uint)i * 0x40;
    public static uint RDT(int i) => 0x01018 + (uint)i * 0x40;
    public static uint RXDCTL(int i) => 0x01028 + (uint)i * 0x40;
    public static uint TDBAL(int i) => 0x06000 + (uint)i * 0x40;
    public static uint TDBAH(int i) => 0x06004 + (uint)i * 0x40;
    public static uint TDLEN(int i) => 0x06008 + (uint)i * 0x40;
    public static uint TDH(int i) => 0x06010 + (uint)i * 0x40;
    public static uint TDT(int i) => 0x06018 + (uint)i * 0x40;
    public static uint TXDCTL(int i) => 0x06028 + (uint)i * 0x40;

    public const uint CTRL_RST_MASK = 0x04000008, EEC_ARD = 0x200, RDRXCTL_DMAIDONE = 0x8, RDRXCTL_CRCSTRIP = 0x2;
    public const uint AUTOC_LMS_MASK = 0x7 << 13, AUTOC_LMS_10G_SERIAL = 0x3 << 13, AUTOC_10G_PMA_PMD_MASK = 0x180, AUTOC_AN_RESTART = 0x1000;
    public const uint LINKS_UP = 0x40000000, LINKS_SPEED_82599 = 0x30000000;
    public const uint RXCTRL_RXEN = 1, HLREG0_TXCRCEN = 1, HLREG0_RXCRCSTRP = 2, HLREG0_TXPADEN = 0x400;
    public const uint FCTRL_MPE = 0x100, FCTRL_UPE = 0x200, FCTRL_BAM = 0x400;
    public const uint SRRCTL_DESCTYPE_MASK = 0x0E000000, SRRCTL_DESCTYPE_ADV_ONEBUF = 0x02000000, SRRCTL_DROP_EN = 0x10000000;
    public const uint CTRL_EXT_NS_DIS = 0x10000, RXDCTL_ENABLE = 0x02000000, TXDCTL_ENABLE = 0x02000000, DMATXCTL_TE = 1, RTTDCS_ARBDIS = 0x40;
    public const uint ADVTXD_DCMD_EOP = 0x01000000, ADVTXD_DCMD_IFCS = 0x02000000, ADVTXD_DCMD_RS = 0x08000000, ADVTXD_DCMD_DEXT = 0x20000000;
    public const uint ADVTXD_DTYP_DATA = 0x00300000, ADVTXD_PAYLEN_SHIFT = 14;
    public const uint RXDADV_STAT_DD = 1, RXDADV_STAT_EOP = 2, ADVTXD_STAT_DD = 1;

    public const ulong DmaBase = 1UL << 40;
    public const int BufferSize = 2048;

    private readonly Ixgbe82599 _device;
    private readonly IDmaMemory _memory;
    private readonly ulong _areaBase;
    private int _rxIndex;
    private int _txIndex;
    private int _txClean;

    /// <param name="areaOffset">Where in the DMA area this driver's rings and buffers start (two drivers can share one area).</param>
    public TestIxgbeDriver(Ixgbe82599 device, IDmaMemory memory, int rxEntries = 64, int txEntries = 64, ulong areaOffset = 0)
    {
        _device = device;
        _memory = memory;
        RxEntries = rxEntries;
        TxEntries = txEntries;
        _areaBase = memory.BaseIova + areaOffset;
    }

    public int RxEntries { get; }
    public int TxEntries { get; }
    public ulong RxRing => _areaBase;
    public ulong TxRing => _areaBase + 0x10000;
    public ulong RxBuffer(int i) => _areaBase + 0x20000 + (ulong)i * BufferSize;
    public ulong TxBuffer(int i) => _areaBase + 0x20000 + (ulong)(RxEntries + i) * BufferSize;
    /// <summary>Bytes this driver uses from its offset on.</summary>
    public ulong Footprint => 0x20000 + (ulong)(RxEntries + TxEntries) * BufferSize;

    /// <summary>Counts of iterations spent in wait loops (the model must make the driver wait).</summary>
    public int ResetWaits, EepromWaits, DmaInitWaits, LinkWaits;

    public uint Rd(uint offset) => _device.ReadRegister(offset, 4);
    public void Wr(uint offset, uint value) => _device.WriteRegister(offset, 4, value);
    private void Set(uint offset, uint bits) => Wr(offset, Rd(offset) | bits);
    private void Clear(uint offset, uint bits) => Wr(offset, Rd(offset) & ~bits);

    private static int WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        int spins = 0;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            spins++;
            Thread.Sleep(1);
        }
        return spins;
    }

    public Span<byte> Mem(ulong iova, int length)
    {
        if (!_memory.TryGetSpan(iova, length, out Span<byte> span)) throw new InvalidOperationException($"test bug: 0x{iova:x} outside DMA memory");
        return span;
    }

    /// <summary>ixy's reset_and_init with one RX and one TX queue. Returns the link speed in Mb/s.</summary>
    public int Initialise(bool promiscuous = true)
    {
        _rxIndex = _txIndex = _txClean = 0;
        // §4.6.3.1 disable interrupts, §4.6.3.2 global reset, then wait for it to clear.
        Wr(EIMC, 0x7FFFFFFF);
        Rd(EICR);
        Wr(CTRL, CTRL_RST_MASK);
        ResetWaits = WaitFor(() => (Rd(CTRL) & CTRL_RST_MASK) == 0, "CTRL.RST to clear");
        Wr(EIMC, 0x7FFFFFFF);
        Rd(EICR);
        EepromWaits = WaitFor(() => (Rd(EEC) & EEC_ARD) != 0, "EEC.ARD");
        DmaInitWaits = WaitFor(() => (Rd(RDRXCTL) & RDRXCTL_DMAIDONE) != 0, "RDRXCTL.DMAIDONE");

        // §4.6.4 link: 10G serial, XAUI PMA/PMD, restart auto-negotiation.
        Wr(AUTOC, (Rd(AUTOC) & ~AUTOC_LMS_MASK) | AUTOC_LMS_10G_SERIAL);
        Wr(AUTOC, Rd(AUTOC) & ~AUTOC_10G_PMA_PMD_MASK);
        Set(AUTOC, AUTOC_AN_RESTART);

        ReadStats(); // §4.6.5: clear-on-read counters start from zero

        // §4.6.7 receive.
        Clear(RXCTRL, RXCTRL_RXEN);
        Wr(RXPBSIZE(0), 0x00020000);
        for (int i = 1; i < 8; i++) Wr(RXPBSIZE(i), 0);
        Set(HLREG0, HLREG0_RXCRCSTRP);
        Set(RDRXCTL, RDRXCTL_CRCSTRIP);
        Set(FCTRL, FCTRL_BAM);
        Wr(SRRCTL(0), (Rd(SRRCTL(0)) & ~SRRCTL_DESCTYPE_MASK) | SRRCTL_DESCTYPE_ADV_ONEBUF);
        Set(SRRCTL(0), SRRCTL_DROP_EN);
        Mem(RxRing, RxEntries * 16).Fill(0xFF); // Snabb's trick: garbage until the queue starts
        Wr(RDBAL(0), (uint)RxRing);
        Wr(RDBAH(0), (uint)(RxRing >> 32));
        Wr(RDLEN(0), (uint)(RxEntries * 16));
        Wr(RDH(0), 0);
        Wr(RDT(0), 0);
        Set(CTRL_EXT, CTRL_EXT_NS_DIS);
        Clear(DCA_RXCTRL(0), 1u << 12);
        Set(RXCTRL, RXCTRL_RXEN);

        // §4.6.8 transmit.
        Set(HLREG0, HLREG0_TXCRCEN | HLREG0_TXPADEN);
        Wr(TXPBSIZE(0), 0x0000A000);
        for (int i = 1; i < 8; i++) Wr(TXPBSIZE(i), 0);
        Wr(DTXMXSZRQ, 0xFFFF);
        Clear(RTTDCS, RTTDCS_ARBDIS);
        Mem(TxRing, TxEntries * 16).Fill(0xFF);
        Wr(TDBAL(0), (uint)TxRing);
        Wr(TDBAH(0), (uint)(TxRing >> 32));
        Wr(TDLEN(0), (uint)(TxEntries * 16));
        uint txdctl = Rd(TXDCTL(0)) & ~(0x7Fu | 0x7Fu << 8 | 0x7Fu << 16);
        Wr(TXDCTL(0), txdctl | 36 | 8 << 8 | 4 << 16);
        Wr(DMATXCTL, DMATXCTL_TE);

        // start_rx_queue: post every buffer, enable, wait for the readback, hand the ring over.
        for (int i = 0; i < RxEntries; i++) PostRx(i);
        Set(RXDCTL(0), RXDCTL_ENABLE);
        WaitFor(() => (Rd(RXDCTL(0)) & RXDCTL_ENABLE) != 0, "RXDCTL.ENABLE");
        Wr(RDH(0), 0);
        Wr(RDT(0), (uint)(RxEntries - 1));
        // start_tx_queue.
        Wr(TDH(0), 0);
        Wr(TDT(0), 0);
        Set(TXDCTL(0), TXDCTL_ENABLE);
        WaitFor(() => (Rd(TXDCTL(0)) & TXDCTL_ENABLE) != 0, "TXDCTL.ENABLE");

        if (promiscuous) Set(FCTRL, FCTRL_MPE | FCTRL_UPE);
        LinkWaits = WaitFor(() => LinkSpeed() != 0, "link up");
        return LinkSpeed();
    }

    public int LinkSpeed()
    {
        uint links = Rd(LINKS);
        if ((links & LINKS_UP) == 0) return 0;
        return (links & LINKS_SPEED_82599) switch { 0x10000000 => 100, 0x20000000 => 1000, 0x30000000 => 10000, _ => 0 };
    }

    public byte[] MacAddress()
    {
        uint low = Rd(RAL(0)), high = Rd(RAH(0));
        return [(byte)low, (byte)(low >> 8), (byte)(low >> 16), (byte)(low >> 24), (byte)high, (byte)(high >> 8)];
    }

    public (ulong RxPackets, ulong TxPackets, ulong RxBytes, ulong TxBytes) ReadStats()
    {
        ulong rxp = Rd(GPRC), txp = Rd(GPTC);
        ulong rxb = Rd(GORCL) + ((ulong)Rd(GORCH) << 32);
        ulong txb = Rd(GOTCL) + ((ulong)Rd(GOTCH) << 32);
        return (rxp, txp, rxb, txb);
    }

    private void PostRx(int index)
    {
        Span<byte> d = Mem(RxRing + (ulong)index * 16, 16);
        BinaryPrimitives.WriteUInt64LittleEndian(d, RxBuffer(index));
        BinaryPrimitives.WriteUInt64LittleEndian(d[8..], 0); // hdr_addr = 0 also clears DD
    }

    /// <summary>The RX descriptor at index as the device wrote it back: status/error and length.</summary>
    public (uint Status, ushort Length) RxWriteBack(int index)
    {
        Span<byte> d = Mem(RxRing + (ulong)index * 16, 16);
        return (BinaryPrimitives.ReadUInt32LittleEndian(d[8..]), BinaryPrimitives.ReadUInt16LittleEndian(d[12..]));
    }

    /// <summary>ixy's rx_batch: takes up to max received frames, re-posts their descriptors, moves RDT.</summary>
    public List<byte[]> ReceiveBatch(int max = int.MaxValue)
    {
        var frames = new List<byte[]>();
        int last = -1;
        while (frames.Count < max)
        {
            var (status, length) = RxWriteBack(_rxIndex);
            if ((status & RXDADV_STAT_DD) == 0) break;
            if ((status & RXDADV_STAT_EOP) == 0) throw new InvalidOperationException("multi-segment frame in the ixy-style path");
            frames.Add(Mem(RxBuffer(_rxIndex), length).ToArray());
            PostRx(_rxIndex);
            last = _rxIndex;
            _rxIndex = (_rxIndex + 1) % RxEntries;
        }
        if (last >= 0) Wr(RDT(0), (uint)last);
        return frames;
    }

    /// <summary>ixy's tx_batch (with immediate cleaning): posts frames, one TDT write for the batch. Returns how many were queued.</summary>
    public int TransmitBatch(IReadOnlyList<byte[]> frames)
    {
        CleanTx();
        int sent = 0;
        foreach (byte[] frame in frames)
        {
            int next = (_txIndex + 1) % TxEntries;
            if (next == _txClean) break; // ring full
            frame.CopyTo(Mem(TxBuffer(_txIndex), frame.Length));
            Span<byte> d = Mem(TxRing + (ulong)_txIndex * 16, 16);
            BinaryPrimitives.WriteUInt64LittleEndian(d, TxBuffer(_txIndex));
            BinaryPrimitives.WriteUInt32LittleEndian(d[8..], ADVTXD_DCMD_EOP | ADVTXD_DCMD_RS | ADVTXD_DCMD_IFCS | ADVTXD_DCMD_DEXT | ADVTXD_DTYP_DATA | (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(d[12..], (uint)frame.Length << (int)ADVTXD_PAYLEN_SHIFT);
            _txIndex = next;
            sent++;
        }
        Wr(TDT(0), (uint)_txIndex);
        return sent;
    }

    /// <summary>Reclaims transmitted descriptors (DD set). Returns how many.</summary>
    public int CleanTx()
    {
        int cleaned = 0;
        while (_txClean != _txIndex && (BinaryPrimitives.ReadUInt32LittleEndian(Mem(TxRing + (ulong)_txClean * 16 + 12, 4)) & ADVTXD_STAT_DD) != 0)
        {
            _txClean = (_txClean + 1) % TxEntries;
            cleaned++;
        }
        return cleaned;
    }

    public int TxIndex => _txIndex;
    public int RxIndex => _rxIndex;

    /// <summary>Writes a raw TX descriptor at the current index (for malformed-descriptor tests); does not move TDT.</summary>
    public void PutRawTxDescriptor(ulong address, uint commandTypeLength, uint olinfo = 0)
    {
        Span<byte> d = Mem(TxRing + (ulong)_txIndex * 16, 16);
        BinaryPrimitives.WriteUInt64LittleEndian(d, address);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], commandTypeLength);
        BinaryPrimitives.WriteUInt32LittleEndian(d[12..], olinfo);
        _txIndex = (_txIndex + 1) % TxEntries;
    }

    public void RingTxDoorbell() => Wr(TDT(0), (uint)_txIndex);

    public uint TxStatus(int index) => BinaryPrimitives.ReadUInt32LittleEndian(Mem(TxRing + (ulong)index * 16 + 12, 4));

    /// <summary>Overwrites RX descriptor index's packet address (for out-of-range tests).</summary>
    public void SetRxBufferAddress(int index, ulong address)
    {
        Span<byte> d = Mem(RxRing + (ulong)index * 16, 16);
        BinaryPrimitives.WriteUInt64LittleEndian(d, address);
        BinaryPrimitives.WriteUInt64LittleEndian(d[8..], 0);
    }
}

/// <summary>A wire that records what the device transmits (and always has carrier).</summary>
internal sealed class CapturingWire : Tender.Pci.Wire.IEthernetWire
{
    public List<byte[]> Frames { get; } = [];
    public bool CarrierPresent { get; set; } = true;
    public void Transmit(ReadOnlySpan<byte> frame)
    {
        lock (Frames) Frames.Add(frame.ToArray());
    }
}

/// <summary>Frames for tests.</summary>
internal static class Frames
{
    public static readonly byte[] Broadcast = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

    /// <summary>An Ethernet frame of total length bytes to dst, with a recognisable payload.</summary>
    public static byte[] Make(byte[] destination, int length, int seed, ushort etherType = 0x88B5)
    {
        var frame = new byte[length];
        destination.CopyTo(frame, 0);
        byte[] source = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
        source.CopyTo(frame, 6);
        frame[12] = (byte)(etherType >> 8);
        frame[13] = (byte)etherType;
        for (int i = 14; i < length; i++) frame[i] = (byte)(seed * 31 + i);
        if (length >= 18) BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(14), seed);
        return frame;
    }
}
