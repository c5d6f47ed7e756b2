using System;

namespace Guest.Ixgbe;

/// <summary>
/// Ownership of one packet buffer of a <see cref="DmaPacketPool"/>: the slot index and the
/// generation the slot had when it was handed out. Whoever holds a handle owns the buffer until
/// it passes the handle on (to TxBatch, which then owns it) or frees it. Once the buffer is back in
/// the pool the slot's generation has moved on, so the old handle no longer matches: freeing or
/// sending it always fails, and reading or writing through it fails in DEBUG builds.
/// </summary>
public readonly struct PacketHandle
{
    public readonly int Index;
    public readonly uint Generation;

    public PacketHandle(int index, uint generation)
    {
        Index = index;
        Generation = generation;
    }

    /// <summary>The default handle: owns nothing (generation 0 is never handed out).</summary>
    public static readonly PacketHandle None = new PacketHandle(-1, 0);
    public bool IsNone => Index < 0;
}

/// <summary>
/// ixy's mempool: fixed-size packet buffers carved from the DMA area, with a stack of free slots,
/// so taking and returning a buffer is O(1) and allocates nothing. A buffer's device address is
/// its pool IOVA plus index·SlotSize, which the driver writes straight into descriptors.
/// Each slot has a generation: even while free, odd while owned; a handle carries the odd value it
/// was issued with. Several devices may share one pool (a forwarder moves buffers between ports).
/// </summary>
public sealed unsafe class DmaPacketPool
{
    private readonly byte* _memory;
    private readonly ulong _iova;
    private readonly int _slotSize;
    private readonly int _capacity;
    private readonly uint[] _generation;
    private readonly int[] _length;
    private readonly int[] _free;
    private int _freeCount;

#if DEBUG
    /// <summary>Whether every data access checks the handle's generation (DEBUG builds).</summary>
    public static bool ChecksEveryAccess => true;
#else
    public static bool ChecksEveryAccess => false;
#endif

    /// <summary>A pool of <paramref name="count"/> buffers of <paramref name="slotSize"/> bytes (a multiple of 1 KiB: the 82599's receive buffer unit).</summary>
    public DmaPacketPool(DmaAllocator dma, int count, int slotSize = 2048)
    {
        if (count <= 0 || slotSize < 1024 || slotSize > 16 * 1024 || slotSize % 1024 != 0)
            throw new ArgumentException("pool needs count > 0 and a slot size of 1..16 KiB in whole KiB");
        DmaBlock block = dma.Allocate((ulong)count * (ulong)slotSize, 4096);
        _memory = block.Pointer;
        _iova = block.Iova;
        _slotSize = slotSize;
        _capacity = count;
        _generation = new uint[count];
        _length = new int[count];
        _free = new int[count];
        for (int i = 0; i < count; i++) _free[i] = count - 1 - i;
        _freeCount = count;
    }

    public int SlotSize => _slotSize;
    public int Capacity => _capacity;
    public int Available => _freeCount;

    /// <summary>Takes a free buffer (length 0). False when the pool is exhausted.</summary>
    public bool TryAllocate(out PacketHandle handle)
    {
        if (!TryTakeSlot(out int slot))
        {
            handle = PacketHandle.None;
            return false;
        }
        handle = new PacketHandle(slot, _generation[slot]);
        return true;
    }

    /// <summary>Fills <paramref name="into"/> with as many free buffers as there are, up to its length; returns how many.</summary>
    public int AllocateBatch(Span<PacketHandle> into)
    {
        int n = 0;
        while (n < into.Length && TryAllocate(out PacketHandle h)) into[n++] = h;
        return n;
    }

    /// <summary>Gives the buffer back. Always checked: a stale or foreign handle throws instead of corrupting the pool.</summary>
    public void Free(PacketHandle handle)
    {
        Check(handle);
        ReleaseSlot(handle.Index);
    }

    public void FreeBatch(ReadOnlySpan<PacketHandle> handles)
    {
        for (int i = 0; i < handles.Length; i++) Free(handles[i]);
    }

    /// <summary>Whether the handle still owns its buffer (always checked, in every build).</summary>
    public bool IsValid(PacketHandle handle) =>
        (uint)handle.Index < (uint)_capacity && _generation[handle.Index] == handle.Generation && (handle.Generation & 1) != 0;

    /// <summary>The frame: the first <see cref="GetLength"/> bytes of the buffer.</summary>
    public Span<byte> Data(PacketHandle handle)
    {
        CheckAccess(handle);
        return new Span<byte>(_memory + (long)handle.Index * _slotSize, _length[handle.Index]);
    }

    /// <summary>The whole buffer (SlotSize bytes), for writing a frame before setting its length.</summary>
    public Span<byte> Buffer(PacketHandle handle)
    {
        CheckAccess(handle);
        return new Span<byte>(_memory + (long)handle.Index * _slotSize, _slotSize);
    }

    public int GetLength(PacketHandle handle)
    {
        CheckAccess(handle);
        return _length[handle.Index];
    }

    public void SetLength(PacketHandle handle, int length)
    {
        CheckAccess(handle);
        if ((uint)length > (uint)_slotSize) throw new ArgumentException("frame length exceeds the packet buffer");
        _length[handle.Index] = length;
    }

    /// <summary>The device address of the buffer's first byte.</summary>
    public ulong IovaOf(PacketHandle handle)
    {
        CheckAccess(handle);
        return _iova + (ulong)handle.Index * (ulong)_slotSize;
    }

    public byte* PointerOf(PacketHandle handle)
    {
        CheckAccess(handle);
        return _memory + (long)handle.Index * _slotSize;
    }

    // ---- for the driver: slots it owns between TakeSlot and ReleaseSlot ----

    internal bool TryTakeSlot(out int slot)
    {
        if (_freeCount == 0)
        {
            slot = -1;
            return false;
        }
        slot = _free[--_freeCount];
        _generation[slot]++;            // even (free) -> odd (owned)
        _length[slot] = 0;
        return true;
    }

    internal void ReleaseSlot(int slot)
    {
        _generation[slot]++;            // odd -> even: every handle issued for this ownership is now stale
        _free[_freeCount++] = slot;
    }

    /// <summary>The slot now belongs to a device's transmit ring: every handle to it goes stale, and it stays owned (odd).</summary>
    internal void TransferToDevice(int slot) => _generation[slot] += 2;

    internal PacketHandle HandleOf(int slot) => new PacketHandle(slot, _generation[slot]);
    internal ulong SlotIova(int slot) => _iova + (ulong)slot * (ulong)_slotSize;
    internal void SetSlotLength(int slot, int length) => _length[slot] = length;
    internal int SlotLength(int slot) => _length[slot];

    /// <summary>The ownership check used where ownership moves (Free, TxBatch): in every build.</summary>
    internal void Check(PacketHandle handle)
    {
        if (!IsValid(handle)) throw new InvalidOperationException("stale packet buffer: handle does not own a buffer of this pool (freed, sent, or never allocated)");
    }

    private void CheckAccess(PacketHandle handle)
    {
#if DEBUG
        Check(handle);
#else
        if ((uint)handle.Index >= (uint)_capacity) throw new ArgumentException("packet handle outside the pool");
#endif
    }
}
