using Internal.Runtime;

namespace System
{
    // new Random(seed) produces exactly .NET's sequence (Knuth's subtractive generator, which .NET keeps
    // for seeded instances); new Random() and Random.Shared use xoshiro256** seeded from the TSC and the
    // wall clock.
    public class Random
    {
        private readonly CompatPrng? _compat;
        private ulong _s0, _s1, _s2, _s3;

        private static Random? s_shared;
        private static ulong s_seedCounter;

        public Random()
        {
            ulong seed = Hvt.Tsc() ^ WallClock.UnixNanoseconds() ^ (++s_seedCounter * 0x9E3779B97F4A7C15UL);
            do
            {
                _s0 = SplitMix(ref seed); _s1 = SplitMix(ref seed); _s2 = SplitMix(ref seed); _s3 = SplitMix(ref seed);
            } while ((_s0 | _s1 | _s2 | _s3) == 0);
        }

        public Random(int Seed) { _compat = new CompatPrng(Seed); }

        public static Random Shared => s_shared ??= new Random();

        private static ulong SplitMix(ref ulong x)
        {
            ulong z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        private ulong NextUInt64()
        {
            ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
            ulong result = System.Numerics.BitOperations.RotateLeft(s1 * 5, 7) * 9;
            ulong t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t;
            s3 = System.Numerics.BitOperations.RotateLeft(s3, 45);
            _s0 = s0; _s1 = s1; _s2 = s2; _s3 = s3;
            return result;
        }

        // A uniform integer in [0, range) without modulo bias.
        private ulong NextBelow(ulong range)
        {
            ulong limit = ulong.MaxValue - ulong.MaxValue % range;
            ulong r;
            do { r = NextUInt64(); } while (r >= limit);
            return r % range;
        }

        protected virtual double Sample() => _compat is not null ? _compat.Sample() : (NextUInt64() >> 11) * (1.0 / (1UL << 53));

        public virtual int Next()
        {
            if (_compat is not null) return _compat.InternalSample();
            while (true)
            {
                ulong r = NextUInt64() >> 33;
                if (r != int.MaxValue) return (int)r;
            }
        }

        public virtual int Next(int maxValue)
        {
            if (maxValue < 0) throw new ArgumentOutOfRangeException(nameof(maxValue), "'maxValue' must be greater than zero.");
            if (_compat is not null) return (int)(Sample() * maxValue);
            return maxValue <= 1 ? 0 : (int)NextBelow((ulong)maxValue);
        }

        public virtual int Next(int minValue, int maxValue)
        {
            if (minValue > maxValue) throw new ArgumentOutOfRangeException(nameof(minValue), "'minValue' cannot be greater than maxValue.");
            long range = (long)maxValue - minValue;
            if (_compat is not null)
            {
                if (range <= int.MaxValue) return (int)(Sample() * range) + minValue;
                return (int)((long)(_compat.SampleForLargeRange() * range) + minValue);
            }
            return range <= 1 ? minValue : (int)((long)NextBelow((ulong)range) + minValue);
        }

        public virtual double NextDouble() => Sample();

        public virtual float NextSingle() => _compat is not null ? (float)Sample() : (NextUInt64() >> 40) * (1.0f / (1U << 24));

        public virtual void NextBytes(byte[] buffer)
        {
            if (buffer is null) throw new ArgumentNullException(nameof(buffer));
            NextBytes(new Span<byte>(buffer));
        }

        public virtual void NextBytes(Span<byte> buffer)
        {
            if (_compat is not null)
            {
                for (int i = 0; i < buffer.Length; i++) buffer[i] = (byte)_compat.InternalSample();
                return;
            }
            for (int i = 0; i < buffer.Length; i++) buffer[i] = (byte)(NextUInt64() >> 56);
        }

        // Knuth's subtractive generator (Numerical Recipes' ran3), with .NET's seeding.
        private sealed class CompatPrng
        {
            private const int MBig = int.MaxValue;
            private const int MSeed = 161803398;
            private readonly int[] _seedArray = new int[56];
            private int _inext;
            private int _inextp;

            public CompatPrng(int seed)
            {
                int[] a = _seedArray;
                int subtraction = seed == int.MinValue ? int.MaxValue : Math.Abs(seed);
                int mj = MSeed - subtraction;
                a[55] = mj;
                int mk = 1;
                int ii = 0;
                for (int i = 1; i < 55; i++)
                {
                    if ((ii += 21) >= 55) ii -= 55;
                    a[ii] = mk;
                    mk = mj - mk;
                    if (mk < 0) mk += MBig;
                    mj = a[ii];
                }
                for (int k = 1; k < 5; k++)
                {
                    for (int i = 1; i < 56; i++)
                    {
                        int n = i + 30;
                        if (n >= 55) n -= 55;
                        a[i] -= a[1 + n];
                        if (a[i] < 0) a[i] += MBig;
                    }
                }
                _inext = 0;
                _inextp = 21;
            }

            public double Sample() => InternalSample() * (1.0 / MBig);

            public int InternalSample()
            {
                int locINext = _inext;
                if (++locINext >= 56) locINext = 1;
                int locINextp = _inextp;
                if (++locINextp >= 56) locINextp = 1;
                int retVal = _seedArray[locINext] - _seedArray[locINextp];
                if (retVal == MBig) retVal--;
                if (retVal < 0) retVal += MBig;
                _seedArray[locINext] = retVal;
                _inext = locINext;
                _inextp = locINextp;
                return retVal;
            }

            // Ranges wider than int: two samples, as .NET does.
            public double SampleForLargeRange()
            {
                int result = InternalSample();
                bool negative = InternalSample() % 2 == 0;
                if (negative) result = -result;
                double d = result;
                d += int.MaxValue - 1;
                d /= 2 * (uint)int.MaxValue - 1;
                return d;
            }
        }
    }
}
