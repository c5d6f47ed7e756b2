using System;
using Guest.Stack;

namespace Guest.Ixgbe;

/// <summary>
/// Where the driver's receive ring gets empty buffers and where transmitted buffers go back:
/// the driver deals in slot numbers and device addresses only, so the same rings run over the
/// driver's own <see cref="DmaPacketPool"/> and over Guest.Stack's <see cref="PacketPool"/>
/// (placed in DMA memory) without copying frames between the two.
/// </summary>
public interface IBufferSource
{
    /// <summary>Bytes the device may write into one buffer (a multiple of 1 KiB).</summary>
    int SlotSize { get; }

    /// <summary>Takes a free buffer for the receive ring; false when none is free.</summary>
    bool TryTake(out int slot, out ulong iova);

    /// <summary>A buffer the device is done with (transmitted, or never handed out) goes back.</summary>
    void Release(int slot);

    /// <summary>The device address of a slot's first byte (a slot's address never changes).</summary>
    ulong IovaOf(int slot);
}

/// <summary>The driver's own pool as a buffer source.</summary>
public readonly struct PoolBuffers : IBufferSource
{
    public readonly DmaPacketPool Pool;

    public PoolBuffers(DmaPacketPool pool) => Pool = pool;

    public int SlotSize => Pool.SlotSize;

    public bool TryTake(out int slot, out ulong iova)
    {
        if (!Pool.TryTakeSlot(out slot))
        {
            iova = 0;
            return false;
        }
        iova = Pool.SlotIova(slot);
        return true;
    }

    public void Release(int slot) => Pool.ReleaseSlot(slot);

    public ulong IovaOf(int slot) => Pool.SlotIova(slot);
}

/// <summary>
/// Guest.Stack's pool as a buffer source. The pool must have been made over DMA memory
/// (<see cref="IxgbeNic{TRegs}.CreatePool"/> does that), so a slot's address plus the area's
/// IOVA delta is what the device is told.
/// </summary>
public readonly unsafe struct StackPoolBuffers : IBufferSource
{
    public readonly PacketPool Pool;
    private readonly ulong _iovaDelta;

    public StackPoolBuffers(PacketPool pool, DmaAllocator dma)
    {
        Pool = pool;
        _iovaDelta = dma.IovaDelta;
        if (pool.SlotSize % 1024 != 0 || pool.SlotSize > 16 * 1024)
            throw new ArgumentException("stack pool slot size must be whole KiB (the 82599's receive buffer unit), at most 16 KiB");
        byte* first = pool.AddressOf(new PacketBuffer(0, 0, 0)); // throws for a managed (non-DMA) pool
        if (!dma.Contains(first, (ulong)pool.Capacity * (ulong)pool.SlotSize))
            throw new ArgumentException("stack pool is not inside the DMA area: the device could not reach its buffers");
    }

    public int SlotSize => Pool.SlotSize;

    public bool TryTake(out int slot, out ulong iova)
    {
        if (!Pool.TryRent(out PacketBuffer b))
        {
            slot = -1;
            iova = 0;
            return false;
        }
        slot = b.Slot;
        iova = IovaOf(b);
        return true;
    }

    public void Release(int slot) => Pool.Return(new PacketBuffer(slot, 0, 0));

    public ulong IovaOf(int slot) => IovaOf(new PacketBuffer(slot, 0, 0));

    /// <summary>The device address of the frame's first byte.</summary>
    public ulong IovaOf(in PacketBuffer b) => (ulong)Pool.AddressOf(b) + _iovaDelta;
}
