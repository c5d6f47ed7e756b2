using System.Globalization;
using System.Runtime.CompilerServices;

namespace System
{
    public readonly struct SByte : IComparable, IComparable<sbyte>, IEquatable<sbyte>, IFormattable, ISpanFormattable, IUtf8SpanFormattable
    {
        private readonly sbyte m_value;
        public const sbyte MinValue = -128;
        public const sbyte MaxValue = 127;

        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is sbyte other) return CompareTo(other);
            throw new ArgumentException("Object must be of type SByte.");
        }
        public int CompareTo(sbyte value) => m_value < value ? -1 : m_value > value ? 1 : 0;
        public bool Equals(sbyte obj) => m_value == obj;
        public override bool Equals(object? obj) => obj is sbyte other && m_value == other;
        public override int GetHashCode() => m_value;
        public override string ToString() => Number.FormatInteger(m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 8, (ulong)(long)m_value, null);
        public string ToString(string? format) => Number.FormatInteger(m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 8, (ulong)(long)m_value, format);
        public string ToString(string? format, IFormatProvider? provider) => Number.FormatInteger(m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 8, (ulong)(long)m_value, format);
        public string ToString(IFormatProvider? provider) => ToString();

        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 8, (ulong)(long)m_value, format);
            return w.TryCopyTo(destination, out charsWritten);
        }
        public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 8, (ulong)(long)m_value, format);
            return w.TryCopyToUtf8(utf8Destination, out bytesWritten);
        }
        public static sbyte Parse(string s) => Parse(s, NumberStyles.Integer, null);
        public static sbyte Parse(string s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static sbyte Parse(string s, NumberStyles style) => Parse(s, style, null);
        public static sbyte Parse(string s, NumberStyles style, IFormatProvider? provider)
        {
            if (s is null) throw new ArgumentNullException(nameof(s));
            return Parse((ReadOnlySpan<char>)s, style, provider);
        }
        public static sbyte Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static sbyte Parse(ReadOnlySpan<char> s, NumberStyles style = NumberStyles.Integer, IFormatProvider? provider = null)
        {
            ulong raw = Number.ParseInteger(s, style, true, 8);
            return unchecked((sbyte)(long)raw);
        }
        public static bool TryParse(string? s, out sbyte result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, null, out result);
        public static bool TryParse(ReadOnlySpan<char> s, out sbyte result) => TryParse(s, NumberStyles.Integer, null, out result);
        public static bool TryParse(string? s, IFormatProvider? provider, out sbyte result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out sbyte result) => TryParse(s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(string? s, NumberStyles style, IFormatProvider? provider, out sbyte result) => TryParse((ReadOnlySpan<char>)s, style, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out sbyte result)
        {
            bool ok = Number.TryParseInteger(s, style, true, 8, out ulong raw) == Number.ParseOk;
            result = ok ? unchecked((sbyte)(long)raw) : (sbyte)0;
            return ok;
        }
    }

    public readonly struct Byte : IComparable, IComparable<byte>, IEquatable<byte>, IFormattable, ISpanFormattable, IUtf8SpanFormattable
    {
        private readonly byte m_value;
        public const byte MinValue = 0;
        public const byte MaxValue = 255;

        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is byte other) return CompareTo(other);
            throw new ArgumentException("Object must be of type Byte.");
        }
        public int CompareTo(byte value) => m_value < value ? -1 : m_value > value ? 1 : 0;
        public bool Equals(byte obj) => m_value == obj;
        public override bool Equals(object? obj) => obj is byte other && m_value == other;
        public override int GetHashCode() => m_value;
        public override string ToString() => Number.FormatInteger(false, m_value, 8, m_value, null);
        public string ToString(string? format) => Number.FormatInteger(false, m_value, 8, m_value, format);
        public string ToString(string? format, IFormatProvider? provider) => Number.FormatInteger(false, m_value, 8, m_value, format);
        public string ToString(IFormatProvider? provider) => ToString();

        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, false, m_value, 8, m_value, format);
            return w.TryCopyTo(destination, out charsWritten);
        }
        public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, false, m_value, 8, m_value, format);
            return w.TryCopyToUtf8(utf8Destination, out bytesWritten);
        }
        public static byte Parse(string s) => Parse(s, NumberStyles.Integer, null);
        public static byte Parse(string s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static byte Parse(string s, NumberStyles style) => Parse(s, style, null);
        public static byte Parse(string s, NumberStyles style, IFormatProvider? provider)
        {
            if (s is null) throw new ArgumentNullException(nameof(s));
            return Parse((ReadOnlySpan<char>)s, style, provider);
        }
        public static byte Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static byte Parse(ReadOnlySpan<char> s, NumberStyles style = NumberStyles.Integer, IFormatProvider? provider = null)
        {
            ulong raw = Number.ParseInteger(s, style, false, 8);
            return unchecked((byte)raw);
        }
        public static bool TryParse(string? s, out byte result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, null, out result);
        public static bool TryParse(ReadOnlySpan<char> s, out byte result) => TryParse(s, NumberStyles.Integer, null, out result);
        public static bool TryParse(string? s, IFormatProvider? provider, out byte result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out byte result) => TryParse(s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(string? s, NumberStyles style, IFormatProvider? provider, out byte result) => TryParse((ReadOnlySpan<char>)s, style, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out byte result)
        {
            bool ok = Number.TryParseInteger(s, style, false, 8, out ulong raw) == Number.ParseOk;
            result = ok ? unchecked((byte)raw) : (byte)0;
            return ok;
        }
    }

    public readonly struct Int16 : IComparable, IComparable<short>, IEquatable<short>, IFormattable, ISpanFormattable, IUtf8SpanFormattable
    {
        private readonly short m_value;
        public const short MinValue = -32768;
        public const short MaxValue = 32767;

        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is short other) return CompareTo(other);
            throw new ArgumentException("Object must be of type Int16.");
        }
        public int CompareTo(short value) => m_value < value ? -1 : m_value > value ? 1 : 0;
        public bool Equals(short obj) => m_value == obj;
        public override bool Equals(object? obj) => obj is short other && m_value == other;
        public override int GetHashCode() => m_value;
        public override string ToString() => Number.FormatInteger(m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 16, (ulong)(long)m_value, null);
        public string ToString(string? format) => Number.FormatInteger(m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 16, (ulong)(long)m_value, format);
        public string ToString(string? format, IFormatProvider? provider) => Number.FormatInteger(m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 16, (ulong)(long)m_value, format);
        public string ToString(IFormatProvider? provider) => ToString();

        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 16, (ulong)(long)m_value, format);
            return w.TryCopyTo(destination, out charsWritten);
        }
        public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 16, (ulong)(long)m_value, format);
            return w.TryCopyToUtf8(utf8Destination, out bytesWritten);
        }
        public static short Parse(string s) => Parse(s, NumberStyles.Integer, null);
        public static short Parse(string s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static short Parse(string s, NumberStyles style) => Parse(s, style, null);
        public static short Parse(string s, NumberStyles style, IFormatProvider? provider)
        {
            if (s is null) throw new ArgumentNullException(nameof(s));
            return Parse((ReadOnlySpan<char>)s, style, provider);
        }
        public static short Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static short Parse(ReadOnlySpan<char> s, NumberStyles style = NumberStyles.Integer, IFormatProvider? provider = null)
        {
            ulong raw = Number.ParseInteger(s, style, true, 16);
            return unchecked((short)(long)raw);
        }
        public static bool TryParse(string? s, out short result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, null, out result);
        public static bool TryParse(ReadOnlySpan<char> s, out short result) => TryParse(s, NumberStyles.Integer, null, out result);
        public static bool TryParse(string? s, IFormatProvider? provider, out short result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out short result) => TryParse(s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(string? s, NumberStyles style, IFormatProvider? provider, out short result) => TryParse((ReadOnlySpan<char>)s, style, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out short result)
        {
            bool ok = Number.TryParseInteger(s, style, true, 16, out ulong raw) == Number.ParseOk;
            result = ok ? unchecked((short)(long)raw) : (short)0;
            return ok;
        }
    }

    public readonly struct UInt16 : IComparable, IComparable<ushort>, IEquatable<ushort>, IFormattable, ISpanFormattable, IUtf8SpanFormattable
    {
        private readonly ushort m_value;
        public const ushort MinValue = 0;
        public const ushort MaxValue = 65535;

        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is ushort other) return CompareTo(other);
            throw new ArgumentException("Object must be of type UInt16.");
        }
        public int CompareTo(ushort value) => m_value < value ? -1 : m_value > value ? 1 : 0;
        public bool Equals(ushort obj) => m_value == obj;
        public override bool Equals(object? obj) => obj is ushort other && m_value == other;
        public override int GetHashCode() => m_value;
        public override string ToString() => Number.FormatInteger(false, m_value, 16, m_value, null);
        public string ToString(string? format) => Number.FormatInteger(false, m_value, 16, m_value, format);
        public string ToString(string? format, IFormatProvider? provider) => Number.FormatInteger(false, m_value, 16, m_value, format);
        public string ToString(IFormatProvider? provider) => ToString();

        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, false, m_value, 16, m_value, format);
            return w.TryCopyTo(destination, out charsWritten);
        }
        public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, false, m_value, 16, m_value, format);
            return w.TryCopyToUtf8(utf8Destination, out bytesWritten);
        }
        public static ushort Parse(string s) => Parse(s, NumberStyles.Integer, null);
        public static ushort Parse(string s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static ushort Parse(string s, NumberStyles style) => Parse(s, style, null);
        public static ushort Parse(string s, NumberStyles style, IFormatProvider? provider)
        {
            if (s is null) throw new ArgumentNullException(nameof(s));
            return Parse((ReadOnlySpan<char>)s, style, provider);
        }
        public static ushort Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static ushort Parse(ReadOnlySpan<char> s, NumberStyles style = NumberStyles.Integer, IFormatProvider? provider = null)
        {
            ulong raw = Number.ParseInteger(s, style, false, 16);
            return unchecked((ushort)raw);
        }
        public static bool TryParse(string? s, out ushort result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, null, out result);
        public static bool TryParse(ReadOnlySpan<char> s, out ushort result) => TryParse(s, NumberStyles.Integer, null, out result);
        public static bool TryParse(string? s, IFormatProvider? provider, out ushort result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out ushort result) => TryParse(s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(string? s, NumberStyles style, IFormatProvider? provider, out ushort result) => TryParse((ReadOnlySpan<char>)s, style, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out ushort result)
        {
            bool ok = Number.TryParseInteger(s, style, false, 16, out ulong raw) == Number.ParseOk;
            result = ok ? unchecked((ushort)raw) : (ushort)0;
            return ok;
        }
    }

    public readonly struct Int32 : IComparable, IComparable<int>, IEquatable<int>, IFormattable, ISpanFormattable, IUtf8SpanFormattable
    {
        private readonly int m_value;
        public const int MinValue = -2147483648;
        public const int MaxValue = 2147483647;

        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is int other) return CompareTo(other);
            throw new ArgumentException("Object must be of type Int32.");
        }
        public int CompareTo(int value) => m_value < value ? -1 : m_value > value ? 1 : 0;
        public bool Equals(int obj) => m_value == obj;
        public override bool Equals(object? obj) => obj is int other && m_value == other;
        public override int GetHashCode() => m_value;
        public override string ToString() => Number.FormatInteger(m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 32, (ulong)(long)m_value, null);
        public string ToString(string? format) => Number.FormatInteger(m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 32, (ulong)(long)m_value, format);
        public string ToString(string? format, IFormatProvider? provider) => Number.FormatInteger(m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 32, (ulong)(long)m_value, format);
        public string ToString(IFormatProvider? provider) => ToString();

        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 32, (ulong)(long)m_value, format);
            return w.TryCopyTo(destination, out charsWritten);
        }
        public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, m_value < 0, m_value < 0 ? (ulong)(-(long)m_value) : (ulong)m_value, 32, (ulong)(long)m_value, format);
            return w.TryCopyToUtf8(utf8Destination, out bytesWritten);
        }
        public static int Parse(string s) => Parse(s, NumberStyles.Integer, null);
        public static int Parse(string s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static int Parse(string s, NumberStyles style) => Parse(s, style, null);
        public static int Parse(string s, NumberStyles style, IFormatProvider? provider)
        {
            if (s is null) throw new ArgumentNullException(nameof(s));
            return Parse((ReadOnlySpan<char>)s, style, provider);
        }
        public static int Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static int Parse(ReadOnlySpan<char> s, NumberStyles style = NumberStyles.Integer, IFormatProvider? provider = null)
        {
            ulong raw = Number.ParseInteger(s, style, true, 32);
            return unchecked((int)(long)raw);
        }
        public static bool TryParse(string? s, out int result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, null, out result);
        public static bool TryParse(ReadOnlySpan<char> s, out int result) => TryParse(s, NumberStyles.Integer, null, out result);
        public static bool TryParse(string? s, IFormatProvider? provider, out int result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out int result) => TryParse(s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(string? s, NumberStyles style, IFormatProvider? provider, out int result) => TryParse((ReadOnlySpan<char>)s, style, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out int result)
        {
            bool ok = Number.TryParseInteger(s, style, true, 32, out ulong raw) == Number.ParseOk;
            result = ok ? unchecked((int)(long)raw) : (int)0;
            return ok;
        }
    }

    public readonly struct UInt32 : IComparable, IComparable<uint>, IEquatable<uint>, IFormattable, ISpanFormattable, IUtf8SpanFormattable
    {
        private readonly uint m_value;
        public const uint MinValue = 0U;
        public const uint MaxValue = 4294967295U;

        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is uint other) return CompareTo(other);
            throw new ArgumentException("Object must be of type UInt32.");
        }
        public int CompareTo(uint value) => m_value < value ? -1 : m_value > value ? 1 : 0;
        public bool Equals(uint obj) => m_value == obj;
        public override bool Equals(object? obj) => obj is uint other && m_value == other;
        public override int GetHashCode() => (int)m_value;
        public override string ToString() => Number.FormatInteger(false, m_value, 32, m_value, null);
        public string ToString(string? format) => Number.FormatInteger(false, m_value, 32, m_value, format);
        public string ToString(string? format, IFormatProvider? provider) => Number.FormatInteger(false, m_value, 32, m_value, format);
        public string ToString(IFormatProvider? provider) => ToString();

        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, false, m_value, 32, m_value, format);
            return w.TryCopyTo(destination, out charsWritten);
        }
        public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, false, m_value, 32, m_value, format);
            return w.TryCopyToUtf8(utf8Destination, out bytesWritten);
        }
        public static uint Parse(string s) => Parse(s, NumberStyles.Integer, null);
        public static uint Parse(string s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static uint Parse(string s, NumberStyles style) => Parse(s, style, null);
        public static uint Parse(string s, NumberStyles style, IFormatProvider? provider)
        {
            if (s is null) throw new ArgumentNullException(nameof(s));
            return Parse((ReadOnlySpan<char>)s, style, provider);
        }
        public static uint Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static uint Parse(ReadOnlySpan<char> s, NumberStyles style = NumberStyles.Integer, IFormatProvider? provider = null)
        {
            ulong raw = Number.ParseInteger(s, style, false, 32);
            return unchecked((uint)raw);
        }
        public static bool TryParse(string? s, out uint result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, null, out result);
        public static bool TryParse(ReadOnlySpan<char> s, out uint result) => TryParse(s, NumberStyles.Integer, null, out result);
        public static bool TryParse(string? s, IFormatProvider? provider, out uint result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out uint result) => TryParse(s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(string? s, NumberStyles style, IFormatProvider? provider, out uint result) => TryParse((ReadOnlySpan<char>)s, style, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out uint result)
        {
            bool ok = Number.TryParseInteger(s, style, false, 32, out ulong raw) == Number.ParseOk;
            result = ok ? unchecked((uint)raw) : (uint)0;
            return ok;
        }
    }

    public readonly struct Int64 : IComparable, IComparable<long>, IEquatable<long>, IFormattable, ISpanFormattable, IUtf8SpanFormattable
    {
        private readonly long m_value;
        public const long MinValue = unchecked((long)0x8000000000000000);
        public const long MaxValue = 9223372036854775807L;

        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is long other) return CompareTo(other);
            throw new ArgumentException("Object must be of type Int64.");
        }
        public int CompareTo(long value) => m_value < value ? -1 : m_value > value ? 1 : 0;
        public bool Equals(long obj) => m_value == obj;
        public override bool Equals(object? obj) => obj is long other && m_value == other;
        public override int GetHashCode() => (int)m_value ^ (int)(m_value >> 32);
        public override string ToString() => Number.FormatInteger(m_value < 0, m_value < 0 ? unchecked((ulong)(-m_value)) : (ulong)m_value, 64, unchecked((ulong)m_value), null);
        public string ToString(string? format) => Number.FormatInteger(m_value < 0, m_value < 0 ? unchecked((ulong)(-m_value)) : (ulong)m_value, 64, unchecked((ulong)m_value), format);
        public string ToString(string? format, IFormatProvider? provider) => Number.FormatInteger(m_value < 0, m_value < 0 ? unchecked((ulong)(-m_value)) : (ulong)m_value, 64, unchecked((ulong)m_value), format);
        public string ToString(IFormatProvider? provider) => ToString();

        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, m_value < 0, m_value < 0 ? unchecked((ulong)(-m_value)) : (ulong)m_value, 64, unchecked((ulong)m_value), format);
            return w.TryCopyTo(destination, out charsWritten);
        }
        public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, m_value < 0, m_value < 0 ? unchecked((ulong)(-m_value)) : (ulong)m_value, 64, unchecked((ulong)m_value), format);
            return w.TryCopyToUtf8(utf8Destination, out bytesWritten);
        }
        public static long Parse(string s) => Parse(s, NumberStyles.Integer, null);
        public static long Parse(string s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static long Parse(string s, NumberStyles style) => Parse(s, style, null);
        public static long Parse(string s, NumberStyles style, IFormatProvider? provider)
        {
            if (s is null) throw new ArgumentNullException(nameof(s));
            return Parse((ReadOnlySpan<char>)s, style, provider);
        }
        public static long Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static long Parse(ReadOnlySpan<char> s, NumberStyles style = NumberStyles.Integer, IFormatProvider? provider = null)
        {
            ulong raw = Number.ParseInteger(s, style, true, 64);
            return unchecked((long)(long)raw);
        }
        public static bool TryParse(string? s, out long result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, null, out result);
        public static bool TryParse(ReadOnlySpan<char> s, out long result) => TryParse(s, NumberStyles.Integer, null, out result);
        public static bool TryParse(string? s, IFormatProvider? provider, out long result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out long result) => TryParse(s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(string? s, NumberStyles style, IFormatProvider? provider, out long result) => TryParse((ReadOnlySpan<char>)s, style, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out long result)
        {
            bool ok = Number.TryParseInteger(s, style, true, 64, out ulong raw) == Number.ParseOk;
            result = ok ? unchecked((long)(long)raw) : (long)0;
            return ok;
        }
    }

    public readonly struct UInt64 : IComparable, IComparable<ulong>, IEquatable<ulong>, IFormattable, ISpanFormattable, IUtf8SpanFormattable
    {
        private readonly ulong m_value;
        public const ulong MinValue = 0UL;
        public const ulong MaxValue = 18446744073709551615UL;

        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is ulong other) return CompareTo(other);
            throw new ArgumentException("Object must be of type UInt64.");
        }
        public int CompareTo(ulong value) => m_value < value ? -1 : m_value > value ? 1 : 0;
        public bool Equals(ulong obj) => m_value == obj;
        public override bool Equals(object? obj) => obj is ulong other && m_value == other;
        public override int GetHashCode() => (int)m_value ^ (int)(m_value >> 32);
        public override string ToString() => Number.FormatInteger(false, m_value, 64, m_value, null);
        public string ToString(string? format) => Number.FormatInteger(false, m_value, 64, m_value, format);
        public string ToString(string? format, IFormatProvider? provider) => Number.FormatInteger(false, m_value, 64, m_value, format);
        public string ToString(IFormatProvider? provider) => ToString();

        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, false, m_value, 64, m_value, format);
            return w.TryCopyTo(destination, out charsWritten);
        }
        public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        {
            Span<char> buffer = stackalloc char[128];
            var w = new System.Text.ValueStringBuilder(buffer);
            Number.FormatInteger(ref w, false, m_value, 64, m_value, format);
            return w.TryCopyToUtf8(utf8Destination, out bytesWritten);
        }
        public static ulong Parse(string s) => Parse(s, NumberStyles.Integer, null);
        public static ulong Parse(string s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static ulong Parse(string s, NumberStyles style) => Parse(s, style, null);
        public static ulong Parse(string s, NumberStyles style, IFormatProvider? provider)
        {
            if (s is null) throw new ArgumentNullException(nameof(s));
            return Parse((ReadOnlySpan<char>)s, style, provider);
        }
        public static ulong Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s, NumberStyles.Integer, provider);
        public static ulong Parse(ReadOnlySpan<char> s, NumberStyles style = NumberStyles.Integer, IFormatProvider? provider = null)
        {
            ulong raw = Number.ParseInteger(s, style, false, 64);
            return unchecked((ulong)raw);
        }
        public static bool TryParse(string? s, out ulong result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, null, out result);
        public static bool TryParse(ReadOnlySpan<char> s, out ulong result) => TryParse(s, NumberStyles.Integer, null, out result);
        public static bool TryParse(string? s, IFormatProvider? provider, out ulong result) => TryParse((ReadOnlySpan<char>)s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out ulong result) => TryParse(s, NumberStyles.Integer, provider, out result);
        public static bool TryParse(string? s, NumberStyles style, IFormatProvider? provider, out ulong result) => TryParse((ReadOnlySpan<char>)s, style, provider, out result);
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out ulong result)
        {
            bool ok = Number.TryParseInteger(s, style, false, 64, out ulong raw) == Number.ParseOk;
            result = ok ? unchecked((ulong)raw) : (ulong)0;
            return ok;
        }
    }

}
