using System;
using System.Buffers.Binary;

namespace Guest.Stack;

/// <summary>An IPv4 address held as a host-order 32-bit value (10.0.0.1 is 0x0A000001).</summary>
public readonly struct Ipv4Address
{
    public readonly uint Value;

    public Ipv4Address(uint value) => Value = value;
    public Ipv4Address(byte a, byte b, byte c, byte d) => Value = (uint)(a << 24 | b << 16 | c << 8 | d);

    public static readonly Ipv4Address Any = new(0);
    public static readonly Ipv4Address Broadcast = new(0xFFFFFFFF);

    public bool IsAny => Value == 0;
    public bool IsBroadcast => Value == 0xFFFFFFFF;
    public bool IsMulticast => (Value >> 28) == 0xE;

    /// <summary>Reads 4 network-order bytes.</summary>
    public static Ipv4Address Read(ReadOnlySpan<byte> from) => new(BinaryPrimitives.ReadUInt32BigEndian(from));
    public void Write(Span<byte> to) => BinaryPrimitives.WriteUInt32BigEndian(to, Value);

    public bool Equals(Ipv4Address other) => Value == other.Value;
    public override bool Equals(object? obj) => obj is Ipv4Address o && o.Value == Value;
    public override int GetHashCode() => (int)Value;
    public static bool operator ==(Ipv4Address a, Ipv4Address b) => a.Value == b.Value;
    public static bool operator !=(Ipv4Address a, Ipv4Address b) => a.Value != b.Value;

    /// <summary>Parses dotted-quad text ("10.0.0.2"); no allocation.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Ipv4Address address)
    {
        address = Any;
        uint value = 0;
        int part = 0, digits = 0, current = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c >= '0' && c <= '9')
            {
                if (digits == 3) return false;
                if (digits == 1 && current == 0) return false; // no leading zeros ("01"): ambiguous (octal)
                current = current * 10 + (c - '0');
                digits++;
                if (current > 255) return false;
            }
            else if (c == '.')
            {
                if (digits == 0 || part == 3) return false;
                value = value << 8 | (uint)current;
                part++; digits = 0; current = 0;
            }
            else return false;
        }
        if (part != 3 || digits == 0) return false;
        address = new Ipv4Address(value << 8 | (uint)current);
        return true;
    }

    /// <summary>Writes dotted-quad text into <paramref name="into"/>; returns the characters written (at most 15).</summary>
    public int Format(Span<char> into)
    {
        int n = 0;
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            int b = (int)(Value >> shift) & 0xFF;
            if (b >= 100) into[n++] = (char)('0' + b / 100);
            if (b >= 10) into[n++] = (char)('0' + b / 10 % 10);
            into[n++] = (char)('0' + b % 10);
            if (shift != 0) into[n++] = '.';
        }
        return n;
    }
}

/// <summary>A 48-bit Ethernet MAC address, stored in the low 48 bits in wire order (first byte highest).</summary>
public readonly struct MacAddress
{
    public readonly ulong Value;

    public MacAddress(ulong value) => Value = value & 0xFFFF_FFFF_FFFFUL;
    public MacAddress(byte a, byte b, byte c, byte d, byte e, byte f)
        => Value = (ulong)a << 40 | (ulong)b << 32 | (ulong)c << 24 | (ulong)d << 16 | (ulong)e << 8 | f;

    public static readonly MacAddress Broadcast = new(0xFFFF_FFFF_FFFFUL);
    public static readonly MacAddress Zero = new(0);

    public bool IsBroadcast => Value == 0xFFFF_FFFF_FFFFUL;
    /// <summary>Group bit: the least significant bit of the first byte.</summary>
    public bool IsMulticast => ((Value >> 40) & 1) != 0;

    public static MacAddress Read(ReadOnlySpan<byte> from)
        => new((ulong)BinaryPrimitives.ReadUInt16BigEndian(from) << 32 | BinaryPrimitives.ReadUInt32BigEndian(from.Slice(2)));

    public void Write(Span<byte> to)
    {
        BinaryPrimitives.WriteUInt16BigEndian(to, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(to.Slice(2), (uint)Value);
    }

    public bool Equals(MacAddress other) => Value == other.Value;
    public override bool Equals(object? obj) => obj is MacAddress o && o.Value == Value;
    public override int GetHashCode() => (int)Value ^ (int)(Value >> 32);
    public static bool operator ==(MacAddress a, MacAddress b) => a.Value == b.Value;
    public static bool operator !=(MacAddress a, MacAddress b) => a.Value != b.Value;
}
