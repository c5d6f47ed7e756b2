using System.Buffers.Binary;

namespace Tender.Pci.Emulation;

/// <summary>A memory BAR of an emulated function.</summary>
/// <param name="Index">BAR number (a 64-bit BAR also uses Index + 1 for its upper half).</param>
/// <param name="Size">Bytes, a power of two of at least 16.</param>
/// <param name="Is64Bit">64-bit memory BAR (type 10b).</param>
/// <param name="Prefetchable">Prefetchable bit.</param>
public readonly record struct EmulatedBar(int Index, ulong Size, bool Is64Bit, bool Prefetchable);

/// <summary>
/// The 256-byte type-0 configuration space of an emulated PCI function, with the write rules of
/// the PCI spec that matter to a tender: read-only identity, a writable Command register whose
/// Bus Master Enable gates the device's DMA, and BARs that report their size by the usual
/// write-all-ones probe. No capabilities are implemented (the capabilities bit in Status is 0).
/// </summary>
public sealed class EmulatedPciConfigSpace
{
    /// <summary>Command bits software may change: I/O, memory, bus master, parity, SERR, interrupt disable.</summary>
    private const ushort WritableCommandBits = 0x0001 | 0x0002 | 0x0004 | 0x0040 | 0x0100 | 0x0400;

    private readonly byte[] _bytes = new byte[PciConfig.Size];
    private readonly EmulatedBar?[] _bars = new EmulatedBar?[6];
    private readonly object _sync = new();

    public EmulatedPciConfigSpace(PciIdentity identity, byte revision, ushort subsystemVendor, ushort subsystemId,
        IEnumerable<EmulatedBar> bars, byte interruptPin = 1)
    {
        Identity = identity;
        Span<byte> b = _bytes;
        BinaryPrimitives.WriteUInt16LittleEndian(b[PciConfig.VendorId..], identity.VendorId);
        BinaryPrimitives.WriteUInt16LittleEndian(b[PciConfig.DeviceId..], identity.DeviceId);
        b[PciConfig.RevisionId] = revision;
        b[PciConfig.ProgIf] = identity.ProgIf;
        b[PciConfig.Subclass] = identity.Subclass;
        b[PciConfig.ClassCode] = identity.ClassCode;
        b[PciConfig.HeaderType] = 0x00;
        BinaryPrimitives.WriteUInt16LittleEndian(b[PciConfig.SubsystemVendorId..], subsystemVendor);
        BinaryPrimitives.WriteUInt16LittleEndian(b[PciConfig.SubsystemId..], subsystemId);
        b[PciConfig.InterruptPin] = interruptPin;
        foreach (EmulatedBar bar in bars)
        {
            if (bar.Index is < 0 or > 5 || (bar.Is64Bit && bar.Index == 5))
                throw new ArgumentException($"BAR {bar.Index} cannot be placed");
            if (bar.Size < 16 || (bar.Size & (bar.Size - 1)) != 0)
                throw new ArgumentException($"BAR {bar.Index} size {bar.Size} is not a power of two of at least 16");
            _bars[bar.Index] = bar;
            uint low = (bar.Is64Bit ? PciConfig.BarMemoryType64 : 0) | (bar.Prefetchable ? PciConfig.BarPrefetchable : 0);
            BinaryPrimitives.WriteUInt32LittleEndian(b[PciConfig.BarOffset(bar.Index)..], low);
        }
    }

    public PciIdentity Identity { get; }

    /// <summary>The BARs the function implements.</summary>
    public IEnumerable<EmulatedBar> Bars => _bars.Where(b => b.HasValue).Select(b => b!.Value);

    public ushort Command
    {
        get { lock (_sync) return BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan(PciConfig.Command)); }
    }

    /// <summary>Bus Master Enable: without it the device performs no DMA.</summary>
    public bool BusMasterEnabled => (Command & PciConfig.CommandBusMaster) != 0;

    /// <summary>Sets or clears Bus Master Enable and Memory Space Enable, as the tender does for the manifest's bus_master_enable.</summary>
    public void SetBusMaster(bool enable)
    {
        ushort command = Command;
        command = enable
            ? (ushort)(command | PciConfig.CommandBusMaster | PciConfig.CommandMemorySpace)
            : (ushort)(command & ~PciConfig.CommandBusMaster);
        Write(PciConfig.Command, 2, command);
    }

    /// <summary>Reads 1, 2 or 4 bytes at offset (naturally aligned); bytes past the header read as 0.</summary>
    public uint Read(int offset, int size)
    {
        if (!ValidAccess(offset, size)) return 0xFFFFFFFF >> (32 - 8 * Math.Clamp(size, 1, 4));
        lock (_sync)
        {
            ReadOnlySpan<byte> b = _bytes.AsSpan(offset, size);
            return size switch
            {
                1 => b[0],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(b),
                _ => BinaryPrimitives.ReadUInt32LittleEndian(b),
            };
        }
    }

    /// <summary>Writes 1, 2 or 4 bytes at offset, byte by byte under the register's write mask.</summary>
    public void Write(int offset, int size, uint value)
    {
        if (!ValidAccess(offset, size)) return;
        lock (_sync)
        {
            for (int i = 0; i < size; i++)
                WriteByte(offset + i, (byte)(value >> (8 * i)));
        }
    }

    private static bool ValidAccess(int offset, int size) =>
        size is 1 or 2 or 4 && offset >= 0 && offset + size <= PciConfig.Size && offset % size == 0;

    private void WriteByte(int offset, byte value)
    {
        switch (offset)
        {
            case PciConfig.Command:
                _bytes[offset] = (byte)((_bytes[offset] & ~WritableCommandBits) | (value & WritableCommandBits));
                return;
            case PciConfig.Command + 1:
                _bytes[offset] = (byte)((_bytes[offset] & ~(WritableCommandBits >> 8)) | (value & (WritableCommandBits >> 8)));
                return;
            case PciConfig.CacheLineSize:
            case PciConfig.LatencyTimer:
            case PciConfig.InterruptLine:
                _bytes[offset] = value;
                return;
        }
        if (offset is >= PciConfig.Bar0 and < PciConfig.Bar0 + 24)
        {
            int index = (offset - PciConfig.Bar0) / 4;
            int byteInBar = (offset - PciConfig.Bar0) % 4;
            ulong mask = BarWriteMask(index);
            byte writable = (byte)(mask >> (8 * byteInBar));
            _bytes[offset] = (byte)((_bytes[offset] & ~writable) | (value & writable));
        }
        // Everything else (identity, status, header type, subsystem, pin) is read-only.
    }

    /// <summary>The writable bits of BAR register index: the address bits above the BAR's size.</summary>
    private uint BarWriteMask(int index)
    {
        if (_bars[index] is EmulatedBar bar)
            return (uint)~(bar.Size - 1) & 0xFFFFFFF0;
        if (index > 0 && _bars[index - 1] is { Is64Bit: true } lower)
            return (uint)(~(lower.Size - 1) >> 32);
        return 0;
    }
}
