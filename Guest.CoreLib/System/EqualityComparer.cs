using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace System.Collections.Generic
{
    public interface IEqualityComparer<in T>
    {
        bool Equals(T? x, T? y);
        int GetHashCode([DisallowNull] T obj);
    }

    public abstract class EqualityComparer<T> : IEqualityComparer<T>
    {
        protected EqualityComparer() { }

        // ilc replaces Create() with `new <the right comparer>()` for every T it knows exactly (all value
        // types: no boxing); shared code over reference types runs the body below.
        public static EqualityComparer<T> Default { get; } = Create();

        [Intrinsic]
        private static EqualityComparer<T> Create() => new ObjectEqualityComparer<T>();

        public abstract bool Equals(T? x, T? y);
        public abstract int GetHashCode([DisallowNull] T obj);
    }

    // T implements IEquatable<T>: a constrained call, no boxing.
    internal sealed class GenericEqualityComparer<T> : EqualityComparer<T> where T : IEquatable<T>?
    {
        public override bool Equals(T? x, T? y)
        {
            if (x is not null) return y is not null && x.Equals(y);
            return y is null;
        }

        public override int GetHashCode([DisallowNull] T obj) => obj?.GetHashCode() ?? 0;
    }

    internal sealed class ObjectEqualityComparer<T> : EqualityComparer<T>
    {
        public override bool Equals(T? x, T? y)
        {
            if (x is not null) return y is not null && x.Equals(y);
            return y is null;
        }

        public override int GetHashCode([DisallowNull] T obj) => obj?.GetHashCode() ?? 0;
    }

    internal sealed class StringEqualityComparer : EqualityComparer<string>
    {
        public override bool Equals(string? x, string? y) => string.Equals(x, y);
        public override int GetHashCode([DisallowNull] string obj) => obj?.GetHashCode() ?? 0;
    }

    // Enums compare as their underlying integers (reinterpreted by size, no boxing).
    internal sealed class EnumEqualityComparer<T> : EqualityComparer<T> where T : struct, Enum
    {
        public override bool Equals(T x, T y) => Bits(ref x) == Bits(ref y);
        public override int GetHashCode(T obj) { long b = Bits(ref obj); return (int)b ^ (int)(b >> 32); }

        private static long Bits(ref T value) => Unsafe.SizeOf<T>() switch
        {
            1 => Unsafe.As<T, byte>(ref value),
            2 => Unsafe.As<T, short>(ref value),
            4 => Unsafe.As<T, int>(ref value),
            _ => Unsafe.As<T, long>(ref value),
        };
    }

    internal sealed class NullableEqualityComparer<T> : EqualityComparer<T?> where T : struct
    {
        public override bool Equals(T? x, T? y)
        {
            if (x.HasValue) return y.HasValue && EqualityComparer<T>.Default.Equals(x.value, y.value);
            return !y.HasValue;
        }

        public override int GetHashCode(T? obj) => obj.HasValue ? EqualityComparer<T>.Default.GetHashCode(obj.value) : 0;
    }

    public readonly struct KeyValuePair<TKey, TValue>
    {
        public KeyValuePair(TKey key, TValue value) { Key = key; Value = value; }
        public TKey Key { get; }
        public TValue Value { get; }
        public void Deconstruct(out TKey key, out TValue value) { key = Key; value = Value; }
    }

    public class KeyNotFoundException : SystemException
    {
        public KeyNotFoundException() : base("The given key was not present in the dictionary.") { }
        public KeyNotFoundException(string? message) : base(message) { }
        public KeyNotFoundException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    // A hash table with chaining through an entries array (the .NET API's core members). Removal
    // recycles entries through a free list, so a dictionary of bounded size does not grow the heap.
    public class Dictionary<TKey, TValue> : IEnumerable<KeyValuePair<TKey, TValue>> where TKey : notnull
    {
        private struct Entry
        {
            internal int Next;      // index of the next entry in the chain, -1 at the end; free list: -3 - next
            internal int HashCode;
            internal TKey Key;
            internal TValue Value;
        }

        private int[] _buckets;     // 1-based entry index, 0 = empty
        private Entry[] _entries;
        private int _count;         // entries used so far (including freed ones)
        private int _freeList = -1;
        private int _freeCount;
        private int _version;
        private readonly IEqualityComparer<TKey> _comparer;

        public Dictionary() : this(0, null) { }
        public Dictionary(int capacity) : this(capacity, null) { }
        public Dictionary(IEqualityComparer<TKey>? comparer) : this(0, comparer) { }

        public Dictionary(int capacity, IEqualityComparer<TKey>? comparer)
        {
            if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
            int size = capacity < 3 ? 3 : capacity;
            _buckets = new int[size];
            _entries = new Entry[size];
            _comparer = comparer ?? EqualityComparer<TKey>.Default;
        }

        public int Count => _count - _freeCount;

        public IEqualityComparer<TKey> Comparer => _comparer;

        public TValue this[TKey key]
        {
            get
            {
                int i = FindEntry(key);
                if (i < 0) throw new KeyNotFoundException("The given key '" + key.ToString() + "' was not present in the dictionary.");
                return _entries[i].Value;
            }
            set => Insert(key, value, overwrite: true);
        }

        public void Add(TKey key, TValue value)
        {
            if (!Insert(key, value, overwrite: false)) throw new ArgumentException("An item with the same key has already been added. Key: " + key.ToString());
        }

        public bool TryAdd(TKey key, TValue value) => Insert(key, value, overwrite: false);

        public bool ContainsKey(TKey key) => FindEntry(key) >= 0;

        public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
        {
            int i = FindEntry(key);
            if (i >= 0) { value = _entries[i].Value; return true; }
            value = default;
            return false;
        }

        public bool Remove(TKey key)
        {
            if (key is null) throw new ArgumentNullException(nameof(key));
            int hash = _comparer.GetHashCode(key) & 0x7FFFFFFF;
            ref int bucket = ref _buckets[hash % _buckets.Length];
            int last = -1;
            for (int i = bucket - 1; i >= 0; last = i, i = _entries[i].Next)
            {
                ref Entry e = ref _entries[i];
                if (e.HashCode != hash || !_comparer.Equals(e.Key, key)) continue;
                if (last < 0) bucket = e.Next + 1;
                else _entries[last].Next = e.Next;
                e.Next = -3 - _freeList;
                e.Key = default!;
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

        public Enumerator GetEnumerator() => new Enumerator(this);

        IEnumerator<KeyValuePair<TKey, TValue>> IEnumerable<KeyValuePair<TKey, TValue>>.GetEnumerator() => new Enumerator(this);

        IEnumerator IEnumerable.GetEnumerator() => new Enumerator(this);

        private int FindEntry(TKey key)
        {
            if (key is null) throw new ArgumentNullException(nameof(key));
            int hash = _comparer.GetHashCode(key) & 0x7FFFFFFF;
            for (int i = _buckets[hash % _buckets.Length] - 1; i >= 0; i = _entries[i].Next)
            {
                if (_entries[i].HashCode == hash && _comparer.Equals(_entries[i].Key, key)) return i;
            }
            return -1;
        }

        private bool Insert(TKey key, TValue value, bool overwrite)
        {
            if (key is null) throw new ArgumentNullException(nameof(key));
            int hash = _comparer.GetHashCode(key) & 0x7FFFFFFF;
            for (int i = _buckets[hash % _buckets.Length] - 1; i >= 0; i = _entries[i].Next)
            {
                if (_entries[i].HashCode != hash || !_comparer.Equals(_entries[i].Key, key)) continue;
                if (!overwrite) return false;
                _entries[i].Value = value;
                _version++;
                return true;
            }
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
            e.Key = key;
            e.Value = value;
            e.Next = bucket - 1;
            bucket = index + 1;
            _version++;
            return true;
        }

        private void Resize()
        {
            int size = _entries.Length * 2 + 1;
            Entry[] entries = new Entry[size];
            for (int i = 0; i < _count; i++) entries[i] = _entries[i];
            int[] buckets = new int[size];
            for (int i = 0; i < _count; i++)
            {
                if (entries[i].Next < -1) continue; // free entry (none exist when full)
                ref int bucket = ref buckets[entries[i].HashCode % size];
                entries[i].Next = bucket - 1;
                bucket = i + 1;
            }
            _entries = entries;
            _buckets = buckets;
        }

        public struct Enumerator : IEnumerator<KeyValuePair<TKey, TValue>>
        {
            private readonly Dictionary<TKey, TValue> _dictionary;
            private readonly int _version;
            private int _index;
            private KeyValuePair<TKey, TValue> _current;

            internal Enumerator(Dictionary<TKey, TValue> dictionary)
            {
                _dictionary = dictionary;
                _version = dictionary._version;
                _index = 0;
                _current = default;
            }

            public bool MoveNext()
            {
                if (_version != _dictionary._version) throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
                while ((uint)_index < (uint)_dictionary._count)
                {
                    ref Entry e = ref _dictionary._entries[_index++];
                    if (e.Next >= -1)
                    {
                        _current = new KeyValuePair<TKey, TValue>(e.Key, e.Value);
                        return true;
                    }
                }
                _index = _dictionary._count + 1;
                _current = default;
                return false;
            }

            public KeyValuePair<TKey, TValue> Current => _current;

            object? IEnumerator.Current => _current;

            void IEnumerator.Reset()
            {
                _index = 0;
                _current = default;
            }

            public void Dispose() { }
        }
    }
}
