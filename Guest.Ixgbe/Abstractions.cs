using System;
using System.Threading;

namespace Guest.Ixgbe;

/// <summary>
/// The device's BAR0 as the driver sees it: 32-bit register reads and writes at byte offsets.
/// In a guest this is volatile access to the BAR mapped at 2^39 + n·2^34 (<see cref="MmioRegisters"/>),
/// and every access is an MMIO exit to the tender (~27 µs here); in host tests it is the emulated
/// 82599 model's register file. Implement it on a struct so each access is a direct call.
/// </summary>
public interface IRegisters
{
    uint Read32(uint offset);
    void Write32(uint offset, uint value);
}

/// <summary>
/// The DMA area: memory the driver can address and the device can reach. <see cref="Iova"/> is the
/// device-visible address of <see cref="Pointer"/>; in a guest both are 2^40 (design decision 2:
/// IOVA = guest-virtual address), in host tests the pointer is a pinned array and the IOVA 2^40.
/// </summary>
public unsafe interface IDmaRegion
{
    byte* Pointer { get; }
    ulong Iova { get; }
    ulong Size { get; }
}

/// <summary>Monotonic time for the driver's waits (reset, queue enable, link-up), in nanoseconds.</summary>
public interface IClock
{
    ulong NowNanoseconds { get; }
}

/// <summary>BAR0 through a pointer: the guest's register access (volatile, so no access is merged or reordered).</summary>
public readonly unsafe struct MmioRegisters : IRegisters
{
    private readonly byte* _bar0;
    private readonly uint _size;

    /// <param name="bar0">Where the tender mapped BAR0 (uncached).</param>
    /// <param name="size">BAR0's size in bytes (512 KiB on the 82599).</param>
    public MmioRegisters(byte* bar0, uint size)
    {
        if (bar0 == null || size < 4) throw new ArgumentException("BAR0 mapping is missing");
        _bar0 = bar0;
        _size = size;
    }

    public uint Read32(uint offset)
    {
        if (offset > _size - 4 || (offset & 3) != 0) throw new ArgumentException("register offset outside BAR0 or unaligned");
        return Volatile.Read(ref *(uint*)(_bar0 + offset));
    }

    public void Write32(uint offset, uint value)
    {
        if (offset > _size - 4 || (offset & 3) != 0) throw new ArgumentException("register offset outside BAR0 or unaligned");
        Volatile.Write(ref *(uint*)(_bar0 + offset), value);
    }
}

/// <summary>A DMA area given by pointer, IOVA and size (the guest's: pointer = IOVA = 2^40).</summary>
public readonly unsafe struct PointerDmaRegion : IDmaRegion
{
    private readonly byte* _pointer;
    private readonly ulong _iova;
    private readonly ulong _size;

    public PointerDmaRegion(byte* pointer, ulong iova, ulong size)
    {
        if (pointer == null || size == 0) throw new ArgumentException("DMA area is missing");
        if (iova + size < iova) throw new ArgumentException("DMA area wraps around");
        _pointer = pointer;
        _iova = iova;
        _size = size;
    }

    public byte* Pointer => _pointer;
    public ulong Iova => _iova;
    public ulong Size => _size;
}

/// <summary>One piece of the DMA area: where the driver reaches it and what the device calls it.</summary>
public readonly unsafe struct DmaBlock
{
    public readonly byte* Pointer;
    public readonly ulong Iova;
    public readonly ulong Length;

    public DmaBlock(byte* pointer, ulong iova, ulong length)
    {
        Pointer = pointer;
        Iova = iova;
        Length = length;
    }
}

/// <summary>
/// Hands out aligned pieces of the DMA area, never to be freed (rings and packet pools live as
/// long as the guest). One allocator serves every device of a guest, so buffers can move between
/// two ports (the forwarder) without copies.
/// </summary>
public sealed unsafe class DmaAllocator
{
    private readonly byte* _pointer;
    private readonly ulong _iova;
    private readonly ulong _size;
    private ulong _used;

    private DmaAllocator(byte* pointer, ulong iova, ulong size)
    {
        _pointer = pointer;
        _iova = iova;
        _size = size;
    }

    public static DmaAllocator Over<TDma>(TDma region) where TDma : struct, IDmaRegion
    {
        if (region.Pointer == null || region.Size == 0) throw new ArgumentException("DMA area is missing");
        return new DmaAllocator(region.Pointer, region.Iova, region.Size);
    }

    public ulong Size => _size;
    public ulong Used => _used;

    /// <summary>Device address minus driver address: the same for every byte of the area (0 in a guest).</summary>
    public ulong IovaDelta => _iova - (ulong)_pointer;

    /// <summary>Zeroed memory of <paramref name="length"/> bytes aligned to <paramref name="alignment"/> (a power of two) in IOVA space.</summary>
    public DmaBlock Allocate(ulong length, ulong alignment)
    {
        if (length == 0 || alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw new ArgumentException("DMA allocation needs a length and a power-of-two alignment");
        ulong misalign = (_iova + _used) & (alignment - 1);
        ulong start = _used + (misalign == 0 ? 0 : alignment - misalign);
        if (start < _used || start > _size || length > _size - start)
            throw new InvalidOperationException("DMA area too small for the rings and packet buffers asked for");
        _used = start + length;
        byte* p = _pointer + start;
        for (ulong done = 0; done < length;)
        {
            int chunk = (int)Math.Min(length - done, 1UL << 30);
            new Span<byte>(p + done, chunk).Clear();
            done += (ulong)chunk;
        }
        return new DmaBlock(p, _iova + start, length);
    }

    /// <summary>Whether [pointer, pointer + length) lies inside the area.</summary>
    public bool Contains(byte* pointer, ulong length) =>
        pointer >= _pointer && (ulong)(pointer - _pointer) <= _size && length <= _size - (ulong)(pointer - _pointer);
}
