using System.Globalization;

namespace System
{
    internal static partial class Number
    {
        internal const int ParseOk = 0, ParseFormatError = 1, ParseOverflow = 2;

        // Integer text (the invariant culture's syntax as far as `styles` allows) to the two's complement
        // bits of a `bits`-wide integer, sign-extended to 64 bits for signed types.
        internal static int TryParseInteger(ReadOnlySpan<char> s, NumberStyles styles, bool signed, int bits, out ulong result)
        {
            result = 0;
            const NumberStyles Supported = NumberStyles.Integer | NumberStyles.AllowThousands | NumberStyles.AllowHexSpecifier;
            if ((styles & ~Supported) != 0)
                throw new NotSupportedException("Only the NumberStyles Integer, AllowThousands and HexNumber are supported for integers in a guest.");
            ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
            int i = 0, end = s.Length;
            if ((styles & NumberStyles.AllowLeadingWhite) != 0) while (i < end && IsWhite(s[i])) i++;
            if ((styles & NumberStyles.AllowTrailingWhite) != 0) while (end > i && IsWhite(s[end - 1])) end--;
            if (i == end) return ParseFormatError;
            bool overflow = false;
            if ((styles & NumberStyles.AllowHexSpecifier) != 0)
            {
                ulong v = 0;
                for (; i < end; i++)
                {
                    int d = HexValue(s[i]);
                    if (d < 0) return ParseFormatError;
                    if (v > (mask >> 4)) overflow = true;
                    v = (v << 4) | (uint)d;
                }
                if (overflow) return ParseOverflow;
                if (signed && bits < 64 && ((v >> (bits - 1)) & 1) != 0) v |= ~mask;
                result = v;
                return ParseOk;
            }
            bool negative = false;
            if ((styles & NumberStyles.AllowLeadingSign) != 0 && (s[i] == '+' || s[i] == '-')) { negative = s[i] == '-'; i++; }
            bool anyDigit = false;
            ulong mag = 0;
            for (; i < end; i++)
            {
                char c = s[i];
                if (c >= '0' && c <= '9')
                {
                    anyDigit = true;
                    uint d = (uint)(c - '0');
                    if (mag > (ulong.MaxValue - d) / 10) overflow = true;
                    else mag = mag * 10 + d;
                }
                else if (c == ',' && anyDigit && (styles & NumberStyles.AllowThousands) != 0) { }
                else return ParseFormatError;
            }
            if (!anyDigit) return ParseFormatError;
            ulong limit = !signed ? (negative ? 0 : mask) : (negative ? 1UL << (bits - 1) : (1UL << (bits - 1)) - 1);
            if (overflow || mag > limit) return ParseOverflow;
            result = negative ? unchecked((ulong)(-(long)mag)) : mag;
            return ParseOk;
        }

        private static int HexValue(char c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        internal static ulong ParseInteger(ReadOnlySpan<char> s, NumberStyles styles, bool signed, int bits)
        {
            int status = TryParseInteger(s, styles, signed, bits, out ulong result);
            if (status == ParseFormatError) throw new FormatException("The input string was not in a correct format.");
            if (status == ParseOverflow) throw new OverflowException("Value was either too large or too small for the target type.");
            return result;
        }
    }
}
