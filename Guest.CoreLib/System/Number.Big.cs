namespace System
{
    // Unsigned big integers as little-endian 32-bit words in a caller's (stack) buffer; every operation
    // returns the new length in words. Enough for the exact arithmetic of floating-point formatting and
    // parsing: multiplying by small numbers and powers of five, shifts, comparison, subtraction and
    // division by a small number. Zero has length 0.
    [System.Runtime.CompilerServices.SkipLocalsInit]
    internal static class BigArith
    {
        // Words for any value formatting or parsing needs: 5^1150 * 2^(780 digits' bits + 128) < 2^5600.
        internal const int Words = 180;

        internal static int FromUInt64(Span<uint> r, ulong v)
        {
            if (v == 0) return 0;
            r[0] = (uint)v;
            r[1] = (uint)(v >> 32);
            return r[1] != 0 ? 2 : 1;
        }

        internal static int MulAddSmall(Span<uint> r, int len, uint mul, uint add)
        {
            ulong carry = add;
            for (int i = 0; i < len; i++)
            {
                ulong p = (ulong)r[i] * mul + carry;
                r[i] = (uint)p;
                carry = p >> 32;
            }
            if (carry != 0) r[len++] = (uint)carry;
            return len;
        }

        internal static int MulPow5(Span<uint> r, int len, int k)
        {
            const uint Pow5To13 = 1220703125;
            while (k >= 13) { len = MulAddSmall(r, len, Pow5To13, 0); k -= 13; }
            uint m = 1;
            while (k-- > 0) m *= 5;
            return m == 1 ? len : MulAddSmall(r, len, m, 0);
        }

        internal static int ShiftLeft(Span<uint> r, int len, int bits)
        {
            if (len == 0 || bits == 0) return len;
            int words = bits >> 5, b = bits & 31;
            if (b == 0)
            {
                for (int i = len - 1; i >= 0; i--) r[i + words] = r[i];
            }
            else
            {
                r[len + words] = 0;
                for (int i = len - 1; i >= 0; i--)
                {
                    r[i + words + 1] |= r[i] >> (32 - b);
                    r[i + words] = r[i] << b;
                }
                len++;
            }
            for (int i = 0; i < words; i++) r[i] = 0;
            len += words;
            while (len > 0 && r[len - 1] == 0) len--;
            return len;
        }

        internal static int ShiftRight1(Span<uint> r, int len)
        {
            for (int i = 0; i < len; i++)
                r[i] = (r[i] >> 1) | (i + 1 < len ? r[i + 1] << 31 : 0);
            while (len > 0 && r[len - 1] == 0) len--;
            return len;
        }

        // r >>= bits; reports whether any of the bits shifted out was 1.
        internal static int ShiftRight(Span<uint> r, int len, int bits, out bool lostNonZero)
        {
            int words = bits >> 5, b = bits & 31;
            lostNonZero = false;
            for (int i = 0; i < words && i < len; i++) if (r[i] != 0) lostNonZero = true;
            if (words >= len) return 0;
            if (b != 0 && (r[words] & ((1u << b) - 1)) != 0) lostNonZero = true;
            int n = len - words;
            for (int i = 0; i < n; i++)
            {
                uint lo = r[i + words] >> b;
                uint hi = b != 0 && i + words + 1 < len ? r[i + words + 1] << (32 - b) : 0;
                r[i] = lo | hi;
            }
            while (n > 0 && r[n - 1] == 0) n--;
            return n;
        }

        internal static ulong ToUInt64(ReadOnlySpan<uint> r, int len) =>
            len == 0 ? 0 : len == 1 ? r[0] : r[0] | ((ulong)r[1] << 32);

        // floor(a / b) when it is below 2^64 (a becomes the remainder): binary long division.
        internal static ulong DivideToUInt64(Span<uint> a, ref int alen, Span<uint> b, int blen)
        {
            blen = ShiftLeft(b, blen, 63);
            ulong q = 0;
            for (int i = 63; i >= 0; i--)
            {
                if (Compare(a, alen, b, blen) >= 0)
                {
                    alen = Subtract(a, alen, b, blen);
                    q |= 1UL << i;
                }
                blen = ShiftRight1(b, blen);
            }
            return q;
        }

        internal static int BitLength(ReadOnlySpan<uint> r, int len) =>
            len == 0 ? 0 : (len - 1) * 32 + 32 - System.Numerics.BitOperations.LeadingZeroCount(r[len - 1]);

        internal static int Compare(ReadOnlySpan<uint> a, int alen, ReadOnlySpan<uint> b, int blen)
        {
            if (alen != blen) return alen < blen ? -1 : 1;
            for (int i = alen - 1; i >= 0; i--)
                if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
            return 0;
        }

        // a -= b, where a >= b.
        internal static int Subtract(Span<uint> a, int alen, ReadOnlySpan<uint> b, int blen)
        {
            long borrow = 0;
            for (int i = 0; i < alen; i++)
            {
                long d = (long)a[i] - (i < blen ? b[i] : 0) - borrow;
                borrow = d < 0 ? 1 : 0;
                a[i] = (uint)d;
            }
            while (alen > 0 && a[alen - 1] == 0) alen--;
            return alen;
        }

        internal static uint DivRemSmall(Span<uint> r, ref int len, uint divisor)
        {
            ulong rem = 0;
            for (int i = len - 1; i >= 0; i--)
            {
                ulong cur = (rem << 32) | r[i];
                r[i] = (uint)(cur / divisor);
                rem = cur % divisor;
            }
            while (len > 0 && r[len - 1] == 0) len--;
            return (uint)rem;
        }

        // The decimal digits (ASCII) of r, most significant first; r is consumed. Returns the count.
        internal static int ToDecimal(Span<uint> r, int len, Span<byte> digits)
        {
            Span<uint> chunks = stackalloc uint[Words * 32 / 29 + 2];
            int n = 0;
            while (len > 0) chunks[n++] = DivRemSmall(r, ref len, 1_000_000_000);
            if (n == 0) return 0;
            int count = 0;
            uint top = chunks[n - 1];
            Span<byte> tmp = stackalloc byte[10];
            int t = 0;
            while (top != 0) { tmp[t++] = (byte)('0' + top % 10); top /= 10; }
            while (t > 0) digits[count++] = tmp[--t];
            for (int c = n - 2; c >= 0; c--)
            {
                uint v = chunks[c];
                for (int k = 8; k >= 0; k--) { digits[count + k] = (byte)('0' + v % 10); v /= 10; }
                count += 9;
            }
            return count;
        }
    }
}
