using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using Tender.Pci.Dma;
using Tender.Pci.Wire;
using static Tender.Pci.Emulation.IxgbeRegisters;

namespace Tender.Pci.Emulation;

/// <summary>What kind of device error the emulated 82599 detected.</summary>
public enum IxgbeErrorKind
{
    /// <summary>A descriptor ring, buffer or head write-back address outside the DMA area.</summary>
    DmaOutOfRange,
    /// <summary>A descriptor the device cannot process (zero length, unknown type, oversized frame, …).</summary>
    MalformedDescriptor,
    /// <summary>A queue enabled with an unusable ring (length, alignment, head/tail) or buffer size.</summary>
    InvalidConfiguration,
    /// <summary>DMA was needed while the function's Bus Master Enable was off.</summary>
    BusMasterDisabled,
    /// <summary>A feature the model does not implement (TSO, header split) was asked for.</summary>
    Unsupported,
    /// <summary>A register access of a size or alignment the device does not decode.</summary>
    BadRegisterAccess,
}

/// <summary>One device error: what happened, in a sentence that names the queue/descriptor/address.</summary>
public readonly record struct IxgbeDeviceError(IxgbeErrorKind Kind, string Message)
{
    public override string ToString() => $"82599 {Kind}: {Message}";
}

/// <summary>One BAR0 register access, for tracing.</summary>
public readonly record struct IxgbeRegisterAccess(bool IsWrite, uint Offset, int Size, ulong Value)
{
    public override string ToString() =>
        $"{(IsWrite ? "write" : "read ")} {IxgbeRegisters.NameOf(Offset),-14} 0x{Offset:x5} = 0x{Value:x8}";
}

/// <summary>Construction options of an emulated port.</summary>
public sealed record IxgbeOptions
{
    /// <summary>The MAC address the "EEPROM" holds: loaded into RAL[0]/RAH[0] at every reset.</summary>
    public byte[] MacAddress { get; init; } = [0x02, 0x00, 0x00, 0x82, 0x59, 0x90];

    /// <summary>Which port of the dual-port controller this function is (STATUS.LAN_ID).</summary>
    public int LanId { get; init; }

    /// <summary>
    /// How many reads of EEC / RDRXCTL after a reset still show auto-read / DMA-init as not done,
    /// and how many reads of CTRL still show RST: the real device needs time for these, and a
    /// driver must wait for them (§4.6.3); a value above 0 makes the model exercise those waits.
    /// </summary>
    public int ResetLatencyReads { get; init; } = 2;

    /// <summary>How many LINKS/STATUS reads after a reset or AN restart the link takes to come up (§4.6.4)…</summary>
    public int LinkUpLatencyReads { get; init; } = 3;

    /// <summary>…or how long, whichever comes first (so a driver that never polls LINKS still gets a link).</summary>
    public TimeSpan LinkUpDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>How many recent errors <see cref="Ixgbe82599.RecentErrors"/> keeps.</summary>
    public int ErrorHistory { get; init; } = 64;
}

/// <summary>
/// An emulated Intel 82599 10 GbE port (one PCI function, 8086:10FB, class 02/00/00), pure C#:
/// BAR0 register accesses arrive as MMIO reads and writes (<see cref="Read"/>, <see cref="Write"/>,
/// <see cref="HandleMmio"/>); receive and transmit use the datasheet's descriptor rings in DMA
/// memory reached only through an <see cref="IDmaMemory"/>; frames come from and go to an
/// <see cref="IEthernetWire"/>.
/// <para>
/// Implemented (what ixy's and similar drivers' initialisation and data path use): reset through
/// CTRL.RST/LNK_RST (self-clearing) with EEC.ARD and RDRXCTL.DMAIDONE completing after it;
/// interrupt mask registers (no interrupt is ever raised: guests poll); AUTOC/AUTOC2 with
/// AN_RESTART and LINKS/STATUS link state (up at 10 Gb/s when the wire has carrier); RXCTRL.RXEN,
/// FCTRL (BAM/MPE/UPE), MCSTCTRL/MTA hash, RAL/RAH (128 entries, AV) address filtering;
/// HLREG0 (RX CRC strip, TX CRC insert, TX pad, jumbo) and MAXFRS; 128 receive queues' registers
/// with receive into queue 0 (no RSS/pools: MRQC is not modelled) in legacy or advanced
/// one-buffer format (SRRCTL), RXDCTL.ENABLE readback; 128 transmit queues with legacy, advanced
/// data and advanced context descriptors, TXDCTL.ENABLE, DMATXCTL.TE, RS/DD write-back and head
/// write-back (TDWBAL); clear-on-read statistics (GPRC, GPTC, GORC, GOTC, MPC, RNBC, BPRC, MPRC,
/// BPTC, MPTC, TPR, TPT, TOR, PRC/PTC size bins, RUC, ROC, per-queue QPRC/QPTC/QBRC/QBTC/QPRDC).
/// Every other BAR0 offset is plain 32-bit storage.
/// </para>
/// <para>
/// Faults: a ring, buffer or write-back address outside the DMA area, a malformed descriptor, DMA
/// with bus mastering off, or an undecodable access is a device error: counted, kept in
/// <see cref="RecentErrors"/>, reported through <see cref="ErrorReported"/> with a message, and
/// never a host memory access or an exception. A bad receive descriptor drops the frame and leaves
/// the head where it is; a bad transmit frame is dropped and its descriptors are completed (DD
/// where RS asked) so the driver can reclaim them.
/// </para>
/// Thread-safe: register accesses (vCPU thread) and <see cref="Receive"/> (a wire/poller thread)
/// are serialised; transmitted frames and error reports are delivered after the lock is released.
/// </summary>
public sealed class Ixgbe82599 : IEthernetEndpoint, IMmioDevice
{
    /// <summary>Intel.</summary>
    public const ushort VendorId = 0x8086;
    /// <summary>82599ES 10-Gigabit SFI/SFP+ Network Connection.</summary>
    public const ushort DeviceId = 0x10FB;
    /// <summary>The identity a PCI_BASIC manifest entry names for this device.</summary>
    public static readonly PciIdentity PciIdentity = new(VendorId, DeviceId, 0x02, 0x00, 0x00);

    /// <summary>Smallest frame on the wire without FCS: shorter ones are padded by the sending MAC.</summary>
    private const int MinFrameWithoutFcs = 60;
    private const int EthernetHeader = 14;
    private const int FcsLength = 4;
    /// <summary>Largest packet the 82599 transmits (15.5 KB, §7.2.3.2.4).</summary>
    private const int MaxTransmitPacket = 15872;
    private const int DescriptorSize = 16;

    private readonly object _sync = new();
    private readonly uint[] _regs = new uint[Bar0Size / 4];
    private readonly IDmaMemory _dma;
    private readonly IxgbeOptions _options;
    private readonly byte[] _txFrame = new byte[MaxTransmitPacket];
    private readonly byte[] _rxFrame = new byte[MaxTransmitPacket + FcsLength];
    // Frames and error reports produced under the lock, delivered after it is released. The
    // lists are swapped out, not copied, so the steady state allocates nothing.
    private List<(byte[] Buffer, int Length)> _outbox = [];
    private List<(byte[] Buffer, int Length)>? _spareOutbox = [];
    private List<IxgbeDeviceError> _pendingErrors = [];
    private bool _rxBuffersPosted;
    private readonly Queue<IxgbeDeviceError> _recentErrors = new();
    private IEthernetWire? _wire;
    private long _errorCount;

    // Reset and link timing: reads remaining before the bit shows its final value.
    private int _rstReads;
    private int _eepromReads;
    private int _dmaInitReads;
    private int _linkReads;
    private long _linkTrainingStarted;

    public Ixgbe82599(IDmaMemory dma, IxgbeOptions? options = null)
    {
        _dma = dma;
        _options = options ?? new IxgbeOptions();
        if (_options.MacAddress.Length != 6) throw new ArgumentException("a MAC address has 6 bytes", nameof(options));
        if (_options.LanId is < 0 or > 1) throw new ArgumentException("the 82599 has LAN ports 0 and 1", nameof(options));
        Config = new EmulatedPciConfigSpace(PciIdentity, revision: 0x01, subsystemVendor: 0x8086, subsystemId: 0x000C,
            [new EmulatedBar(0, Bar0Size, Is64Bit: true, Prefetchable: false)]);
        lock (_sync)
        {
            ResetLocked();
            // Power-on happened long before anyone looks: the reset sequence has completed.
            _rstReads = _eepromReads = _dmaInitReads = _linkReads = 0;
        }
    }

    /// <summary>BAR0's size (the MMIO window the tender routes to <see cref="HandleMmio"/>).</summary>
    public ulong MmioSize => Bar0Size;

    /// <summary>The function's configuration space (identity; Bus Master Enable gates DMA).</summary>
    public EmulatedPciConfigSpace Config { get; }

    /// <summary>The DMA memory this device can reach.</summary>
    public IDmaMemory Dma => _dma;

    /// <summary>Called (outside the device lock) for each device error.</summary>
    public event Action<IxgbeDeviceError>? ErrorReported;

    /// <summary>
    /// Raised (outside the device lock, on the thread that wrote the register) when the driver
    /// moves queue 0's RDT, i.e. gives receive buffers back: a wire holding frames back (a TAP,
    /// see <see cref="ReadyToReceive"/>) should deliver again now instead of polling.
    /// </summary>
    public event Action? ReceiveBuffersPosted;

    /// <summary>Called for every BAR0 access when set (tracing "when asked"); costs nothing when null.</summary>
    public Action<IxgbeRegisterAccess>? RegisterTrace { get; set; }

    /// <summary>Device errors since creation.</summary>
    public long ErrorCount => Interlocked.Read(ref _errorCount);

    /// <summary>The most recent errors, oldest first.</summary>
    public IReadOnlyList<IxgbeDeviceError> RecentErrors
    {
        get { lock (_sync) return _recentErrors.ToArray(); }
    }

    /// <summary>Whether the link is up (what LINKS.LINK_UP would read now, without advancing link training).</summary>
    public bool LinkUp
    {
        get { lock (_sync) return LinkUpLocked(); }
    }

    /// <summary>Plugs the port into a wire (or unplugs it with null). The link follows the wire's carrier.</summary>
    public void AttachWire(IEthernetWire? wire)
    {
        lock (_sync)
        {
            _wire = wire;
            RestartLinkTraining(); // a new link partner: train again
        }
    }

    // ───────────────────────────── MMIO ─────────────────────────────

    /// <summary>
    /// A BAR0 read of 1, 2 or 4 bytes (the brief's MMIO entry point). Sub-dword reads return the
    /// addressed bytes of the register (with the register's read side effects).
    /// </summary>
    public uint ReadRegister(ulong offset, int size) => size <= 4 ? (uint)Read(offset, size) : BadAccess(offset, size, false);

    /// <summary>A BAR0 write of 1, 2, 4 or 8 bytes.</summary>
    public void WriteRegister(ulong offset, int size, ulong value) => Write(offset, size, value);

    /// <summary>
    /// A BAR0 read of 1, 2, 4 or 8 bytes; an 8-byte read is two dword reads (low, then high).
    /// Undecodable accesses (other sizes, misaligned, beyond BAR0) are device errors and read as 0.
    /// </summary>
    public ulong Read(ulong offset, int size)
    {
        if (!ValidAccess(offset, size)) return BadAccess(offset, size, false);
        ulong value;
        lock (_sync)
        {
            uint dwordOffset = (uint)offset & ~3u;
            if (size == 8)
                value = ReadLocked(dwordOffset) | ((ulong)ReadLocked(dwordOffset + 4) << 32);
            else
            {
                uint dword = ReadLocked(dwordOffset);
                int shift = 8 * (int)(offset & 3);
                value = size == 4 ? dword : (dword >> shift) & (size == 2 ? 0xFFFFu : 0xFFu);
            }
        }
        RegisterTrace?.Invoke(new IxgbeRegisterAccess(false, (uint)offset, size, value));
        Flush();
        return value;
    }

    /// <summary>
    /// A BAR0 write of 4 or 8 bytes (8 = low dword, then high dword). The device decodes only
    /// whole-dword writes (§8.1: registers are 32-bit); 1- and 2-byte writes are device errors and ignored.
    /// </summary>
    public void Write(ulong offset, int size, ulong value)
    {
        if (!ValidAccess(offset, size) || size < 4)
        {
            BadAccess(offset, size, true);
            return;
        }
        RegisterTrace?.Invoke(new IxgbeRegisterAccess(true, (uint)offset, size, value));
        lock (_sync)
        {
            WriteLocked((uint)offset, (uint)value);
            if (size == 8) WriteLocked((uint)offset + 4, (uint)(value >> 32));
        }
        Flush();
    }

    /// <summary>
    /// One MMIO exit as KVM reports it (offset into BAR0, the data bytes, direction): a write takes
    /// the little-endian value from data; a read fills data.
    /// </summary>
    public void HandleMmio(ulong offset, Span<byte> data, bool isWrite)
    {
        if (data.Length is not (1 or 2 or 4 or 8))
        {
            BadAccess(offset, data.Length, isWrite);
            data.Clear();
            return;
        }
        if (isWrite)
        {
            ulong value = 0;
            for (int i = data.Length - 1; i >= 0; i--) value = (value << 8) | data[i];
            Write(offset, data.Length, value);
        }
        else
        {
            ulong value = Read(offset, data.Length);
            for (int i = 0; i < data.Length; i++) data[i] = (byte)(value >> (8 * i));
        }
    }

    private static bool ValidAccess(ulong offset, int size) =>
        size is 1 or 2 or 4 or 8 && offset < Bar0Size && offset % (ulong)size == 0 && offset + (ulong)size <= Bar0Size;

    private uint BadAccess(ulong offset, int size, bool isWrite)
    {
        lock (_sync)
            ReportLocked(IxgbeErrorKind.BadRegisterAccess,
                $"{(isWrite ? "write" : "read")} of {size} bytes at BAR0 offset 0x{offset:x} is not decoded (registers are aligned 32-bit, BAR0 is {Bar0Size / 1024} KiB)");
        Flush();
        return 0;
    }

    private uint ReadLocked(uint offset)
    {
        uint o = Canonical(offset);
        uint stored = _regs[o / 4];
        switch (o)
        {
            case CTRL:
                if (_rstReads > 0) { _rstReads--; return stored | CTRL_RST; }
                return stored;
            case STATUS:
                AdvanceLinkTraining();
                return ((uint)_options.LanId << (int)STATUS_LAN_ID_SHIFT) |
                       (LinkUpLocked() ? STATUS_LINK_UP : 0) |
                       ((_regs[CTRL / 4] & CTRL_GIO_DIS) == 0 ? STATUS_GIO_MASTER_ENABLE : 0);
            case EEC:
                if (_eepromReads > 0) { _eepromReads--; return stored & ~EEC_ARD; }
                return stored | EEC_ARD;
            case RDRXCTL:
                if (_dmaInitReads > 0) { _dmaInitReads--; return stored & ~RDRXCTL_DMAIDONE; }
                return stored | RDRXCTL_DMAIDONE;
            case LINKS:
                AdvanceLinkTraining();
                return LinkUpLocked() ? LINKS_UP | LINKS_LINK_STATUS | LinkSpeedBits() : 0;
            case EICR:
                _regs[o / 4] = 0; // read clears (§8.2.3.5.1, with GPIE.OCD = 0)
                return stored;
            case EIMC:
                return 0; // write-only
        }
        if (IsClearOnRead(o)) _regs[o / 4] = 0;
        return stored;
    }

    private void WriteLocked(uint offset, uint value)
    {
        uint o = Canonical(offset);
        ref uint reg = ref _regs[o / 4];
        if (TryRxQueue(o, out int rq, out uint rr) && rr is not (QPRC0 or QBRC_L0 or QBRC_H0) && !IsClearOnRead(o))
        {
            WriteRxQueueLocked(rq, rr, ref reg, value);
            return;
        }
        if (TryTxQueue(o, out int tq, out uint tr) && tr != QPTC0)
        {
            WriteTxQueueLocked(tq, tr, ref reg, value);
            return;
        }
        if (IsClearOnRead(o)) return; // statistics are read-only
        switch (o)
        {
            case CTRL:
                if ((value & CTRL_RST_MASK) != 0) ResetLocked();
                _regs[CTRL / 4] = value & ~CTRL_RST_MASK;
                return;
            case STATUS:
            case LINKS:
                return; // read-only
            case EEC:
                reg = (value & ~(EEC_ARD | EEC_PRES)) | (reg & (EEC_ARD | EEC_PRES));
                return;
            case RDRXCTL:
                reg = (value & ~RDRXCTL_DMAIDONE) | (reg & RDRXCTL_DMAIDONE);
                return;
            case EICR:
                reg &= ~value; // write 1 to clear
                return;
            case EICS:
                _regs[EICR / 4] |= value;
                return;
            case EIMS:
                reg |= value;
                return;
            case EIMC:
                _regs[EIMS / 4] &= ~value;
                return;
            case AUTOC:
                bool modeChanged = ((reg ^ value) & AUTOC_LMS_MASK) != 0;
                reg = value & ~AUTOC_AN_RESTART; // self-clearing
                if ((value & AUTOC_AN_RESTART) != 0 || modeChanged) RestartLinkTraining();
                return;
            case DMATXCTL:
                bool enabling = (value & DMATXCTL_TE) != 0 && (reg & DMATXCTL_TE) == 0;
                reg = value;
                if (enabling)
                    for (int q = 0; q < QueueCount; q++) TransmitLocked(q);
                return;
        }
        reg = value;
    }

    // ──────────────────────────── Reset ────────────────────────────

    /// <summary>
    /// CTRL.RST / LNK_RST (§4.6.3.2): every register back to its default, queues stopped, the MAC
    /// address reloaded from the EEPROM, and the EEPROM auto-read, DMA init and link training started.
    /// </summary>
    private void ResetLocked()
    {
        Array.Clear(_regs);
        _regs[EEC / 4] = EEC_PRES | EEC_ARD;
        _regs[RDRXCTL / 4] = RDRXCTL_DMAIDONE;
        _regs[AUTOC / 4] = AUTOC_LMS_10G_SERIAL; // SFP+ port: 10 Gb/s serial, as the EEPROM configures it
        _regs[HLREG0 / 4] = HLREG0_TXCRCEN | HLREG0_RXCRCSTRP | HLREG0_TXPADEN;
        _regs[MAXFRS / 4] = 1518u << 16;
        _regs[RXPBSIZE0 / 4] = 0x80000;   // one 512 KiB receive packet buffer
        _regs[TXPBSIZE0 / 4] = 0xA0000;   // one 160 KiB transmit packet buffer
        for (int q = 0; q < QueueCount; q++)
        {
            _regs[RxQueueRegister(SRRCTL0, q) / 4] = 0x402;          // 2 KiB packet buffers, 256-byte headers, legacy descriptors
            _regs[RxQueueRegister(DCA_RXCTRL0, q) / 4] = DCA_RXCTRL_BIT12;
        }
        byte[] mac = _options.MacAddress;
        _regs[RAL0 / 4] = (uint)(mac[0] | mac[1] << 8 | mac[2] << 16 | mac[3] << 24);
        _regs[RAH0 / 4] = (uint)(mac[4] | mac[5] << 8) | RAH_AV;
        _rstReads = _options.ResetLatencyReads > 0 ? 1 : 0;
        _eepromReads = _options.ResetLatencyReads;
        _dmaInitReads = _options.ResetLatencyReads;
        RestartLinkTraining();
    }

    // ───────────────────────────── Link ─────────────────────────────

    private void AdvanceLinkTraining()
    {
        if (_linkReads > 0 && (_wire?.CarrierPresent ?? false)) _linkReads--;
    }

    /// <summary>Starts link training: the link comes up after LinkUpLatencyReads LINKS/STATUS reads or LinkUpDelay, whichever is first.</summary>
    private void RestartLinkTraining()
    {
        _linkReads = _options.LinkUpLatencyReads;
        _linkTrainingStarted = Stopwatch.GetTimestamp();
    }

    private bool LinkUpLocked()
    {
        if (!(_wire?.CarrierPresent ?? false) || (_regs[HLREG0 / 4] & HLREG0_LPBK) != 0) return false;
        if (_linkReads > 0 && Stopwatch.GetElapsedTime(_linkTrainingStarted) >= _options.LinkUpDelay) _linkReads = 0;
        return _linkReads == 0;
    }

    private uint LinkSpeedBits()
    {
        // LMS 000 (1G, no AN), 010 (1G AN) and 101 (SGMII) run at 1 Gb/s; every 10G-capable mode trains to 10 Gb/s.
        uint lms = (_regs[AUTOC / 4] & AUTOC_LMS_MASK) >> AUTOC_LMS_SHIFT;
        return lms is 0 or 2 or 5 ? LINKS_SPEED_1G : LINKS_SPEED_10G;
    }

    // ──────────────────────── Queue registers ───────────────────────

    private void WriteRxQueueLocked(int queue, uint register, ref uint reg, uint value)
    {
        switch (register)
        {
            case RDBAL0:
                reg = value & ~0x7Fu; // 128-byte aligned
                return;
            case RDLEN0:
                reg = value & 0x000FFF80; // bits 19:7
                return;
            case RDH0:
            case RDT0:
                value &= 0xFFFF;
                if ((_regs[RxQueueRegister(RXDCTL0, queue) / 4] & RXDCTL_ENABLE) != 0 && value >= RingCount(RxQueueRegister(RDLEN0, queue)))
                {
                    ReportLocked(IxgbeErrorKind.InvalidConfiguration,
                        $"RX queue {queue}: {(register == RDH0 ? "RDH" : "RDT")} = {value} is beyond the {RingCount(RxQueueRegister(RDLEN0, queue))}-descriptor ring; write ignored");
                    return;
                }
                reg = value;
                if (register == RDT0 && queue == 0) _rxBuffersPosted = true;
                return;
            case RXDCTL0:
                bool enabling = (value & RXDCTL_ENABLE) != 0 && (reg & RXDCTL_ENABLE) == 0;
                reg = value;
                // The enable bit reads back as 1 only once the queue is usable (§4.6.7): a ring
                // outside the DMA area or of a bad length leaves it 0, so the driver's wait fails.
                if (enabling && !CheckRingLocked("RX", queue, RxQueueRegister(RDBAL0, queue), RxQueueRegister(RDBAH0, queue),
                        RxQueueRegister(RDLEN0, queue), RxQueueRegister(RDH0, queue), RxQueueRegister(RDT0, queue)))
                    reg &= ~RXDCTL_ENABLE;
                return;
        }
        reg = value;
    }

    private void WriteTxQueueLocked(int queue, uint register, ref uint reg, uint value)
    {
        switch (register)
        {
            case TDBAL0:
                reg = value & ~0x7Fu;
                return;
            case TDLEN0:
                reg = value & 0x000FFF80;
                return;
            case TDH0:
            case TDT0:
                value &= 0xFFFF;
                bool enabled = (_regs[TxQueueRegister(TXDCTL0, queue) / 4] & TXDCTL_ENABLE) != 0;
                if (enabled && value >= RingCount(TxQueueRegister(TDLEN0, queue)))
                {
                    ReportLocked(IxgbeErrorKind.InvalidConfiguration,
                        $"TX queue {queue}: {(register == TDH0 ? "TDH" : "TDT")} = {value} is beyond the {RingCount(TxQueueRegister(TDLEN0, queue))}-descriptor ring; write ignored");
                    return;
                }
                reg = value;
                if (register == TDT0) TransmitLocked(queue); // the doorbell
                return;
            case TXDCTL0:
                bool enabling = (value & TXDCTL_ENABLE) != 0 && (reg & TXDCTL_ENABLE) == 0;
                reg = value;
                if (enabling)
                {
                    if (!CheckRingLocked("TX", queue, TxQueueRegister(TDBAL0, queue), TxQueueRegister(TDBAH0, queue),
                            TxQueueRegister(TDLEN0, queue), TxQueueRegister(TDH0, queue), TxQueueRegister(TDT0, queue)))
                        reg &= ~TXDCTL_ENABLE;
                    else
                        TransmitLocked(queue);
                }
                return;
        }
        reg = value;
    }

    private uint RingCount(uint lengthRegister) => _regs[lengthRegister / 4] / DescriptorSize;

    private ulong RingBase(uint lowRegister, uint highRegister) =>
        ((ulong)_regs[highRegister / 4] << 32) | _regs[lowRegister / 4];

    private bool CheckRingLocked(string direction, int queue, uint bal, uint bah, uint len, uint head, uint tail)
    {
        uint length = _regs[len / 4];
        ulong ringBase = RingBase(bal, bah);
        uint count = length / DescriptorSize;
        if (length == 0)
        {
            ReportLocked(IxgbeErrorKind.InvalidConfiguration, $"{direction} queue {queue} enabled with {direction[0]}DLEN = 0; queue stays disabled");
            return false;
        }
        if (!_dma.TryGetSpan(ringBase, (int)length, out _))
        {
            ReportLocked(IxgbeErrorKind.DmaOutOfRange,
                $"{direction} queue {queue}: descriptor ring 0x{ringBase:x} + {length} bytes is outside the DMA area {DmaDescription()}; queue stays disabled");
            return false;
        }
        if (_regs[head / 4] >= count || _regs[tail / 4] >= count)
        {
            ReportLocked(IxgbeErrorKind.InvalidConfiguration,
                $"{direction} queue {queue}: head {_regs[head / 4]} / tail {_regs[tail / 4]} beyond the {count}-descriptor ring; queue stays disabled");
            return false;
        }
        return true;
    }

    private string DmaDescription() => $"[0x{_dma.BaseIova:x}, 0x{_dma.BaseIova + _dma.Size:x})";

    // ──────────────────────────── Receive ────────────────────────────

    /// <summary>
    /// A frame arrives from the wire (no FCS). It passes the MAC's checks (size), the L2 filter
    /// (§7.1.1), and is written to queue 0's next free descriptors. Returns false if filtered or dropped.
    /// </summary>
    public bool Receive(ReadOnlySpan<byte> frame)
    {
        bool accepted;
        lock (_sync) accepted = ReceiveLocked(frame);
        Flush();
        return accepted;
    }

    /// <summary>
    /// Whether queue 0 has a free receive descriptor with receive on (what a wire that can hold
    /// frames back, such as a TAP, checks before delivering). A frame needing several buffers
    /// may still not fit; it is then dropped and counted as any frame without room.
    /// </summary>
    public bool ReadyToReceive
    {
        get
        {
            lock (_sync)
            {
                if ((_regs[RXCTRL / 4] & RXCTRL_RXEN) == 0 || (_regs[RxQueueRegister(RXDCTL0, 0) / 4] & RXDCTL_ENABLE) == 0) return false;
                uint count = RingCount(RxQueueRegister(RDLEN0, 0));
                uint head = _regs[RxQueueRegister(RDH0, 0) / 4], tail = _regs[RxQueueRegister(RDT0, 0) / 4];
                return count != 0 && head < count && tail < count && head != tail;
            }
        }
    }

    private bool ReceiveLocked(ReadOnlySpan<byte> wireFrame)
    {
        if ((_regs[RXCTRL / 4] & RXCTRL_RXEN) == 0 || !LinkUpLocked()) return false; // counters only run with receive on
        if (wireFrame.Length < EthernetHeader)
        {
            AddStat(RUC, 1);
            return false;
        }
        // The sending MAC pads short frames to the 64-byte minimum (60 without FCS).
        int length = Math.Max(wireFrame.Length, MinFrameWithoutFcs);
        int onWire = length + FcsLength;
        uint hlreg0 = _regs[HLREG0 / 4];
        int maxFrame = (hlreg0 & HLREG0_JUMBOEN) != 0 ? (int)(_regs[MAXFRS / 4] >> 16) : 1518;
        bool vlanTagged = wireFrame[12] == 0x81 && wireFrame[13] == 0x00;
        if (onWire > maxFrame + (vlanTagged ? 4 : 0) || onWire > _rxFrame.Length)
        {
            AddStat(ROC, 1);
            return false;
        }
        ReadOnlySpan<byte> destination = wireFrame[..6];
        bool broadcast = destination.IndexOfAnyExcept((byte)0xFF) < 0;
        bool multicast = !broadcast && (destination[0] & 1) != 0;
        if (!PassesFilter(destination, broadcast, multicast)) return false;

        // Frame as the device stores it: padded, with the FCS unless CRC stripping is on.
        Span<byte> stored = _rxFrame.AsSpan(0, length + ((hlreg0 & HLREG0_RXCRCSTRP) == 0 ? FcsLength : 0));
        wireFrame.CopyTo(stored);
        stored[wireFrame.Length..length].Clear();
        if (stored.Length > length)
            BinaryPrimitives.WriteUInt32LittleEndian(stored[length..], EthernetCrc.Compute(stored[..length]));

        const int queue = 0; // MRQC (RSS, pools) is not modelled: everything goes to the default queue
        if (!WriteToRxQueueLocked(queue, stored)) return false;

        AddStat(GPRC, 1);
        AddStat64(GORCL, GORCH, (ulong)onWire);
        AddStat(TPR, 1);
        AddStat64(TORL, TORH, (ulong)onWire);
        if (broadcast) AddStat(BPRC, 1);
        else if (multicast) AddStat(MPRC, 1);
        AddStat(SizeBin(PRC64, onWire), 1);
        AddStat(RxQueueRegister(QPRC0, queue), 1);
        AddStat64(RxQueueRegister(QBRC_L0, queue), RxQueueRegister(QBRC_H0, queue), (ulong)stored.Length);
        return true;
    }

    private bool PassesFilter(ReadOnlySpan<byte> destination, bool broadcast, bool multicast)
    {
        uint fctrl = _regs[FCTRL / 4];
        if (broadcast) return (fctrl & FCTRL_BAM) != 0;
        if (multicast)
        {
            if ((fctrl & FCTRL_MPE) != 0) return true;
            uint mcst = _regs[MCSTCTRL / 4];
            if ((mcst & MCSTCTRL_MFE) == 0) return false;
            // The MTA is indexed by 12 bits of the destination address chosen by MO (§7.1.1.2).
            int shift = (int)(4 - (mcst & MCSTCTRL_MO_MASK)); // MO 0..2 → 4..2; MO 3 → bits 43:32
            int vector = (mcst & MCSTCTRL_MO_MASK) == 3
                ? destination[4] | destination[5] << 8
                : destination[4] >> shift | destination[5] << (8 - shift);
            vector &= 0xFFF;
            return (_regs[(MTA0 / 4) + (vector >> 5)] & (1u << (vector & 31))) != 0;
        }
        if ((fctrl & FCTRL_UPE) != 0) return true;
        uint low = BinaryPrimitives.ReadUInt32LittleEndian(destination);
        uint high = BinaryPrimitives.ReadUInt16LittleEndian(destination[4..]);
        for (int i = 0; i < ReceiveAddressCount; i++)
        {
            uint rah = _regs[(RAH0 / 4) + 2 * i];
            if ((rah & RAH_AV) != 0 && (rah & 0xFFFF) == high && _regs[(RAL0 / 4) + 2 * i] == low) return true;
        }
        return false;
    }

    /// <summary>Writes a stored frame into queue's descriptors, or drops it (counted, reported if the driver erred).</summary>
    private bool WriteToRxQueueLocked(int queue, ReadOnlySpan<byte> stored)
    {
        uint rxdctl = _regs[RxQueueRegister(RXDCTL0, queue) / 4];
        uint count = RingCount(RxQueueRegister(RDLEN0, queue));
        ref uint head = ref _regs[RxQueueRegister(RDH0, queue) / 4];
        uint tail = _regs[RxQueueRegister(RDT0, queue) / 4];
        uint srrctl = _regs[RxQueueRegister(SRRCTL0, queue) / 4];
        int bufferSize = (int)(srrctl & SRRCTL_BSIZEPACKET_MASK) * 1024;

        if ((rxdctl & RXDCTL_ENABLE) == 0 || count == 0 || head >= count || tail >= count)
            return DropNoBuffer(queue, srrctl);
        if (bufferSize == 0)
        {
            ReportLocked(IxgbeErrorKind.InvalidConfiguration, $"RX queue {queue}: SRRCTL.BSIZEPACKET is 0; frame dropped");
            return DropNoBuffer(queue, srrctl);
        }
        uint descriptorType = srrctl & SRRCTL_DESCTYPE_MASK;
        if (descriptorType is not (SRRCTL_DESCTYPE_LEGACY or SRRCTL_DESCTYPE_ADV_ONEBUF))
        {
            ReportLocked(IxgbeErrorKind.Unsupported, $"RX queue {queue}: SRRCTL.DESCTYPE {descriptorType >> 25} (header split) is not supported; frame dropped");
            return DropNoBuffer(queue, srrctl);
        }
        // SRRCTL.BSIZEPACKET sizes the buffers of legacy descriptors too (the 82599 has no RCTL.BSIZE).
        bool legacy = descriptorType == SRRCTL_DESCTYPE_LEGACY;

        // Hardware owns descriptors [head, tail): tail == head means none free (§7.1.9).
        uint free = (tail + count - head) % count;
        int needed = (stored.Length + bufferSize - 1) / bufferSize;
        if (needed > free) return DropNoBuffer(queue, srrctl);
        if (!Config.BusMasterEnabled)
        {
            ReportLocked(IxgbeErrorKind.BusMasterDisabled, $"RX queue {queue}: a frame arrived but Bus Master Enable is off; frame dropped");
            return DropNoBuffer(queue, srrctl);
        }

        ulong ringBase = RingBase(RxQueueRegister(RDBAL0, queue), RxQueueRegister(RDBAH0, queue));
        // Check every descriptor and buffer before writing anything, so a bad one costs only this frame.
        for (int i = 0; i < needed; i++)
        {
            uint index = (head + (uint)i) % count;
            ulong descriptorAddress = ringBase + index * DescriptorSize;
            if (!_dma.TryGetSpan(descriptorAddress, DescriptorSize, out Span<byte> descriptor))
            {
                ReportLocked(IxgbeErrorKind.DmaOutOfRange, $"RX queue {queue}: descriptor {index} at 0x{descriptorAddress:x} is outside the DMA area {DmaDescription()}; frame dropped");
                return false;
            }
            ulong bufferAddress = BinaryPrimitives.ReadUInt64LittleEndian(descriptor);
            int chunk = Math.Min(bufferSize, stored.Length - i * bufferSize);
            if (!_dma.TryGetSpan(bufferAddress, chunk, out _))
            {
                ReportLocked(IxgbeErrorKind.DmaOutOfRange,
                    $"RX queue {queue}: descriptor {index} points at packet buffer 0x{bufferAddress:x} + {chunk} bytes, outside the DMA area {DmaDescription()}; frame dropped");
                return false;
            }
        }
        ushort packetType = PacketType(stored);
        for (int i = 0; i < needed; i++)
        {
            uint index = (head + (uint)i) % count;
            _dma.TryGetSpan(ringBase + index * DescriptorSize, DescriptorSize, out Span<byte> descriptor);
            ulong bufferAddress = BinaryPrimitives.ReadUInt64LittleEndian(descriptor);
            int chunk = Math.Min(bufferSize, stored.Length - i * bufferSize);
            _dma.TryGetSpan(bufferAddress, chunk, out Span<byte> buffer);
            stored.Slice(i * bufferSize, chunk).CopyTo(buffer);
            bool last = i == needed - 1;
            uint status = RxStatusDd | (last ? RxStatusEop : 0);
            if (legacy)
            {
                // §7.1.5 legacy write-back: length(16) checksum(16) status(8) errors(8) vlan(16) in the upper 8 bytes.
                BinaryPrimitives.WriteUInt16LittleEndian(descriptor[8..], (ushort)chunk);
                BinaryPrimitives.WriteUInt16LittleEndian(descriptor[10..], 0);
                descriptor[13] = 0;
                BinaryPrimitives.WriteUInt16LittleEndian(descriptor[14..], 0);
                Thread.MemoryBarrier(); // the driver polls DD: everything else must be visible first
                descriptor[12] = (byte)status;
            }
            else
            {
                // §7.1.6.2 advanced write-back: pkt_info/hdr_info, RSS hash, status/error, length/vlan.
                BinaryPrimitives.WriteUInt32LittleEndian(descriptor, (uint)packetType << 4);
                BinaryPrimitives.WriteUInt32LittleEndian(descriptor[4..], 0);
                BinaryPrimitives.WriteUInt16LittleEndian(descriptor[12..], (ushort)chunk);
                BinaryPrimitives.WriteUInt16LittleEndian(descriptor[14..], 0);
                Thread.MemoryBarrier();
                BinaryPrimitives.WriteUInt32LittleEndian(descriptor[8..], status);
            }
        }
        head = (head + (uint)needed) % count;
        return true;
    }

    private const uint RxStatusDd = 1u << 0;
    private const uint RxStatusEop = 1u << 1;

    private bool DropNoBuffer(int queue, uint srrctl)
    {
        // No free descriptor (or the queue is off): the packet buffer cannot drain into host
        // memory, so the frame is missed (MPC) for lack of buffers (RNBC); with SRRCTL.DROP_EN
        // the per-queue drop counter counts it too.
        AddStat(MPC0, 1);
        AddStat(RNBC0, 1);
        if ((srrctl & SRRCTL_DROP_EN) != 0 && queue < 16) AddStat(QPRDC0 + (uint)queue * QueueStride, 1);
        return false;
    }

    /// <summary>The advanced descriptor's packet type field (§7.1.6.2): IPv4/IPv6 and TCP/UDP bits.</summary>
    private static ushort PacketType(ReadOnlySpan<byte> frame)
    {
        int etherType = frame[12] << 8 | frame[13];
        int l3 = EthernetHeader;
        if (etherType == 0x8100 && frame.Length >= 18)
        {
            etherType = frame[16] << 8 | frame[17];
            l3 += 4;
        }
        ushort type = 0;
        int protocol = -1;
        if (etherType == 0x0800 && frame.Length > l3 + 9)
        {
            type |= 0x001;
            protocol = frame[l3 + 9];
        }
        else if (etherType == 0x86DD && frame.Length > l3 + 6)
        {
            type |= 0x004;
            protocol = frame[l3 + 6];
        }
        if (protocol == 6) type |= 0x010;
        else if (protocol == 17) type |= 0x020;
        return type;
    }

    // ──────────────────────────── Transmit ───────────────────────────

    private const uint TxCmdEop = 1u << 24;
    private const uint TxCmdIfcs = 1u << 25;
    private const uint TxCmdRs = 1u << 27;
    private const uint TxCmdDext = 1u << 29;
    private const uint TxCmdVle = 1u << 30;
    private const uint TxCmdTse = 1u << 31;
    private const uint TxDtypContext = 0x2;
    private const uint TxDtypData = 0x3;

    /// <summary>
    /// Processes transmit queue q from TDH to TDT (§7.2): whole packets only (a packet whose EOP
    /// descriptor is not yet posted waits), at most one ring's worth per doorbell.
    /// </summary>
    private void TransmitLocked(int queue)
    {
        if ((_regs[DMATXCTL / 4] & DMATXCTL_TE) == 0) return;
        if ((_regs[TxQueueRegister(TXDCTL0, queue) / 4] & TXDCTL_ENABLE) == 0) return;
        uint count = RingCount(TxQueueRegister(TDLEN0, queue));
        ref uint head = ref _regs[TxQueueRegister(TDH0, queue) / 4];
        uint tail = _regs[TxQueueRegister(TDT0, queue) / 4];
        if (head == tail || count == 0 || head >= count || tail >= count) return;
        if (!Config.BusMasterEnabled)
        {
            ReportLocked(IxgbeErrorKind.BusMasterDisabled, $"TX queue {queue}: TDT moved but Bus Master Enable is off; nothing sent");
            return;
        }
        ulong ringBase = RingBase(TxQueueRegister(TDBAL0, queue), TxQueueRegister(TDBAH0, queue));
        uint budget = count;
        while (head != tail && budget > 0)
        {
            int frameLength = 0;
            uint used = 0;
            uint index = head;
            bool endOfPacket = false;
            bool insertFcs = false;
            string? problem = null;
            IxgbeErrorKind problemKind = IxgbeErrorKind.MalformedDescriptor;
            while (index != tail)
            {
                ulong descriptorAddress = ringBase + index * DescriptorSize;
                if (!_dma.TryGetSpan(descriptorAddress, DescriptorSize, out Span<byte> descriptor))
                {
                    ReportLocked(IxgbeErrorKind.DmaOutOfRange, $"TX queue {queue}: descriptor {index} at 0x{descriptorAddress:x} is outside the DMA area {DmaDescription()}; transmission stopped");
                    return;
                }
                used++;
                index = (index + 1) % count;
                ulong address = BinaryPrimitives.ReadUInt64LittleEndian(descriptor);
                uint command = BinaryPrimitives.ReadUInt32LittleEndian(descriptor[8..]);
                int length;
                if ((command & TxCmdDext) != 0)
                {
                    uint dtyp = (command >> 20) & 0xF;
                    if (dtyp == TxDtypContext) continue; // offload context (§7.2.3.2.3): no data, nothing to check here
                    if (dtyp != TxDtypData)
                    {
                        endOfPacket = (command & TxCmdEop) != 0;
                        problem = $"descriptor {(index + count - 1) % count} has DTYP {dtyp}, neither data (3) nor context (2)";
                        break;
                    }
                    if ((command & TxCmdTse) != 0)
                    {
                        endOfPacket = (command & TxCmdEop) != 0;
                        problem = $"descriptor {(index + count - 1) % count} asks for TCP segmentation (TSE), which the model does not implement";
                        problemKind = IxgbeErrorKind.Unsupported;
                        break;
                    }
                    length = (int)(command & 0xFFFF); // §7.2.3.2.4 DTALEN
                }
                else
                {
                    length = BinaryPrimitives.ReadUInt16LittleEndian(descriptor[8..]); // §7.2.3.2.2 legacy LENGTH
                }
                uint descriptorIndex = (index + count - 1) % count;
                // A bad descriptor that carries EOP ends its packet; one without EOP takes the
                // rest of the packet down with it (skipped below).
                endOfPacket = (command & TxCmdEop) != 0;
                if (length == 0)
                {
                    problem = $"descriptor {descriptorIndex} has a zero buffer length";
                    break;
                }
                if (frameLength + length > MaxTransmitPacket)
                {
                    problem = $"descriptor {descriptorIndex} makes the packet longer than {MaxTransmitPacket} bytes";
                    break;
                }
                if (!_dma.TryGetSpan(address, length, out Span<byte> buffer))
                {
                    problem = $"descriptor {descriptorIndex} points at buffer 0x{address:x} + {length} bytes, outside the DMA area {DmaDescription()}";
                    problemKind = IxgbeErrorKind.DmaOutOfRange;
                    break;
                }
                buffer.CopyTo(_txFrame.AsSpan(frameLength));
                frameLength += length;
                if (endOfPacket)
                {
                    insertFcs = (command & TxCmdIfcs) != 0;
                    break;
                }
            }
            if (problem is null && !endOfPacket) return; // the rest of the packet is not posted yet

            if (problem is not null)
            {
                ReportLocked(problemKind, $"TX queue {queue}: {problem}; packet dropped");
                // The rest of the bad packet (up to its EOP, if posted) goes with it, so its
                // tail is not sent as a packet of its own.
                while (!endOfPacket && index != tail)
                {
                    if (!_dma.TryGetSpan(ringBase + index * DescriptorSize, DescriptorSize, out Span<byte> rest)) break;
                    used++;
                    index = (index + 1) % count;
                    endOfPacket = (BinaryPrimitives.ReadUInt32LittleEndian(rest[8..]) & TxCmdEop) != 0;
                }
            }
            else
                SendLocked(queue, insertFcs, frameLength);

            // Complete the packet's descriptors: DD where the driver asked for status (RS).
            for (uint i = 0; i < used; i++)
            {
                uint done = (head + i) % count;
                if (!_dma.TryGetSpan(ringBase + done * DescriptorSize, DescriptorSize, out Span<byte> descriptor)) continue;
                uint command = BinaryPrimitives.ReadUInt32LittleEndian(descriptor[8..]);
                if ((command & TxCmdRs) == 0) continue;
                if ((command & TxCmdDext) != 0)
                    BinaryPrimitives.WriteUInt32LittleEndian(descriptor[12..], 1); // §7.2.3.2.4 write-back: STA.DD
                else
                    descriptor[12] |= 1; // legacy STA.DD
            }
            head = (head + used) % count;
            budget = budget > used ? budget - used : 0;
        }
        WriteBackHeadLocked(queue, head);
    }

    private void SendLocked(int queue, bool insertFcs, int length)
    {
        Span<byte> frame = _txFrame.AsSpan(0, length);
        // Without IFCS the driver supplied the FCS in the buffer: the wire carries frames without it.
        if (!insertFcs) frame = frame[..Math.Max(0, frame.Length - FcsLength)];
        if (frame.Length < EthernetHeader)
        {
            ReportLocked(IxgbeErrorKind.MalformedDescriptor, $"TX queue {queue}: a {frame.Length}-byte packet is shorter than an Ethernet header; packet dropped");
            return;
        }
        int wireLength = frame.Length;
        if ((_regs[HLREG0 / 4] & HLREG0_TXPADEN) != 0 && wireLength < MinFrameWithoutFcs)
        {
            _txFrame.AsSpan(wireLength, MinFrameWithoutFcs - wireLength).Clear();
            wireLength = MinFrameWithoutFcs;
        }
        if (!LinkUpLocked() || _wire is null) return; // no link: the MAC discards the packet
        byte[] copy = ArrayPool<byte>.Shared.Rent(wireLength);
        _txFrame.AsSpan(0, wireLength).CopyTo(copy);
        _outbox.Add((copy, wireLength));

        int onWire = Math.Max(wireLength + FcsLength, 64);
        AddStat(GPTC, 1);
        AddStat64(GOTCL, GOTCH, (ulong)onWire);
        AddStat(TPT, 1);
        AddStat(SizeBin(PTC64, onWire), 1);
        ReadOnlySpan<byte> destination = copy.AsSpan(0, 6);
        if (destination.IndexOfAnyExcept((byte)0xFF) < 0) AddStat(BPTC, 1);
        else if ((destination[0] & 1) != 0) AddStat(MPTC, 1);
        if (queue < 16)
        {
            AddStat(TxQueueRegister(QPTC0, queue), 1);
            AddStat64(QBTC_L0 + (uint)queue * 8, QBTC_H0 + (uint)queue * 8, (ulong)wireLength);
        }
    }

    private void WriteBackHeadLocked(int queue, uint head)
    {
        uint low = _regs[TxQueueRegister(TDWBAL0, queue) / 4];
        if ((low & TDWBAL_HEAD_WB_EN) == 0) return;
        ulong address = ((ulong)_regs[TxQueueRegister(TDWBAH0, queue) / 4] << 32) | (low & ~3u);
        if (_dma.TryGetSpan(address, 4, out Span<byte> target))
            BinaryPrimitives.WriteUInt32LittleEndian(target, head);
        else
            ReportLocked(IxgbeErrorKind.DmaOutOfRange, $"TX queue {queue}: head write-back address 0x{address:x} is outside the DMA area {DmaDescription()}");
    }

    // ─────────────────────────── Statistics ──────────────────────────

    /// <summary>PRC64/PTC64-based size bin: 64, 65–127, 128–255, 256–511, 512–1023, 1024–1522 (larger counts in the last).</summary>
    private static uint SizeBin(uint bin64, int bytes) => bin64 + 4 * (uint)(bytes switch
    {
        <= 64 => 0,
        <= 127 => 1,
        <= 255 => 2,
        <= 511 => 3,
        <= 1023 => 4,
        _ => 5,
    });

    /// <summary>Counters stick at their maximum instead of wrapping (§8.2.3.23).</summary>
    private void AddStat(uint offset, uint amount)
    {
        ref uint reg = ref _regs[offset / 4];
        reg = reg > uint.MaxValue - amount ? uint.MaxValue : reg + amount;
    }

    private void AddStat64(uint lowOffset, uint highOffset, ulong amount)
    {
        ulong value = ((ulong)_regs[highOffset / 4] << 32) | _regs[lowOffset / 4];
        value = value > ulong.MaxValue - amount ? ulong.MaxValue : value + amount;
        _regs[lowOffset / 4] = (uint)value;
        _regs[highOffset / 4] = (uint)(value >> 32);
    }

    // ───────────────────────── Errors and output ──────────────────────

    private void ReportLocked(IxgbeErrorKind kind, string message)
    {
        var error = new IxgbeDeviceError(kind, message);
        Interlocked.Increment(ref _errorCount);
        _recentErrors.Enqueue(error);
        while (_recentErrors.Count > Math.Max(1, _options.ErrorHistory)) _recentErrors.Dequeue();
        _pendingErrors.Add(error);
    }

    /// <summary>Delivers transmitted frames and error reports gathered under the lock, outside it.</summary>
    private void Flush()
    {
        // Unlocked hint: whatever this thread produced under the lock it has just released is
        // visible to it; output of other threads is flushed by those threads.
        if (_outbox.Count == 0 && _pendingErrors.Count == 0 && !_rxBuffersPosted) return;
        List<(byte[] Buffer, int Length)>? frames = null;
        List<IxgbeDeviceError>? errors = null;
        IEthernetWire? wire;
        bool posted;
        lock (_sync)
        {
            posted = _rxBuffersPosted;
            _rxBuffersPosted = false;
            if (_outbox.Count == 0 && _pendingErrors.Count == 0 && !posted) return;
            if (_outbox.Count > 0)
            {
                frames = _outbox;
                _outbox = _spareOutbox ?? [];
                _spareOutbox = null;
            }
            if (_pendingErrors.Count > 0)
            {
                errors = _pendingErrors;
                _pendingErrors = [];
            }
            wire = _wire;
        }
        if (frames is not null)
        {
            try
            {
                foreach (var (buffer, length) in frames) wire?.Transmit(buffer.AsSpan(0, length));
            }
            finally
            {
                foreach (var (buffer, _) in frames) ArrayPool<byte>.Shared.Return(buffer);
                frames.Clear();
                lock (_sync) _spareOutbox ??= frames;
            }
        }
        Action<IxgbeDeviceError>? handler = ErrorReported;
        if (handler is not null && errors is not null)
            foreach (IxgbeDeviceError error in errors) handler(error);
        if (posted) ReceiveBuffersPosted?.Invoke();
    }
}

/// <summary>The Ethernet FCS: CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), sent least significant byte first.</summary>
public static class EthernetCrc
{
    private static readonly uint[] s_table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data) crc = s_table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }
}
