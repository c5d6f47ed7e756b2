using System;
using System.Buffers.Binary;

namespace Guest.Stack;

/// <summary>The Internet checksum (RFC 1071): one's-complement sum of 16-bit big-endian words.</summary>
public static class Checksum
{
    /// <summary>Adds <paramref name="data"/> to a running 32-bit-folded sum (not yet complemented).</summary>
    public static uint Add(uint sum, ReadOnlySpan<byte> data)
    {
        ulong acc = sum;
        int i = 0;
        // 4 bytes at a time into a 64-bit accumulator: carries collect in the upper half.
        for (; i + 4 <= data.Length; i += 4) acc += BinaryPrimitives.ReadUInt32BigEndian(data.Slice(i));
        if (i + 2 <= data.Length) { acc += BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i)); i += 2; }
        if (i < data.Length) acc += (uint)data[i] << 8;
        acc = (acc & 0xFFFFFFFF) + (acc >> 32);
        acc = (acc & 0xFFFFFFFF) + (acc >> 32);
        return (uint)acc;
    }

    public static ushort Fold(uint sum)
    {
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    public static ushort Compute(ReadOnlySpan<byte> data) => Fold(Add(0, data));

    /// <summary>Sum of the IPv4 pseudo-header for TCP/UDP.</summary>
    public static uint PseudoHeader(Ipv4Address src, Ipv4Address dst, byte protocol, int length)
    {
        ulong s = (src.Value >> 16) + (src.Value & 0xFFFF) + (dst.Value >> 16) + (dst.Value & 0xFFFF)
                  + protocol + (uint)length;
        s = (s & 0xFFFF) + (s >> 16);
        return (uint)s;
    }
}
