using System.Runtime.CompilerServices;

namespace System
{
    public static class BitConverter
    {
        public static readonly bool IsLittleEndian = true;

        public static unsafe long DoubleToInt64Bits(double value) => *(long*)&value;
        public static unsafe double Int64BitsToDouble(long value) => *(double*)&value;
        public static unsafe int SingleToInt32Bits(float value) => *(int*)&value;
        public static unsafe float Int32BitsToSingle(int value) => *(float*)&value;
    }

    public static class Math
    {
        public const double PI = 3.14159265358979323846;
        public const double E = 2.7182818284590452354;

        public static int Abs(int value) { if (value < 0) { value = -value; if (value < 0) ThrowHelper.ThrowOverflowException(); } return value; }
        public static long Abs(long value) { if (value < 0) { value = -value; if (value < 0) ThrowHelper.ThrowOverflowException(); } return value; }
        public static short Abs(short value) { if (value < 0) { value = (short)-value; if (value < 0) ThrowHelper.ThrowOverflowException(); } return value; }
        public static double Abs(double value) => value < 0 ? -value : value;
        public static float Abs(float value) => value < 0 ? -value : value;

        public static byte Min(byte val1, byte val2) => val1 <= val2 ? val1 : val2;
        public static short Min(short val1, short val2) => val1 <= val2 ? val1 : val2;
        public static ushort Min(ushort val1, ushort val2) => val1 <= val2 ? val1 : val2;
        public static int Min(int val1, int val2) => val1 <= val2 ? val1 : val2;
        public static uint Min(uint val1, uint val2) => val1 <= val2 ? val1 : val2;
        public static long Min(long val1, long val2) => val1 <= val2 ? val1 : val2;
        public static ulong Min(ulong val1, ulong val2) => val1 <= val2 ? val1 : val2;
        public static nint Min(nint val1, nint val2) => val1 <= val2 ? val1 : val2;
        public static nuint Min(nuint val1, nuint val2) => val1 <= val2 ? val1 : val2;
        public static double Min(double val1, double val2) => val1 != val1 ? val1 : val1 < val2 ? val1 : val2;

        public static byte Max(byte val1, byte val2) => val1 >= val2 ? val1 : val2;
        public static short Max(short val1, short val2) => val1 >= val2 ? val1 : val2;
        public static ushort Max(ushort val1, ushort val2) => val1 >= val2 ? val1 : val2;
        public static int Max(int val1, int val2) => val1 >= val2 ? val1 : val2;
        public static uint Max(uint val1, uint val2) => val1 >= val2 ? val1 : val2;
        public static long Max(long val1, long val2) => val1 >= val2 ? val1 : val2;
        public static ulong Max(ulong val1, ulong val2) => val1 >= val2 ? val1 : val2;
        public static nint Max(nint val1, nint val2) => val1 >= val2 ? val1 : val2;
        public static nuint Max(nuint val1, nuint val2) => val1 >= val2 ? val1 : val2;
        public static double Max(double val1, double val2) => val1 != val1 ? val1 : val1 > val2 ? val1 : val2;

        public static int Clamp(int value, int min, int max)
        {
            if (min > max) throw new ArgumentException("min must be less than or equal to max.");
            return value < min ? min : value > max ? max : value;
        }
        public static uint Clamp(uint value, uint min, uint max)
        {
            if (min > max) throw new ArgumentException("min must be less than or equal to max.");
            return value < min ? min : value > max ? max : value;
        }
        public static long Clamp(long value, long min, long max)
        {
            if (min > max) throw new ArgumentException("min must be less than or equal to max.");
            return value < min ? min : value > max ? max : value;
        }
        public static ulong Clamp(ulong value, ulong min, ulong max)
        {
            if (min > max) throw new ArgumentException("min must be less than or equal to max.");
            return value < min ? min : value > max ? max : value;
        }

        // The JIT turns this into sqrtsd; the body only runs if it did not.
        [Intrinsic]
        public static double Sqrt(double d)
        {
            if (!(d > 0)) return d == 0 ? d : double.NaN;
            if (double.IsPositiveInfinity(d)) return d;
            double r = d > 1 ? d / 2 : 1;
            for (int i = 0; i < 64; i++)
            {
                double next = 0.5 * (r + d / r);
                if (next == r) break;
                r = next;
            }
            return r;
        }

        // Rounding without SSE4.1 (this machine's guests have SSE2 only): integral values up to 2^52
        // are exact in a double, larger magnitudes have no fraction.
        public static double Truncate(double d)
        {
            if (!(Abs(d) < 4503599627370496.0)) return d; // NaN, infinities, |d| >= 2^52
            double t = (double)(long)d;
            return t == 0 ? (d < 0 || (d == 0 && BitConverter.DoubleToInt64Bits(d) < 0) ? -0.0 : 0.0) : t;
        }

        public static double Floor(double d)
        {
            double t = Truncate(d);
            return t > d ? t - 1 : t;
        }

        public static double Ceiling(double d)
        {
            double t = Truncate(d);
            if (t < d) t += 1;
            return t == 0 && d < 0 ? -0.0 : t;
        }

        // Round half to even, as .NET's Math.Round(double).
        public static double Round(double a)
        {
            if (!(Abs(a) < 4503599627370496.0)) return a;
            double f = Floor(a);
            double fraction = a - f; // exact below 2^52
            double r = fraction < 0.5 ? f : fraction > 0.5 ? f + 1 : (f % 2 == 0 ? f : f + 1);
            return r == 0 && a < 0 ? -0.0 : r;
        }

        public static int Sign(int value) => value < 0 ? -1 : value > 0 ? 1 : 0;
        public static int Sign(long value) => value < 0 ? -1 : value > 0 ? 1 : 0;

        public static int DivRem(int a, int b, out int result) { int q = a / b; result = a - q * b; return q; }
        public static long DivRem(long a, long b, out long result) { long q = a / b; result = a - q * b; return q; }

        public static ulong BigMul(uint a, uint b) => (ulong)a * b;

        // Helpers the JIT calls for floating-point conversions (checked and unsigned).
        internal static int ConvertToInt32Checked(double value)
        {
            if (!(value > -2147483649.0 && value < 2147483648.0)) throw new OverflowException();
            return (int)value;
        }
        internal static uint ConvertToUInt32Checked(double value)
        {
            if (!(value > -1.0 && value < 4294967296.0)) throw new OverflowException();
            return (uint)(long)value;
        }
        internal static long ConvertToInt64Checked(double value)
        {
            if (!(value >= -9223372036854775808.0 && value < 9223372036854775808.0)) throw new OverflowException();
            return (long)value;
        }
        internal static ulong ConvertToUInt64Checked(double value)
        {
            if (!(value > -1.0 && value < 18446744073709551616.0)) throw new OverflowException();
            return ConvertToUInt64(value);
        }
        internal static ulong ConvertToUInt64(double value)
        {
            // Saturating, like the runtime's helper: NaN and negatives give 0.
            if (!(value > 0)) return 0;
            if (value >= 18446744073709551616.0) return ulong.MaxValue;
            if (value < 9223372036854775808.0) return (ulong)(long)value;
            return (ulong)(long)(value - 9223372036854775808.0) + 0x8000000000000000UL;
        }
        internal static double ConvertFromInt64(long value) => (double)value;
        internal static double ConvertFromUInt64(ulong value) => (double)value;
        // IEEE fmod (what `%` on doubles means in .NET): exact, by long division of the significands.
        internal static double Remainder(double x, double y)
        {
            ulong ux = (ulong)BitConverter.DoubleToInt64Bits(x), uy = (ulong)BitConverter.DoubleToInt64Bits(y);
            int ex = (int)(ux >> 52) & 0x7FF, ey = (int)(uy >> 52) & 0x7FF;
            ulong sign = ux & 0x8000000000000000UL;
            if ((uy << 1) == 0 || ex == 0x7FF || double.IsNaN(y)) return (x * y) / (x * y);
            if ((ux << 1) <= (uy << 1)) return (ux << 1) == (uy << 1) ? 0 * x : x;
            ulong mx = ux & 0x000FFFFFFFFFFFFFUL, my = uy & 0x000FFFFFFFFFFFFFUL;
            // Normalise: put the leading 1 at bit 52 (subnormals have none yet).
            if (ex == 0) { while ((mx & (1UL << 52)) == 0) { mx <<= 1; ex--; } ex++; } else mx |= 1UL << 52;
            if (ey == 0) { while ((my & (1UL << 52)) == 0) { my <<= 1; ey--; } ey++; } else my |= 1UL << 52;
            for (; ex > ey; ex--)
            {
                if (mx >= my) { mx -= my; if (mx == 0) return 0 * x; }
                mx <<= 1;
            }
            if (mx >= my) { mx -= my; if (mx == 0) return 0 * x; }
            while ((mx & (1UL << 52)) == 0) { mx <<= 1; ex--; }
            if (ex > 0) mx = (mx - (1UL << 52)) | ((ulong)ex << 52);
            else mx >>= 1 - ex; // subnormal result
            return BitConverter.Int64BitsToDouble((long)(mx | sign));
        }

        internal static float Remainder(float x, float y) => (float)Remainder((double)x, (double)y);

        // The JIT compiles `%` on floating point to calls to the C library's fmod/fmodf.
        [System.Runtime.RuntimeExport("fmod")]
        private static double Fmod(double x, double y) => Remainder(x, y);

        [System.Runtime.RuntimeExport("fmodf")]
        private static float Fmodf(float x, float y) => Remainder(x, y);
        public static long BigMul(int a, int b) => (long)a * b;
    }
}

namespace System.Numerics
{
    public static class BitOperations
    {
        public static uint RotateLeft(uint value, int offset) => (value << offset) | (value >> (32 - offset));
        public static ulong RotateLeft(ulong value, int offset) => (value << offset) | (value >> (64 - offset));
        public static uint RotateRight(uint value, int offset) => (value >> offset) | (value << (32 - offset));
        public static ulong RotateRight(ulong value, int offset) => (value >> offset) | (value << (64 - offset));

        public static int PopCount(uint value)
        {
            value -= (value >> 1) & 0x55555555u;
            value = (value & 0x33333333u) + ((value >> 2) & 0x33333333u);
            return (int)((((value + (value >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24);
        }
        public static int PopCount(ulong value) => PopCount((uint)value) + PopCount((uint)(value >> 32));

        public static int LeadingZeroCount(uint value)
        {
            if (value == 0) return 32;
            int n = 0;
            while ((value & 0x80000000u) == 0) { value <<= 1; n++; }
            return n;
        }
        public static int LeadingZeroCount(ulong value)
        {
            uint hi = (uint)(value >> 32);
            return hi == 0 ? 32 + LeadingZeroCount((uint)value) : LeadingZeroCount(hi);
        }
        public static int TrailingZeroCount(uint value)
        {
            if (value == 0) return 32;
            int n = 0;
            while ((value & 1) == 0) { value >>= 1; n++; }
            return n;
        }
        public static int TrailingZeroCount(ulong value)
        {
            uint lo = (uint)value;
            return lo == 0 ? 32 + TrailingZeroCount((uint)(value >> 32)) : TrailingZeroCount(lo);
        }
        public static int Log2(uint value) => 31 ^ LeadingZeroCount(value | 1);
        public static int Log2(ulong value) => 63 ^ LeadingZeroCount(value | 1);
        public static bool IsPow2(int value) => (value & (value - 1)) == 0 && value > 0;
        public static bool IsPow2(uint value) => (value & (value - 1)) == 0 && value != 0;
        public static bool IsPow2(ulong value) => (value & (value - 1)) == 0 && value != 0;
        public static uint RoundUpToPowerOf2(uint value)
        {
            --value;
            value |= value >> 1; value |= value >> 2; value |= value >> 4; value |= value >> 8; value |= value >> 16;
            return value + 1;
        }
    }
}

namespace System.Buffers.Binary
{
    public static class BinaryPrimitives
    {
        public static sbyte ReverseEndianness(sbyte value) => value;
        public static byte ReverseEndianness(byte value) => value;
        public static short ReverseEndianness(short value) => (short)ReverseEndianness((ushort)value);
        public static ushort ReverseEndianness(ushort value) => (ushort)((value >> 8) + (value << 8));
        public static int ReverseEndianness(int value) => (int)ReverseEndianness((uint)value);
        public static uint ReverseEndianness(uint value) =>
            (value >> 24) | ((value >> 8) & 0xFF00u) | ((value << 8) & 0xFF0000u) | (value << 24);
        public static long ReverseEndianness(long value) => (long)ReverseEndianness((ulong)value);
        public static ulong ReverseEndianness(ulong value) =>
            ((ulong)ReverseEndianness((uint)value) << 32) | ReverseEndianness((uint)(value >> 32));

        private static T Read<T>(ReadOnlySpan<byte> source) where T : struct
        {
            if (source.Length < Unsafe.SizeOf<T>()) ThrowHelper.ThrowArgumentOutOfRangeException();
            return Unsafe.ReadUnaligned<T>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(source));
        }

        private static void Write<T>(Span<byte> destination, T value) where T : struct
        {
            if (destination.Length < Unsafe.SizeOf<T>()) ThrowHelper.ThrowArgumentOutOfRangeException();
            Unsafe.WriteUnaligned(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination), value);
        }

        private static bool TryRead<T>(ReadOnlySpan<byte> source, out T value) where T : struct
        {
            if (source.Length < Unsafe.SizeOf<T>()) { value = default; return false; }
            value = Unsafe.ReadUnaligned<T>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(source));
            return true;
        }

        private static bool TryWrite<T>(Span<byte> destination, T value) where T : struct
        {
            if (destination.Length < Unsafe.SizeOf<T>()) return false;
            Unsafe.WriteUnaligned(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination), value);
            return true;
        }

        public static short ReadInt16LittleEndian(ReadOnlySpan<byte> source) => Read<short>(source);
        public static ushort ReadUInt16LittleEndian(ReadOnlySpan<byte> source) => Read<ushort>(source);
        public static int ReadInt32LittleEndian(ReadOnlySpan<byte> source) => Read<int>(source);
        public static uint ReadUInt32LittleEndian(ReadOnlySpan<byte> source) => Read<uint>(source);
        public static long ReadInt64LittleEndian(ReadOnlySpan<byte> source) => Read<long>(source);
        public static ulong ReadUInt64LittleEndian(ReadOnlySpan<byte> source) => Read<ulong>(source);
        public static short ReadInt16BigEndian(ReadOnlySpan<byte> source) => ReverseEndianness(Read<short>(source));
        public static ushort ReadUInt16BigEndian(ReadOnlySpan<byte> source) => ReverseEndianness(Read<ushort>(source));
        public static int ReadInt32BigEndian(ReadOnlySpan<byte> source) => ReverseEndianness(Read<int>(source));
        public static uint ReadUInt32BigEndian(ReadOnlySpan<byte> source) => ReverseEndianness(Read<uint>(source));
        public static long ReadInt64BigEndian(ReadOnlySpan<byte> source) => ReverseEndianness(Read<long>(source));
        public static ulong ReadUInt64BigEndian(ReadOnlySpan<byte> source) => ReverseEndianness(Read<ulong>(source));

        public static void WriteInt16LittleEndian(Span<byte> destination, short value) => Write(destination, value);
        public static void WriteUInt16LittleEndian(Span<byte> destination, ushort value) => Write(destination, value);
        public static void WriteInt32LittleEndian(Span<byte> destination, int value) => Write(destination, value);
        public static void WriteUInt32LittleEndian(Span<byte> destination, uint value) => Write(destination, value);
        public static void WriteInt64LittleEndian(Span<byte> destination, long value) => Write(destination, value);
        public static void WriteUInt64LittleEndian(Span<byte> destination, ulong value) => Write(destination, value);
        public static void WriteInt16BigEndian(Span<byte> destination, short value) => Write(destination, ReverseEndianness(value));
        public static void WriteUInt16BigEndian(Span<byte> destination, ushort value) => Write(destination, ReverseEndianness(value));
        public static void WriteInt32BigEndian(Span<byte> destination, int value) => Write(destination, ReverseEndianness(value));
        public static void WriteUInt32BigEndian(Span<byte> destination, uint value) => Write(destination, ReverseEndianness(value));
        public static void WriteInt64BigEndian(Span<byte> destination, long value) => Write(destination, ReverseEndianness(value));
        public static void WriteUInt64BigEndian(Span<byte> destination, ulong value) => Write(destination, ReverseEndianness(value));

        public static bool TryReadUInt16BigEndian(ReadOnlySpan<byte> source, out ushort value)
        { bool ok = TryRead(source, out value); value = ReverseEndianness(value); return ok; }
        public static bool TryReadUInt32BigEndian(ReadOnlySpan<byte> source, out uint value)
        { bool ok = TryRead(source, out value); value = ReverseEndianness(value); return ok; }
        public static bool TryReadUInt16LittleEndian(ReadOnlySpan<byte> source, out ushort value) => TryRead(source, out value);
        public static bool TryReadUInt32LittleEndian(ReadOnlySpan<byte> source, out uint value) => TryRead(source, out value);
        public static bool TryWriteUInt16BigEndian(Span<byte> destination, ushort value) => TryWrite(destination, ReverseEndianness(value));
        public static bool TryWriteUInt32BigEndian(Span<byte> destination, uint value) => TryWrite(destination, ReverseEndianness(value));
        public static bool TryWriteUInt16LittleEndian(Span<byte> destination, ushort value) => TryWrite(destination, value);
        public static bool TryWriteUInt32LittleEndian(Span<byte> destination, uint value) => TryWrite(destination, value);
    }
}

namespace System.Threading
{
    // The guest has one vCPU, no interrupts and no threads, so a plain read-modify-write is atomic with
    // respect to everything that can observe it. The volatile field accesses keep the compiler from
    // caching or reordering them (memory shared with devices).
    public static class Volatile
    {
        private struct VolatileInt32 { public volatile int Value; }
        private struct VolatileUInt32 { public volatile uint Value; }
        private struct VolatileBoolean { public volatile bool Value; }
        private struct VolatileByte { public volatile byte Value; }
        private struct VolatileUInt16 { public volatile ushort Value; }
        private struct VolatileIntPtr { public volatile nint Value; }
        private struct VolatileObject { public volatile object? Value; }

        public static bool Read(ref readonly bool location) => Unsafe.As<bool, VolatileBoolean>(ref Unsafe.AsRef(in location)).Value;
        public static byte Read(ref readonly byte location) => Unsafe.As<byte, VolatileByte>(ref Unsafe.AsRef(in location)).Value;
        public static ushort Read(ref readonly ushort location) => Unsafe.As<ushort, VolatileUInt16>(ref Unsafe.AsRef(in location)).Value;
        public static int Read(ref readonly int location) => Unsafe.As<int, VolatileInt32>(ref Unsafe.AsRef(in location)).Value;
        public static uint Read(ref readonly uint location) => Unsafe.As<uint, VolatileUInt32>(ref Unsafe.AsRef(in location)).Value;
        public static long Read(ref readonly long location) => (long)Unsafe.As<long, VolatileIntPtr>(ref Unsafe.AsRef(in location)).Value;
        public static ulong Read(ref readonly ulong location) => (ulong)Unsafe.As<ulong, VolatileIntPtr>(ref Unsafe.AsRef(in location)).Value;
        public static nint Read(ref readonly nint location) => Unsafe.As<nint, VolatileIntPtr>(ref Unsafe.AsRef(in location)).Value;
        public static T Read<T>(ref readonly T location) where T : class? => Unsafe.As<T>(Unsafe.As<T, VolatileObject>(ref Unsafe.AsRef(in location)).Value);

        public static void Write(ref bool location, bool value) => Unsafe.As<bool, VolatileBoolean>(ref location).Value = value;
        public static void Write(ref byte location, byte value) => Unsafe.As<byte, VolatileByte>(ref location).Value = value;
        public static void Write(ref ushort location, ushort value) => Unsafe.As<ushort, VolatileUInt16>(ref location).Value = value;
        public static void Write(ref int location, int value) => Unsafe.As<int, VolatileInt32>(ref location).Value = value;
        public static void Write(ref uint location, uint value) => Unsafe.As<uint, VolatileUInt32>(ref location).Value = value;
        public static void Write(ref long location, long value) => Unsafe.As<long, VolatileIntPtr>(ref location).Value = (nint)value;
        public static void Write(ref ulong location, ulong value) => Unsafe.As<ulong, VolatileIntPtr>(ref location).Value = (nint)value;
        public static void Write(ref nint location, nint value) => Unsafe.As<nint, VolatileIntPtr>(ref location).Value = value;
        public static void Write<T>(ref T location, T value) where T : class? => Unsafe.As<T, VolatileObject>(ref location).Value = value;
    }

    public static class Interlocked
    {
        public static int Increment(ref int location) => location = Volatile.Read(ref location) + 1;
        public static long Increment(ref long location) => location = Volatile.Read(ref location) + 1;
        public static uint Increment(ref uint location) => location = Volatile.Read(ref location) + 1;
        public static ulong Increment(ref ulong location) => location = Volatile.Read(ref location) + 1;
        public static int Decrement(ref int location) => location = Volatile.Read(ref location) - 1;
        public static long Decrement(ref long location) => location = Volatile.Read(ref location) - 1;
        public static uint Decrement(ref uint location) => location = Volatile.Read(ref location) - 1;
        public static ulong Decrement(ref ulong location) => location = Volatile.Read(ref location) - 1;
        public static int Add(ref int location1, int value) => location1 = Volatile.Read(ref location1) + value;
        public static long Add(ref long location1, long value) => location1 = Volatile.Read(ref location1) + value;
        public static uint Add(ref uint location1, uint value) => location1 = Volatile.Read(ref location1) + value;
        public static ulong Add(ref ulong location1, ulong value) => location1 = Volatile.Read(ref location1) + value;

        public static int Exchange(ref int location1, int value) { int old = Volatile.Read(ref location1); Volatile.Write(ref location1, value); return old; }
        public static long Exchange(ref long location1, long value) { long old = Volatile.Read(ref location1); Volatile.Write(ref location1, value); return old; }
        public static uint Exchange(ref uint location1, uint value) { uint old = Volatile.Read(ref location1); Volatile.Write(ref location1, value); return old; }
        public static ulong Exchange(ref ulong location1, ulong value) { ulong old = Volatile.Read(ref location1); Volatile.Write(ref location1, value); return old; }
        public static nint Exchange(ref nint location1, nint value) { nint old = Volatile.Read(ref location1); Volatile.Write(ref location1, value); return old; }
        public static T Exchange<T>(ref T location1, T value) where T : class? { T old = Volatile.Read(ref location1); Volatile.Write(ref location1, value); return old; }

        public static int CompareExchange(ref int location1, int value, int comparand)
        { int old = Volatile.Read(ref location1); if (old == comparand) Volatile.Write(ref location1, value); return old; }
        public static long CompareExchange(ref long location1, long value, long comparand)
        { long old = Volatile.Read(ref location1); if (old == comparand) Volatile.Write(ref location1, value); return old; }
        public static uint CompareExchange(ref uint location1, uint value, uint comparand)
        { uint old = Volatile.Read(ref location1); if (old == comparand) Volatile.Write(ref location1, value); return old; }
        public static ulong CompareExchange(ref ulong location1, ulong value, ulong comparand)
        { ulong old = Volatile.Read(ref location1); if (old == comparand) Volatile.Write(ref location1, value); return old; }
        public static nint CompareExchange(ref nint location1, nint value, nint comparand)
        { nint old = Volatile.Read(ref location1); if (old == comparand) Volatile.Write(ref location1, value); return old; }
        public static T CompareExchange<T>(ref T location1, T value, T comparand) where T : class?
        { T old = Volatile.Read(ref location1); if ((object?)old == (object?)comparand) Volatile.Write(ref location1, value); return old; }

        public static int And(ref int location1, int value) { int old = Volatile.Read(ref location1); Volatile.Write(ref location1, old & value); return old; }
        public static int Or(ref int location1, int value) { int old = Volatile.Read(ref location1); Volatile.Write(ref location1, old | value); return old; }
        public static long Read(ref readonly long location) => Volatile.Read(in location);

        // A compiler barrier is all one vCPU needs; mfence additionally orders device-visible memory.
        public static void MemoryBarrier() => Internal.Runtime.Hvt.MemoryFence();
    }
}
