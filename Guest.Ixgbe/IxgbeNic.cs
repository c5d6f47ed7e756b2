using System;
using Guest.Stack;

namespace Guest.Ixgbe;

/// <summary>
/// The 82599 as a Guest.Stack device (design decision 6): <c>NetStack&lt;IxgbeNic&lt;MmioRegisters&gt;&gt;</c>
/// is specialised for it, so each device call is a direct call.
/// <para>
/// Zero copies: the stack's <see cref="PacketPool"/> is placed in the DMA area
/// (<see cref="CreatePool"/>) and the driver's rings take their buffers from it, so a received
/// frame is handed to the stack in the buffer the device wrote, and a frame the stack sends goes
/// out of the stack's own buffer. The receive ring keeps one pool buffer per descriptor, so the
/// pool must be larger than the ring by what the stack needs (<see cref="Create"/> checks).
/// </para>
/// </summary>
public struct IxgbeNic<TRegs> : INetDevice where TRegs : struct, IRegisters
{
    private readonly IxgbeDriver<TRegs, StackPoolBuffers> _driver;
    private readonly MacAddress _mac;

    private IxgbeNic(IxgbeDriver<TRegs, StackPoolBuffers> driver)
    {
        _driver = driver;
        _mac = new MacAddress(driver.MacAddress);
    }

    /// <summary>A Guest.Stack pool of <paramref name="slots"/> buffers inside the DMA area, which the device can reach.</summary>
    public static unsafe PacketPool CreatePool(DmaAllocator dma, int slots, int slotSize = 2048)
    {
        if (slots <= 0 || slotSize < 1024 || slotSize % 1024 != 0) throw new ArgumentException("pool needs slots > 0 and whole-KiB slots");
        DmaBlock block = dma.Allocate((ulong)slots * (ulong)slotSize, 4096);
        return new PacketPool(block.Pointer, (long)block.Length, slotSize);
    }

    /// <summary>
    /// Initialises the port over <paramref name="pool"/> (from <see cref="CreatePool"/>) and
    /// returns the device and the outcome; the device is usable when the outcome is Ok or LinkDown.
    /// </summary>
    public static IxgbeNic<TRegs> Create<TClock>(TRegs registers, PacketPool pool, DmaAllocator dma, IxgbeConfig config,
        ref TClock clock, out IxgbeInitResult result) where TClock : struct, IClock
    {
        if (pool.Capacity < config.RxRingSize + 64)
            throw new ArgumentException("stack pool must exceed the receive ring by at least 64 buffers (the ring holds one per descriptor)");
        var driver = new IxgbeDriver<TRegs, StackPoolBuffers>(registers, new StackPoolBuffers(pool, dma), dma, config);
        result = driver.Initialize(ref clock);
        return new IxgbeNic<TRegs>(driver);
    }

    public IxgbeDriver<TRegs, StackPoolBuffers> Driver => _driver;

    public MacAddress Mac => _mac;

    public int Mtu => 1500;

    public int ReceiveBatch(Span<PacketBuffer> into)
    {
        int n = 0;
        while (n < into.Length && _driver.TryReceive(out int slot, out int length))
            into[n++] = new PacketBuffer(slot, 0, length);
        _driver.ReceiveDone();
        return n;
    }

    public int SendBatch(ReadOnlySpan<PacketBuffer> frames)
    {
        _driver.CleanTransmitted();
        int n = 0;
        while (n < frames.Length)
        {
            PacketBuffer b = frames[n];
            // Ownership moves to the device here: a buffer the stack does not hold would come back
            // to the pool twice when the device completes it.
            if (!_driver.Buffers.Pool.IsRented(b.Slot)) throw new InvalidOperationException("frame sent to the ixgbe port is not a rented buffer of the stack's pool");
            if (!_driver.TryPost(b.Slot, _driver.Buffers.IovaOf(b), b.Length)) break;
            n++;
        }
        _driver.TransmitDone();
        return n;
    }
}
