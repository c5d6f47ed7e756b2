using System.Buffers.Binary;
using Guest.Stack;

namespace Guest.Stack.Tests.Support;

/// <summary>
/// Test-side frame builder and decoder, written independently of the stack's own Wire code
/// so a bug there cannot hide itself in both directions.
/// </summary>
public static class Frames
{
    public static readonly byte[] PeerMac = { 0x02, 0, 0, 0, 0, 0x01 };
    public static readonly byte[] StackMac = { 0x02, 0, 0, 0, 0, 0x02 };
    public static readonly byte[] BroadcastMac = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

    public static ushort Sum(ReadOnlySpan<byte> d, uint start = 0)
    {
        uint s = start;
        for (int i = 0; i + 1 < d.Length; i += 2) s += (uint)(d[i] << 8 | d[i + 1]);
        if ((d.Length & 1) != 0) s += (uint)(d[^1] << 8);
        while (s > 0xFFFF) s = (s & 0xFFFF) + (s >> 16);
        return (ushort)~s;
    }

    public static uint Pseudo(uint src, uint dst, int proto, int len)
        => (src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF) + (uint)proto + (uint)len;

    public static byte[] Eth(byte[] dst, byte[] src, ushort type, ReadOnlySpan<byte> payload)
    {
        var f = new byte[14 + payload.Length];
        dst.CopyTo(f, 0); src.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), type);
        payload.CopyTo(f.AsSpan(14));
        return f;
    }

    public static byte[] ArpPayload(ushort op, byte[] sha, uint spa, byte[] tha, uint tpa)
    {
        var a = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(a, 1);
        BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(2), 0x0800);
        a[4] = 6; a[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(6), op);
        sha.CopyTo(a, 8); BinaryPrimitives.WriteUInt32BigEndian(a.AsSpan(14), spa);
        tha.CopyTo(a, 18); BinaryPrimitives.WriteUInt32BigEndian(a.AsSpan(24), tpa);
        return a;
    }

    public static byte[] Ip(uint src, uint dst, byte proto, ReadOnlySpan<byte> payload, byte ttl = 64,
                            ushort flagsFrag = 0x4000, byte[]? options = null)
    {
        int ihl = 20 + (options?.Length ?? 0);
        var p = new byte[ihl + payload.Length];
        p[0] = (byte)(0x40 | ihl / 4);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), flagsFrag);
        p[8] = ttl; p[9] = proto;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(12), src);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), dst);
        options?.CopyTo(p, 20);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), Sum(p.AsSpan(0, ihl)));
        payload.CopyTo(p.AsSpan(ihl));
        return p;
    }

    public static byte[] UdpPayload(uint src, uint dst, ushort sport, ushort dport, ReadOnlySpan<byte> data)
    {
        var u = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(u, sport);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(4), (ushort)u.Length);
        data.CopyTo(u.AsSpan(8));
        ushort c = Sum(u, Pseudo(src, dst, 17, u.Length));
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(6), c == 0 ? (ushort)0xFFFF : c);
        return u;
    }

    public static byte[] IcmpEcho(byte type, ushort id, ushort seq, ReadOnlySpan<byte> data)
    {
        var m = new byte[8 + data.Length];
        m[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(6), seq);
        data.CopyTo(m.AsSpan(8));
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), Sum(m));
        return m;
    }

    public sealed class TcpOpts
    {
        public int Mss; public int Ws = -1; public bool Ts; public uint TsVal, TsEcr; public bool Sack;
    }

    public static byte[] TcpSegment(uint src, uint dst, ushort sport, ushort dport, uint seq, uint ack, TcpFlags flags,
                                    ushort window, ReadOnlySpan<byte> data, TcpOpts? o = null)
    {
        var opts = new List<byte>();
        if (o != null)
        {
            if (o.Mss != 0) { opts.AddRange(new byte[] { 2, 4, (byte)(o.Mss >> 8), (byte)o.Mss }); }
            if (o.Sack) { opts.AddRange(new byte[] { 4, 2 }); }
            if (o.Ws >= 0) { opts.AddRange(new byte[] { 1, 3, 3, (byte)o.Ws }); }
            if (o.Ts)
            {
                opts.AddRange(new byte[] { 1, 1, 8, 10 });
                var t = new byte[8];
                BinaryPrimitives.WriteUInt32BigEndian(t, o.TsVal);
                BinaryPrimitives.WriteUInt32BigEndian(t.AsSpan(4), o.TsEcr);
                opts.AddRange(t);
            }
            while (opts.Count % 4 != 0) opts.Add(0);
        }
        int hl = 20 + opts.Count;
        var s = new byte[hl + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(s, sport);
        BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(s.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(s.AsSpan(8), ack);
        s[12] = (byte)(hl / 4 << 4);
        s[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(14), window);
        opts.ToArray().CopyTo(s, 20);
        data.CopyTo(s.AsSpan(hl));
        BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(16), Sum(s, Pseudo(src, dst, 6, s.Length)));
        return s;
    }

    /// <summary>A decoded TCP segment sent by the stack (checksums verified by the decoder).</summary>
    public sealed record Seg(uint Src, uint Dst, ushort SrcPort, ushort DstPort, uint Seq, uint Ack, TcpFlags Flags,
                             ushort Window, byte[] Data, int Mss, int Ws, bool Ts, uint TsVal, uint TsEcr)
    {
        public bool Has(TcpFlags f) => (Flags & f) == f;
        public bool SackOk { get; init; }
        public uint[] Sack { get; init; } = Array.Empty<uint>();   // [start, end) pairs
    }

    public static Seg? DecodeTcp(byte[] frame)
    {
        if (frame.Length < 14 + 20 || BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) != 0x0800) return null;
        var ip = frame.AsSpan(14);
        int ihl = (ip[0] & 15) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2));
        Assert.True(Sum(ip.Slice(0, ihl)) == 0, "bad IPv4 header checksum from the stack");
        if (ip[9] != 6) return null;
        uint src = BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(12)), dst = BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(16));
        var t = ip.Slice(ihl, total - ihl);
        Assert.True(Sum(t, Pseudo(src, dst, 6, t.Length)) == 0, "bad TCP checksum from the stack");
        int hl = (t[12] >> 4) * 4;
        int mss = 0, ws = -1; bool ts = false, sackOk = false; uint tv = 0, te = 0;
        var sack = new List<uint>();
        for (int i = 20; i < hl;)
        {
            byte k = t[i];
            if (k == 0) break;
            if (k == 1) { i++; continue; }
            int l = t[i + 1];
            if (k == 2) mss = BinaryPrimitives.ReadUInt16BigEndian(t.Slice(i + 2));
            if (k == 3) ws = t[i + 2];
            if (k == 4) sackOk = true;
            if (k == 5) for (int j = i + 2; j + 4 <= i + l; j += 4) sack.Add(BinaryPrimitives.ReadUInt32BigEndian(t.Slice(j)));
            if (k == 8) { ts = true; tv = BinaryPrimitives.ReadUInt32BigEndian(t.Slice(i + 2)); te = BinaryPrimitives.ReadUInt32BigEndian(t.Slice(i + 6)); }
            i += l;
        }
        return new Seg(src, dst, BinaryPrimitives.ReadUInt16BigEndian(t), BinaryPrimitives.ReadUInt16BigEndian(t.Slice(2)),
            BinaryPrimitives.ReadUInt32BigEndian(t.Slice(4)), BinaryPrimitives.ReadUInt32BigEndian(t.Slice(8)),
            (TcpFlags)t[13], BinaryPrimitives.ReadUInt16BigEndian(t.Slice(14)), t.Slice(hl).ToArray(), mss, ws, ts, tv, te)
        { SackOk = sackOk, Sack = sack.ToArray() };
    }
}
