using System.Buffers.Binary;
using Guest.Stack;
using Guest.Stack.Tests.Support;
using static Guest.Stack.TcpFlags;

namespace Guest.Stack.Tests;

/// <summary>
/// Random and mutated input for every parser and for the whole receive path: nothing may throw
/// (a span read out of bounds throws), buffers must not leak, and the stack must still work after.
/// </summary>
public class FuzzTests
{
    const uint Peer = StackHarness.PeerIp, Us = StackHarness.StackIp;

    static byte[] RandomBytes(Random r, int max)
    {
        var b = new byte[r.Next(max + 1)];
        r.NextBytes(b);
        return b;
    }

    static byte[] Mutate(Random r, byte[] valid)
    {
        var b = (byte[])valid.Clone();
        switch (r.Next(5))
        {
            case 0: for (int i = 0, n = r.Next(1, 4); i < n && b.Length > 0; i++) b[r.Next(b.Length)] ^= (byte)(1 << r.Next(8)); break;
            case 1: for (int i = 0, n = r.Next(1, 4); i < n && b.Length > 0; i++) b[r.Next(b.Length)] = (byte)r.Next(256); break;
            case 2: return b[..r.Next(b.Length + 1)];                         // truncated
            case 3: { var l = new byte[b.Length + r.Next(1, 64)]; b.CopyTo(l, 0); r.NextBytes(l.AsSpan(b.Length)); return l; }
            case 4: if (b.Length > 1) { int i = r.Next(b.Length - 1); b[i] = 0xFF; b[i + 1] = (byte)r.Next(256); } break;
        }
        return b;
    }

    [Fact]
    public void Every_parser_survives_random_and_mutated_input()
    {
        var r = new Random(1234);
        var validTcp = Frames.TcpSegment(Peer, Us, 1, 2, 3, 4, Syn | Ack, 100, new byte[5],
            new Frames.TcpOpts { Mss = 1460, Ws = 7, Ts = true, TsVal = 9, Sack = true });
        var validUdp = Frames.UdpPayload(Peer, Us, 1, 2, new byte[9]);
        var validIp = Frames.Ip(Peer, Us, 17, validUdp, options: new byte[] { 1, 1, 1, 0 });
        var validArp = Frames.ArpPayload(1, Frames.PeerMac, Peer, new byte[6], Us);
        for (int i = 0; i < 50_000; i++)
        {
            byte[] b = (i % 3) switch
            {
                0 => RandomBytes(r, 80),
                1 => Mutate(r, i % 2 == 0 ? validTcp : validIp),
                _ => Mutate(r, i % 2 == 0 ? validUdp : validArp),
            };
            Ethernet.TryParse(b, out _);
            Arp.TryParse(b, out _);
            Ipv4.TryParse(b, out _);
            Udp.TryParse(b, new Ipv4Address(Peer), new Ipv4Address(Us), out _);
            if (Tcp.TryParse(b, new Ipv4Address(Peer), new Ipv4Address(Us), out var th) == TcpParse.Ok)
                Assert.InRange(th.HeaderLength, 20, b.Length);
            var h = new TcpHeader { WindowScale = -1 };
            Tcp.ParseOptions(b, ref h);
            Assert.InRange(h.WindowScale, -1, 14);
            // Parsers also skip checksums of corrupted copies: make a checksum-valid mutant sometimes.
            if (b.Length >= 20 && i % 7 == 0)
            {
                b[16] = 0; b[17] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(16), Frames.Sum(b, Frames.Pseudo(Peer, Us, 6, b.Length)));
                Tcp.TryParse(b, new Ipv4Address(Peer), new Ipv4Address(Us), out _);
            }
            var chars = new char[r.Next(24)];
            for (int k = 0; k < chars.Length; k++) chars[k] = "0123456789./-=ipv4gatwy x"[r.Next(25)];
            new StackConfig().ApplyCommandLine(chars);
            Ipv4Address.TryParse(chars, out _);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]   // the device places frames anywhere in their slots
    public void The_stack_survives_a_stream_of_hostile_frames_and_still_works(bool randomOffsets)
    {
        var h = new StackHarness(c => { c.MaxTcpConnections = 8; c.TcpHalfOpenPerListener = 2; }).Started();
        if (randomOffsets) h.Wire.OffsetRandom = new Random(17);
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out var listener);
        h.Stack.UdpBind(53, out var udp);
        var r = new Random(99);
        // Valid frames of each kind, with checksums right, to mutate (after mutation the checksum
        // is usually wrong; every 4th mutant gets its checksums fixed so deeper code runs too).
        byte[] Tcp(TcpFlags f, uint seq, uint ack, int len, ushort port = 40000, Frames.TcpOpts? o = null)
            => Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0800, Frames.Ip(Peer, Us, 6,
                Frames.TcpSegment(Peer, Us, port, 80, seq, ack, f, (ushort)r.Next(65536), new byte[len], o)));
        var seeds = new List<Func<byte[]>>
        {
            () => Tcp(Ack | Psh, p.Seq + (uint)r.Next(-3000, 70000), p.StackIsn + 1 + (uint)r.Next(-100, 100), r.Next(0, 1400)),
            () => Tcp(Syn, (uint)r.Next(), 0, 0, (ushort)r.Next(1, 65536), new Frames.TcpOpts { Mss = r.Next(0, 9000), Ws = r.Next(-1, 20), Ts = r.Next(2) == 0, TsVal = (uint)r.Next() }),
            () => Tcp((TcpFlags)r.Next(256), p.Seq + (uint)r.Next(-100, 100), p.StackIsn + (uint)r.Next(-100, 100), r.Next(0, 50)),
            () => Tcp(Ack, (uint)r.Next(), (uint)r.Next(), 0, (ushort)r.Next(1, 65536)),
            () => Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0800, Frames.Ip(Peer, Us, 17, Frames.UdpPayload(Peer, Us, 9, (ushort)(r.Next(2) == 0 ? 53 : r.Next(1, 65536)), new byte[r.Next(0, 100)]))),
            () => Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0800, Frames.Ip(Peer, Us, 1, Frames.IcmpEcho((byte)(r.Next(3) == 0 ? r.Next(256) : 8), 1, 2, new byte[r.Next(0, 200)]))),
            () => Frames.Eth(r.Next(2) == 0 ? Frames.BroadcastMac : Frames.StackMac, Frames.PeerMac, 0x0806,
                     Frames.ArpPayload((ushort)r.Next(0, 4), new byte[] { 2, 0, 0, 0, (byte)r.Next(256), (byte)r.Next(256) }, 0x0A000000u | (uint)r.Next(256), new byte[6], r.Next(2) == 0 ? Us : (uint)r.Next())),
        };
        for (int i = 0; i < 20_000; i++)
        {
            var kind = r.Next(seeds.Count + 1);
            byte[] f = kind == seeds.Count ? RandomBytes(r, 120) : Mutate(r, seeds[kind]());
            if (i % 4 == 0 && f.Length >= 34 && f[12] == 8 && f[13] == 0) FixChecksums(f);
            h.Deliver(f);
            if (i % 16 == 0)
            {
                h.Poll((ulong)r.Next(0, 50_000_000));
                h.Stack.CheckInvariants();
                // TestNic hands every sent buffer back at once: what is out of the pool is what the stack holds.
                Assert.Equal(h.Wire.Pool.Capacity - h.Wire.Pool.Available, h.Stack.BuffersHeld);
            }
            while (h.Stack.UdpReceive(udp, new byte[2048], out _, out _) > 0) { }
            if (h.Stack.TryAccept(listener, out var extra)) h.Stack.Abort(extra);
        }
        h.Poll();
        // Still alive: it answers a ping, and the pool did not leak.
        h.Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0806, Frames.ArpPayload(1, Frames.PeerMac, Peer, new byte[6], Us)));
        h.Poll();
        h.DeliverIp(1, Frames.IcmpEcho(8, 77, 1, new byte[8]));
        Assert.Contains(h.Poll(), f => f.Length > 34 && f[12] == 8 && f[23] == 1 && f[34] == 0);
        if (h.Stack.GetState(c) != TcpState.Closed) h.Stack.Abort(c); else h.Stack.Close(c);
        h.Stack.CloseListener(listener);
        h.Stack.UdpClose(udp);
        for (int i = 0; i < 40; i++) h.Poll(10_000_000_000);
        Assert.Equal(0, h.Stack.ConnectionsInUse);
        Assert.Equal(h.Wire.Pool.Capacity, h.Wire.Pool.Available);
    }

    /// <summary>Recomputes IPv4 header and TCP/UDP/ICMP checksums of a mutated frame where the lengths allow.</summary>
    static void FixChecksums(byte[] f)
    {
        var ip = f.AsSpan(14);
        int ihl = (ip[0] & 15) * 4;
        if (ihl < 20 || ihl > ip.Length) return;
        ip[10] = 0; ip[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10), Frames.Sum(ip.Slice(0, ihl)));
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2));
        if (total < ihl || total > ip.Length) return;
        var l4 = ip.Slice(ihl, total - ihl);
        uint src = BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(12)), dst = BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(16));
        switch (ip[9])
        {
            case 6 when l4.Length >= 20:
                l4[16] = 0; l4[17] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(l4.Slice(16), Frames.Sum(l4, Frames.Pseudo(src, dst, 6, l4.Length)));
                break;
            case 17 when l4.Length >= 8:
                l4[6] = 0; l4[7] = 0;
                int ul = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(4));
                if (ul >= 8 && ul <= l4.Length)
                    BinaryPrimitives.WriteUInt16BigEndian(l4.Slice(6), Frames.Sum(l4.Slice(0, ul), Frames.Pseudo(src, dst, 17, ul)));
                break;
            case 1 when l4.Length >= 4:
                l4[2] = 0; l4[3] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(l4.Slice(2), Frames.Sum(l4));
                break;
        }
    }
}
