using System.Diagnostics.CodeAnalysis;

namespace System.Collections.Generic
{
    // First in, first out, in a circular array that doubles when full (as .NET's Queue<T>).
    public class Queue<T> : IEnumerable<T>
    {
        private T[] _array;
        private int _head;      // index of the first element
        private int _size;
        private int _version;

        public Queue() { _array = Array.Empty<T>(); }

        public Queue(int capacity)
        {
            if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
            _array = capacity == 0 ? Array.Empty<T>() : new T[capacity];
        }

        public Queue(IEnumerable<T> collection) : this()
        {
            if (collection is null) throw new ArgumentNullException(nameof(collection));
            foreach (T item in collection) Enqueue(item);
        }

        public int Count => _size;

        public void Enqueue(T item)
        {
            if (_size == _array.Length) Grow(_size + 1);
            int tail = _head + _size;
            if (tail >= _array.Length) tail -= _array.Length;
            _array[tail] = item;
            _size++;
            _version++;
        }

        public T Dequeue()
        {
            if (_size == 0) throw new InvalidOperationException("Queue empty.");
            T item = _array[_head];
            _array[_head] = default!;
            if (++_head == _array.Length) _head = 0;
            _size--;
            _version++;
            return item;
        }

        public bool TryDequeue([MaybeNullWhen(false)] out T result)
        {
            if (_size == 0) { result = default; return false; }
            result = Dequeue();
            return true;
        }

        public T Peek()
        {
            if (_size == 0) throw new InvalidOperationException("Queue empty.");
            return _array[_head];
        }

        public bool TryPeek([MaybeNullWhen(false)] out T result)
        {
            if (_size == 0) { result = default; return false; }
            result = _array[_head];
            return true;
        }

        public bool Contains(T item)
        {
            var comparer = EqualityComparer<T>.Default;
            for (int i = 0; i < _size; i++)
                if (comparer.Equals(At(i), item)) return true;
            return false;
        }

        public void Clear()
        {
            for (int i = 0; i < _size; i++) At(i) = default!;
            _head = 0;
            _size = 0;
            _version++;
        }

        public T[] ToArray()
        {
            T[] result = new T[_size];
            for (int i = 0; i < _size; i++) result[i] = At(i);
            return result;
        }

        public void TrimExcess() { if (_size < (int)(_array.Length * 0.9)) Resize(_size); }

        public int EnsureCapacity(int capacity)
        {
            if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
            if (_array.Length < capacity) Grow(capacity);
            return _array.Length;
        }

        private ref T At(int i)
        {
            int k = _head + i;
            if (k >= _array.Length) k -= _array.Length;
            return ref _array[k];
        }

        private void Grow(int capacity)
        {
            // .NET's growth: double, but by at least 4, and at least what was asked for.
            int size = 2 * _array.Length;
            if (size < _array.Length + 4) size = _array.Length + 4;
            if (size < capacity) size = capacity;
            Resize(size);
        }

        private void Resize(int size)
        {
            T[] array = size == 0 ? Array.Empty<T>() : new T[size];
            for (int i = 0; i < _size; i++) array[i] = At(i);
            _array = array;
            _head = 0;
            _version++;
        }

        public Enumerator GetEnumerator() => new Enumerator(this);

        IEnumerator<T> IEnumerable<T>.GetEnumerator() => new Enumerator(this);

        IEnumerator IEnumerable.GetEnumerator() => new Enumerator(this);

        public struct Enumerator : IEnumerator<T>
        {
            private readonly Queue<T> _queue;
            private readonly int _version;
            private int _index;
            private T _current;

            internal Enumerator(Queue<T> queue)
            {
                _queue = queue;
                _version = queue._version;
                _index = -1;
                _current = default!;
            }

            public bool MoveNext()
            {
                if (_version != _queue._version) throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
                if (_index == -2) return false;
                if (++_index == _queue._size) { _index = -2; _current = default!; return false; }
                _current = _queue.At(_index);
                return true;
            }

            public T Current => _current;

            object? IEnumerator.Current => _current;

            void IEnumerator.Reset()
            {
                _index = -1;
                _current = default!;
            }

            public void Dispose() { }
        }
    }
}
