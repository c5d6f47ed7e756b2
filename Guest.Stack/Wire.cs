using System;
using System.Buffers.Binary;

namespace Guest.Stack;

// Parsers and builders for each header. Parsers take the bytes that arrived (any length, any
// content) and either fill a header struct or say why not; they never read past the span.
// Builders write into a span the caller sized.

public struct EthernetHeader
{
    public MacAddress Destination;
    public MacAddress Source;
    public ushort EtherType;
}

public static class Ethernet
{
    public const int HeaderLength = 14;
    public const ushort TypeIpv4 = 0x0800;
    public const ushort TypeArp = 0x0806;
    public const ushort TypeVlan = 0x8100;
    public const ushort TypeQinQ = 0x88A8;

    public static bool TryParse(ReadOnlySpan<byte> frame, out EthernetHeader h)
    {
        h = default;
        if (frame.Length < HeaderLength) return false;
        h.Destination = MacAddress.Read(frame);
        h.Source = MacAddress.Read(frame.Slice(6));
        h.EtherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12));
        return true;
    }

    public static void Write(Span<byte> to, MacAddress destination, MacAddress source, ushort etherType)
    {
        destination.Write(to);
        source.Write(to.Slice(6));
        BinaryPrimitives.WriteUInt16BigEndian(to.Slice(12), etherType);
    }
}

public struct ArpPacket
{
    public ushort Operation;
    public MacAddress SenderMac;
    public Ipv4Address SenderIp;
    public MacAddress TargetMac;
    public Ipv4Address TargetIp;
}

public enum ArpParse { Ok, Malformed, Unsupported }

public static class Arp
{
    public const int Length = 28;
    public const ushort OpRequest = 1;
    public const ushort OpReply = 2;

    public static ArpParse TryParse(ReadOnlySpan<byte> p, out ArpPacket a)
    {
        a = default;
        if (p.Length < 8) return ArpParse.Malformed;
        ushort htype = BinaryPrimitives.ReadUInt16BigEndian(p);
        ushort ptype = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(2));
        if (htype != 1 || ptype != Ethernet.TypeIpv4 || p[4] != 6 || p[5] != 4) return ArpParse.Unsupported;
        if (p.Length < Length) return ArpParse.Malformed;
        a.Operation = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(6));
        if (a.Operation != OpRequest && a.Operation != OpReply) return ArpParse.Unsupported;
        a.SenderMac = MacAddress.Read(p.Slice(8));
        a.SenderIp = Ipv4Address.Read(p.Slice(14));
        a.TargetMac = MacAddress.Read(p.Slice(18));
        a.TargetIp = Ipv4Address.Read(p.Slice(24));
        return ArpParse.Ok;
    }

    public static void Write(Span<byte> to, in ArpPacket a)
    {
        BinaryPrimitives.WriteUInt16BigEndian(to, 1);
        BinaryPrimitives.WriteUInt16BigEndian(to.Slice(2), Ethernet.TypeIpv4);
        to[4] = 6; to[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(to.Slice(6), a.Operation);
        a.SenderMac.Write(to.Slice(8));
        a.SenderIp.Write(to.Slice(14));
        a.TargetMac.Write(to.Slice(18));
        a.TargetIp.Write(to.Slice(24));
    }
}

public struct Ipv4Header
{
    public int HeaderLength;     // bytes, 20..60
    public int TotalLength;
    public ushort Identification;
    public bool DontFragment;
    public bool MoreFragments;
    public int FragmentOffset;   // in bytes
    public byte Ttl;
    public byte Protocol;
    public Ipv4Address Source;
    public Ipv4Address Destination;

    public bool IsFragment => MoreFragments || FragmentOffset != 0;
}

public enum Ipv4Parse { Ok, Malformed, BadChecksum }

public static class Ipv4
{
    public const int MinHeaderLength = 20;
    public const byte ProtoIcmp = 1;
    public const byte ProtoTcp = 6;
    public const byte ProtoUdp = 17;

    /// <summary>
    /// Checks version, header length, total length against the bytes present, and the header
    /// checksum. Options (header length &gt; 20) are not interpreted: the payload starts after them.
    /// Trailing bytes beyond TotalLength (Ethernet padding) are ignored by callers.
    /// </summary>
    public static Ipv4Parse TryParse(ReadOnlySpan<byte> p, out Ipv4Header h)
    {
        h = default;
        if (p.Length < MinHeaderLength) return Ipv4Parse.Malformed;
        if (p[0] >> 4 != 4) return Ipv4Parse.Malformed;
        int ihl = (p[0] & 0xF) * 4;
        if (ihl < MinHeaderLength || ihl > p.Length) return Ipv4Parse.Malformed;
        int total = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(2));
        if (total < ihl || total > p.Length) return Ipv4Parse.Malformed;
        if (Checksum.Compute(p.Slice(0, ihl)) != 0) return Ipv4Parse.BadChecksum;
        h.HeaderLength = ihl;
        h.TotalLength = total;
        h.Identification = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(4));
        ushort ff = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(6));
        h.DontFragment = (ff & 0x4000) != 0;
        h.MoreFragments = (ff & 0x2000) != 0;
        h.FragmentOffset = (ff & 0x1FFF) * 8;
        h.Ttl = p[8];
        h.Protocol = p[9];
        h.Source = Ipv4Address.Read(p.Slice(12));
        h.Destination = Ipv4Address.Read(p.Slice(16));
        return Ipv4Parse.Ok;
    }

    /// <summary>Writes a 20-byte header (no options) with its checksum.</summary>
    public static void Write(Span<byte> to, Ipv4Address src, Ipv4Address dst, byte protocol, int payloadLength,
                             ushort id, byte ttl, bool dontFragment)
    {
        to[0] = 0x45; to[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(to.Slice(2), (ushort)(MinHeaderLength + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(to.Slice(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(to.Slice(6), (ushort)(dontFragment ? 0x4000 : 0));
        to[8] = ttl; to[9] = protocol;
        to[10] = 0; to[11] = 0;
        src.Write(to.Slice(12));
        dst.Write(to.Slice(16));
        BinaryPrimitives.WriteUInt16BigEndian(to.Slice(10), Checksum.Compute(to.Slice(0, MinHeaderLength)));
    }
}

public static class Icmp
{
    public const int HeaderLength = 8;
    public const byte TypeEchoReply = 0;
    public const byte TypeDestinationUnreachable = 3;
    public const byte TypeEchoRequest = 8;
    public const byte CodePortUnreachable = 3;
}

public struct UdpHeader
{
    public ushort SourcePort;
    public ushort DestinationPort;
    public int Length;            // header + payload
}

public enum UdpParse { Ok, Malformed, BadChecksum }

public static class Udp
{
    public const int HeaderLength = 8;

    /// <summary>Parses a UDP datagram (the IP payload) and verifies its checksum unless it is 0 (none sent).</summary>
    public static UdpParse TryParse(ReadOnlySpan<byte> p, Ipv4Address src, Ipv4Address dst, out UdpHeader h)
    {
        h = default;
        if (p.Length < HeaderLength) return UdpParse.Malformed;
        int len = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(4));
        if (len < HeaderLength || len > p.Length) return UdpParse.Malformed;
        if (BinaryPrimitives.ReadUInt16BigEndian(p.Slice(6)) != 0)
        {
            uint sum = Checksum.PseudoHeader(src, dst, Ipv4.ProtoUdp, len);
            if (Checksum.Fold(Checksum.Add(sum, p.Slice(0, len))) != 0) return UdpParse.BadChecksum;
        }
        h.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(p);
        h.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(2));
        h.Length = len;
        return UdpParse.Ok;
    }

    /// <summary>Writes the header over <paramref name="datagram"/> (header + payload already in place) and its checksum.</summary>
    public static void WriteHeader(Span<byte> datagram, Ipv4Address src, Ipv4Address dst, ushort srcPort, ushort dstPort)
    {
        BinaryPrimitives.WriteUInt16BigEndian(datagram, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.Slice(2), dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.Slice(4), (ushort)datagram.Length);
        datagram[6] = 0; datagram[7] = 0;
        ushort c = Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(src, dst, Ipv4.ProtoUdp, datagram.Length), datagram));
        if (c == 0) c = 0xFFFF; // 0 means "no checksum" in UDP
        BinaryPrimitives.WriteUInt16BigEndian(datagram.Slice(6), c);
    }
}


public enum TcpFlags : byte { None = 0, Fin = 1, Syn = 2, Rst = 4, Psh = 8, Ack = 16, Urg = 32, Ece = 64, Cwr = 128 }

public struct TcpHeader
{
    public ushort SourcePort;
    public ushort DestinationPort;
    public uint Seq;
    public uint Ack;
    public int HeaderLength;     // bytes, 20..60
    public TcpFlags Flags;
    public ushort Window;        // unscaled, as on the wire
    // Options (RFC 9293 MSS, RFC 7323 window scale and timestamps)
    public int Mss;              // 0 = absent
    public int WindowScale;      // -1 = absent
    public bool HasTimestamps;
    public uint TsVal;
    public uint TsEcr;
    public bool SackPermitted;
    public int SackBlocks;       // how many SACK blocks the segment carried (the sender side does not use them)

    public bool Has(TcpFlags f) => (Flags & f) != 0;
}

public enum TcpParse { Ok, Malformed, BadChecksum }

public static class Tcp
{
    public const int MinHeaderLength = 20;
    public const int MaxOptionsLength = 40;

    public static TcpParse TryParse(ReadOnlySpan<byte> p, Ipv4Address src, Ipv4Address dst, out TcpHeader h)
    {
        h = default;
        h.WindowScale = -1;
        if (p.Length < MinHeaderLength) return TcpParse.Malformed;
        int off = (p[12] >> 4) * 4;
        if (off < MinHeaderLength || off > p.Length) return TcpParse.Malformed;
        if (Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(src, dst, Ipv4.ProtoTcp, p.Length), p)) != 0)
            return TcpParse.BadChecksum;
        h.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(p);
        h.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(2));
        h.Seq = BinaryPrimitives.ReadUInt32BigEndian(p.Slice(4));
        h.Ack = BinaryPrimitives.ReadUInt32BigEndian(p.Slice(8));
        h.HeaderLength = off;
        h.Flags = (TcpFlags)p[13];
        h.Window = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(14));
        return ParseOptions(p.Slice(MinHeaderLength, off - MinHeaderLength), ref h) ? TcpParse.Ok : TcpParse.Malformed;
    }

    /// <summary>Options: unknown kinds are skipped by their length; a length that runs past the end is malformed.</summary>
    public static bool ParseOptions(ReadOnlySpan<byte> o, ref TcpHeader h)
    {
        int i = 0;
        while (i < o.Length)
        {
            byte kind = o[i];
            if (kind == 0) break;                  // end of option list
            if (kind == 1) { i++; continue; }      // no-op
            if (i + 1 >= o.Length) return false;
            int len = o[i + 1];
            if (len < 2 || i + len > o.Length) return false;
            var body = o.Slice(i + 2, len - 2);
            switch (kind)
            {
                case 2: if (len != 4) return false; h.Mss = BinaryPrimitives.ReadUInt16BigEndian(body); break;
                case 3: if (len != 3) return false; h.WindowScale = Math.Min((int)body[0], 14); break; // RFC 7323 2.3: cap at 14
                case 4: if (len != 2) return false; h.SackPermitted = true; break;
                case 5: if (len < 10 || (len - 2) % 8 != 0) return false; h.SackBlocks = (len - 2) / 8; break; // read, not used
                case 8:
                    if (len != 10) return false;
                    h.HasTimestamps = true;
                    h.TsVal = BinaryPrimitives.ReadUInt32BigEndian(body);
                    h.TsEcr = BinaryPrimitives.ReadUInt32BigEndian(body.Slice(4));
                    break;
            }
            i += len;
        }
        return true;
    }

    /// <summary>
    /// Bytes of options for the given set: MSS 4, window scale 4, timestamps 12, SACK-permitted 4,
    /// SACK with n blocks 4 + 8n (each padded with NOPs to a 4-byte boundary).
    /// </summary>
    public static int OptionsLength(int mss, int windowScale, bool timestamps, bool sackPermitted = false, int sackBlocks = 0)
        => (mss != 0 ? 4 : 0) + (windowScale >= 0 ? 4 : 0) + (timestamps ? 12 : 0) + (sackPermitted ? 4 : 0)
           + (sackBlocks > 0 ? 4 + 8 * sackBlocks : 0);

    /// <summary>
    /// Writes a TCP header with the given options in front of the payload already at
    /// segment[headerLength..], then the checksum over header and payload. mss 0, windowScale -1,
    /// timestamps false omit an option.
    /// </summary>
    public static void WriteHeader(Span<byte> segment, Ipv4Address src, Ipv4Address dst, ushort srcPort, ushort dstPort,
                                   uint seq, uint ack, TcpFlags flags, ushort window,
                                   int mss, int windowScale, bool timestamps, uint tsVal, uint tsEcr)
        => WriteHeader(segment, src, dst, srcPort, dstPort, seq, ack, flags, window, mss, windowScale, timestamps, tsVal, tsEcr,
                       false, ReadOnlySpan<uint>.Empty);

    /// <summary>As above, plus SACK-permitted (SYNs) and SACK blocks (RFC 2018): pairs of [start, end) in <paramref name="sackBlocks"/>.</summary>
    public static void WriteHeader(Span<byte> segment, Ipv4Address src, Ipv4Address dst, ushort srcPort, ushort dstPort,
                                   uint seq, uint ack, TcpFlags flags, ushort window,
                                   int mss, int windowScale, bool timestamps, uint tsVal, uint tsEcr,
                                   bool sackPermitted, ReadOnlySpan<uint> sackBlocks)
    {
        int blocks = sackBlocks.Length / 2;
        int hl = MinHeaderLength + OptionsLength(mss, windowScale, timestamps, sackPermitted, blocks);
        if (hl > MinHeaderLength + MaxOptionsLength) throw new ArgumentException("TCP options exceed 40 bytes");
        BinaryPrimitives.WriteUInt16BigEndian(segment, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(2), dstPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment.Slice(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(segment.Slice(8), ack);
        segment[12] = (byte)(hl / 4 << 4);
        segment[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(14), window);
        segment[16] = 0; segment[17] = 0; segment[18] = 0; segment[19] = 0;
        int i = MinHeaderLength;
        if (mss != 0)
        {
            segment[i] = 2; segment[i + 1] = 4; BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(i + 2), (ushort)mss); i += 4;
        }
        if (windowScale >= 0)
        {
            segment[i] = 1; segment[i + 1] = 3; segment[i + 2] = 3; segment[i + 3] = (byte)windowScale; i += 4;
        }
        if (sackPermitted)
        {
            segment[i] = 1; segment[i + 1] = 1; segment[i + 2] = 4; segment[i + 3] = 2; i += 4;
        }
        if (timestamps)
        {
            segment[i] = 1; segment[i + 1] = 1; segment[i + 2] = 8; segment[i + 3] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(segment.Slice(i + 4), tsVal);
            BinaryPrimitives.WriteUInt32BigEndian(segment.Slice(i + 8), tsEcr);
            i += 12;
        }
        if (blocks > 0)
        {
            segment[i] = 1; segment[i + 1] = 1; segment[i + 2] = 5; segment[i + 3] = (byte)(2 + 8 * blocks);
            i += 4;
            for (int k = 0; k < 2 * blocks; k++, i += 4) BinaryPrimitives.WriteUInt32BigEndian(segment.Slice(i), sackBlocks[k]);
        }
        ushort c = Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(src, dst, Ipv4.ProtoTcp, segment.Length), segment));
        BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(16), c);
    }
}
