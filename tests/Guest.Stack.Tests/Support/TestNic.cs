using Guest.Stack;

namespace Guest.Stack.Tests.Support;

/// <summary>The wire as a test sees it: frames to deliver to the stack, frames the stack sent.</summary>
public sealed class Wire
{
    public readonly PacketPool Pool;
    public readonly Queue<byte[]> Inbound = new();
    public readonly List<byte[]> Sent = new();
    public int MaxSendPerBatch = int.MaxValue;   // simulate a busy device
    public Random? OffsetRandom;                  // deliver frames at random offsets inside their slot
    public int SendBatchCalls, ReceiveBatchCalls;
    public MacAddress Mac = new(0x02_00_00_00_00_02);

    public Wire(PacketPool pool) => Pool = pool;

    public List<byte[]> TakeSent()
    {
        var l = new List<byte[]>(Sent);
        Sent.Clear();
        return l;
    }
}

/// <summary>A device over a <see cref="Wire"/>: copies test frames into pool buffers and back.</summary>
public struct TestNic : INetDevice
{
    public readonly Wire W;
    public TestNic(Wire w) => W = w;
    public MacAddress Mac => W.Mac;
    public int Mtu => 1500;

    public int ReceiveBatch(Span<PacketBuffer> into)
    {
        W.ReceiveBatchCalls++;
        int n = 0;
        while (n < into.Length && W.Inbound.Count > 0)
        {
            if (!W.Pool.TryRent(out var b)) break;
            var f = W.Inbound.Dequeue();
            int len = Math.Min(f.Length, b.Length);
            if (W.OffsetRandom != null) b.Offset = W.OffsetRandom.Next(0, W.Pool.SlotSize - len + 1);
            b.Length = len;
            f.AsSpan(0, len).CopyTo(W.Pool.Data(b));
            into[n++] = b;
        }
        return n;
    }

    public int SendBatch(ReadOnlySpan<PacketBuffer> frames)
    {
        W.SendBatchCalls++;
        int n = Math.Min(frames.Length, W.MaxSendPerBatch);
        for (int i = 0; i < n; i++)
        {
            W.Sent.Add(W.Pool.Data(frames[i]).ToArray());
            W.Pool.Return(frames[i]);
        }
        return n;
    }
}
