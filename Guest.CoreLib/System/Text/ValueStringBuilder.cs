namespace System.Text
{
    // Text assembled in a caller's (usually stack) buffer, moving to a heap array only when it outgrows it.
    internal ref struct ValueStringBuilder
    {
        private Span<char> _chars;
        private int _pos;

        public ValueStringBuilder(Span<char> initialBuffer) { _chars = initialBuffer; _pos = 0; }

        public int Length => _pos;

        public ReadOnlySpan<char> AsSpan() => _chars.Slice(0, _pos);

        public void Append(char c)
        {
            if (_pos == _chars.Length) Grow(1);
            _chars[_pos++] = c;
        }

        public void Append(char c, int count)
        {
            if (count <= 0) return;
            if (_pos + count > _chars.Length) Grow(count);
            _chars.Slice(_pos, count).Fill(c);
            _pos += count;
        }

        public void Append(scoped ReadOnlySpan<char> s)
        {
            if (_pos + s.Length > _chars.Length) Grow(s.Length);
            s.CopyTo(_chars.Slice(_pos));
            _pos += s.Length;
        }

        public void Append(string? s)
        {
            if (s is not null) Append((ReadOnlySpan<char>)s);
        }

        private void Grow(int more)
        {
            int size = _chars.Length * 2;
            if (size < _pos + more) size = _pos + more;
            if (size < 64) size = 64;
            char[] bigger = new char[size];
            _chars.Slice(0, _pos).CopyTo(bigger);
            _chars = bigger;
        }

        // Pads what was appended since `start` with spaces to |alignment| characters: on the left when
        // alignment is positive (right-aligned), on the right when negative (composite formatting's rule).
        public void Pad(int start, int alignment)
        {
            int width = alignment < 0 ? -alignment : alignment;
            int padding = width - (_pos - start);
            if (padding <= 0) return;
            if (alignment < 0) { Append(' ', padding); return; }
            if (_pos + padding > _chars.Length) Grow(padding);
            _chars.Slice(start, _pos - start).CopyTo(_chars.Slice(start + padding));
            _chars.Slice(start, padding).Fill(' ');
            _pos += padding;
        }

        public bool TryCopyTo(Span<char> destination, out int charsWritten)
        {
            if (_pos > destination.Length) { charsWritten = 0; return false; }
            _chars.Slice(0, _pos).CopyTo(destination);
            charsWritten = _pos;
            return true;
        }

        // UTF-8 of the text (number formats produce ASCII, except for what a caller appends).
        public bool TryCopyToUtf8(Span<byte> destination, out int bytesWritten)
        {
            int n = 0;
            for (int i = 0; i < _pos; i++)
            {
                char c = _chars[i];
                int need = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
                if (n + need > destination.Length) { bytesWritten = 0; return false; }
                if (need == 1) destination[n++] = (byte)c;
                else if (need == 2) { destination[n++] = (byte)(0xC0 | (c >> 6)); destination[n++] = (byte)(0x80 | (c & 0x3F)); }
                else { destination[n++] = (byte)(0xE0 | (c >> 12)); destination[n++] = (byte)(0x80 | ((c >> 6) & 0x3F)); destination[n++] = (byte)(0x80 | (c & 0x3F)); }
            }
            bytesWritten = n;
            return true;
        }

        public override string ToString() => new string(_chars.Slice(0, _pos));
    }
}
