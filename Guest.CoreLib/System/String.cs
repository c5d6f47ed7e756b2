using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Internal.Runtime;

namespace System
{
    // UTF-16 string. Layout (what ilc emits for literals): MethodTable*, int length, then the characters and
    // a terminating NUL.
    public sealed partial class String : IEquatable<string>, IComparable<string>
    {
#pragma warning disable CS0649
        private readonly int _stringLength;
        private char _firstChar;
#pragma warning restore CS0649

        public static readonly string Empty = "";

        public int Length => _stringLength;

        [IndexerName("Chars")]
        public char this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_stringLength) ThrowHelper.ThrowIndexOutOfRangeException();
                return Unsafe.Add(ref _firstChar, index);
            }
        }

        public ref readonly char GetPinnableReference() => ref _firstChar;

        // ilc turns `new string(...)` into a call to the matching static Ctor method below.
        [MethodImpl(MethodImplOptions.InternalCall)]
        public extern unsafe String(char* value, int startIndex, int length);
        [MethodImpl(MethodImplOptions.InternalCall)]
        public extern unsafe String(char* value);
        [MethodImpl(MethodImplOptions.InternalCall)]
        public extern String(char[] value);
        [MethodImpl(MethodImplOptions.InternalCall)]
        public extern String(char[] value, int startIndex, int length);
        [MethodImpl(MethodImplOptions.InternalCall)]
        public extern String(ReadOnlySpan<char> value);
        [MethodImpl(MethodImplOptions.InternalCall)]
        public extern String(char c, int count);

#pragma warning disable IDE0051
        private static unsafe string Ctor(char* value, int startIndex, int length)
        {
            if (length < 0 || startIndex < 0) throw new ArgumentOutOfRangeException(nameof(length));
            if (length == 0) return Empty;
            return CreateFrom(ref value[startIndex], length);
        }
        private static unsafe string Ctor(char* value)
        {
            if (value == null) return Empty;
            int n = 0;
            while (value[n] != 0) n++;
            return n == 0 ? Empty : CreateFrom(ref *value, n);
        }
        private static string Ctor(char[] value) => value is null || value.Length == 0 ? Empty : CreateFrom(ref value[0], value.Length);
        private static string Ctor(char[] value, int startIndex, int length)
        {
            if ((uint)startIndex > (uint)value.Length || (uint)length > (uint)(value.Length - startIndex))
                throw new ArgumentOutOfRangeException(nameof(length));
            return length == 0 ? Empty : CreateFrom(ref value[startIndex], length);
        }
        private static string Ctor(ReadOnlySpan<char> value) => value.Length == 0 ? Empty : CreateFrom(ref MemoryMarshal.GetReference(value), value.Length);
        private static string Ctor(char c, int count)
        {
            if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
            if (count == 0) return Empty;
            string s = FastAllocateString(count);
            for (int i = 0; i < count; i++) Unsafe.Add(ref s._firstChar, i) = c;
            return s;
        }
#pragma warning restore IDE0051

        private static string CreateFrom(ref char source, int length)
        {
            string s = FastAllocateString(length);
            Buffer.Memmove(ref Unsafe.As<char, byte>(ref s._firstChar), ref Unsafe.As<char, byte>(ref source), (nuint)length * 2);
            return s;
        }

        internal static unsafe string FastAllocateString(int length)
        {
            return Unsafe.As<string>(System.Runtime.RuntimeExports.AllocateArrayLike(MethodTable.Of<string>(), length));
        }

        internal static string FromChar(char c)
        {
            string s = FastAllocateString(1);
            s._firstChar = c;
            return s;
        }

        internal ref char FirstChar => ref _firstChar;

        public static bool IsNullOrEmpty(string? value) => value is null || value.Length == 0;

        public static string Concat(string? str0, string? str1)
        {
            if (IsNullOrEmpty(str0)) return str1 ?? Empty;
            if (IsNullOrEmpty(str1)) return str0!;
            string s = FastAllocateString(str0!.Length + str1!.Length);
            CopyInto(s, 0, str0);
            CopyInto(s, str0.Length, str1);
            return s;
        }

        public static string Concat(string? str0, string? str1, string? str2) => Concat(Concat(str0, str1), str2);

        public static string Concat(string? str0, string? str1, string? str2, string? str3) => Concat(Concat(str0, str1), Concat(str2, str3));

        public static string Concat(params string?[] values)
        {
            int total = 0;
            for (int i = 0; i < values.Length; i++) total = checked(total + (values[i]?.Length ?? 0));
            if (total == 0) return Empty;
            string s = FastAllocateString(total);
            int at = 0;
            for (int i = 0; i < values.Length; i++)
            {
                string? v = values[i];
                if (v is null) continue;
                CopyInto(s, at, v);
                at += v.Length;
            }
            return s;
        }

        public static string Concat(object? arg0, object? arg1) => Concat(arg0?.ToString(), arg1?.ToString());

        public static string Concat(object? arg0, object? arg1, object? arg2) => Concat(arg0?.ToString(), arg1?.ToString(), arg2?.ToString());

        public static string Concat(ReadOnlySpan<char> str0, ReadOnlySpan<char> str1)
        {
            string s = FastAllocateString(str0.Length + str1.Length);
            str0.CopyTo(new Span<char>(ref s._firstChar, s.Length));
            str1.CopyTo(new Span<char>(ref s._firstChar, s.Length).Slice(str0.Length));
            return s;
        }

        private static void CopyInto(string dest, int at, string src)
        {
            Buffer.Memmove(ref Unsafe.As<char, byte>(ref Unsafe.Add(ref dest._firstChar, at)), ref Unsafe.As<char, byte>(ref src._firstChar), (nuint)src.Length * 2);
        }

        public static bool Equals(string? a, string? b)
        {
            if (ReferenceEquals(a, b)) return true;
            if (a is null || b is null || a.Length != b.Length) return false;
            return SpanHelpers.SequenceEqual(ref Unsafe.As<char, byte>(ref a._firstChar), ref Unsafe.As<char, byte>(ref b._firstChar), (nuint)a.Length * 2);
        }

        public bool Equals(string? value) => Equals(this, value);
        public override bool Equals(object? obj) => obj is string s && Equals(this, s);
        public static bool operator ==(string? a, string? b) => Equals(a, b);
        public static bool operator !=(string? a, string? b) => !Equals(a, b);

        public int CompareTo(string? strB) => CompareOrdinal(this, strB);

        public static int CompareOrdinal(string? strA, string? strB)
        {
            if (ReferenceEquals(strA, strB)) return 0;
            if (strA is null) return -1;
            if (strB is null) return 1;
            int n = strA.Length < strB.Length ? strA.Length : strB.Length;
            for (int i = 0; i < n; i++)
            {
                int d = strA[i] - strB[i];
                if (d != 0) return d;
            }
            return strA.Length - strB.Length;
        }

        public override int GetHashCode()
        {
            // FNV-1a over the UTF-16 code units: deterministic (no per-process randomisation in a guest).
            uint h = 2166136261;
            for (int i = 0; i < _stringLength; i++)
            {
                h = (h ^ Unsafe.Add(ref _firstChar, i)) * 16777619;
            }
            return (int)h;
        }

        public override string ToString() => this;

        public static implicit operator ReadOnlySpan<char>(string? value) =>
            value is null ? default : new ReadOnlySpan<char>(ref value._firstChar, value._stringLength);

        public string Substring(int startIndex) => Substring(startIndex, Length - startIndex);

        public string Substring(int startIndex, int length)
        {
            if ((uint)startIndex > (uint)Length) throw new ArgumentOutOfRangeException(nameof(startIndex));
            if ((uint)length > (uint)(Length - startIndex)) throw new ArgumentOutOfRangeException(nameof(length));
            if (length == 0) return Empty;
            if (startIndex == 0 && length == Length) return this;
            return CreateFrom(ref Unsafe.Add(ref _firstChar, startIndex), length);
        }

        public int IndexOf(char value)
        {
            for (int i = 0; i < _stringLength; i++)
                if (Unsafe.Add(ref _firstChar, i) == value) return i;
            return -1;
        }

        public int IndexOf(char value, int startIndex)
        {
            if ((uint)startIndex > (uint)Length) throw new ArgumentOutOfRangeException(nameof(startIndex));
            for (int i = startIndex; i < _stringLength; i++)
                if (Unsafe.Add(ref _firstChar, i) == value) return i;
            return -1;
        }

        public int IndexOf(string value) => IndexOf(value, StringComparison.Ordinal);

        public int IndexOf(string value, StringComparison comparisonType)
        {
            if (value is null) throw new ArgumentNullException(nameof(value));
            RequireOrdinal(comparisonType);
            for (int i = 0; i + value.Length <= Length; i++)
                if (string.CompareRange(this, i, value)) return i;
            return -1;
        }

        public bool Contains(char value) => IndexOf(value) >= 0;
        public bool Contains(string value) => IndexOf(value) >= 0;

        public bool StartsWith(string value) => StartsWith(value, StringComparison.Ordinal);

        public bool StartsWith(string value, StringComparison comparisonType)
        {
            if (value is null) throw new ArgumentNullException(nameof(value));
            RequireOrdinal(comparisonType);
            return value.Length <= Length && CompareRange(this, 0, value);
        }

        public bool EndsWith(string value) => EndsWith(value, StringComparison.Ordinal);

        public bool EndsWith(string value, StringComparison comparisonType)
        {
            if (value is null) throw new ArgumentNullException(nameof(value));
            RequireOrdinal(comparisonType);
            return value.Length <= Length && CompareRange(this, Length - value.Length, value);
        }

        private static void RequireOrdinal(StringComparison comparisonType)
        {
            // Culture-aware comparison needs ICU; the guest has none.
            if (comparisonType != StringComparison.Ordinal)
                throw new NotSupportedException("Only StringComparison.Ordinal is supported in a guest.");
        }

        private static bool CompareRange(string s, int at, string value)
        {
            for (int j = 0; j < value.Length; j++)
                if (s[at + j] != value[j]) return false;
            return true;
        }

        public string[] Split(char separator, StringSplitOptions options = StringSplitOptions.None)
        {
            bool removeEmpty = (options & StringSplitOptions.RemoveEmptyEntries) != 0;
            bool trim = (options & StringSplitOptions.TrimEntries) != 0;
            int count = 0;
            ForEachPart(separator, removeEmpty, trim, null, ref count);
            string[] parts = new string[count];
            count = 0;
            ForEachPart(separator, removeEmpty, trim, parts, ref count);
            return parts;
        }

        private void ForEachPart(char separator, bool removeEmpty, bool trim, string[]? into, ref int count)
        {
            int start = 0;
            for (int i = 0; i <= Length; i++)
            {
                if (i < Length && this[i] != separator) continue;
                int s = start, e = i;
                if (trim)
                {
                    while (s < e && char.IsWhiteSpace(this[s])) s++;
                    while (e > s && char.IsWhiteSpace(this[e - 1])) e--;
                }
                if (!(removeEmpty && e == s))
                {
                    if (into is not null) into[count] = Substring(s, e - s);
                    count++;
                }
                start = i + 1;
            }
        }

        public string Trim()
        {
            int s = 0, e = Length;
            while (s < e && char.IsWhiteSpace(this[s])) s++;
            while (e > s && char.IsWhiteSpace(this[e - 1])) e--;
            return Substring(s, e - s);
        }

        public char[] ToCharArray()
        {
            char[] a = new char[Length];
            for (int i = 0; i < a.Length; i++) a[i] = this[i];
            return a;
        }

        public void CopyTo(Span<char> destination)
        {
            if ((uint)Length > (uint)destination.Length) throw new ArgumentException("Destination is too short.", nameof(destination));
            ((ReadOnlySpan<char>)this).CopyTo(destination);
        }
    }

    public enum StringComparison
    {
        CurrentCulture = 0,
        CurrentCultureIgnoreCase = 1,
        InvariantCulture = 2,
        InvariantCultureIgnoreCase = 3,
        Ordinal = 4,
        OrdinalIgnoreCase = 5,
    }

    [Flags]
    public enum StringSplitOptions
    {
        None = 0,
        RemoveEmptyEntries = 1,
        TrimEntries = 2,
    }
}
