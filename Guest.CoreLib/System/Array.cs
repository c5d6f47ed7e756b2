using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Internal.Runtime;

namespace System
{
    // Layout of a single-dimensional array: MethodTable*, int length, int padding, then the elements.
    public abstract class Array
    {
#pragma warning disable CS0649, CS0169
        private int _numComponents;
        private int _padding;
#pragma warning restore CS0649, CS0169

        private protected Array() { }

        public int Length => _numComponents;

        public long LongLength => _numComponents;

        public int Rank => 1;

        internal ref byte RawData => ref Unsafe.As<int, byte>(ref Unsafe.Add(ref _numComponents, 2));

        public static T[] Empty<T>() => EmptyArray<T>.Value;

        public static void Copy(Array sourceArray, Array destinationArray, int length) =>
            Copy(sourceArray, 0, destinationArray, 0, length);

        public static unsafe void Copy(Array sourceArray, int sourceIndex, Array destinationArray, int destinationIndex, int length)
        {
            if (sourceArray is null) throw new ArgumentNullException(nameof(sourceArray));
            if (destinationArray is null) throw new ArgumentNullException(nameof(destinationArray));
            // Only copies between arrays of the same type (no conversions): enough for byte buffers and the like.
            if (sourceArray.GetMethodTable() != destinationArray.GetMethodTable())
                throw new ArrayTypeMismatchException();
            if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
            if (sourceIndex < 0 || sourceIndex > sourceArray.Length - length) throw new ArgumentOutOfRangeException(nameof(sourceIndex));
            if (destinationIndex < 0 || destinationIndex > destinationArray.Length - length) throw new ArgumentOutOfRangeException(nameof(destinationIndex));
            nuint size = sourceArray.GetMethodTable()->ComponentSize;
            Buffer.Memmove(ref Unsafe.AddByteOffset(ref destinationArray.RawData, (nuint)destinationIndex * size),
                ref Unsafe.AddByteOffset(ref sourceArray.RawData, (nuint)sourceIndex * size), (nuint)length * size);
        }

        public static unsafe void Clear(Array array, int index, int length)
        {
            if (array is null) throw new ArgumentNullException(nameof(array));
            if (index < 0 || length < 0 || index > array.Length - length) throw new IndexOutOfRangeException();
            nuint size = array.GetMethodTable()->ComponentSize;
            SpanHelpers.ClearWithoutReferences(ref Unsafe.AddByteOffset(ref array.RawData, (nuint)index * size), (nuint)length * size);
        }

        public static void Clear(Array array) => Clear(array, 0, array.Length);

        public static void Fill<T>(T[] array, T value)
        {
            if (array is null) throw new ArgumentNullException(nameof(array));
            for (int i = 0; i < array.Length; i++) array[i] = value;
        }

        public static void Resize<T>([System.Diagnostics.CodeAnalysis.NotNull] ref T[]? array, int newSize)
        {
            if (newSize < 0) throw new ArgumentOutOfRangeException(nameof(newSize));
            T[]? larray = array;
            if (larray is null) { array = new T[newSize]; return; }
            if (larray.Length == newSize) { array = larray; return; }
            T[] newArray = new T[newSize];
            int n = larray.Length < newSize ? larray.Length : newSize;
            for (int i = 0; i < n; i++) newArray[i] = larray[i];
            array = newArray;
        }

        public static int IndexOf<T>(T[] array, T value)
        {
            if (array is null) throw new ArgumentNullException(nameof(array));
            for (int i = 0; i < array.Length; i++)
            {
                if (value is null ? array[i] is null : value.Equals(array[i])) return i;
            }
            return -1;
        }
    }

    internal static class EmptyArray<T>
    {
        internal static readonly T[] Value = new T[0];
    }
}

namespace System
{
    // ilc builds the type of every T[] from this (its virtual methods and interfaces): a T[] is an
    // IEnumerable<T>, so arrays can be handed to what takes a collection (new HashSet<int>(new[] { 1, 2 })).
    internal class Array<T> : Array, System.Collections.Generic.IEnumerable<T>
    {
        public System.Collections.Generic.IEnumerator<T> GetEnumerator() => new ArrayEnumerator<T>(Unsafe.As<T[]>(this));

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => new ArrayEnumerator<T>(Unsafe.As<T[]>(this));
    }

    internal sealed class ArrayEnumerator<T> : System.Collections.Generic.IEnumerator<T>
    {
        private readonly T[] _array;
        private int _index = -1;

        internal ArrayEnumerator(T[] array) { _array = array; }

        public bool MoveNext()
        {
            if (_index < _array.Length) _index++;
            return _index < _array.Length;
        }

        public T Current => _array[_index];

        object? System.Collections.IEnumerator.Current => Current;

        public void Reset() => _index = -1;

        public void Dispose() { }
    }
}
