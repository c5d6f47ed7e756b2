using System;

namespace Guest.Ixgbe;

/// <summary>
/// An 82599 port with ixy.ml's API: <see cref="RxBatch"/> and <see cref="TxBatch"/> move batches of
/// <see cref="PacketHandle"/>s of a <see cref="DmaPacketPool"/> (thesis figures 5.5/5.6). Several
/// ports may share one pool, so a received buffer can be sent out of another port unchanged.
/// </summary>
public sealed class Ixgbe<TRegs> where TRegs : struct, IRegisters
{
    private readonly IxgbeDriver<TRegs, PoolBuffers> _driver;
    private readonly DmaPacketPool _pool;

    public Ixgbe(TRegs registers, DmaPacketPool pool, DmaAllocator dma, IxgbeConfig config)
    {
        if (pool.Capacity <= config.RxRingSize)
            throw new ArgumentException("packet pool must hold more buffers than the receive ring (the ring keeps one per descriptor)");
        _pool = pool;
        _driver = new IxgbeDriver<TRegs, PoolBuffers>(registers, new PoolBuffers(pool), dma, config);
    }

    public DmaPacketPool Pool => _pool;
    public IxgbeDriver<TRegs, PoolBuffers> Driver => _driver;

    /// <summary>Resets and initialises the port and waits for link (see <see cref="IxgbeDriver{TRegs,TBuffers}.Initialize"/>).</summary>
    public IxgbeInitResult Initialize<TClock>(ref TClock clock) where TClock : struct, IClock => _driver.Initialize(ref clock);

    public bool LinkUp => _driver.LinkUp;
    public int LinkSpeedMbps => _driver.LinkSpeedMbps;
    public ulong MacAddress => _driver.MacAddress;
    public IxgbeStats ReadStats() => _driver.ReadStats();
    public void SetPromiscuous(bool on) => _driver.SetPromiscuous(on);

    /// <summary>
    /// Receives up to into.Length frames; returns how many. The caller owns each handle (its
    /// length is the frame's, FCS stripped) and must send or free it. One RDT write per call.
    /// </summary>
    public int RxBatch(Span<PacketHandle> into)
    {
        int n = 0;
        while (n < into.Length && _driver.TryReceive(out int slot, out int length))
        {
            _pool.SetSlotLength(slot, length);
            into[n++] = _pool.HandleOf(slot);
        }
        _driver.ReceiveDone();
        return n;
    }

    /// <summary>
    /// Queues the first n packets for transmission and returns n (fewer than packets.Length when
    /// the ring is full). The driver owns the n accepted buffers at once: their handles are stale
    /// from here on, and the buffers go back to the pool when the device is done. The caller keeps
    /// (and must send again or free) the rest. Reclaims finished descriptors first; one TDT write per call.
    /// </summary>
    public int TxBatch(ReadOnlySpan<PacketHandle> packets)
    {
        _driver.CleanTransmitted();
        int n = 0;
        while (n < packets.Length)
        {
            PacketHandle h = packets[n];
            _pool.Check(h); // ownership moves here: checked in every build
            int slot = h.Index;
            if (!_driver.TryPost(slot, _pool.SlotIova(slot), _pool.SlotLength(slot))) break;
            _pool.TransferToDevice(slot);
            n++;
        }
        _driver.TransmitDone();
        return n;
    }

    /// <summary>
    /// ixy.ml's tx_batch_busy_wait: keeps offering the packets until all are queued, reclaiming
    /// as the device completes, for at most <paramref name="maxAttempts"/> rounds (a device that
    /// never completes would otherwise hang the guest). Returns how many were queued; the caller
    /// frees the rest.
    /// </summary>
    public int TxBatchBusyWait(ReadOnlySpan<PacketHandle> packets, int maxAttempts = 1_000_000)
    {
        int sent = 0;
        for (int attempt = 0; sent < packets.Length && attempt < maxAttempts; attempt++)
            sent += TxBatch(packets.Slice(sent));
        return sent;
    }
}
