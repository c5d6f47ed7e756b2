#pragma warning disable CS0809 // Span.Equals/GetHashCode are obsolete overrides, as in .NET
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace System
{
    public readonly ref struct Span<T>
    {
        internal readonly ref T _reference;
        private readonly int _length;

        public Span(T[]? array)
        {
            if (array is null) { this = default; return; }
            _reference = ref MemoryMarshal.GetArrayDataReference(array);
            _length = array.Length;
        }

        public Span(T[]? array, int start, int length)
        {
            if (array is null)
            {
                if (start != 0 || length != 0) ThrowHelper.ThrowArgumentOutOfRangeException();
                this = default;
                return;
            }
            if ((ulong)(uint)start + (ulong)(uint)length > (ulong)(uint)array.Length) ThrowHelper.ThrowArgumentOutOfRangeException();
            _reference = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(array), (nint)(uint)start);
            _length = length;
        }

        public unsafe Span(void* pointer, int length)
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) ThrowHelper.ThrowArgumentException("Cannot use type with references.");
            if (length < 0) ThrowHelper.ThrowArgumentOutOfRangeException();
            _reference = ref Unsafe.AsRef<T>(pointer);
            _length = length;
        }

        public Span(ref T reference)
        {
            _reference = ref reference;
            _length = 1;
        }

        internal Span(ref T reference, int length)
        {
            _reference = ref reference;
            _length = length;
        }

        public ref T this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_length) ThrowHelper.ThrowIndexOutOfRangeException();
                return ref Unsafe.Add(ref _reference, (nint)(uint)index);
            }
        }

        public int Length => _length;

        public bool IsEmpty => _length == 0;

        public static Span<T> Empty => default;

        public ref T GetPinnableReference()
        {
            ref T ret = ref Unsafe.NullRef<T>();
            if (_length != 0) ret = ref _reference;
            return ref ret;
        }

        public void Clear()
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
                SpanHelpers.ClearWithReferences(ref Unsafe.As<T, nint>(ref _reference), (nuint)_length * (nuint)(Unsafe.SizeOf<T>() / IntPtr.Size));
            else
                SpanHelpers.ClearWithoutReferences(ref Unsafe.As<T, byte>(ref _reference), (nuint)_length * (nuint)Unsafe.SizeOf<T>());
        }

        public void Fill(T value)
        {
            for (int i = 0; i < _length; i++) Unsafe.Add(ref _reference, i) = value;
        }

        public void CopyTo(Span<T> destination)
        {
            if ((uint)_length > (uint)destination.Length) ThrowHelper.ThrowArgumentException("Destination is too short.");
            Buffer.Memmove(ref destination._reference, ref _reference, (nuint)(uint)_length);
        }

        public bool TryCopyTo(Span<T> destination)
        {
            if ((uint)_length > (uint)destination.Length) return false;
            Buffer.Memmove(ref destination._reference, ref _reference, (nuint)(uint)_length);
            return true;
        }

        public Span<T> Slice(int start)
        {
            if ((uint)start > (uint)_length) ThrowHelper.ThrowArgumentOutOfRangeException();
            return new Span<T>(ref Unsafe.Add(ref _reference, (nint)(uint)start), _length - start);
        }

        public Span<T> Slice(int start, int length)
        {
            if ((ulong)(uint)start + (ulong)(uint)length > (ulong)(uint)_length) ThrowHelper.ThrowArgumentOutOfRangeException();
            return new Span<T>(ref Unsafe.Add(ref _reference, (nint)(uint)start), length);
        }

        public T[] ToArray()
        {
            if (_length == 0) return Array.Empty<T>();
            T[] a = new T[_length];
            Buffer.Memmove(ref MemoryMarshal.GetArrayDataReference(a), ref _reference, (nuint)(uint)_length);
            return a;
        }

        public Enumerator GetEnumerator() => new Enumerator(this);

        public static implicit operator Span<T>(T[]? array) => new Span<T>(array);

        public static implicit operator ReadOnlySpan<T>(Span<T> span) => new ReadOnlySpan<T>(ref span._reference, span._length);

        public static bool operator ==(Span<T> left, Span<T> right) =>
            left._length == right._length && Unsafe.AreSame(ref left._reference, ref right._reference);

        public static bool operator !=(Span<T> left, Span<T> right) => !(left == right);

        [Obsolete("Equals() on Span will always throw an exception. Use the equality operator instead.")]
        public override bool Equals(object? obj) => throw new NotSupportedException();

        [Obsolete("GetHashCode() on Span will always throw an exception.")]
        public override int GetHashCode() => throw new NotSupportedException();

        // As .NET: a span of chars gives its text.
        public override unsafe string ToString()
        {
            if (Internal.Runtime.MethodTable.Of<T>() == Internal.Runtime.MethodTable.Of<char>())
                return new string(new ReadOnlySpan<char>(ref Unsafe.As<T, char>(ref _reference), _length));
            return "System.Span<T>";
        }

        public ref struct Enumerator
        {
            private readonly Span<T> _span;
            private int _index;

            internal Enumerator(Span<T> span) { _span = span; _index = -1; }

            public bool MoveNext()
            {
                int index = _index + 1;
                if (index < _span.Length) { _index = index; return true; }
                return false;
            }

            public ref T Current => ref _span[_index];
        }
    }

    public readonly ref struct ReadOnlySpan<T>
    {
        internal readonly ref T _reference;
        private readonly int _length;

        public ReadOnlySpan(T[]? array)
        {
            if (array is null) { this = default; return; }
            _reference = ref MemoryMarshal.GetArrayDataReference(array);
            _length = array.Length;
        }

        public ReadOnlySpan(T[]? array, int start, int length)
        {
            if (array is null)
            {
                if (start != 0 || length != 0) ThrowHelper.ThrowArgumentOutOfRangeException();
                this = default;
                return;
            }
            if ((ulong)(uint)start + (ulong)(uint)length > (ulong)(uint)array.Length) ThrowHelper.ThrowArgumentOutOfRangeException();
            _reference = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(array), (nint)(uint)start);
            _length = length;
        }

        public unsafe ReadOnlySpan(void* pointer, int length)
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) ThrowHelper.ThrowArgumentException("Cannot use type with references.");
            if (length < 0) ThrowHelper.ThrowArgumentOutOfRangeException();
            _reference = ref Unsafe.AsRef<T>(pointer);
            _length = length;
        }

        public ReadOnlySpan(ref readonly T reference)
        {
            _reference = ref Unsafe.AsRef(in reference);
            _length = 1;
        }

        internal ReadOnlySpan(ref T reference, int length)
        {
            _reference = ref reference;
            _length = length;
        }

        public ref readonly T this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_length) ThrowHelper.ThrowIndexOutOfRangeException();
                return ref Unsafe.Add(ref _reference, (nint)(uint)index);
            }
        }

        public int Length => _length;

        public bool IsEmpty => _length == 0;

        public static ReadOnlySpan<T> Empty => default;

        public ref readonly T GetPinnableReference()
        {
            ref T ret = ref Unsafe.NullRef<T>();
            if (_length != 0) ret = ref _reference;
            return ref ret;
        }

        public void CopyTo(Span<T> destination)
        {
            if ((uint)_length > (uint)destination.Length) ThrowHelper.ThrowArgumentException("Destination is too short.");
            Buffer.Memmove(ref destination._reference, ref _reference, (nuint)(uint)_length);
        }

        public bool TryCopyTo(Span<T> destination)
        {
            if ((uint)_length > (uint)destination.Length) return false;
            Buffer.Memmove(ref destination._reference, ref _reference, (nuint)(uint)_length);
            return true;
        }

        public ReadOnlySpan<T> Slice(int start)
        {
            if ((uint)start > (uint)_length) ThrowHelper.ThrowArgumentOutOfRangeException();
            return new ReadOnlySpan<T>(ref Unsafe.Add(ref _reference, (nint)(uint)start), _length - start);
        }

        public ReadOnlySpan<T> Slice(int start, int length)
        {
            if ((ulong)(uint)start + (ulong)(uint)length > (ulong)(uint)_length) ThrowHelper.ThrowArgumentOutOfRangeException();
            return new ReadOnlySpan<T>(ref Unsafe.Add(ref _reference, (nint)(uint)start), length);
        }

        public T[] ToArray()
        {
            if (_length == 0) return Array.Empty<T>();
            T[] a = new T[_length];
            Buffer.Memmove(ref MemoryMarshal.GetArrayDataReference(a), ref _reference, (nuint)(uint)_length);
            return a;
        }

        public Enumerator GetEnumerator() => new Enumerator(this);

        public static implicit operator ReadOnlySpan<T>(T[]? array) => new ReadOnlySpan<T>(array);

        public static bool operator ==(ReadOnlySpan<T> left, ReadOnlySpan<T> right) =>
            left._length == right._length && Unsafe.AreSame(ref left._reference, ref right._reference);

        public static bool operator !=(ReadOnlySpan<T> left, ReadOnlySpan<T> right) => !(left == right);

        [Obsolete("Equals() on ReadOnlySpan will always throw an exception. Use the equality operator instead.")]
        public override bool Equals(object? obj) => throw new NotSupportedException();

        [Obsolete("GetHashCode() on ReadOnlySpan will always throw an exception.")]
        public override int GetHashCode() => throw new NotSupportedException();

        public override unsafe string ToString()
        {
            if (Internal.Runtime.MethodTable.Of<T>() == Internal.Runtime.MethodTable.Of<char>())
                return new string(new ReadOnlySpan<char>(ref Unsafe.As<T, char>(ref _reference), _length));
            return "System.ReadOnlySpan<T>";
        }

        public ref struct Enumerator
        {
            private readonly ReadOnlySpan<T> _span;
            private int _index;

            internal Enumerator(ReadOnlySpan<T> span) { _span = span; _index = -1; }

            public bool MoveNext()
            {
                int index = _index + 1;
                if (index < _span.Length) { _index = index; return true; }
                return false;
            }

            public ref readonly T Current => ref _span[_index];
        }
    }
}
