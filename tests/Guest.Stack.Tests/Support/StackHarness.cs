using System.Buffers.Binary;
using Guest.Stack;

namespace Guest.Stack.Tests.Support;

/// <summary>One stack (10.0.0.2/24, gateway 10.0.0.1) on a scripted wire; the test plays the peer 10.0.0.1.</summary>
public sealed class StackHarness
{
    public const uint StackIp = 0x0A000002, PeerIp = 0x0A000001;
    public readonly Wire Wire;
    public readonly NetStack<TestNic> Stack;
    public ulong Now = 1_000_000_000;

    public StackHarness(Action<StackConfig>? configure = null, int poolSlots = 512)
    {
        var cfg = new StackConfig();
        Assert.Equal(ConfigError.None, cfg.ApplyCommandLine("--ipv4=10.0.0.2/24 --ipv4-gateway=10.0.0.1"));
        configure?.Invoke(cfg);
        var pool = new PacketPool(poolSlots);
        Wire = new Wire(pool);
        Stack = new NetStack<TestNic>(new TestNic(Wire), pool, cfg);
    }

    public StackCounters Counters => Stack.Counters;

    public void Deliver(byte[] frame) => Wire.Inbound.Enqueue(frame);

    public List<byte[]> Poll(ulong advanceNanos = 0)
    {
        Now += advanceNanos;
        Stack.Poll(Now);
        return Wire.TakeSent();
    }

    /// <summary>First Poll (gratuitous ARP), then teach the stack the peer's MAC with an ARP request for it.</summary>
    public StackHarness Started()
    {
        Poll();
        Deliver(Frames.Eth(Frames.BroadcastMac, Frames.PeerMac, 0x0806,
            Frames.ArpPayload(1, Frames.PeerMac, PeerIp, new byte[6], StackIp)));
        var sent = Poll();
        Assert.Single(sent); // the ARP reply
        return this;
    }

    public void DeliverIp(byte proto, ReadOnlySpan<byte> payload, uint src = PeerIp, uint dst = StackIp)
        => Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0800, Frames.Ip(src, dst, proto, payload)));

    public static ushort EtherType(byte[] f) => BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12));
    public static ReadOnlySpan<byte> IpOf(byte[] f) => f.AsSpan(14);
}
