using System.Globalization;
using System.Security.Cryptography;

namespace Tender.Devices;

/// <summary>A 48-bit Ethernet address (the one a guest NIC uses, reported to the guest).</summary>
public readonly struct MacAddress : IEquatable<MacAddress>
{
    public const int Length = 6;

    private readonly ulong _value; // the six octets, first octet in the most significant of the low 48 bits

    private MacAddress(ulong value) => _value = value & 0xFFFF_FFFF_FFFFUL;

    public MacAddress(ReadOnlySpan<byte> octets)
    {
        if (octets.Length != Length) throw new ArgumentException($"a MAC address has {Length} octets, not {octets.Length}", nameof(octets));
        ulong v = 0;
        foreach (byte b in octets) v = (v << 8) | b;
        _value = v;
    }

    public byte this[int index] => index is >= 0 and < Length
        ? (byte)(_value >> (8 * (Length - 1 - index)))
        : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The group bit (bit 0 of the first octet): multicast or broadcast, never a NIC's own address.</summary>
    public bool IsMulticast => (this[0] & 0x01) != 0;
    /// <summary>The U/L bit (bit 1 of the first octet): an address assigned locally, not by a vendor.</summary>
    public bool IsLocallyAdministered => (this[0] & 0x02) != 0;

    public void CopyTo(Span<byte> destination)
    {
        for (int i = 0; i < Length; i++) destination[i] = this[i];
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>
    /// A random locally administered unicast address, as solo5-hvt gives a NIC without --net-mac:
    /// the U/L bit set so it cannot collide with a vendor-assigned address, the group bit clear.
    /// </summary>
    public static MacAddress GenerateLocal()
    {
        Span<byte> b = stackalloc byte[Length];
        RandomNumberGenerator.Fill(b);
        b[0] = (byte)((b[0] & 0xFC) | 0x02);
        return new MacAddress(b);
    }

    /// <summary>
    /// Parses "xx:xx:xx:xx:xx:xx" (six groups of exactly two hex digits, any case), as given to
    /// --net-mac. A guest NIC's address must be unicast and not all zeros; anything else is
    /// refused with the reason.
    /// </summary>
    public static bool TryParse(string text, out MacAddress address, out string? error)
    {
        address = default;
        string[] groups = text.Split(':');
        if (groups.Length != Length)
        {
            error = $"'{text}' is not a MAC address (expected six hex pairs separated by ':', like 02:00:00:00:00:01)";
            return false;
        }
        ulong v = 0;
        foreach (string g in groups)
        {
            if (g.Length != 2 || !byte.TryParse(g, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                error = $"'{text}' is not a MAC address ('{g}' is not two hex digits)";
                return false;
            }
            v = (v << 8) | b;
        }
        var parsed = new MacAddress(v);
        if (parsed.IsMulticast)
        {
            error = $"MAC address {parsed} is a multicast/broadcast address (bit 0 of the first octet is set); a NIC needs a unicast address";
            return false;
        }
        if (v == 0)
        {
            error = "MAC address 00:00:00:00:00:00 is not a usable address";
            return false;
        }
        address = parsed;
        error = null;
        return true;
    }

    public static MacAddress Parse(string text) =>
        TryParse(text, out var address, out var error) ? address : throw new FormatException(error);

    public override string ToString() =>
        string.Create(17, _value, static (span, v) =>
        {
            const string hex = "0123456789abcdef";
            for (int i = 0; i < Length; i++)
            {
                byte b = (byte)(v >> (8 * (Length - 1 - i)));
                span[i * 3] = hex[b >> 4];
                span[i * 3 + 1] = hex[b & 0xF];
                if (i < Length - 1) span[i * 3 + 2] = ':';
            }
        });

    public bool Equals(MacAddress other) => _value == other._value;
    public override bool Equals(object? obj) => obj is MacAddress other && Equals(other);
    public override int GetHashCode() => _value.GetHashCode();
    public static bool operator ==(MacAddress a, MacAddress b) => a.Equals(b);
    public static bool operator !=(MacAddress a, MacAddress b) => !a.Equals(b);
}
