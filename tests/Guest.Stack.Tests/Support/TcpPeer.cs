using Guest.Stack;

namespace Guest.Stack.Tests.Support;

/// <summary>
/// Plays the remote end of one TCP connection against a <see cref="StackHarness"/>: the test
/// sends segments it writes by hand and inspects the segments the stack answers with.
/// </summary>
public sealed class TcpPeer
{
    public readonly StackHarness H;
    public ushort PeerPort = 40000;
    public ushort StackPort = 80;
    public uint Seq;          // our next sequence number
    public uint StackIsn;     // the stack's initial sequence number
    public uint PeerIsn = 1_000_000;

    public TcpPeer(StackHarness h) { H = h; Seq = PeerIsn; }

    public void Send(TcpFlags flags, uint seq, uint ack, byte[]? data = null, ushort window = 65535, Frames.TcpOpts? o = null,
                     uint src = StackHarness.PeerIp)
        => H.DeliverIp(6, Frames.TcpSegment(src, StackHarness.StackIp, PeerPort, StackPort, seq, ack, flags, window, data ?? Array.Empty<byte>(), o), src);

    /// <summary>Polls the stack and returns the TCP segments it sent (other frames must not appear).</summary>
    public List<Frames.Seg> Poll(ulong advance = 0)
    {
        var l = new List<Frames.Seg>();
        foreach (var f in H.Poll(advance))
        {
            var s = Frames.DecodeTcp(f);
            Assert.NotNull(s);
            l.Add(s!);
        }
        return l;
    }

    /// <summary>Passive open against stack port 80 (listener created here); returns the accepted handle.</summary>
    public TcpHandle OpenPassive(out ListenerHandle listener, Frames.TcpOpts? synOpts = null, ushort window = 65535)
    {
        Assert.Equal(NetError.Ok, H.Stack.Listen(StackPort, 8, out listener));
        Send(TcpFlags.Syn, Seq, 0, null, window, synOpts ?? new Frames.TcpOpts { Mss = 1460 });
        var synAck = Assert.Single(Poll());
        Assert.True(synAck.Has(TcpFlags.Syn | TcpFlags.Ack));
        Assert.Equal(Seq + 1, synAck.Ack);
        StackIsn = synAck.Seq;
        Seq++;
        Send(TcpFlags.Ack, Seq, StackIsn + 1, null, window, synOpts?.Ts == true ? new Frames.TcpOpts { Ts = true, TsVal = synOpts.TsVal + 1, TsEcr = synAck.TsVal } : null);
        Assert.Empty(Poll());
        Assert.True(H.Stack.TryAccept(listener, out var c));
        Assert.Equal(TcpState.Established, H.Stack.GetState(c));
        return c;
    }

    /// <summary>Active open from the stack to the peer; the peer answers after rttNanos.</summary>
    public TcpHandle OpenActive(ulong rttNanos = 10_000_000, int mss = 1460, ushort window = 65535, Frames.TcpOpts? synAckOpts = null)
    {
        Assert.Equal(NetError.Ok, H.Stack.Connect(new Ipv4Address(StackHarness.PeerIp), 80, out var c));
        var syn = Assert.Single(Poll());
        Assert.True(syn.Flags == TcpFlags.Syn);
        StackIsn = syn.Seq;
        PeerPort = 80; StackPort = syn.SrcPort;
        H.Now += rttNanos;
        Send(TcpFlags.Syn | TcpFlags.Ack, Seq, StackIsn + 1, null, window, synAckOpts ?? new Frames.TcpOpts { Mss = mss });
        Seq++;
        var ack = Assert.Single(Poll());
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(Seq, ack.Ack);
        Assert.Equal(TcpState.Established, H.Stack.GetState(c));
        return c;
    }
}
