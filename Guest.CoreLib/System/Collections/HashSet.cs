using System.Diagnostics.CodeAnalysis;

namespace System.Collections.Generic
{
    // A set as a hash table chained through an entries array, like Dictionary: entries are enumerated in
    // insertion order until something is removed, and removed entries are reused (most recently freed
    // first), as in .NET. Null is an element like any other.
    public class HashSet<T> : IEnumerable<T>
    {
        private struct Entry
        {
            internal int Next;      // next entry in the chain, -1 at the end; free list: -3 - next
            internal int HashCode;
            internal T Value;
        }

        private int[] _buckets;     // 1-based entry index, 0 = empty
        private Entry[] _entries;
        private int _count;
        private int _freeList = -1;
        private int _freeCount;
        private int _version;
        private readonly IEqualityComparer<T> _comparer;

        public HashSet() : this(0, null) { }
        public HashSet(IEqualityComparer<T>? comparer) : this(0, comparer) { }
        public HashSet(int capacity) : this(capacity, null) { }
        public HashSet(IEnumerable<T> collection) : this(collection, null) { }

        public HashSet(IEnumerable<T> collection, IEqualityComparer<T>? comparer) : this(0, comparer)
        {
            if (collection is null) throw new ArgumentNullException(nameof(collection));
            UnionWith(collection);
        }

        public HashSet(int capacity, IEqualityComparer<T>? comparer)
        {
            if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
            int size = capacity < 3 ? 3 : capacity;
            _buckets = new int[size];
            _entries = new Entry[size];
            _comparer = comparer ?? EqualityComparer<T>.Default;
        }

        public int Count => _count - _freeCount;

        public IEqualityComparer<T> Comparer => _comparer;

        private int Hash(T item) => item is null ? 0 : _comparer.GetHashCode(item) & 0x7FFFFFFF;

        private int FindItemIndex(T item)
        {
            int hash = Hash(item);
            for (int i = _buckets[hash % _buckets.Length] - 1; i >= 0; i = _entries[i].Next)
                if (_entries[i].HashCode == hash && _comparer.Equals(_entries[i].Value, item)) return i;
            return -1;
        }

        public bool Contains(T item) => FindItemIndex(item) >= 0;

        public bool TryGetValue(T equalValue, [MaybeNullWhen(false)] out T actualValue)
        {
            int i = FindItemIndex(equalValue);
            if (i >= 0) { actualValue = _entries[i].Value; return true; }
            actualValue = default;
            return false;
        }

        public bool Add(T item)
        {
            int hash = Hash(item);
            for (int i = _buckets[hash % _buckets.Length] - 1; i >= 0; i = _entries[i].Next)
                if (_entries[i].HashCode == hash && _comparer.Equals(_entries[i].Value, item)) return false;
            int index;
            if (_freeCount > 0)
            {
                index = _freeList;
                _freeList = -3 - _entries[index].Next;
                _freeCount--;
            }
            else
            {
                if (_count == _entries.Length) Resize();
                index = _count++;
            }
            ref int bucket = ref _buckets[hash % _buckets.Length];
            ref Entry e = ref _entries[index];
            e.HashCode = hash;
            e.Value = item;
            e.Next = bucket - 1;
            bucket = index + 1;
            _version++;
            return true;
        }

        public bool Remove(T item)
        {
            int hash = Hash(item);
            ref int bucket = ref _buckets[hash % _buckets.Length];
            int last = -1;
            for (int i = bucket - 1; i >= 0; last = i, i = _entries[i].Next)
            {
                ref Entry e = ref _entries[i];
                if (e.HashCode != hash || !_comparer.Equals(e.Value, item)) continue;
                if (last < 0) bucket = e.Next + 1;
                else _entries[last].Next = e.Next;
                e.Next = -3 - _freeList;
                e.Value = default!;
                _freeList = i;
                _freeCount++;
                _version++;
                return true;
            }
            return false;
        }

        public void Clear()
        {
            if (_count == 0) return;
            Array.Clear(_buckets);
            for (int i = 0; i < _count; i++) _entries[i] = default;
            _count = 0;
            _freeList = -1;
            _freeCount = 0;
            _version++;
        }

        public void UnionWith(IEnumerable<T> other)
        {
            if (other is null) throw new ArgumentNullException(nameof(other));
            foreach (T item in other) Add(item);
        }

        public void ExceptWith(IEnumerable<T> other)
        {
            if (other is null) throw new ArgumentNullException(nameof(other));
            foreach (T item in other) Remove(item);
        }

        public void IntersectWith(IEnumerable<T> other)
        {
            if (other is null) throw new ArgumentNullException(nameof(other));
            var keep = new HashSet<T>(_comparer);
            foreach (T item in other)
                if (Contains(item)) keep.Add(item);
            for (int i = 0; i < _count; i++)
                if (_entries[i].Next >= -1 && !keep.Contains(_entries[i].Value)) Remove(_entries[i].Value);
        }

        public bool SetEquals(IEnumerable<T> other)
        {
            if (other is null) throw new ArgumentNullException(nameof(other));
            var seen = new HashSet<T>(_comparer);
            foreach (T item in other)
            {
                if (!Contains(item)) return false;
                seen.Add(item);
            }
            return seen.Count == Count;
        }

        public bool Overlaps(IEnumerable<T> other)
        {
            if (other is null) throw new ArgumentNullException(nameof(other));
            foreach (T item in other)
                if (Contains(item)) return true;
            return false;
        }

        public void CopyTo(T[] array) => CopyTo(array, 0);

        public void CopyTo(T[] array, int arrayIndex)
        {
            if (array is null) throw new ArgumentNullException(nameof(array));
            if (arrayIndex < 0 || array.Length - arrayIndex < Count) throw new ArgumentException("Destination array is not long enough.");
            for (int i = 0; i < _count; i++)
                if (_entries[i].Next >= -1) array[arrayIndex++] = _entries[i].Value;
        }

        private void Resize()
        {
            int size = _entries.Length * 2 + 1;
            Entry[] entries = new Entry[size];
            for (int i = 0; i < _count; i++) entries[i] = _entries[i];
            int[] buckets = new int[size];
            for (int i = 0; i < _count; i++)
            {
                if (entries[i].Next < -1) continue;
                ref int bucket = ref buckets[entries[i].HashCode % size];
                entries[i].Next = bucket - 1;
                bucket = i + 1;
            }
            _entries = entries;
            _buckets = buckets;
        }

        public Enumerator GetEnumerator() => new Enumerator(this);

        IEnumerator<T> IEnumerable<T>.GetEnumerator() => new Enumerator(this);

        IEnumerator IEnumerable.GetEnumerator() => new Enumerator(this);

        public struct Enumerator : IEnumerator<T>
        {
            private readonly HashSet<T> _set;
            private readonly int _version;
            private int _index;
            private T _current;

            internal Enumerator(HashSet<T> set)
            {
                _set = set;
                _version = set._version;
                _index = 0;
                _current = default!;
            }

            public bool MoveNext()
            {
                if (_version != _set._version) throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
                while ((uint)_index < (uint)_set._count)
                {
                    ref Entry e = ref _set._entries[_index++];
                    if (e.Next >= -1)
                    {
                        _current = e.Value;
                        return true;
                    }
                }
                _index = _set._count + 1;
                _current = default!;
                return false;
            }

            public T Current => _current;

            object? IEnumerator.Current => _current;

            void IEnumerator.Reset()
            {
                _index = 0;
                _current = default!;
            }

            public void Dispose() { }
        }
    }
}
