using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace System
{
    public static class MemoryExtensions
    {
        public static Span<T> AsSpan<T>(this T[]? array) => new Span<T>(array);
        public static Span<T> AsSpan<T>(this T[]? array, int start)
        {
            if (array is null)
            {
                if (start != 0) ThrowHelper.ThrowArgumentOutOfRangeException();
                return default;
            }
            return new Span<T>(array, start, array.Length - start);
        }
        public static Span<T> AsSpan<T>(this T[]? array, int start, int length) => new Span<T>(array, start, length);

        public static ReadOnlySpan<char> AsSpan(this string? text) =>
            text is null ? default : new ReadOnlySpan<char>(ref text.FirstChar, text.Length);
        public static ReadOnlySpan<char> AsSpan(this string? text, int start) => AsSpan(text).Slice(start);
        public static ReadOnlySpan<char> AsSpan(this string? text, int start, int length) => AsSpan(text).Slice(start, length);

        public static bool SequenceEqual<T>(this Span<T> span, ReadOnlySpan<T> other) where T : IEquatable<T>? =>
            SequenceEqual((ReadOnlySpan<T>)span, other);

        public static bool SequenceEqual<T>(this ReadOnlySpan<T> span, ReadOnlySpan<T> other) where T : IEquatable<T>?
        {
            if (span.Length != other.Length) return false;
            if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>() && IsBitwiseEquatable<T>())
            {
                return SpanHelpers.SequenceEqual(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(span)),
                    ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(other)), (nuint)span.Length * (nuint)Unsafe.SizeOf<T>());
            }
            for (int i = 0; i < span.Length; i++)
            {
                T a = span[i];
                if (a is null) { if (other[i] is not null) return false; continue; }
                if (!a.Equals(other[i])) return false;
            }
            return true;
        }

        // Integers and chars compare equal exactly when their bits do.
        private static unsafe bool IsBitwiseEquatable<T>()
        {
            Internal.Runtime.MethodTable* mt = Internal.Runtime.MethodTable.Of<T>();
            return mt == Internal.Runtime.MethodTable.Of<byte>() || mt == Internal.Runtime.MethodTable.Of<sbyte>() ||
                mt == Internal.Runtime.MethodTable.Of<char>() || mt == Internal.Runtime.MethodTable.Of<short>() || mt == Internal.Runtime.MethodTable.Of<ushort>() ||
                mt == Internal.Runtime.MethodTable.Of<int>() || mt == Internal.Runtime.MethodTable.Of<uint>() ||
                mt == Internal.Runtime.MethodTable.Of<long>() || mt == Internal.Runtime.MethodTable.Of<ulong>();
        }

        public static int IndexOf<T>(this Span<T> span, T value) where T : IEquatable<T>? => IndexOf((ReadOnlySpan<T>)span, value);

        public static int IndexOf<T>(this ReadOnlySpan<T> span, T value) where T : IEquatable<T>?
        {
            for (int i = 0; i < span.Length; i++)
            {
                T a = span[i];
                if (a is null ? value is null : a.Equals(value)) return i;
            }
            return -1;
        }

        public static bool StartsWith<T>(this ReadOnlySpan<T> span, ReadOnlySpan<T> value) where T : IEquatable<T>? =>
            value.Length <= span.Length && SequenceEqual(span.Slice(0, value.Length), value);

        public static bool StartsWith<T>(this Span<T> span, ReadOnlySpan<T> value) where T : IEquatable<T>? =>
            StartsWith((ReadOnlySpan<T>)span, value);

        public static void Reverse<T>(this Span<T> span)
        {
            int i = 0, j = span.Length - 1;
            while (i < j)
            {
                T t = span[i];
                span[i] = span[j];
                span[j] = t;
                i++; j--;
            }
        }
    }
}

namespace System.Runtime.InteropServices
{
    public static class MemoryMarshal
    {
        public static ref T GetReference<T>(Span<T> span) => ref span._reference;
        public static ref T GetReference<T>(ReadOnlySpan<T> span) => ref span._reference;

        public static ref T GetArrayDataReference<T>(T[] array) =>
            ref Unsafe.As<byte, T>(ref Unsafe.As<Array>(array).RawData);

        public static Span<T> CreateSpan<T>(ref T reference, int length) => new Span<T>(ref reference, length);
        public static ReadOnlySpan<T> CreateReadOnlySpan<T>(ref readonly T reference, int length) =>
            new ReadOnlySpan<T>(ref Unsafe.AsRef(in reference), length);

        public static Span<byte> AsBytes<T>(Span<T> span) where T : struct
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) ThrowHelper.ThrowArgumentException("Cannot use type with references.");
            return new Span<byte>(ref Unsafe.As<T, byte>(ref span._reference), checked(span.Length * Unsafe.SizeOf<T>()));
        }

        public static ReadOnlySpan<byte> AsBytes<T>(ReadOnlySpan<T> span) where T : struct
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) ThrowHelper.ThrowArgumentException("Cannot use type with references.");
            return new ReadOnlySpan<byte>(ref Unsafe.As<T, byte>(ref span._reference), checked(span.Length * Unsafe.SizeOf<T>()));
        }

        public static Span<TTo> Cast<TFrom, TTo>(Span<TFrom> span) where TFrom : struct where TTo : struct
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<TFrom>() || RuntimeHelpers.IsReferenceOrContainsReferences<TTo>())
                ThrowHelper.ThrowArgumentException("Cannot use type with references.");
            ulong bytes = (ulong)(uint)span.Length * (ulong)(uint)Unsafe.SizeOf<TFrom>();
            return new Span<TTo>(ref Unsafe.As<TFrom, TTo>(ref span._reference), checked((int)(bytes / (ulong)(uint)Unsafe.SizeOf<TTo>())));
        }

        public static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> span) where TFrom : struct where TTo : struct
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<TFrom>() || RuntimeHelpers.IsReferenceOrContainsReferences<TTo>())
                ThrowHelper.ThrowArgumentException("Cannot use type with references.");
            ulong bytes = (ulong)(uint)span.Length * (ulong)(uint)Unsafe.SizeOf<TFrom>();
            return new ReadOnlySpan<TTo>(ref Unsafe.As<TFrom, TTo>(ref span._reference), checked((int)(bytes / (ulong)(uint)Unsafe.SizeOf<TTo>())));
        }

        public static T Read<T>(ReadOnlySpan<byte> source) where T : struct
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) ThrowHelper.ThrowArgumentException("Cannot use type with references.");
            if (Unsafe.SizeOf<T>() > source.Length) ThrowHelper.ThrowArgumentOutOfRangeException();
            return Unsafe.ReadUnaligned<T>(ref GetReference(source));
        }

        public static bool TryRead<T>(ReadOnlySpan<byte> source, out T value) where T : struct
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) ThrowHelper.ThrowArgumentException("Cannot use type with references.");
            if (Unsafe.SizeOf<T>() > source.Length) { value = default; return false; }
            value = Unsafe.ReadUnaligned<T>(ref GetReference(source));
            return true;
        }

        public static void Write<T>(Span<byte> destination, in T value) where T : struct
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) ThrowHelper.ThrowArgumentException("Cannot use type with references.");
            if (Unsafe.SizeOf<T>() > destination.Length) ThrowHelper.ThrowArgumentOutOfRangeException();
            Unsafe.WriteUnaligned(ref GetReference(destination), value);
        }

        public static bool TryWrite<T>(Span<byte> destination, in T value) where T : struct
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) ThrowHelper.ThrowArgumentException("Cannot use type with references.");
            if (Unsafe.SizeOf<T>() > destination.Length) return false;
            Unsafe.WriteUnaligned(ref GetReference(destination), value);
            return true;
        }

        public static ref T AsRef<T>(Span<byte> span) where T : struct
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) ThrowHelper.ThrowArgumentException("Cannot use type with references.");
            if (Unsafe.SizeOf<T>() > span.Length) ThrowHelper.ThrowArgumentOutOfRangeException();
            return ref Unsafe.As<byte, T>(ref GetReference(span));
        }

        public static ref readonly T AsRef<T>(ReadOnlySpan<byte> span) where T : struct
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) ThrowHelper.ThrowArgumentException("Cannot use type with references.");
            if (Unsafe.SizeOf<T>() > span.Length) ThrowHelper.ThrowArgumentOutOfRangeException();
            return ref Unsafe.As<byte, T>(ref GetReference(span));
        }
    }
}
