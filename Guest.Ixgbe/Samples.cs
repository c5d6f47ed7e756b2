using System;
using System.Buffers.Binary;

namespace Guest.Ixgbe;

/// <summary>
/// The bidirectional layer-2 forwarder of the first seed's figure 5 (ixy.ml's fwd): a batch in
/// from one port goes out of the other, then the other way round. Buffers move between the ports
/// without copies (both ports share one pool); what the transmit ring cannot take is dropped and
/// counted, as ixy does. A guest's sample is: make the two ports, then
/// <c>var fwd = new Forwarder&lt;MmioRegisters&gt;(a, b); while (true) fwd.Step();</c>
/// </summary>
public sealed class Forwarder<TRegs> where TRegs : struct, IRegisters
{
    private readonly Ixgbe<TRegs> _a;
    private readonly Ixgbe<TRegs> _b;
    private readonly PacketHandle[] _batch;

    public Forwarder(Ixgbe<TRegs> a, Ixgbe<TRegs> b, int batchSize = 32)
    {
        if (a.Pool != b.Pool) throw new ArgumentException("forwarded ports must share one packet pool");
        if (batchSize <= 0) throw new ArgumentException("batch size must be positive");
        _a = a;
        _b = b;
        _batch = new PacketHandle[batchSize];
    }

    /// <summary>Frames sent out of the other port.</summary>
    public ulong Forwarded;
    /// <summary>Frames dropped because the other port's transmit ring was full.</summary>
    public ulong Dropped;

    /// <summary>One round: A → B, then B → A. Returns frames forwarded.</summary>
    public int Step() => Forward(_a, _b) + Forward(_b, _a);

    private int Forward(Ixgbe<TRegs> rx, Ixgbe<TRegs> tx)
    {
        int n = rx.RxBatch(_batch);
        if (n == 0) return 0;
        ReadOnlySpan<PacketHandle> received = new ReadOnlySpan<PacketHandle>(_batch, 0, n);
        int sent = tx.TxBatch(received);
        if (sent < n) rx.Pool.FreeBatch(received.Slice(sent));
        Forwarded += (ulong)sent;
        Dropped += (ulong)(n - sent);
        return sent;
    }
}

/// <summary>
/// The reflector of the thesis' figure 5.5: every received frame goes back out of the same port,
/// its source and destination MAC addresses swapped so it is addressed to its sender. Sent with
/// ixy.ml's tx_batch_busy_wait. A guest's sample is:
/// <c>var r = new Reflector&lt;MmioRegisters&gt;(port); while (true) r.Step();</c>
/// </summary>
public sealed class Reflector<TRegs> where TRegs : struct, IRegisters
{
    private readonly Ixgbe<TRegs> _port;
    private readonly PacketHandle[] _batch;

    public Reflector(Ixgbe<TRegs> port, int batchSize = 32)
    {
        if (batchSize <= 0) throw new ArgumentException("batch size must be positive");
        _port = port;
        _batch = new PacketHandle[batchSize];
    }

    public ulong Reflected;
    public ulong Dropped;

    /// <summary>One batch: receive, swap addresses, send back. Returns frames reflected.</summary>
    public int Step()
    {
        int n = _port.RxBatch(_batch);
        if (n == 0) return 0;
        DmaPacketPool pool = _port.Pool;
        for (int i = 0; i < n; i++) SwapMacs(pool.Data(_batch[i]));
        ReadOnlySpan<PacketHandle> received = new ReadOnlySpan<PacketHandle>(_batch, 0, n);
        int sent = _port.TxBatchBusyWait(received);
        if (sent < n) pool.FreeBatch(received.Slice(sent));
        Reflected += (ulong)sent;
        Dropped += (ulong)(n - sent);
        return sent;
    }

    /// <summary>Exchanges the destination (bytes 0..5) and source (6..11) addresses of an Ethernet frame.</summary>
    public static void SwapMacs(Span<byte> frame)
    {
        if (frame.Length < 12) return;
        uint d0 = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        ushort d1 = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(4));
        uint s0 = BinaryPrimitives.ReadUInt32LittleEndian(frame.Slice(6));
        ushort s1 = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(10));
        BinaryPrimitives.WriteUInt32LittleEndian(frame, s0);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.Slice(4), s1);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.Slice(6), d0);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.Slice(10), d1);
    }
}
