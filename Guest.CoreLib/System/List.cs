using System.Runtime.CompilerServices;

namespace System.Collections.Generic
{
    // A growable array (the .NET API's core members). Growing copies into a new array (the old one
    // is garbage), so size a list up front (the capacity constructor) where it matters.
    public class List<T> : IEnumerable<T>
    {
        private T[] _items;
        private int _size;
        private int _version; // changes with every mutation: enumerators detect a modified list

        public List() { _items = Array.Empty<T>(); }

        public List(int capacity)
        {
            if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
            _items = capacity == 0 ? Array.Empty<T>() : new T[capacity];
        }

        public int Count => _size;

        public int Capacity
        {
            get => _items.Length;
            set
            {
                if (value < _size) throw new ArgumentOutOfRangeException(nameof(value));
                if (value == _items.Length) return;
                T[] items = value == 0 ? Array.Empty<T>() : new T[value];
                for (int i = 0; i < _size; i++) items[i] = _items[i];
                _items = items;
            }
        }

        public T this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_size) throw new ArgumentOutOfRangeException(nameof(index));
                return _items[index];
            }
            set
            {
                if ((uint)index >= (uint)_size) throw new ArgumentOutOfRangeException(nameof(index));
                _items[index] = value;
                _version++;
            }
        }

        public void Add(T item)
        {
            _version++;
            if (_size == _items.Length) Grow(_size + 1);
            _items[_size++] = item;
        }

        public void Insert(int index, T item)
        {
            _version++;
            if ((uint)index > (uint)_size) throw new ArgumentOutOfRangeException(nameof(index));
            if (_size == _items.Length) Grow(_size + 1);
            for (int i = _size; i > index; i--) _items[i] = _items[i - 1];
            _items[index] = item;
            _size++;
        }

        public void RemoveAt(int index)
        {
            _version++;
            if ((uint)index >= (uint)_size) throw new ArgumentOutOfRangeException(nameof(index));
            _size--;
            for (int i = index; i < _size; i++) _items[i] = _items[i + 1];
            _items[_size] = default!;
        }

        public void RemoveRange(int index, int count)
        {
            if (index < 0) throw new ArgumentOutOfRangeException(nameof(index));
            if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
            if (_size - index < count) throw new ArgumentException("Offset and length were out of bounds.");
            if (count == 0) return;
            _version++;
            _size -= count;
            for (int i = index; i < _size; i++) _items[i] = _items[i + count];
            for (int i = _size; i < _size + count; i++) _items[i] = default!;
        }

        public void Clear()
        {
            _version++;
            for (int i = 0; i < _size; i++) _items[i] = default!;
            _size = 0;
        }

        public T[] ToArray()
        {
            if (_size == 0) return Array.Empty<T>();
            T[] array = new T[_size];
            for (int i = 0; i < _size; i++) array[i] = _items[i];
            return array;
        }

        public int IndexOf(T item)
        {
            EqualityComparer<T> comparer = EqualityComparer<T>.Default;
            for (int i = 0; i < _size; i++)
                if (comparer.Equals(_items[i], item)) return i;
            return -1;
        }

        public bool Contains(T item) => IndexOf(item) >= 0;

        public bool Remove(T item)
        {
            int index = IndexOf(item);
            if (index < 0) return false;
            RemoveAt(index);
            return true;
        }

        public int FindIndex(Predicate<T> match)
        {
            if (match is null) throw new ArgumentNullException(nameof(match));
            for (int i = 0; i < _size; i++)
                if (match(_items[i])) return i;
            return -1;
        }

        public bool Exists(Predicate<T> match) => FindIndex(match) >= 0;

        public void ForEach(Action<T> action)
        {
            if (action is null) throw new ArgumentNullException(nameof(action));
            for (int i = 0; i < _size; i++) action(_items[i]);
        }

        // Insertion sort: stable and allocation-free (.NET's sort is unstable; both give a sorted list).
        public void Sort(Comparison<T> comparison)
        {
            _version++;
            if (comparison is null) throw new ArgumentNullException(nameof(comparison));
            for (int i = 1; i < _size; i++)
            {
                T item = _items[i];
                int j = i - 1;
                while (j >= 0 && comparison(_items[j], item) > 0)
                {
                    _items[j + 1] = _items[j];
                    j--;
                }
                _items[j + 1] = item;
            }
        }

        public Enumerator GetEnumerator() => new Enumerator(this);

        IEnumerator<T> IEnumerable<T>.GetEnumerator() => new Enumerator(this);

        IEnumerator IEnumerable.GetEnumerator() => new Enumerator(this);

        private void Grow(int needed)
        {
            int capacity = _items.Length == 0 ? 4 : 2 * _items.Length;
            if ((uint)capacity > 0x7FFFFFC7u) capacity = 0x7FFFFFC7;
            if (capacity < needed) capacity = needed;
            Capacity = capacity;
        }

        public struct Enumerator : IEnumerator<T>
        {
            private readonly List<T> _list;
            private readonly int _version;
            private int _index;
            private T? _current;

            internal Enumerator(List<T> list)
            {
                _list = list;
                _version = list._version;
                _index = 0;
                _current = default;
            }

            public bool MoveNext()
            {
                if (_version != _list._version) throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
                if (_index < _list._size)
                {
                    _current = _list._items[_index++];
                    return true;
                }
                _current = default;
                _index = _list._size + 1;
                return false;
            }

            public T Current => _current!;

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
