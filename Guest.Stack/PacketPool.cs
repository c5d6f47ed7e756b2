using System;

namespace Guest.Stack;

/// <summary>
/// A handle to one frame in a <see cref="PacketPool"/> slot: the frame is bytes
/// [Offset, Offset + Length) of slot <see cref="Slot"/>. A handle is a value; whoever holds it
/// owns the slot until it passes the handle on (to a device in SendBatch, to the stack out of
/// ReceiveBatch) or gives it back with <see cref="PacketPool.Return"/>.
/// </summary>
public struct PacketBuffer
{
    public int Slot;
    public int Offset;
    public int Length;

    public PacketBuffer(int slot, int offset, int length) { Slot = slot; Offset = offset; Length = length; }

    public static readonly PacketBuffer None = new(-1, 0, 0);
    public bool IsNone => Slot < 0;
}

/// <summary>
/// Fixed-size packet slots carved out of one block of memory, with an explicit free list.
/// The block is either a managed array (host tests) or raw memory the caller owns for the
/// pool's lifetime (a guest's DMA area, so a driver can put <see cref="AddressOf"/> into a
/// descriptor and the device writes straight into the slot: zero copies).
/// Rent/Return cost O(1) and allocate nothing; returning a slot twice is a programming error.
/// </summary>
public sealed unsafe class PacketPool
{
    private readonly byte[]? _array;
    private readonly byte* _memory;
    private readonly int[] _free;
    private readonly bool[] _inUse;
    private int _freeCount;

    private readonly int _slotSize;
    private readonly int _capacity;
    public int SlotSize => _slotSize;
    public int Capacity => _capacity;
    public int Available => _freeCount;

    public PacketPool(int slots, int slotSize = 2048)
    {
        if (slots <= 0 || slotSize < 128) throw new ArgumentException("pool needs slots > 0 and slotSize >= 128");
        _array = new byte[(long)slots * slotSize];
        _slotSize = slotSize; _capacity = slots;
        _free = new int[slots]; _inUse = new bool[slots];
        for (int i = 0; i < slots; i++) _free[i] = slots - 1 - i;
        _freeCount = slots;
    }

    /// <summary>A pool over caller-owned memory (for example DMA memory whose IOVA equals its address).</summary>
    public PacketPool(byte* memory, long length, int slotSize = 2048)
    {
        if (memory == null || slotSize < 128 || length / slotSize <= 0 || length / slotSize > int.MaxValue)
            throw new ArgumentException("pool memory too small or too large for the slot size");
        _memory = memory;
        _slotSize = slotSize; _capacity = (int)(length / slotSize);
        _free = new int[Capacity]; _inUse = new bool[Capacity];
        for (int i = 0; i < Capacity; i++) _free[i] = Capacity - 1 - i;
        _freeCount = Capacity;
    }

    /// <summary>Takes a free slot; the returned buffer covers the whole slot (Offset 0, Length SlotSize).</summary>
    public bool TryRent(out PacketBuffer buffer)
    {
        if (_freeCount == 0) { buffer = PacketBuffer.None; return false; }
        int slot = _free[--_freeCount];
        _inUse[slot] = true;
        buffer = new PacketBuffer(slot, 0, SlotSize);
        return true;
    }

    public void Return(PacketBuffer buffer)
    {
        int slot = buffer.Slot;
        if ((uint)slot >= (uint)Capacity || !_inUse[slot])
            throw new InvalidOperationException("packet buffer returned twice or not from this pool");
        _inUse[slot] = false;
        _free[_freeCount++] = slot;
    }

    public bool IsRented(int slot) => (uint)slot < (uint)Capacity && _inUse[slot];

    /// <summary>The frame bytes of <paramref name="buffer"/> (bounds-checked against the slot).</summary>
    public Span<byte> Data(in PacketBuffer buffer)
    {
        if ((uint)buffer.Slot >= (uint)Capacity || (uint)buffer.Offset > (uint)SlotSize
            || (uint)buffer.Length > (uint)(SlotSize - buffer.Offset))
            throw new ArgumentException("packet buffer outside its slot");
        return SlotSpan(buffer.Slot).Slice(buffer.Offset, buffer.Length);
    }

    /// <summary>The whole slot, for writing a frame before its length is known.</summary>
    public Span<byte> SlotSpan(int slot)
    {
        if ((uint)slot >= (uint)Capacity) throw new ArgumentException("slot out of range");
        if (_array != null) return new Span<byte>(_array, slot * SlotSize, SlotSize);
        return new Span<byte>(_memory + (long)slot * SlotSize, SlotSize);
    }

    /// <summary>The address of the frame's first byte; only for pools over caller-owned memory.</summary>
    public byte* AddressOf(in PacketBuffer buffer)
    {
        if (_memory == null) throw new InvalidOperationException("managed pool has no stable addresses");
        return _memory + (long)buffer.Slot * SlotSize + buffer.Offset;
    }
}
