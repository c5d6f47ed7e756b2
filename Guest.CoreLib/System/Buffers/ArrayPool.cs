namespace System.Buffers
{
    // Shared arrays by power-of-two size classes from 16 elements, as .NET's pools: Rent gives an array
    // of at least the asked length (the size class's length), Return makes it available again, most
    // recently returned first. Without a collector, pooled arrays stay allocated for the guest's life.
    public abstract class ArrayPool<T>
    {
        private static ArrayPool<T>? s_shared;

        public static ArrayPool<T> Shared => s_shared ??= new BucketArrayPool<T>(1 << 30, 32);

        public static ArrayPool<T> Create() => new BucketArrayPool<T>(1024 * 1024, 50);

        public static ArrayPool<T> Create(int maxArrayLength, int maxArraysPerBucket) => new BucketArrayPool<T>(maxArrayLength, maxArraysPerBucket);

        protected ArrayPool() { }

        public abstract T[] Rent(int minimumLength);

        public abstract void Return(T[] array, bool clearArray = false);
    }

    internal sealed class BucketArrayPool<T> : ArrayPool<T>
    {
        private readonly T[]?[][] _buckets;
        private readonly int[] _counts;

        internal BucketArrayPool(int maxArrayLength, int maxArraysPerBucket)
        {
            if (maxArrayLength <= 0) throw new ArgumentOutOfRangeException(nameof(maxArrayLength));
            if (maxArraysPerBucket <= 0) throw new ArgumentOutOfRangeException(nameof(maxArraysPerBucket));
            if (maxArrayLength < 16) maxArrayLength = 16;
            if (maxArrayLength > 1 << 30) maxArrayLength = 1 << 30;
            int buckets = BucketIndex(maxArrayLength) + 1;
            _buckets = new T[]?[buckets][];
            _counts = new int[buckets];
            for (int i = 0; i < buckets; i++) _buckets[i] = new T[]?[maxArraysPerBucket];
        }

        private static int BucketIndex(int length) => System.Numerics.BitOperations.Log2((uint)(length - 1) | 15) - 3;

        private static int BucketLength(int index) => 16 << index;

        public override T[] Rent(int minimumLength)
        {
            if (minimumLength < 0) throw new ArgumentOutOfRangeException(nameof(minimumLength));
            if (minimumLength == 0) return Array.Empty<T>();
            int index = BucketIndex(minimumLength);
            if (index >= _buckets.Length) return new T[minimumLength];
            if (_counts[index] > 0)
            {
                T[]?[] bucket = _buckets[index];
                T[] array = bucket[--_counts[index]]!;
                bucket[_counts[index]] = null;
                return array;
            }
            return new T[BucketLength(index)];
        }

        public override void Return(T[] array, bool clearArray = false)
        {
            if (array is null) throw new ArgumentNullException(nameof(array));
            if (array.Length == 0) return;
            int index = BucketIndex(array.Length);
            if (index >= _buckets.Length) return;
            if (array.Length != BucketLength(index)) throw new ArgumentException("The buffer is not associated with this pool and may not be returned to it.", nameof(array));
            if (clearArray) Array.Clear(array);
            if (_counts[index] < _buckets[index].Length) _buckets[index][_counts[index]++] = array;
        }
    }
}
