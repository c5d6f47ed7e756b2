using System.Globalization;
using System.Text;

namespace System
{
    // Text conversion works on exact digits (Number.Floating.cs): ToString() is the shortest text that
    // reads back to the same value, precision formats round the exact value half to even, and Parse rounds
    // correctly; all with the invariant culture's symbols.
    [System.Runtime.CompilerServices.SkipLocalsInit]
    public readonly struct Single : IComparable, IComparable<float>, IEquatable<float>, IFormattable, ISpanFormattable, IUtf8SpanFormattable
    {
        private readonly float m_value;
        public const float MinValue = -3.40282346638528859e+38f;
        public const float MaxValue = 3.40282346638528859e+38f;
        public const float Epsilon = 1.4e-45f;
        public const float PositiveInfinity = 1.0f / 0.0f;
        public const float NegativeInfinity = -1.0f / 0.0f;
        public const float NaN = 0.0f / 0.0f;

        public static bool IsNaN(float f) => f != f;
        public static bool IsInfinity(float f) => f == PositiveInfinity || f == NegativeInfinity;
        public static bool IsPositiveInfinity(float f) => f == PositiveInfinity;
        public static bool IsNegativeInfinity(float f) => f == NegativeInfinity;
        public static bool IsFinite(float f) => !IsNaN(f) && !IsInfinity(f);
        public static bool IsNegative(float f) => BitConverter.SingleToInt32Bits(f) < 0;
        public int CompareTo(float value) => m_value < value ? -1 : m_value > value ? 1 : m_value == value ? 0 : IsNaN(m_value) ? (IsNaN(value) ? 0 : -1) : 1;
        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is float f) return CompareTo(f);
            throw new ArgumentException("Object must be of type Single.");
        }
        public bool Equals(float obj) => m_value == obj || (IsNaN(obj) && IsNaN(m_value));
        public override bool Equals(object? obj) => obj is float f && Equals(f);
        public override unsafe int GetHashCode() { float v = m_value; return *(int*)&v; }

        private ulong Bits => (uint)BitConverter.SingleToInt32Bits(m_value);
        public override string ToString() => Number.FormatFloat(Bits, true, null);
        public string ToString(string? format) => Number.FormatFloat(Bits, true, format);
        public string ToString(IFormatProvider? provider) => Number.FormatFloat(Bits, true, null);
        public string ToString(string? format, IFormatProvider? provider) => Number.FormatFloat(Bits, true, format);

        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new ValueStringBuilder(buffer);
            Number.FormatFloat(ref w, Bits, true, format);
            return w.TryCopyTo(destination, out charsWritten);
        }

        public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new ValueStringBuilder(buffer);
            Number.FormatFloat(ref w, Bits, true, format);
            return w.TryCopyToUtf8(utf8Destination, out bytesWritten);
        }

        private const NumberStyles DefaultStyles = NumberStyles.Float | NumberStyles.AllowThousands;

        public static float Parse(string s) => Parse(s, DefaultStyles, null);
        public static float Parse(string s, IFormatProvider? provider) => Parse(s, DefaultStyles, provider);
        public static float Parse(string s, NumberStyles style) => Parse(s, style, null);
        public static float Parse(string s, NumberStyles style, IFormatProvider? provider)
        {
            if (s is null) throw new ArgumentNullException(nameof(s));
            return Parse((ReadOnlySpan<char>)s, style, provider);
        }
        public static float Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s, DefaultStyles, provider);
        public static float Parse(ReadOnlySpan<char> s, NumberStyles style = DefaultStyles, IFormatProvider? provider = null)
        {
            if (!TryParse(s, style, provider, out float result)) throw new FormatException("The input string was not in a correct format.");
            return result;
        }

        public static bool TryParse(string? s, out float result) => TryParse((ReadOnlySpan<char>)s, DefaultStyles, null, out result);
        public static bool TryParse(ReadOnlySpan<char> s, out float result) => TryParse(s, DefaultStyles, null, out result);
        public static bool TryParse(string? s, IFormatProvider? provider, out float result) => TryParse((ReadOnlySpan<char>)s, DefaultStyles, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out float result) => TryParse(s, DefaultStyles, provider, out result);
        public static bool TryParse(string? s, NumberStyles style, IFormatProvider? provider, out float result) => TryParse((ReadOnlySpan<char>)s, style, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out float result)
        {
            Number.ValidateFloatStyles(style);
            bool ok = Number.TryParseFloat(s, Number.SingleMantissaBits, Number.SingleBias, style, out ulong bits);
            result = ok ? BitConverter.Int32BitsToSingle((int)(uint)bits) : 0;
            return ok;
        }
    }

    [System.Runtime.CompilerServices.SkipLocalsInit]
    public readonly struct Double : IComparable, IComparable<double>, IEquatable<double>, IFormattable, ISpanFormattable, IUtf8SpanFormattable
    {
        private readonly double m_value;
        public const double MinValue = -1.7976931348623157E+308;
        public const double MaxValue = 1.7976931348623157E+308;
        public const double Epsilon = 4.9406564584124654E-324;
        public const double PositiveInfinity = 1.0 / 0.0;
        public const double NegativeInfinity = -1.0 / 0.0;
        public const double NaN = 0.0 / 0.0;

        public static bool IsNaN(double d) => d != d;
        public static bool IsInfinity(double d) => d == PositiveInfinity || d == NegativeInfinity;
        public static bool IsPositiveInfinity(double d) => d == PositiveInfinity;
        public static bool IsNegativeInfinity(double d) => d == NegativeInfinity;
        public static bool IsFinite(double d) => !IsNaN(d) && !IsInfinity(d);
        public static bool IsNegative(double d) => BitConverter.DoubleToInt64Bits(d) < 0;
        public int CompareTo(double value) => m_value < value ? -1 : m_value > value ? 1 : m_value == value ? 0 : IsNaN(m_value) ? (IsNaN(value) ? 0 : -1) : 1;
        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is double d) return CompareTo(d);
            throw new ArgumentException("Object must be of type Double.");
        }
        public bool Equals(double obj) => m_value == obj || (IsNaN(obj) && IsNaN(m_value));
        public override bool Equals(object? obj) => obj is double d && Equals(d);
        public override unsafe int GetHashCode() { double v = m_value; long l = *(long*)&v; return (int)l ^ (int)(l >> 32); }

        private ulong Bits => (ulong)BitConverter.DoubleToInt64Bits(m_value);
        public override string ToString() => Number.FormatFloat(Bits, false, null);
        public string ToString(string? format) => Number.FormatFloat(Bits, false, format);
        public string ToString(IFormatProvider? provider) => Number.FormatFloat(Bits, false, null);
        public string ToString(string? format, IFormatProvider? provider) => Number.FormatFloat(Bits, false, format);

        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new ValueStringBuilder(buffer);
            Number.FormatFloat(ref w, Bits, false, format);
            return w.TryCopyTo(destination, out charsWritten);
        }

        public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new ValueStringBuilder(buffer);
            Number.FormatFloat(ref w, Bits, false, format);
            return w.TryCopyToUtf8(utf8Destination, out bytesWritten);
        }

        private const NumberStyles DefaultStyles = NumberStyles.Float | NumberStyles.AllowThousands;

        public static double Parse(string s) => Parse(s, DefaultStyles, null);
        public static double Parse(string s, IFormatProvider? provider) => Parse(s, DefaultStyles, provider);
        public static double Parse(string s, NumberStyles style) => Parse(s, style, null);
        public static double Parse(string s, NumberStyles style, IFormatProvider? provider)
        {
            if (s is null) throw new ArgumentNullException(nameof(s));
            return Parse((ReadOnlySpan<char>)s, style, provider);
        }
        public static double Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s, DefaultStyles, provider);
        public static double Parse(ReadOnlySpan<char> s, NumberStyles style = DefaultStyles, IFormatProvider? provider = null)
        {
            if (!TryParse(s, style, provider, out double result)) throw new FormatException("The input string was not in a correct format.");
            return result;
        }

        public static bool TryParse(string? s, out double result) => TryParse((ReadOnlySpan<char>)s, DefaultStyles, null, out result);
        public static bool TryParse(ReadOnlySpan<char> s, out double result) => TryParse(s, DefaultStyles, null, out result);
        public static bool TryParse(string? s, IFormatProvider? provider, out double result) => TryParse((ReadOnlySpan<char>)s, DefaultStyles, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out double result) => TryParse(s, DefaultStyles, provider, out result);
        public static bool TryParse(string? s, NumberStyles style, IFormatProvider? provider, out double result) => TryParse((ReadOnlySpan<char>)s, style, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out double result)
        {
            Number.ValidateFloatStyles(style);
            bool ok = Number.TryParseFloat(s, Number.DoubleMantissaBits, Number.DoubleBias, style, out ulong bits);
            result = ok ? BitConverter.Int64BitsToDouble((long)bits) : 0;
            return ok;
        }
    }

    public interface ISpanFormattable : IFormattable
    {
        bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider);
    }

    public interface IUtf8SpanFormattable
    {
        bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider);
    }
}
