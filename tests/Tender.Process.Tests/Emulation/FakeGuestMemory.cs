using System.Buffers.Binary;

namespace Tender.ProcessPlatform.Tests.Emulation;

// Inside the namespace: from within Tender.Process.*, the name Emulation would otherwise
// find the namespace Tender.ProcessPlatform.Emulation before the type.
using Tender.ProcessPlatform.Emulation;

/// <summary>
/// Guest memory for the emulator's tests: one flat byte array at <see cref="Base"/>, with ranges
/// that can be made unreadable or read-only to exercise the emulator's failure paths, and
/// counters to show that MMIO decoding never touches memory.
/// </summary>
internal sealed class FakeGuestMemory : IGuestMemoryView
{
    private readonly List<(ulong Start, ulong End)> _unmapped = new();
    private readonly List<(ulong Start, ulong End)> _readOnly = new();

    public FakeGuestMemory(ulong baseAddress = 0, int size = 0x20000)
    {
        Base = baseAddress;
        Bytes = new byte[size];
    }

    public ulong Base { get; }
    public byte[] Bytes { get; }
    public int Reads { get; private set; }
    public int Writes { get; private set; }

    public void Unmap(ulong start, ulong length) => _unmapped.Add((start, start + length));
    public void MakeReadOnly(ulong start, ulong length) => _readOnly.Add((start, start + length));

    public bool TryRead(ulong address, Span<byte> into)
    {
        Reads++;
        if (!Inside(address, into.Length) || Overlaps(_unmapped, address, into.Length)) return false;
        Bytes.AsSpan(checked((int)(address - Base)), into.Length).CopyTo(into);
        return true;
    }

    public bool TryWrite(ulong address, ReadOnlySpan<byte> bytes)
    {
        Writes++;
        if (!Inside(address, bytes.Length) || Overlaps(_unmapped, address, bytes.Length) || Overlaps(_readOnly, address, bytes.Length))
            return false;
        bytes.CopyTo(Bytes.AsSpan(checked((int)(address - Base))));
        return true;
    }

    public void Load(ulong address, ReadOnlySpan<byte> bytes) => bytes.CopyTo(Bytes.AsSpan(checked((int)(address - Base))));
    public void Store64(ulong address, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Bytes.AsSpan(checked((int)(address - Base))), value);
    public void Store16(ulong address, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Bytes.AsSpan(checked((int)(address - Base))), value);
    public ulong Load64(ulong address) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(checked((int)(address - Base))));
    public ushort Load16(ulong address) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(checked((int)(address - Base))));
    public byte this[ulong address] => Bytes[checked((int)(address - Base))];

    /// <summary>What the caller does before Emulate: up to 15 bytes at RIP, fewer where memory ends.</summary>
    public byte[] CodeAt(ulong rip)
    {
        int available = (int)Math.Min(15UL, Base + (ulong)Bytes.Length - rip);
        return Bytes.AsSpan(checked((int)(rip - Base)), available).ToArray();
    }

    /// <summary>A descriptor-table pointer as lgdt/lidt read it: limit, then base.</summary>
    public void StoreTablePointer(ulong address, ushort limit, ulong tableBase)
    {
        Store16(address, limit);
        Store64(address + 2, tableBase);
    }

    /// <summary>A 64-bit interrupt (type 0xE) or trap (0xF) gate.</summary>
    public void StoreGate(ulong idtBase, uint vector, ulong handler, ushort selector, int ist, int type, bool present = true)
    {
        var gate = Bytes.AsSpan(checked((int)(idtBase + 16UL * vector - Base)), 16);
        gate.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(gate, (ushort)handler);
        BinaryPrimitives.WriteUInt16LittleEndian(gate[2..], selector);
        gate[4] = (byte)ist;
        gate[5] = (byte)((present ? 0x80 : 0) | type);
        BinaryPrimitives.WriteUInt16LittleEndian(gate[6..], (ushort)(handler >> 16));
        BinaryPrimitives.WriteUInt32LittleEndian(gate[8..], (uint)(handler >> 32));
    }

    /// <summary>A 16-byte 64-bit TSS descriptor (type 9 available, or 0xB busy).</summary>
    public void StoreTssDescriptor(ulong address, ulong tssBase, int type = 9)
    {
        var d = Bytes.AsSpan(checked((int)(address - Base)), 16);
        d.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(d, 0x67);
        BinaryPrimitives.WriteUInt16LittleEndian(d[2..], (ushort)tssBase);
        d[4] = (byte)(tssBase >> 16);
        d[5] = (byte)(0x80 | type);
        d[7] = (byte)(tssBase >> 24);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], (uint)(tssBase >> 32));
    }

    private bool Inside(ulong address, int length) =>
        address >= Base && address - Base + (ulong)length <= (ulong)Bytes.Length;

    private static bool Overlaps(List<(ulong Start, ulong End)> ranges, ulong address, int length)
    {
        foreach (var (start, end) in ranges)
            if (address < end && address + (ulong)length > start) return true;
        return false;
    }
}
