using System;
using System.Threading;

/// <summary>
/// Pokes the emulated 82599's BAR0 (docs/pci.md) and its descriptor rings. Queue 0 is first set up
/// properly (rings in the DMA area, receive and transmit enabled, promiscuous) so the device pump
/// moves real frames; then registers get random values (ring bases outside the DMA area, huge
/// lengths, heads past tails, resets, odd access sizes and misaligned offsets) and descriptors
/// get random buffers and lengths, with doorbells rung. Every one of these is a device error at
/// worst: the tender logs it and the guest goes on. Only an access beyond BAR0's 512 KiB faults,
/// and that is kept for the final operation.
/// </summary>
sealed unsafe class IxgbeAttacks
{
    private const uint Bar0Size = 512 * 1024;
    private const uint CTRL = 0x0, RXCTRL = 0x3000, DMATXCTL = 0x4A80, FCTRL = 0x5080, HLREG0 = 0x4240, MAXFRS = 0x4268;
    private const uint RDBAL = 0x1000, RDBAH = 0x1004, RDLEN = 0x1008, RDH = 0x1010, SRRCTL = 0x1014, RDT = 0x1018, RXDCTL = 0x1028;
    private const uint TDBAL = 0x6000, TDBAH = 0x6004, TDLEN = 0x6008, TDH = 0x6010, TDT = 0x6018, TXDCTL = 0x6028, TDWBAL = 0x6038, TDWBAH = 0x603C;
    private const int Descriptors = 256;
    private const uint RxRing = 0, TxRing = 0x10000, Buffers = 0x20000; // offsets in the DMA area

    private static readonly uint[] s_registers =
    [
        CTRL, 0x8, 0x18, 0x10010, 0x2F00, 0x800, 0x880, 0x888, 0x42A0, 0x42A4, RXCTRL, DMATXCTL, FCTRL, HLREG0, MAXFRS,
        RDBAL, RDBAH, RDLEN, RDH, SRRCTL, RDT, RXDCTL, TDBAL, TDBAH, TDLEN, TDH, TDT, TXDCTL, TDWBAL, TDWBAH,
        RDBAL + 0x40, RDT + 0x40, RXDCTL + 0x40, TDT + 0x40, TXDCTL + 0x40, 0xD000, 0xD018, 0xD028,
        0x4000, 0x4074, 0x40C0, 0x3FA0, 0x5200, 0xA200, 0xA204, 0x5400, 0x2100, 0x2200,
    ];

    private readonly Rng _rng;
    private readonly Layout _l;
    private readonly byte* _bar;
    private readonly byte* _dma;
    private readonly ulong[] _addresses;

    public IxgbeAttacks(Rng rng, Layout layout)
    {
        _rng = rng;
        _l = layout;
        _bar = layout.Bar0;
        _dma = (byte*)layout.DmaBase;
        _addresses = layout.AdversarialAddresses();
        SetUp();
    }

    private void W(uint register, uint value) => Volatile.Write(ref *(uint*)(_bar + register), value);

    private uint R(uint register) => Volatile.Read(ref *(uint*)(_bar + register));

    /// <summary>Queue 0 as a driver would have it, so frames flow while the rest is scribbled.</summary>
    public void SetUp()
    {
        W(CTRL, 1u << 26);
        ulong rx = _l.DmaBase + RxRing, tx = _l.DmaBase + TxRing;
        for (int i = 0; i < Descriptors; i++)
        {
            ulong* d = (ulong*)(_dma + RxRing) + 2 * i;
            d[0] = _l.DmaBase + Buffers + (ulong)i * 2048;
            d[1] = 0;
        }
        W(FCTRL, (1u << 8) | (1u << 9) | (1u << 10));
        W(RDBAL, (uint)rx); W(RDBAH, (uint)(rx >> 32)); W(RDLEN, Descriptors * 16); W(RDH, 0); W(RDT, 0);
        W(SRRCTL, 2 | (1u << 25));
        W(RXDCTL, 1u << 25);
        W(RDT, Descriptors - 1);
        W(RXCTRL, 1);
        W(TDBAL, (uint)tx); W(TDBAH, (uint)(tx >> 32)); W(TDLEN, Descriptors * 16); W(TDH, 0); W(TDT, 0);
        W(DMATXCTL, 1);
        W(TXDCTL, 1u << 25);
    }

    public void One()
    {
        if (_rng.OneIn(3)) Descriptor();
        else Register();
    }

    private uint AnyValue()
    {
        ulong a = _rng.Pick(_addresses);
        return _rng.Below(4) switch
        {
            0 => (uint)_rng.Next(),
            1 => (uint)a,
            2 => (uint)(a >> 32),
            _ => (uint)_rng.Below(4096) * 16,
        };
    }

    private void Register()
    {
        Tally.Counts[Tally.IxgbeReg]++;
        uint register = _rng.OneIn(4) ? (uint)_rng.Below((int)(Bar0Size / 4)) * 4 : _rng.Pick(s_registers);
        switch (_rng.Below(8))
        {
            case 0: R(register); break;
            case 1: Volatile.Write(ref *(byte*)(_bar + register + (uint)_rng.Below(4)), (byte)_rng.Next()); break;
            case 2: Volatile.Write(ref *(ushort*)(_bar + register + 2 * (uint)_rng.Below(2)), (ushort)_rng.Next()); break;
            case 3: Volatile.Write(ref *(ulong*)(_bar + (register & ~7u)), _rng.Next()); break;
            case 4:
                // Misaligned, but inside one page: the process platform ends a guest whose MMIO
                // access straddles pages (docs/platforms.md), KVM hands it to the device.
                if ((register & 0xFFF) == 0xFFC) register -= 4;
                Volatile.Write(ref *(uint*)(_bar + register + 1 + (uint)_rng.Below(3)), (uint)_rng.Next());
                break;
            case 5: Volatile.Read(ref *(ulong*)(_bar + (register & ~7u))); break;
            case 6: if (_rng.OneIn(64)) SetUp(); else W(register, AnyValue()); break;
            default:
                // Ring heads and tails anywhere, doorbells rung.
                W(_rng.Pick(s_doorbells), _rng.OneIn(2) ? (uint)_rng.Below(Descriptors * 2) : AnyValue());
                break;
        }
    }

    private static readonly uint[] s_doorbells = [RDH, RDT, TDH, TDT, RDLEN, TDLEN];

    /// <summary>A descriptor in either ring: buffers outside the DMA area, huge lengths, any command bits; then the doorbell.</summary>
    private void Descriptor()
    {
        Tally.Counts[Tally.IxgbeDesc]++;
        int i = _rng.Below(Descriptors);
        bool tx = _rng.OneIn(2);
        ulong* d = (ulong*)(_dma + (tx ? TxRing : RxRing)) + 2 * i;
        ulong address = _rng.Below(4) switch
        {
            0 => _l.DmaBase + Buffers + (ulong)_rng.Below(Descriptors) * 2048,
            1 => _l.DmaBase + _l.DmaSize - (ulong)_rng.Below(4096),
            2 => _rng.Pick(_addresses),
            _ => _rng.Next(),
        };
        d[0] = address;
        d[1] = _rng.Below(3) switch
        {
            0 => _rng.Next(),
            // advanced data: DTALEN, EOP|IFCS|RS|DEXT, DTYP 0011
            1 => (ulong)_rng.Below(65536) | (0x2B300000UL << 0) | ((ulong)_rng.Below(65536) << 46),
            _ => (ulong)_rng.Below(2048) | (0x0BUL << 24),
        };
        if (_rng.OneIn(2)) W(tx ? TDT : RDT, (uint)((i + 1) % Descriptors));
    }

    /// <summary>Beyond BAR0's 512 KiB: unmapped, a page fault.</summary>
    public uint FatalBeyondBar() => Volatile.Read(ref *(uint*)(_bar + Bar0Size + 64));
}
