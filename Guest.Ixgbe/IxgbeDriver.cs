using System;
using static Guest.Ixgbe.IxgbeReg;

namespace Guest.Ixgbe;

/// <summary>
/// One 82599 port: initialisation as the datasheet (§4.6) and ixy do it, one receive and one
/// transmit queue (queue 0) of advanced descriptors in DMA memory, statistics and link state.
/// Buffers come from <typeparamref name="TBuffers"/> (the driver's own pool, or Guest.Stack's
/// pool in DMA memory), so the rings carry slots, never copies.
/// <para>
/// The data path is split so that callers batch: <see cref="TryReceive"/> and <see cref="TryPost"/>
/// touch only DMA memory; <see cref="ReceiveDone"/> and <see cref="TransmitDone"/> write the one
/// doorbell (RDT/TDT) per batch. Each register access is an MMIO exit to the tender (~27 µs
/// here), so the doorbell, not the descriptor work, is what batching amortises.
/// </para>
/// Single-threaded, like the guest: no locks.
/// </summary>
public sealed unsafe class IxgbeDriver<TRegs, TBuffers>
    where TRegs : struct, IRegisters
    where TBuffers : struct, IBufferSource
{
    private const ulong Millisecond = 1_000_000UL;
    private const ulong RegisterTimeout = 1000 * Millisecond;

    private TRegs _regs;
    private TBuffers _buffers;
    private readonly IxgbeConfig _config;

    private readonly DmaBlock _rxRing;
    private readonly int _rxMask;
    private readonly int[] _rxSlot;
    private int _rxNext;
    private int _rxLastDone;
    private bool _rxDoorbell;
    private bool _rxDiscarding;

    private readonly DmaBlock _txRing;
    private readonly int _txMask;
    private readonly int[] _txSlot;
    private int _txTail;
    private int _txClean;
    private bool _txDoorbell;
    private readonly int _txCleanBatch;

    private bool _running;
    private IxgbeStats _stats;

    /// <summary>Allocates the two descriptor rings in the DMA area; touches no register yet.</summary>
    public IxgbeDriver(TRegs regs, TBuffers buffers, DmaAllocator dma, IxgbeConfig config)
    {
        if (!ValidRingSize(config.RxRingSize) || !ValidRingSize(config.TxRingSize))
            throw new ArgumentException("ring sizes must be powers of two from 8 to 4096");
        if (buffers.SlotSize < 1024 || buffers.SlotSize % 1024 != 0 || buffers.SlotSize > 16 * 1024)
            throw new ArgumentException("buffer size must be whole KiB from 1 to 16 (SRRCTL.BSIZEPACKET)");
        _regs = regs;
        _buffers = buffers;
        _config = config;
        _txCleanBatch = config.TxCleanBatch <= 0 ? 32 : Math.Min(config.TxCleanBatch, config.TxRingSize / 2);
        // Rings must be 128-byte aligned (§8.2.3.8.1); a page keeps each in one IOMMU page.
        _rxRing = dma.Allocate((ulong)config.RxRingSize * AdvancedDescriptor.Size, 4096);
        _txRing = dma.Allocate((ulong)config.TxRingSize * AdvancedDescriptor.Size, 4096);
        _rxMask = config.RxRingSize - 1;
        _txMask = config.TxRingSize - 1;
        _rxSlot = new int[config.RxRingSize];
        _txSlot = new int[config.TxRingSize];
        for (int i = 0; i < _rxSlot.Length; i++) _rxSlot[i] = -1;
    }

    private static bool ValidRingSize(int n) => n >= 8 && n <= 4096 && (n & (n - 1)) == 0;

    public IxgbeConfig Config => _config;
    public int RxRingSize => _rxMask + 1;
    public int TxRingSize => _txMask + 1;
    public bool Running => _running;
    /// <summary>The buffer source (by reference: it is a struct).</summary>
    public ref TBuffers Buffers => ref _buffers;
    /// <summary>Register access (by reference), for diagnostics and tests.</summary>
    public ref TRegs Registers => ref _regs;

    // ───────────────────────────── Initialisation ─────────────────────────────

    /// <summary>
    /// Resets and initialises the port (datasheet §4.6.3–§4.6.8, in ixy's order): interrupts off,
    /// global reset, interrupts off again, EEPROM auto-read and DMA init done, link setup, statistics
    /// cleared, receive and transmit set up, queues started, then link-up awaited. Returns
    /// <see cref="IxgbeInitResult.Ok"/>, <see cref="IxgbeInitResult.LinkDown"/> (usable, no link yet)
    /// or the step that failed.
    /// </summary>
    public IxgbeInitResult Initialize<TClock>(ref TClock clock) where TClock : struct, IClock
    {
        if (_running) throw new InvalidOperationException("ixgbe port is already initialised");

        // §4.6.3.1: mask every interrupt (the guest polls; it takes no interrupts at all).
        _regs.Write32(EIMC, EIMC_ALL);
        // §4.6.3.2: global reset (device and link), then wait for it to finish and 10 ms more.
        _regs.Write32(CTRL, _regs.Read32(CTRL) | CTRL_RST_MASK);
        if (!WaitClear(ref clock, CTRL, CTRL_RST_MASK, RegisterTimeout)) return IxgbeInitResult.ResetTimeout;
        Delay(ref clock, 10 * Millisecond);
        // The reset re-enabled the defaults: mask interrupts again.
        _regs.Write32(EIMC, EIMC_ALL);
        // §4.6.3: the EEPROM has been read and the DMA engines are initialised.
        if (!WaitSet(ref clock, EEC, EEC_ARD, RegisterTimeout)) return IxgbeInitResult.EepromTimeout;
        if (!WaitSet(ref clock, RDRXCTL, RDRXCTL_DMAIDONE, RegisterTimeout)) return IxgbeInitResult.DmaInitTimeout;

        // §4.6.4 link setup: 10G serial link mode, XAUI PMA/PMD, restart auto-negotiation.
        uint autoc = _regs.Read32(AUTOC);
        autoc = (autoc & ~AUTOC_LMS_MASK) | AUTOC_LMS_10G_SERIAL;
        autoc = (autoc & ~AUTOC_10G_PMA_PMD_MASK) | AUTOC_10G_XAUI;
        _regs.Write32(AUTOC, autoc);
        _regs.Write32(AUTOC, _regs.Read32(AUTOC) | AUTOC_AN_RESTART);

        // §4.6.5: statistics are clear-on-read; read them once so counting starts at zero.
        ReadStats();
        _stats = default;

        InitReceive();
        InitTransmit();
        IxgbeInitResult started = StartReceive(ref clock);
        if (started != IxgbeInitResult.Ok) return started;
        if (!StartTransmit(ref clock)) return IxgbeInitResult.TxQueueTimeout;
        _running = true;

        SetPromiscuous(_config.Promiscuous);
        return WaitForLink(ref clock, _config.LinkTimeoutNanoseconds) ? IxgbeInitResult.Ok : IxgbeInitResult.LinkDown;
    }

    /// <summary>§4.6.7 receive: one 128 KiB packet buffer, CRC stripped, broadcasts accepted, queue 0 as advanced one-buffer descriptors.</summary>
    private void InitReceive()
    {
        // Receive stays off while it is being configured.
        _regs.Write32(RXCTRL, _regs.Read32(RXCTRL) & ~RXCTRL_RXEN);
        _regs.Write32(RXPBSIZE0, RXPBSIZE_128KB);
        for (uint i = 1; i < 8; i++) _regs.Write32(RXPBSIZE0 + 4 * i, 0);
        // The stack never sees the FCS: strip it (both bits must agree, §8.2.3.8.8).
        _regs.Write32(HLREG0, _regs.Read32(HLREG0) | HLREG0_RXCRCSTRP);
        _regs.Write32(RDRXCTL, _regs.Read32(RDRXCTL) | RDRXCTL_CRCSTRIP);
        _regs.Write32(FCTRL, _regs.Read32(FCTRL) | FCTRL_BAM);

        // Advanced one-buffer descriptors with our slot size; drop (and count) when the ring is
        // full rather than stall the shared packet buffer.
        uint srrctl = _regs.Read32(SRRCTL0);
        srrctl &= ~(SRRCTL_DESCTYPE_MASK | SRRCTL_BSIZEPACKET_MASK);
        srrctl |= SRRCTL_DESCTYPE_ADV_ONEBUF | (uint)(_buffers.SlotSize / 1024) | SRRCTL_DROP_EN;
        _regs.Write32(SRRCTL0, srrctl);
        _regs.Write32(RDBAL0, (uint)_rxRing.Iova);
        _regs.Write32(RDBAH0, (uint)(_rxRing.Iova >> 32));
        _regs.Write32(RDLEN0, (uint)_rxRing.Length);
        _regs.Write32(RDH0, 0);
        _regs.Write32(RDT0, 0);

        // §4.6.7: no-snoop off (the IOMMU path needs coherent DMA); DCA_RXCTRL bit 12 cleared.
        _regs.Write32(CTRL_EXT, _regs.Read32(CTRL_EXT) | CTRL_EXT_NS_DIS);
        _regs.Write32(DCA_RXCTRL0, _regs.Read32(DCA_RXCTRL0) & ~DCA_RXCTRL_BIT12);

        _regs.Write32(RXCTRL, _regs.Read32(RXCTRL) | RXCTRL_RXEN);
    }

    /// <summary>§4.6.8 transmit: CRC insertion and padding, one 40 KiB packet buffer, no DCB, queue 0's ring.</summary>
    private void InitTransmit()
    {
        _regs.Write32(HLREG0, _regs.Read32(HLREG0) | HLREG0_TXCRCEN | HLREG0_TXPADEN);
        // The arbiter is off while the packet buffers and queues are set up (§4.6.11.3).
        _regs.Write32(RTTDCS, _regs.Read32(RTTDCS) | RTTDCS_ARBDIS);
        _regs.Write32(TXPBSIZE0, TXPBSIZE_40KB);
        for (uint i = 1; i < 8; i++) _regs.Write32(TXPBSIZE0 + 4 * i, 0);
        // Without DCB the datasheet asks for the largest DMA request size.
        _regs.Write32(DTXMXSZRQ, 0xFFFF);

        _regs.Write32(TDBAL0, (uint)_txRing.Iova);
        _regs.Write32(TDBAH0, (uint)(_txRing.Iova >> 32));
        _regs.Write32(TDLEN0, (uint)_txRing.Length);
        // Prefetch/host/write-back thresholds as ixy (36/8/4): fetch descriptors in bursts.
        uint txdctl = _regs.Read32(TXDCTL0);
        txdctl &= ~(0x7Fu | (0x7Fu << 8) | (0x7Fu << 16));
        txdctl |= 36u | (8u << 8) | (4u << 16);
        _regs.Write32(TXDCTL0, txdctl);
        _regs.Write32(RTTDCS, _regs.Read32(RTTDCS) & ~RTTDCS_ARBDIS);

        _regs.Write32(DMATXCTL, _regs.Read32(DMATXCTL) | DMATXCTL_TE);
    }

    private IxgbeInitResult StartReceive<TClock>(ref TClock clock) where TClock : struct, IClock
    {
        for (int i = 0; i <= _rxMask; i++)
        {
            if (!_buffers.TryTake(out int slot, out ulong iova)) return IxgbeInitResult.OutOfBuffers;
            _rxSlot[i] = slot;
            AdvancedDescriptor.WriteRxRead(RxDescriptor(i), iova);
        }
        _regs.Write32(RXDCTL0, _regs.Read32(RXDCTL0) | RXDCTL_ENABLE);
        if (!WaitSet(ref clock, RXDCTL0, RXDCTL_ENABLE, RegisterTimeout)) return IxgbeInitResult.RxQueueTimeout;
        // The device owns [RDH, RDT): all but one descriptor, so head == tail always means "empty".
        _regs.Write32(RDH0, 0);
        _regs.Write32(RDT0, (uint)_rxMask);
        _rxNext = 0;
        _rxLastDone = _rxMask;
        return IxgbeInitResult.Ok;
    }

    private bool StartTransmit<TClock>(ref TClock clock) where TClock : struct, IClock
    {
        _regs.Write32(TDH0, 0);
        _regs.Write32(TDT0, 0);
        _regs.Write32(TXDCTL0, _regs.Read32(TXDCTL0) | TXDCTL_ENABLE);
        _txTail = _txClean = 0;
        return WaitSet(ref clock, TXDCTL0, TXDCTL_ENABLE, RegisterTimeout);
    }

    // ───────────────────────────── Link, filters, statistics ─────────────────────────────

    /// <summary>LINKS.LINK_UP now (one register read).</summary>
    public bool LinkUp => (_regs.Read32(LINKS) & LINKS_UP) != 0;

    /// <summary>Link speed in Mbit/s from LINKS (0 when the link is down).</summary>
    public int LinkSpeedMbps
    {
        get
        {
            uint links = _regs.Read32(LINKS);
            if ((links & LINKS_UP) == 0) return 0;
            switch (links & LINKS_SPEED_MASK)
            {
                case LINKS_SPEED_100M: return 100;
                case LINKS_SPEED_1G: return 1000;
                case LINKS_SPEED_10G: return 10000;
                default: return 0;
            }
        }
    }

    /// <summary>Polls LINKS until the link is up or the timeout passes.</summary>
    public bool WaitForLink<TClock>(ref TClock clock, ulong timeoutNanoseconds) where TClock : struct, IClock =>
        WaitSet(ref clock, LINKS, LINKS_UP, timeoutNanoseconds);

    /// <summary>Unicast and multicast promiscuous mode (FCTRL.UPE/MPE) on or off.</summary>
    public void SetPromiscuous(bool on)
    {
        uint fctrl = _regs.Read32(FCTRL);
        fctrl = on ? fctrl | FCTRL_UPE | FCTRL_MPE : fctrl & ~(FCTRL_UPE | FCTRL_MPE);
        _regs.Write32(FCTRL, fctrl);
    }

    /// <summary>The port's MAC address from RAL[0]/RAH[0] (loaded from the EEPROM at reset), as 48 bits, first byte most significant.</summary>
    public ulong MacAddress
    {
        get
        {
            uint low = _regs.Read32(RAL0);
            uint high = _regs.Read32(RAH0);
            ulong mac = 0;
            for (int i = 0; i < 4; i++) mac = (mac << 8) | ((low >> (8 * i)) & 0xFF);
            for (int i = 0; i < 2; i++) mac = (mac << 8) | ((high >> (8 * i)) & 0xFF);
            return mac;
        }
    }

    /// <summary>
    /// Reads the clear-on-read counters (GPRC, GPTC, GORC, GOTC, MPC[0]) into the running totals
    /// and returns them. Each read is an MMIO exit: call it now and then, not per batch.
    /// </summary>
    public IxgbeStats ReadStats()
    {
        _stats.RxPackets += _regs.Read32(GPRC);
        _stats.TxPackets += _regs.Read32(GPTC);
        // The low half must be read first: reading it latches the high half (§8.2.3.23.18).
        ulong rxLow = _regs.Read32(GORCL);
        _stats.RxBytes += rxLow | ((ulong)_regs.Read32(GORCH) << 32);
        ulong txLow = _regs.Read32(GOTCL);
        _stats.TxBytes += txLow | ((ulong)_regs.Read32(GOTCH) << 32);
        _stats.RxMissed += _regs.Read32(MPC0);
        return _stats;
    }

    /// <summary>The totals as of the last <see cref="ReadStats"/> (no register access).</summary>
    public IxgbeStats Stats => _stats;

    // ───────────────────────────── Receive ─────────────────────────────

    private byte* RxDescriptor(int index) => _rxRing.Pointer + index * AdvancedDescriptor.Size;
    private byte* TxDescriptor(int index) => _txRing.Pointer + index * AdvancedDescriptor.Size;

    /// <summary>
    /// Takes the next received frame off the ring, if there is one and a fresh buffer to put in
    /// its place (otherwise the frame stays in the ring until buffers come back: nothing is lost
    /// in the driver; the device counts what it misses meanwhile). The caller owns the returned
    /// slot. Call <see cref="ReceiveDone"/> after the batch.
    /// </summary>
    public bool TryReceive(out int slot, out int length)
    {
        if (!_running) throw new InvalidOperationException("ixgbe port is not initialised");
        while (true)
        {
            byte* descriptor = RxDescriptor(_rxNext);
            uint status = AdvancedDescriptor.RxStatus(descriptor);
            if ((status & AdvancedDescriptor.RxStatusDd) == 0) break;
            bool endOfPacket = (status & AdvancedDescriptor.RxStatusEop) != 0;
            if (_rxDiscarding || !endOfPacket || (status & AdvancedDescriptor.RxErrorMask) != 0)
            {
                // A frame larger than one buffer (jumbo, not configured here: every one of its
                // descriptors up to EOP) or one the device flagged as bad: give the same buffers
                // back to the device and count the frame once.
                if (!_rxDiscarding) _stats.RxDropped++;
                _rxDiscarding = !endOfPacket;
                AdvancedDescriptor.WriteRxRead(descriptor, _buffers.IovaOf(_rxSlot[_rxNext]));
                Advance();
                continue;
            }
            if (!_buffers.TryTake(out int fresh, out ulong freshIova)) break;
            slot = _rxSlot[_rxNext];
            length = AdvancedDescriptor.RxLength(descriptor);
            _rxSlot[_rxNext] = fresh;
            AdvancedDescriptor.WriteRxRead(descriptor, freshIova);
            Advance();
            return true;
        }
        slot = -1;
        length = 0;
        return false;
    }

    private void Advance()
    {
        _rxLastDone = _rxNext;
        _rxNext = (_rxNext + 1) & _rxMask;
        _rxDoorbell = true;
    }

    /// <summary>Returns the processed descriptors to the device: one RDT write (an MMIO exit) per batch.</summary>
    public void ReceiveDone()
    {
        if (!_rxDoorbell) return;
        _rxDoorbell = false;
        _regs.Write32(RDT0, (uint)_rxLastDone);
    }

    // ───────────────────────────── Transmit ─────────────────────────────

    /// <summary>
    /// Reclaims transmitted buffers, a batch of descriptors at a time: one DD check on the batch's
    /// last descriptor covers them all (the device completes in order). Returns how many were freed.
    /// </summary>
    public int CleanTransmitted()
    {
        int cleaned = 0;
        while (_txClean != _txTail)
        {
            int inFlight = (_txTail - _txClean) & _txMask;
            int n = Math.Min(inFlight, _txCleanBatch);
            int last = (_txClean + n - 1) & _txMask;
            if (!AdvancedDescriptor.TxDone(TxDescriptor(last))) break;
            for (int k = 0; k < n; k++)
            {
                int index = (_txClean + k) & _txMask;
                _buffers.Release(_txSlot[index]);
                _txSlot[index] = -1;
            }
            _txClean = (last + 1) & _txMask;
            cleaned += n;
        }
        return cleaned;
    }

    /// <summary>Descriptors free for <see cref="TryPost"/> now (one is always kept empty).</summary>
    public int TxFree => _txMask - ((_txTail - _txClean) & _txMask);

    /// <summary>Frames handed to the device and not yet reclaimed.</summary>
    public int TxInFlight => (_txTail - _txClean) & _txMask;

    /// <summary>
    /// Puts one frame in the transmit ring (no doorbell yet). On success the driver owns the slot
    /// until the device is done with it, then gives it back to the buffer source. False when the ring is full.
    /// </summary>
    public bool TryPost(int slot, ulong iova, int length)
    {
        if (!_running) throw new InvalidOperationException("ixgbe port is not initialised");
        if (length < 14 || length > _buffers.SlotSize) throw new ArgumentException("frame length must be 14 bytes (an Ethernet header) up to the buffer size");
        int next = (_txTail + 1) & _txMask;
        if (next == _txClean) return false;
        AdvancedDescriptor.WriteTxData(TxDescriptor(_txTail), iova, length);
        _txSlot[_txTail] = slot;
        _txTail = next;
        _txDoorbell = true;
        return true;
    }

    /// <summary>Tells the device about the posted frames: one TDT write (an MMIO exit) per batch.</summary>
    public void TransmitDone()
    {
        if (!_txDoorbell) return;
        _txDoorbell = false;
        _regs.Write32(TDT0, (uint)_txTail);
    }

    // ───────────────────────────── Waiting ─────────────────────────────

    private bool WaitSet<TClock>(ref TClock clock, uint register, uint mask, ulong timeout) where TClock : struct, IClock
    {
        ulong start = clock.NowNanoseconds;
        while (true)
        {
            if ((_regs.Read32(register) & mask) == mask) return true;
            if (clock.NowNanoseconds - start > timeout) return (_regs.Read32(register) & mask) == mask;
        }
    }

    private bool WaitClear<TClock>(ref TClock clock, uint register, uint mask, ulong timeout) where TClock : struct, IClock
    {
        ulong start = clock.NowNanoseconds;
        while (true)
        {
            if ((_regs.Read32(register) & mask) == 0) return true;
            if (clock.NowNanoseconds - start > timeout) return (_regs.Read32(register) & mask) == 0;
        }
    }

    private static void Delay<TClock>(ref TClock clock, ulong nanoseconds) where TClock : struct, IClock
    {
        ulong start = clock.NowNanoseconds;
        while (clock.NowNanoseconds - start < nanoseconds) { }
    }
}
