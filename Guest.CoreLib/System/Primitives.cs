using System.Runtime.CompilerServices;

namespace System
{
    public readonly struct Boolean : IComparable, IComparable<bool>, IEquatable<bool>
    {
        private readonly bool m_value;
        public static readonly string TrueString = "True";
        public static readonly string FalseString = "False";

        public int CompareTo(object? obj)
        {
            if (obj is null) return 1;
            if (obj is bool b) return CompareTo(b);
            throw new ArgumentException("Object must be of type Boolean.");
        }
        public int CompareTo(bool value) => m_value == value ? 0 : m_value ? 1 : -1;
        public bool Equals(bool obj) => m_value == obj;
        public override bool Equals(object? obj) => obj is bool b && b == m_value;
        public override int GetHashCode() => m_value ? 1 : 0;
        public override string ToString() => m_value ? "True" : "False";
    }

    public readonly struct Char : IComparable, IComparable<char>, IEquatable<char>
    {
        private readonly char m_value;
        public const char MinValue = (char)0;
        public const char MaxValue = (char)0xFFFF;

        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is char c) return CompareTo(c);
            throw new ArgumentException("Object must be of type Char.");
        }
        public int CompareTo(char value) => m_value - value;
        public bool Equals(char obj) => m_value == obj;
        public override bool Equals(object? obj) => obj is char c && c == m_value;
        public override int GetHashCode() => m_value | (m_value << 16);
        public override string ToString() => string.FromChar(m_value);
        public static string ToString(char c) => string.FromChar(c);
        public static bool IsDigit(char c) => (uint)(c - '0') <= 9;
        public static bool IsAsciiDigit(char c) => (uint)(c - '0') <= 9;
        public static bool IsAsciiLetter(char c) => (uint)((c | 0x20) - 'a') <= 'z' - 'a';
        public static bool IsAsciiHexDigit(char c) => IsAsciiDigit(c) || (uint)((c | 0x20) - 'a') <= 'f' - 'a';
        public static bool IsAscii(char c) => c <= '\x007f';
        public static bool IsWhiteSpace(char c) => c == ' ' || (c >= '\x0009' && c <= '\x000d') || c == '\x00a0' || c == '\x0085';
    }

    public readonly unsafe struct IntPtr : IEquatable<nint>
    {
        private readonly void* _value;
        public static readonly IntPtr Zero;
        public IntPtr(int value) { _value = (void*)value; }
        public IntPtr(long value) { _value = (void*)value; }
        public IntPtr(void* value) { _value = value; }
        public static int Size => sizeof(nint);
        public static nint MaxValue => unchecked((nint)long.MaxValue);
        public static nint MinValue => unchecked((nint)long.MinValue);
        public int ToInt32() => checked((int)(nint)_value);
        public long ToInt64() => (nint)_value;
        public void* ToPointer() => _value;
        public bool Equals(nint other) => (nint)_value == other;
        public override bool Equals(object? obj) => obj is nint other && (nint)_value == other;
        public override int GetHashCode() { long l = (nint)_value; return (int)l ^ (int)(l >> 32); }
        public override string ToString() => ((long)(nint)_value).ToString();
        public string ToString(string? format) => ((long)(nint)_value).ToString(format);
    }

    public readonly unsafe struct UIntPtr : IEquatable<nuint>
    {
        private readonly void* _value;
        public static readonly UIntPtr Zero;
        public UIntPtr(uint value) { _value = (void*)value; }
        public UIntPtr(ulong value) { _value = (void*)value; }
        public UIntPtr(void* value) { _value = value; }
        public static int Size => sizeof(nuint);
        public static nuint MaxValue => unchecked((nuint)ulong.MaxValue);
        public static nuint MinValue => 0;
        public uint ToUInt32() => checked((uint)(nuint)_value);
        public ulong ToUInt64() => (nuint)_value;
        public void* ToPointer() => _value;
        public bool Equals(nuint other) => (nuint)_value == other;
        public override bool Equals(object? obj) => obj is nuint other && (nuint)_value == other;
        public override int GetHashCode() { ulong l = (nuint)_value; return (int)l ^ (int)(l >> 32); }
        public override string ToString() => ((ulong)(nuint)_value).ToString();
        public string ToString(string? format) => ((ulong)(nuint)_value).ToString(format);
    }
}
