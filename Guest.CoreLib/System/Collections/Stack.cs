using System.Diagnostics.CodeAnalysis;

namespace System.Collections.Generic
{
    // Last in, first out, in an array that doubles when full; enumerates from the top (as .NET's Stack<T>).
    public class Stack<T> : IEnumerable<T>
    {
        private T[] _array;
        private int _size;
        private int _version;

        public Stack() { _array = Array.Empty<T>(); }

        public Stack(int capacity)
        {
            if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
            _array = capacity == 0 ? Array.Empty<T>() : new T[capacity];
        }

        public Stack(IEnumerable<T> collection) : this()
        {
            if (collection is null) throw new ArgumentNullException(nameof(collection));
            foreach (T item in collection) Push(item);
        }

        public int Count => _size;

        public void Push(T item)
        {
            if (_size == _array.Length)
            {
                T[] array = new T[_array.Length == 0 ? 4 : 2 * _array.Length];
                for (int i = 0; i < _size; i++) array[i] = _array[i];
                _array = array;
            }
            _array[_size++] = item;
            _version++;
        }

        public T Pop()
        {
            if (_size == 0) throw new InvalidOperationException("Stack empty.");
            T item = _array[--_size];
            _array[_size] = default!;
            _version++;
            return item;
        }

        public bool TryPop([MaybeNullWhen(false)] out T result)
        {
            if (_size == 0) { result = default; return false; }
            result = Pop();
            return true;
        }

        public T Peek()
        {
            if (_size == 0) throw new InvalidOperationException("Stack empty.");
            return _array[_size - 1];
        }

        public bool TryPeek([MaybeNullWhen(false)] out T result)
        {
            if (_size == 0) { result = default; return false; }
            result = _array[_size - 1];
            return true;
        }

        public bool Contains(T item)
        {
            var comparer = EqualityComparer<T>.Default;
            for (int i = 0; i < _size; i++)
                if (comparer.Equals(_array[i], item)) return true;
            return false;
        }

        public void Clear()
        {
            for (int i = 0; i < _size; i++) _array[i] = default!;
            _size = 0;
            _version++;
        }

        // Top of the stack first.
        public T[] ToArray()
        {
            T[] result = new T[_size];
            for (int i = 0; i < _size; i++) result[i] = _array[_size - 1 - i];
            return result;
        }

        public Enumerator GetEnumerator() => new Enumerator(this);

        IEnumerator<T> IEnumerable<T>.GetEnumerator() => new Enumerator(this);

        IEnumerator IEnumerable.GetEnumerator() => new Enumerator(this);

        public struct Enumerator : IEnumerator<T>
        {
            private readonly Stack<T> _stack;
            private readonly int _version;
            private int _index;     // -2 before the start, -1 after the end
            private T _current;

            internal Enumerator(Stack<T> stack)
            {
                _stack = stack;
                _version = stack._version;
                _index = -2;
                _current = default!;
            }

            public bool MoveNext()
            {
                if (_version != _stack._version) throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
                if (_index == -2) _index = _stack._size;
                if (_index == -1) return false;
                if (--_index < 0) { _index = -1; _current = default!; return false; }
                _current = _stack._array[_index];
                return true;
            }

            public T Current => _current;

            object? IEnumerator.Current => _current;

            void IEnumerator.Reset()
            {
                _index = -2;
                _current = default!;
            }

            public void Dispose() { }
        }
    }
}
