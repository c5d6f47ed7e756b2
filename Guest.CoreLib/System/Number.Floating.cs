using System.Globalization;

namespace System
{
    // A decimal number as digits: value = 0.d1 d2 ... dCount * 10^Scale, digits ASCII, no trailing zeros;
    // Count == 0 is zero. Floating-point values are first turned into their exact decimal expansion (every
    // binary fraction has a finite one), so every later step (shortest form, rounding to a precision) works
    // on exact digits and rounds half to even, as .NET does.
    internal ref struct NumberBuffer
    {
        public Span<byte> Digits;
        public int Count;
        public int Scale;
        public bool IsNegative;

        public NumberBuffer(Span<byte> digits) { Digits = digits; Count = 0; Scale = 0; IsNegative = false; }

        public void StripTrailingZeros()
        {
            while (Count > 0 && Digits[Count - 1] == '0') Count--;
            if (Count == 0) Scale = 0;
        }

        // Keeps the first `pos` digits, rounding half to even (exact digits) or half up (integers: .NET
        // rounds their digits away from zero).
        public void Round(int pos, bool halfEven)
        {
            if (pos >= Count) return;
            if (pos < 0) { Count = 0; Scale = 0; return; }
            byte d = Digits[pos];
            bool up;
            if (!halfEven) up = d >= '5';
            else if (d != '5') up = d > '5';
            else if (pos + 1 < Count) up = true;                        // more (non-zero) digits follow
            else up = pos > 0 && ((Digits[pos - 1] - '0') & 1) == 1;     // a tie: to the even digit
            Count = pos;
            if (up)
            {
                int i = pos - 1;
                while (i >= 0 && Digits[i] == '9') i--;
                if (i < 0) { Digits[0] = (byte)'1'; Count = 1; Scale++; }
                else { Digits[i]++; Count = i + 1; }
            }
            StripTrailingZeros();
        }
    }

    internal static partial class Number
    {
        internal const int MaxDigits = 800;          // exact expansions need at most 767 significant digits
        private const int MaxParseDigits = 780;      // beyond this only "some non-zero digit follows" matters

        // IEEE binary64 and binary32: explicit mantissa bits and exponent bias.
        internal const int DoubleMantissaBits = 52, DoubleBias = 1023;
        internal const int SingleMantissaBits = 23, SingleBias = 127;

        internal static void Decompose(ulong bits, int mantBits, int bias, out ulong m, out int e)
        {
            ulong fracMask = (1UL << mantBits) - 1;
            int field = (int)(bits >> mantBits) & (mantBits == 52 ? 0x7FF : 0xFF);
            ulong frac = bits & fracMask;
            int minExp = 1 - bias - mantBits;
            if (field == 0) { m = frac; e = minExp; }
            else { m = frac | (1UL << mantBits); e = field - bias - mantBits; }
        }

        // The exact decimal expansion of m * 2^e.
        internal static void ExactDigits(ulong m, int e, ref NumberBuffer nb)
        {
            Span<uint> big = stackalloc uint[BigArith.Words];
            int len = BigArith.FromUInt64(big, m);
            int count;
            if (e >= 0)
            {
                len = BigArith.ShiftLeft(big, len, e);
                count = BigArith.ToDecimal(big, len, nb.Digits);
                nb.Scale = count;
            }
            else
            {
                // m * 2^e = m * 5^-e / 10^-e
                len = BigArith.MulPow5(big, len, -e);
                count = BigArith.ToDecimal(big, len, nb.Digits);
                nb.Scale = count + e;
            }
            nb.Count = count;
            nb.StripTrailingZeros();
        }

        // The first 18 or 19 significant digits of m * 2^e (no trailing zeros), and whether any non-zero
        // digit follows them: enough to compare exactly with any number of up to 17 digits. Costs a few
        // small big-integer operations, not the whole expansion.
        internal static void TopDigits(ulong m, int e, ref NumberBuffer nb, out bool sticky)
        {
            // The value lies in [2^(bits-1), 2^bits); k estimates its decimal scale from below (the true
            // scale is k or k + 1), so floor(value * 10^(18 - k)) has 18 or 19 digits.
            int bits = 64 - System.Numerics.BitOperations.LeadingZeroCount(m) + e;
            int k = (((bits - 1) * 78913) >> 18) + 1;
            int j = 18 - k;
            Span<uint> a = stackalloc uint[BigArith.Words];
            Span<uint> b = stackalloc uint[BigArith.Words];
            int alen = BigArith.FromUInt64(a, m);
            int shift = e + j;
            ulong q;
            if (j >= 0)
            {
                // m * 5^j * 2^(e + j)
                alen = BigArith.MulPow5(a, alen, j);
                if (shift >= 0) { alen = BigArith.ShiftLeft(a, alen, shift); sticky = false; }
                else alen = BigArith.ShiftRight(a, alen, -shift, out sticky);
                q = BigArith.ToUInt64(a, alen);
            }
            else
            {
                // m * 2^(e + j) / 5^-j
                int blen = BigArith.MulPow5(b, BigArith.FromUInt64(b, 1), -j);
                if (shift >= 0) alen = BigArith.ShiftLeft(a, alen, shift);
                else blen = BigArith.ShiftLeft(b, blen, -shift);
                q = BigArith.DivideToUInt64(a, ref alen, b, blen);
                sticky = alen != 0;
            }
            int count = UInt64ToDigits(q, nb.Digits);
            nb.Count = count;
            nb.Scale = count - j;
            nb.StripTrailingZeros();
        }

        // The decimal digits of v (none for 0), most significant first; returns their count. Splits v
        // into 9-digit parts so that most divisions are 32-bit ones.
        internal static int UInt64ToDigits(ulong v, Span<byte> digits)
        {
            Span<uint> parts = stackalloc uint[3];
            int n = 0;
            while (v >= 1_000_000_000) { parts[n++] = (uint)(v % 1_000_000_000); v /= 1_000_000_000; }
            int count = 0;
            uint top = (uint)v;
            if (top != 0)
            {
                Span<byte> tmp = stackalloc byte[10];
                int t = 0;
                while (top != 0) { tmp[t++] = (byte)('0' + top % 10); top /= 10; }
                while (t > 0) digits[count++] = tmp[--t];
            }
            while (n > 0)
            {
                uint part = parts[--n];
                for (int k = 8; k >= 0; k--) { digits[count + k] = (byte)('0' + part % 10); part /= 10; }
                count += 9;
            }
            return count;
        }

        // The shortest digits that read back as the same value (ties in reading go to the even mantissa, so
        // the interval's ends belong to it when m is even); among equally short ones the nearest. For exact
        // powers of two the interval below is half as wide; .NET 10.0's Dragon4 missed that for 2^-25 and
        // 2^-958 (printing text that reads back as the neighbour; fixed by dotnet/runtime#131131): here they
        // print as fixed .NET does.
        internal static void ShortestDigits(ulong m, int e, int mantBits, int bias, ref NumberBuffer nb)
        {
            if (m == 0) { nb.Count = 0; nb.Scale = 0; return; }
            // An integer below 2^(mantissa bits + 1) is its own shortest form: its neighbours are at most
            // 1 away, and fewer significant digits would move it by at least one unit of its last non-zero
            // digit.
            ulong exactLimit = 1UL << (mantBits + 1);
            if (e <= 0 && e > -64 && (m & ((1UL << -e) - 1)) == 0 && (m >> -e) < exactLimit)
            {
                ExactDigits(m >> -e, 0, ref nb);
                return;
            }
            TopDigits(m, e, ref nb, out bool vSticky);
            Span<byte> lowDigits = stackalloc byte[24];
            Span<byte> highDigits = stackalloc byte[24];
            var low = new NumberBuffer(lowDigits);
            var high = new NumberBuffer(highDigits);
            int minExp = 1 - bias - mantBits;
            bool lowSticky;
            if (m == (1UL << mantBits) && e > minExp) TopDigits(4 * m - 1, e - 2, ref low, out lowSticky);
            else TopDigits(2 * m - 1, e - 1, ref low, out lowSticky);
            TopDigits(2 * m + 1, e - 1, ref high, out bool highSticky);
            bool inclusive = (m & 1) == 0;

            Span<byte> candidate = stackalloc byte[24];
            int vCount = vSticky ? 20 : nb.Count;   // with more digits following, V itself has > 19
            for (int n = 1; n < vCount && n <= 17; n++)
            {
                // The two n-digit neighbours: down (truncated) and up (one unit more).
                bool upNearer;
                byte next = n < nb.Count ? nb.Digits[n] : (byte)'0';
                if (next != '5') upNearer = next > '5';
                else if (n + 1 < nb.Count || vSticky) upNearer = true;
                else upNearer = ((nb.Digits[n - 1] - '0') & 1) == 1;
                for (int attempt = 0; attempt < 2; attempt++)
                {
                    bool up = attempt == 0 ? upNearer : !upNearer;
                    int count = n < nb.Count ? n : nb.Count, scale = nb.Scale;
                    nb.Digits.Slice(0, count).CopyTo(candidate);
                    for (int z = count; z < n; z++) candidate[z] = (byte)'0';
                    count = n;
                    if (up)
                    {
                        int i = n - 1;
                        while (i >= 0 && candidate[i] == '9') i--;
                        if (i < 0) { candidate[0] = (byte)'1'; count = 1; scale++; }
                        else { candidate[i]++; count = i + 1; }
                    }
                    while (count > 1 && candidate[count - 1] == '0') count--;
                    int cl = CompareDecimal(candidate, count, scale, low.Digits, low.Count, low.Scale, lowSticky);
                    int ch = CompareDecimal(candidate, count, scale, high.Digits, high.Count, high.Scale, highSticky);
                    if (inclusive ? (cl >= 0 && ch <= 0) : (cl > 0 && ch < 0))
                    {
                        candidate.Slice(0, count).CopyTo(nb.Digits);
                        nb.Count = count;
                        nb.Scale = scale;
                        return;
                    }
                }
            }
            // No shorter form: the value's own digits, exactly (at most 17 for a double, 9 for a float).
            ExactDigits(m, e, ref nb);
        }

        // Compares two normalised decimals; b may stand for more (non-zero) digits after its last one.
        private static int CompareDecimal(ReadOnlySpan<byte> a, int an, int ascale, ReadOnlySpan<byte> b, int bn, int bscale, bool bSticky)
        {
            if (ascale != bscale) return ascale < bscale ? -1 : 1;
            int n = an > bn ? an : bn;
            for (int i = 0; i < n; i++)
            {
                int da = i < an ? a[i] : '0', db = i < bn ? b[i] : '0';
                if (da != db) return da < db ? -1 : 1;
            }
            return bSticky ? -1 : 0;
        }

        // Digits (with sticky rounding information) to the nearest binary floating-point value, ties to
        // even; returns the bits without the sign. Infinity on overflow, zero on underflow.
        internal static ulong RoundToBinary(ref NumberBuffer nb, int mantBits, int bias)
        {
            if (nb.Count == 0) return 0;
            ulong infinity = (ulong)(2 * bias + 1) << mantBits;
            int maxScale = mantBits == 52 ? 310 : 40, minScale = mantBits == 52 ? -330 : -50;
            if (nb.Scale > maxScale) return infinity;
            if (nb.Scale < minScale) return 0;

            Span<uint> a = stackalloc uint[BigArith.Words];
            Span<uint> b = stackalloc uint[BigArith.Words];
            int alen = 0;
            for (int i = 0; i < nb.Count;)
            {
                int k = nb.Count - i < 9 ? nb.Count - i : 9;
                uint chunk = 0, scale = 1;
                for (int j = 0; j < k; j++) { chunk = chunk * 10 + (uint)(nb.Digits[i + j] - '0'); scale *= 10; }
                alen = alen == 0 ? BigArith.FromUInt64(a, chunk) : BigArith.MulAddSmall(a, alen, scale, chunk);
                i += k;
            }
            int e10 = nb.Scale - nb.Count;            // value = A * 10^e10 = A * 5^e10 * 2^e10
            int blen = BigArith.FromUInt64(b, 1);
            if (e10 > 0) alen = BigArith.MulPow5(a, alen, e10);
            else if (e10 < 0) blen = BigArith.MulPow5(b, blen, -e10);

            // q = floor(A * 2^s / B) with 2^62 < q < 2^64.
            int s = 63 - BigArith.BitLength(a, alen) + BigArith.BitLength(b, blen);
            if (s > 0) alen = BigArith.ShiftLeft(a, alen, s);
            else if (s < 0) blen = BigArith.ShiftLeft(b, blen, -s);
            ulong q = BigArith.DivideToUInt64(a, ref alen, b, blen);
            bool sticky = alen != 0;
            int lowExp = e10 - s;                      // value = (q + fraction) * 2^lowExp
            int qbits = 64 - System.Numerics.BitOperations.LeadingZeroCount(q);
            int minExp = 1 - bias - mantBits;
            int drop = qbits - (mantBits + 1);
            if (lowExp + drop < minExp) drop = minExp - lowExp;    // subnormal: fewer bits
            if (drop > 64) return 0;
            ulong mant, rest;
            if (drop == 64) { mant = 0; rest = q; }
            else { mant = q >> drop; rest = q & ((1UL << drop) - 1); }
            ulong half = 1UL << (drop - 1);
            bool up = rest > half || (rest == half && (sticky || (mant & 1) == 1));
            if (up)
            {
                mant++;
                if (mant == 1UL << (mantBits + 1)) { mant >>= 1; drop++; }
            }
            if (mant == 0) return 0;
            if (mant < 1UL << mantBits) return mant;   // subnormal (exponent field 0)
            long field = (long)lowExp + drop + mantBits + bias;
            if (field >= 2 * bias + 1) return infinity;
            return ((ulong)field << mantBits) | (mant & ((1UL << mantBits) - 1));
        }

        private static bool IsWhite(char c) => c == ' ' || (c >= '\t' && c <= '\r');

        internal static void ValidateFloatStyles(NumberStyles styles)
        {
            const NumberStyles Supported = NumberStyles.Float | NumberStyles.AllowThousands;
            if ((styles & ~Supported) != 0)
                throw new NotSupportedException("Only the NumberStyles of Float | AllowThousands are supported in a guest.");
        }

        // The invariant culture's syntax, as far as `styles` allows: [ws][sign]digits[,digits][.digits]
        // [(e|E)[sign]digits][ws], or Infinity / NaN (any case, optional sign).
        internal static bool TryParseFloat(ReadOnlySpan<char> s, int mantBits, int bias, NumberStyles styles, out ulong bits)
        {
            bits = 0;
            int i = 0, end = s.Length;
            if ((styles & NumberStyles.AllowLeadingWhite) != 0) while (i < end && IsWhite(s[i])) i++;
            if ((styles & NumberStyles.AllowTrailingWhite) != 0) while (end > i && IsWhite(s[end - 1])) end--;
            bool negative = false;
            if ((styles & NumberStyles.AllowLeadingSign) != 0 && i < end && (s[i] == '+' || s[i] == '-')) { negative = s[i] == '-'; i++; }
            ulong signBit = negative ? 1UL << (mantBits == 52 ? 63 : 31) : 0;
            ReadOnlySpan<char> word = s.Slice(i, end - i);
            if (EqualsIgnoreCase(word, "Infinity"))
            {
                bits = ((ulong)(2 * bias + 1) << mantBits) | signBit;
                return true;
            }
            if (EqualsIgnoreCase(word, "NaN"))
            {
                // .NET's NaN constant (sign set, quiet bit set), whatever the sign written.
                bits = ((ulong)(2 * bias + 1) << mantBits) | (1UL << (mantBits - 1)) | (1UL << (mantBits == 52 ? 63 : 31));
                return true;
            }

            Span<byte> digits = stackalloc byte[MaxDigits + 2];
            var nb = new NumberBuffer(digits);
            bool anyDigit = false, sticky = false, inFraction = false;
            bool allowThousands = (styles & NumberStyles.AllowThousands) != 0, allowPoint = (styles & NumberStyles.AllowDecimalPoint) != 0;
            int scale = 0;
            for (; i < end; i++)
            {
                char c = s[i];
                if (c >= '0' && c <= '9')
                {
                    anyDigit = true;
                    if (nb.Count == 0 && c == '0') { if (inFraction) scale--; continue; }
                    if (nb.Count < MaxParseDigits) nb.Digits[nb.Count++] = (byte)c;
                    else if (c != '0') sticky = true;
                    if (!inFraction) scale++;
                }
                else if (c == '.' && allowPoint && !inFraction) inFraction = true;
                else if (c == ',' && allowThousands && anyDigit && !inFraction) { }
                else break;
            }
            if (!anyDigit) return false;
            if (i < end && (s[i] == 'e' || s[i] == 'E') && (styles & NumberStyles.AllowExponent) != 0)
            {
                int j = i + 1;
                bool expNegative = false;
                if (j < end && (s[j] == '+' || s[j] == '-')) { expNegative = s[j] == '-'; j++; }
                if (j < end && s[j] >= '0' && s[j] <= '9')
                {
                    int exp = 0;
                    for (; j < end && s[j] >= '0' && s[j] <= '9'; j++)
                        if (exp < 100000) exp = exp * 10 + (s[j] - '0');
                    scale += expNegative ? -exp : exp;
                    i = j;
                }
            }
            if (i != end) return false;
            if (sticky) nb.Digits[nb.Count++] = (byte)'1';
            nb.Scale = scale;
            nb.StripTrailingZeros();
            // Clinger's fast path: up to 15 digits and a power of ten up to 10^22 are both exact doubles,
            // so one IEEE multiplication or division rounds correctly by itself.
            int e10 = nb.Scale - nb.Count;
            if (mantBits == DoubleMantissaBits && nb.Count <= 15 && e10 >= -22 && e10 <= 22)
            {
                ulong w = 0;
                for (int k = 0; k < nb.Count; k++) w = w * 10 + (ulong)(nb.Digits[k] - '0');
                double v = w;
                v = e10 < 0 ? v / s_exactPowersOfTen[-e10] : v * s_exactPowersOfTen[e10];
                bits = (ulong)BitConverter.DoubleToInt64Bits(v) | signBit;
                return true;
            }
            bits = RoundToBinary(ref nb, mantBits, bias) | signBit;
            return true;
        }

        private static readonly double[] s_exactPowersOfTen =
        {
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        };

        private static bool EqualsIgnoreCase(ReadOnlySpan<char> a, string b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++)
            {
                char c = a[i];
                if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
                char d = b[i];
                if (d >= 'A' && d <= 'Z') d = (char)(d + 32);
                if (c != d) return false;
            }
            return true;
        }
    }
}
