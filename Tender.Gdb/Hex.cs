namespace Tender.Gdb;

/// <summary>The protocol's hex numbers and hex byte strings; every parser refuses rather than guesses.</summary>
internal static class Hex
{
    private const string Digits = "0123456789abcdef";

    public static int Digit(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>A non-empty hex number of at most 16 digits (no overflow), the whole span.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 16) return false;
        foreach (byte c in text)
        {
            int d = Digit(c);
            if (d < 0) return false;
            value = value << 4 | (uint)d;
        }
        return true;
    }

    /// <summary>Hex pairs into bytes; false on an odd length, a non-hex digit or a size mismatch.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> text, Span<byte> into)
    {
        if (text.Length != into.Length * 2) return false;
        for (int i = 0; i < into.Length; i++)
        {
            int hi = Digit(text[2 * i]), lo = Digit(text[2 * i + 1]);
            if (hi < 0 || lo < 0) return false;
            into[i] = (byte)(hi << 4 | lo);
        }
        return true;
    }

    public static void Append(List<byte> to, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            to.Add((byte)Digits[b >> 4]);
            to.Add((byte)Digits[b & 15]);
        }
    }

    public static void AppendByte(List<byte> to, byte b) => Append(to, [b]);

    /// <summary>A number in hex without leading zeros (as gdb writes addresses).</summary>
    public static string Number(ulong value) => value.ToString("x");
}
