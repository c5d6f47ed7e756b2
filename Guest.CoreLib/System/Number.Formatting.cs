using System.Text;

namespace System
{
    // Standard numeric format strings with the invariant culture's symbols ('.', ',', "-", " %", "¤",
    // "Infinity", "NaN"): G, D, X (integers), C, E, F, N, P (integers and floating point), R (floating point).
    // Custom format strings ("0.00", "#,##0") are not supported.
    // Every buffer here is written before it is read: no need to zero the stack space.
    [System.Runtime.CompilerServices.SkipLocalsInit]
    internal static partial class Number
    {
        // The format letter and its precision (-1 when absent), as .NET reads a standard format string;
        // an empty format is "G".
        internal static char ParseFormatSpecifier(ReadOnlySpan<char> format, out int precision)
        {
            precision = -1;
            if (format.Length == 0) return 'G';
            char c = format[0];
            if (!char.IsAsciiLetter(c)) ThrowCustomFormat();
            if (format.Length == 1) return c;
            int n = 0;
            for (int i = 1; i < format.Length; i++)
            {
                char d = format[i];
                if (d < '0' || d > '9' || i > 9) ThrowCustomFormat();
                n = n * 10 + (d - '0');
            }
            precision = n;
            return c;
        }

        private static void ThrowCustomFormat() =>
            throw new NotSupportedException("Custom numeric format strings are not supported in a guest; use a standard format (G, D, X, E, F, N, P, R).");

        private static void ThrowBadFormat() => throw new FormatException("Format specifier was invalid.");

        internal static string FormatInteger(bool negative, ulong magnitude, int bits, ulong rawBits, string? format)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new ValueStringBuilder(buffer);
            FormatInteger(ref w, negative, magnitude, bits, rawBits, format);
            return w.ToString();
        }

        // `magnitude` is |value|; `rawBits` the two's complement bits (for X) of a `bits`-wide integer.
        internal static void FormatInteger(ref ValueStringBuilder w, bool negative, ulong magnitude, int bits, ulong rawBits, ReadOnlySpan<char> format)
        {
            char fmt = ParseFormatSpecifier(format, out int precision);
            char lower = (char)(fmt | 0x20);
            if (lower == 'x')
            {
                // Hex shows the two's complement bits of the type's width, as .NET does.
                ulong v = bits == 64 ? rawBits : rawBits & ((1UL << bits) - 1);
                Span<char> hex = stackalloc char[16];
                int n = 0;
                char a = fmt == 'X' ? 'A' : 'a';
                do { int d = (int)(v & 0xF); hex[n++] = (char)(d < 10 ? '0' + d : a + d - 10); v >>= 4; } while (v != 0);
                w.Append('0', precision - n);
                while (n > 0) w.Append(hex[--n]);
                return;
            }
            Span<byte> digits = stackalloc byte[24];
            var nb = new NumberBuffer(digits);
            nb.IsNegative = negative;
            int count = UInt64ToDigits(magnitude, digits);
            nb.Count = count;
            nb.Scale = count;
            switch (lower)
            {
                case 'd':
                    if (negative) w.Append('-');
                    w.Append('0', precision - (count == 0 ? 1 : count));
                    if (count == 0) w.Append('0');
                    for (int i = 0; i < count; i++) w.Append((char)digits[i]);
                    return;
                case 'g':
                    nb.StripTrailingZeros();
                    if (precision <= 0)
                    {
                        FormatGeneral(ref w, nb, count, fmt == 'G' ? 'E' : 'e');
                        return;
                    }
                    nb.Round(precision, halfEven: false);
                    FormatGeneral(ref w, nb, precision, fmt == 'G' ? 'E' : 'e');
                    return;
                case 'e':
                    nb.StripTrailingZeros();
                    if (precision < 0) precision = 6;
                    nb.Round(precision + 1, halfEven: false);
                    FormatScientific(ref w, nb, precision, fmt);
                    return;
                case 'f':
                case 'n':
                    nb.StripTrailingZeros();
                    FormatFixed(ref w, nb, precision < 0 ? 2 : precision, lower == 'n');
                    return;
                case 'p':
                    nb.StripTrailingZeros();
                    if (nb.Count > 0) nb.Scale += 2;
                    FormatFixed(ref w, nb, precision < 0 ? 2 : precision, true);
                    w.Append(" %");
                    return;
                case 'c':
                    nb.StripTrailingZeros();
                    FormatCurrency(ref w, nb, precision < 0 ? 2 : precision);
                    return;
                default:
                    ThrowBadFormat();
                    return;
            }
        }

        internal static string FormatFloat(ulong bits, bool isSingle, string? format)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new ValueStringBuilder(buffer);
            FormatFloat(ref w, bits, isSingle, format);
            return w.ToString();
        }

        internal static void FormatFloat(ref ValueStringBuilder w, ulong bits, bool isSingle, ReadOnlySpan<char> format)
        {
            int mantBits = isSingle ? SingleMantissaBits : DoubleMantissaBits;
            int bias = isSingle ? SingleBias : DoubleBias;
            int signShift = isSingle ? 31 : 63;
            bool negative = (bits >> signShift) != 0;
            ulong abs = bits & ~(1UL << signShift);
            // As .NET: NaN and infinities print their symbol whatever the format.
            if ((abs >> mantBits) == (ulong)(2 * bias + 1))
            {
                if ((abs & ((1UL << mantBits) - 1)) != 0) w.Append("NaN");
                else w.Append(negative ? "-Infinity" : "Infinity");
                return;
            }
            char fmt = ParseFormatSpecifier(format, out int precision);
            char lower = (char)(fmt | 0x20);
            if (lower != 'r' && lower != 'g' && lower != 'e' && lower != 'f' && lower != 'n' && lower != 'p' && lower != 'c') ThrowBadFormat();
            Decompose(abs, mantBits, bias, out ulong m, out int e);
            Span<byte> digits = stackalloc byte[MaxDigits];
            var nb = new NumberBuffer(digits);
            nb.IsNegative = negative;
            int roundTripDigits = isSingle ? 9 : 17;
            char expChar = fmt == 'R' || fmt == 'G' || fmt == 'E' ? 'E' : 'e';
            switch (lower)
            {
                case 'r':
                case 'g':
                    if (lower == 'r' || precision <= 0)
                    {
                        ShortestDigits(m, e, mantBits, bias, ref nb);
                        // As .NET: at least as many places as the type's round-trip digits before switching
                        // to scientific notation, so that e.g. 1E+16 prints as 10000000000000000.
                        FormatGeneral(ref w, nb, nb.Count > roundTripDigits ? nb.Count : roundTripDigits, expChar);
                        return;
                    }
                    ExactDigits(m, e, ref nb);
                    nb.Round(precision, halfEven: true);
                    FormatGeneral(ref w, nb, precision, expChar);
                    return;
                case 'e':
                    if (precision < 0) precision = 6;
                    ExactDigits(m, e, ref nb);
                    nb.Round(precision + 1, halfEven: true);
                    FormatScientific(ref w, nb, precision, fmt);
                    return;
                case 'f':
                case 'n':
                    if (precision < 0) precision = 2;
                    ExactDigits(m, e, ref nb);
                    nb.Round(nb.Scale + precision, halfEven: true);
                    FormatFixed(ref w, nb, precision, lower == 'n');
                    return;
                case 'c':
                    if (precision < 0) precision = 2;
                    ExactDigits(m, e, ref nb);
                    nb.Round(nb.Scale + precision, halfEven: true);
                    FormatCurrency(ref w, nb, precision);
                    return;
                default: // 'p'
                    if (precision < 0) precision = 2;
                    ExactDigits(m, e, ref nb);
                    if (nb.Count > 0) nb.Scale += 2;
                    nb.Round(nb.Scale + precision, halfEven: true);
                    FormatFixed(ref w, nb, precision, true);
                    w.Append(" %");
                    return;
            }
        }

        // G: plain digits, or d.dddE+xx when the decimal point would lie more than nMax places right of the
        // first digit or more than 3 places left of it.
        private static void FormatGeneral(ref ValueStringBuilder w, scoped NumberBuffer nb, int nMax, char expChar)
        {
            if (nb.IsNegative) w.Append('-');
            int digPos = nb.Scale;
            bool scientific = false;
            if (digPos > nMax || digPos < -3) { digPos = 1; scientific = true; }
            int di = 0;
            if (digPos > 0)
            {
                do { w.Append(di < nb.Count ? (char)nb.Digits[di++] : '0'); } while (--digPos > 0);
            }
            else w.Append('0');
            if (di < nb.Count)
            {
                w.Append('.');
                while (digPos < 0) { w.Append('0'); digPos++; }
                while (di < nb.Count) w.Append((char)nb.Digits[di++]);
            }
            if (scientific) FormatExponent(ref w, nb.Scale - 1, expChar, 2);
        }

        // E: d.ddd (precision places) then E+ddd.
        private static void FormatScientific(ref ValueStringBuilder w, scoped NumberBuffer nb, int precision, char expChar)
        {
            if (nb.IsNegative) w.Append('-');
            w.Append(nb.Count > 0 ? (char)nb.Digits[0] : '0');
            if (precision > 0)
            {
                w.Append('.');
                for (int i = 1; i <= precision; i++) w.Append(i < nb.Count ? (char)nb.Digits[i] : '0');
            }
            FormatExponent(ref w, nb.Count == 0 ? 0 : nb.Scale - 1, expChar, 3);
        }

        private static void FormatExponent(ref ValueStringBuilder w, int exponent, char expChar, int minDigits)
        {
            w.Append(expChar);
            if (exponent < 0) { w.Append('-'); exponent = -exponent; }
            else w.Append('+');
            Span<char> tmp = stackalloc char[10];
            int n = 0;
            do { tmp[n++] = (char)('0' + exponent % 10); exponent /= 10; } while (exponent != 0);
            w.Append('0', minDigits - n);
            while (n > 0) w.Append(tmp[--n]);
        }

        // C: the invariant culture's currency sign, "¤1,234.57" and "(¤1,234.57)".
        private static void FormatCurrency(ref ValueStringBuilder w, scoped NumberBuffer nb, int decimals)
        {
            bool negative = nb.IsNegative;
            if (negative) w.Append('(');
            w.Append('\u00A4');
            nb.IsNegative = false;
            FormatFixed(ref w, nb, decimals, true);
            if (negative) w.Append(')');
        }

        // F and N: the integer part (N: in groups of three) and exactly `decimals` places.
        private static void FormatFixed(ref ValueStringBuilder w, scoped NumberBuffer nb, int decimals, bool group)
        {
            if (nb.IsNegative) w.Append('-');
            int scale = nb.Scale;
            if (scale > 0)
            {
                for (int pos = 0; pos < scale; pos++)
                {
                    if (group && pos > 0 && (scale - pos) % 3 == 0) w.Append(',');
                    w.Append(pos < nb.Count ? (char)nb.Digits[pos] : '0');
                }
            }
            else w.Append('0');
            if (decimals > 0)
            {
                w.Append('.');
                for (int k = 0; k < decimals; k++)
                {
                    int pos = scale + k;
                    w.Append(pos >= 0 && pos < nb.Count ? (char)nb.Digits[pos] : '0');
                }
            }
        }
    }
}
