using System;

// The computation of the compute sample, shared verbatim with the host (tests and scripts/bench-guest
// compile this file against .NET) so that guest and host results and timings compare like for like.
public static class Checksum
{
    /// <summary>Fills the buffer with a deterministic pseudo-random pattern (xorshift64).</summary>
    public static void Fill(Span<byte> buffer, ulong seed)
    {
        ulong x = seed | 1;
        int i = 0;
        for (; i + 8 <= buffer.Length; i += 8)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(buffer.Slice(i), x);
        }
        for (; i < buffer.Length; i++) buffer[i] = (byte)(i * 31);
    }

    private static readonly uint[] s_table = CreateTable();

    private static uint[] CreateTable()
    {
        uint[] table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>CRC-32 (IEEE 802.3, as zlib), table-driven, one byte at a time.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint[] table = s_table;
        uint crc = 0xFFFFFFFFu;
        for (int i = 0; i < data.Length; i++) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>64-bit FNV-1a.</summary>
    public static ulong Fnv1a64(ReadOnlySpan<byte> data)
    {
        ulong h = 14695981039346656037UL;
        for (int i = 0; i < data.Length; i++) h = (h ^ data[i]) * 1099511628211UL;
        return h;
    }
}
