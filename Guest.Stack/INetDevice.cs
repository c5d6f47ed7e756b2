using System;

namespace Guest.Stack;

/// <summary>
/// A network device as the stack sees it: batches of frames in and out (ixy's rx_batch/tx_batch).
/// Implement it on a struct so that <see cref="NetStack{TNic}"/> is specialised per device and
/// each call is a direct call. Buffers all come from the one <see cref="PacketPool"/> the device
/// and the stack share.
/// </summary>
public interface INetDevice
{
    MacAddress Mac { get; }

    /// <summary>Largest IP packet (Ethernet payload) the device carries, normally 1500.</summary>
    int Mtu { get; }

    /// <summary>
    /// Fills <paramref name="into"/> with up to into.Length received frames and returns how many.
    /// Ownership of each returned buffer passes to the caller, which returns it to the pool
    /// (or sends it) when done. Buffer Offset/Length delimit the Ethernet frame without FCS.
    /// </summary>
    int ReceiveBatch(Span<PacketBuffer> into);

    /// <summary>
    /// Queues the first n frames of <paramref name="frames"/> for transmission and returns n
    /// (0 ≤ n ≤ frames.Length; less when the device's queue is full). The device owns the n
    /// accepted buffers and returns them to the pool once transmitted; the caller keeps the rest.
    /// </summary>
    int SendBatch(ReadOnlySpan<PacketBuffer> frames);
}
