namespace System.Text
{
    // A mutable string in one growing char array (.NET chains chunks; the observable behaviour is the
    // same). Numbers are appended through TryFormat into stack space, without temporary strings.
    public sealed class StringBuilder
    {
        private char[] _chars;
        private int _length;

        public StringBuilder() : this(16) { }

        public StringBuilder(int capacity)
        {
            if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
            _chars = new char[capacity == 0 ? 16 : capacity];
        }

        public StringBuilder(string? value) : this(value, 16) { }

        public StringBuilder(string? value, int capacity)
        {
            if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
            value ??= string.Empty;
            int size = capacity < value.Length ? value.Length : capacity;
            _chars = new char[size == 0 ? 16 : size];
            Append(value);
        }

        public int Length
        {
            get => _length;
            set
            {
                if (value < 0) throw new ArgumentOutOfRangeException(nameof(value));
                if (value > _length)
                {
                    EnsureCapacity(value);
                    new Span<char>(_chars, _length, value - _length).Clear();
                }
                _length = value;
            }
        }

        public int Capacity
        {
            get => _chars.Length;
            set
            {
                if (value < _length) throw new ArgumentOutOfRangeException(nameof(value));
                if (value == _chars.Length) return;
                char[] chars = new char[value];
                new ReadOnlySpan<char>(_chars, 0, _length).CopyTo(chars);
                _chars = chars;
            }
        }

        public int MaxCapacity => int.MaxValue;

        public int EnsureCapacity(int capacity)
        {
            if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
            if (capacity > _chars.Length)
            {
                int size = _chars.Length * 2;
                if (size < capacity) size = capacity;
                Capacity = size;
            }
            return _chars.Length;
        }

        [System.Runtime.CompilerServices.IndexerName("Chars")]
        public char this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_length) throw new IndexOutOfRangeException();
                return _chars[index];
            }
            set
            {
                if ((uint)index >= (uint)_length) throw new ArgumentOutOfRangeException(nameof(index));
                _chars[index] = value;
            }
        }

        public StringBuilder Clear()
        {
            _length = 0;
            return this;
        }

        public override string ToString() => new string(_chars, 0, _length);

        public string ToString(int startIndex, int length)
        {
            if (startIndex < 0 || length < 0 || startIndex > _length - length) throw new ArgumentOutOfRangeException(nameof(startIndex));
            return new string(_chars, startIndex, length);
        }

        private Span<char> AppendSpace(int count)
        {
            EnsureCapacity(_length + count);
            var span = new Span<char>(_chars, _length, count);
            _length += count;
            return span;
        }

        public StringBuilder Append(char value)
        {
            if (_length == _chars.Length) EnsureCapacity(_length + 1);
            _chars[_length++] = value;
            return this;
        }

        public StringBuilder Append(char value, int repeatCount)
        {
            if (repeatCount < 0) throw new ArgumentOutOfRangeException(nameof(repeatCount));
            AppendSpace(repeatCount).Fill(value);
            return this;
        }

        public StringBuilder Append(string? value)
        {
            if (value is not null) value.CopyTo(AppendSpace(value.Length));
            return this;
        }

        public StringBuilder Append(string? value, int startIndex, int count)
        {
            if (startIndex < 0 || count < 0) throw new ArgumentOutOfRangeException(nameof(startIndex));
            if (value is null)
            {
                if (startIndex == 0 && count == 0) return this;
                throw new ArgumentNullException(nameof(value));
            }
            if (startIndex > value.Length - count) throw new ArgumentOutOfRangeException(nameof(count));
            return Append(((ReadOnlySpan<char>)value).Slice(startIndex, count));
        }

        public StringBuilder Append(ReadOnlySpan<char> value)
        {
            value.CopyTo(AppendSpace(value.Length));
            return this;
        }

        public StringBuilder Append(char[]? value)
        {
            if (value is not null) Append(new ReadOnlySpan<char>(value));
            return this;
        }

        public StringBuilder Append(StringBuilder? value)
        {
            if (value is not null) Append(new ReadOnlySpan<char>(value._chars, 0, value._length));
            return this;
        }

        public StringBuilder Append(object? value) => value is null ? this : Append(value.ToString());
        public StringBuilder Append(bool value) => Append(value ? "True" : "False");

        public StringBuilder Append(sbyte value) { Span<char> s = stackalloc char[8]; value.TryFormat(s, out int n); return Append(s.Slice(0, n)); }
        public StringBuilder Append(byte value) { Span<char> s = stackalloc char[8]; value.TryFormat(s, out int n); return Append(s.Slice(0, n)); }
        public StringBuilder Append(short value) { Span<char> s = stackalloc char[8]; value.TryFormat(s, out int n); return Append(s.Slice(0, n)); }
        public StringBuilder Append(ushort value) { Span<char> s = stackalloc char[8]; value.TryFormat(s, out int n); return Append(s.Slice(0, n)); }
        public StringBuilder Append(int value) { Span<char> s = stackalloc char[16]; value.TryFormat(s, out int n); return Append(s.Slice(0, n)); }
        public StringBuilder Append(uint value) { Span<char> s = stackalloc char[16]; value.TryFormat(s, out int n); return Append(s.Slice(0, n)); }
        public StringBuilder Append(long value) { Span<char> s = stackalloc char[24]; value.TryFormat(s, out int n); return Append(s.Slice(0, n)); }
        public StringBuilder Append(ulong value) { Span<char> s = stackalloc char[24]; value.TryFormat(s, out int n); return Append(s.Slice(0, n)); }
        public StringBuilder Append(float value) { Span<char> s = stackalloc char[32]; value.TryFormat(s, out int n); return Append(s.Slice(0, n)); }
        public StringBuilder Append(double value) { Span<char> s = stackalloc char[32]; value.TryFormat(s, out int n); return Append(s.Slice(0, n)); }

        public StringBuilder AppendLine() => Append(Environment.NewLine);
        public StringBuilder AppendLine(string? value) => Append(value).Append(Environment.NewLine);

        public StringBuilder Insert(int index, string? value)
        {
            if ((uint)index > (uint)_length) throw new ArgumentOutOfRangeException(nameof(index));
            if (value is null || value.Length == 0) return this;
            int n = value.Length;
            EnsureCapacity(_length + n);
            for (int i = _length - 1; i >= index; i--) _chars[i + n] = _chars[i];
            value.CopyTo(new Span<char>(_chars, index, n));
            _length += n;
            return this;
        }

        public StringBuilder Insert(int index, char value)
        {
            Span<char> one = stackalloc char[1];
            one[0] = value;
            return Insert(index, new string(one));
        }

        public StringBuilder Insert(int index, int value) => Insert(index, value.ToString());
        public StringBuilder Insert(int index, long value) => Insert(index, value.ToString());
        public StringBuilder Insert(int index, double value) => Insert(index, value.ToString());
        public StringBuilder Insert(int index, bool value) => Insert(index, value.ToString());
        public StringBuilder Insert(int index, object? value) => value is null ? this : Insert(index, value.ToString());

        public StringBuilder Remove(int startIndex, int length)
        {
            if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
            if (startIndex < 0) throw new ArgumentOutOfRangeException(nameof(startIndex));
            if (length > _length - startIndex) throw new ArgumentOutOfRangeException(nameof(length));
            for (int i = startIndex + length; i < _length; i++) _chars[i - length] = _chars[i];
            _length -= length;
            return this;
        }

        public StringBuilder Replace(char oldChar, char newChar)
        {
            for (int i = 0; i < _length; i++)
                if (_chars[i] == oldChar) _chars[i] = newChar;
            return this;
        }

        // Ordinal, left to right, without overlapping matches.
        public StringBuilder Replace(string oldValue, string? newValue)
        {
            if (oldValue is null) throw new ArgumentNullException(nameof(oldValue));
            if (oldValue.Length == 0) throw new ArgumentException("The value cannot be an empty string.", nameof(oldValue));
            newValue ??= string.Empty;
            int count = 0;
            for (int i = 0; i + oldValue.Length <= _length;)
            {
                if (MatchAt(i, oldValue)) { count++; i += oldValue.Length; }
                else i++;
            }
            if (count == 0) return this;
            char[] result = new char[Math.Max(_length + count * (newValue.Length - oldValue.Length), 16)];
            int w = 0;
            for (int i = 0; i < _length;)
            {
                if (i + oldValue.Length <= _length && MatchAt(i, oldValue))
                {
                    newValue.CopyTo(new Span<char>(result, w, newValue.Length));
                    w += newValue.Length;
                    i += oldValue.Length;
                }
                else result[w++] = _chars[i++];
            }
            _chars = result;
            _length = w;
            return this;
        }

        private bool MatchAt(int at, string value)
        {
            for (int j = 0; j < value.Length; j++)
                if (_chars[at + j] != value[j]) return false;
            return true;
        }

        public bool Equals(StringBuilder? sb) =>
            sb is not null && sb._length == _length && new ReadOnlySpan<char>(_chars, 0, _length).SequenceEqual(new ReadOnlySpan<char>(sb._chars, 0, sb._length));

        public void CopyTo(int sourceIndex, Span<char> destination, int count)
        {
            if (count < 0 || sourceIndex < 0 || sourceIndex > _length - count) throw new ArgumentOutOfRangeException(nameof(sourceIndex));
            new ReadOnlySpan<char>(_chars, sourceIndex, count).CopyTo(destination);
        }
    }
}
