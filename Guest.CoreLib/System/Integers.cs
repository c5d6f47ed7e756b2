using System.Runtime.CompilerServices;

namespace System
{
    public readonly struct SByte : IComparable, IComparable<sbyte>, IEquatable<sbyte>, IFormattable
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
    }

    public readonly struct Byte : IComparable, IComparable<byte>, IEquatable<byte>, IFormattable
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
    }

    public readonly struct Int16 : IComparable, IComparable<short>, IEquatable<short>, IFormattable
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
    }

    public readonly struct UInt16 : IComparable, IComparable<ushort>, IEquatable<ushort>, IFormattable
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
    }

    public readonly struct Int32 : IComparable, IComparable<int>, IEquatable<int>, IFormattable
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
    }

    public readonly struct UInt32 : IComparable, IComparable<uint>, IEquatable<uint>, IFormattable
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
    }

    public readonly struct Int64 : IComparable, IComparable<long>, IEquatable<long>, IFormattable
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
    }

    public readonly struct UInt64 : IComparable, IComparable<ulong>, IEquatable<ulong>, IFormattable
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
    }

}
