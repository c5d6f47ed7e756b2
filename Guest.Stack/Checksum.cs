using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Guest.Stack;

/// <summary>The Internet checksum (RFC 1071): one's-complement sum of 16-bit big-endian words.</summary>
public static class Checksum
{
    /// <summary>Adds <paramref name="data"/> to a running 32-bit-folded sum (not yet complemented).</summary>
    public static uint Add(uint sum, ReadOnlySpan<byte> data)
    {
        // The one's-complement sum does not depend on byte order (RFC 1071 2(B)): add native
        // (little-endian: x86-64, arm64) 32-bit words into a 64-bit accumulator, fold, and swap
        // the 16-bit result into network order once at the end.
        ReadOnlySpan<uint> words = MemoryMarshal.Cast<byte, uint>(data);
        ulong acc = 0;
        int i = 0;
        for (; i + 4 <= words.Length; i += 4) acc += (ulong)words[i] + words[i + 1] + words[i + 2] + words[i + 3];
        for (; i < words.Length; i++) acc += words[i];
        int tail = words.Length * 4;
        if (tail + 2 <= data.Length) { acc += (uint)(data[tail] | data[tail + 1] << 8); tail += 2; }
        if (tail < data.Length) acc += data[tail];
        acc = (acc & 0xFFFFFFFF) + (acc >> 32);
        acc = (acc & 0xFFFFFFFF) + (acc >> 32);
        uint s16 = (uint)(acc & 0xFFFF) + (uint)(acc >> 16);
        s16 = (s16 & 0xFFFF) + (s16 >> 16);
        ulong total = (ulong)sum + BinaryPrimitives.ReverseEndianness((ushort)s16);
        total = (total & 0xFFFFFFFF) + (total >> 32);
        return (uint)total;
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
