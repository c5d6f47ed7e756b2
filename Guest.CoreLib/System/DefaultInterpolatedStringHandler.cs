using System.Buffers;

namespace System.Runtime.CompilerServices
{
    // What C# compiles `$"..."` into: literals and formatted values appended to a buffer rented from
    // ArrayPool<char>.Shared (given back by ToStringAndClear). Values that are ISpanFormattable format
    // straight into the buffer; alignment pads with spaces as composite formatting does.
    [InterpolatedStringHandler]
    public ref struct DefaultInterpolatedStringHandler
    {
        private char[]? _arrayToReturn;
        private Span<char> _chars;
        private int _pos;
        private readonly IFormatProvider? _provider;

        public DefaultInterpolatedStringHandler(int literalLength, int formattedCount)
        {
            _provider = null;
            _arrayToReturn = ArrayPool<char>.Shared.Rent(GetDefaultLength(literalLength, formattedCount));
            _chars = _arrayToReturn;
            _pos = 0;
        }

        public DefaultInterpolatedStringHandler(int literalLength, int formattedCount, IFormatProvider? provider)
        {
            _provider = provider;
            _arrayToReturn = ArrayPool<char>.Shared.Rent(GetDefaultLength(literalLength, formattedCount));
            _chars = _arrayToReturn;
            _pos = 0;
        }

        public DefaultInterpolatedStringHandler(int literalLength, int formattedCount, IFormatProvider? provider, Span<char> initialBuffer)
        {
            _provider = provider;
            _arrayToReturn = null;
            _chars = initialBuffer;
            _pos = 0;
        }

        private static int GetDefaultLength(int literalLength, int formattedCount)
        {
            int n = literalLength + formattedCount * 11;
            return n < 256 ? 256 : n;
        }

        public override string ToString() => new string(_chars.Slice(0, _pos));

        public string ToStringAndClear()
        {
            string result = new string(_chars.Slice(0, _pos));
            Clear();
            return result;
        }

        public void Clear()
        {
            char[]? toReturn = _arrayToReturn;
            this = default;
            if (toReturn is not null) ArrayPool<char>.Shared.Return(toReturn);
        }

        public void AppendLiteral(string value) => AppendSpan(value);

        public void AppendFormatted<T>(T value) => AppendFormatted(value, null);

        public void AppendFormatted<T>(T value, string? format)
        {
            if (value is ISpanFormattable)
            {
                int written;
                while (!((ISpanFormattable)value).TryFormat(_chars.Slice(_pos), out written, format, _provider)) Grow(1);
                _pos += written;
            }
            else if (value is IFormattable) AppendSpan(((IFormattable)value).ToString(format, _provider));
            else if (value is not null) AppendSpan(value.ToString());
        }

        public void AppendFormatted<T>(T value, int alignment)
        {
            int start = _pos;
            AppendFormatted(value, null);
            Pad(start, alignment);
        }

        public void AppendFormatted<T>(T value, int alignment, string? format)
        {
            int start = _pos;
            AppendFormatted(value, format);
            Pad(start, alignment);
        }

        public void AppendFormatted(scoped ReadOnlySpan<char> value) => AppendSpan(value);

        public void AppendFormatted(scoped ReadOnlySpan<char> value, int alignment = 0, string? format = null)
        {
            int start = _pos;
            AppendSpan(value);
            Pad(start, alignment);
        }

        public void AppendFormatted(string? value) => AppendSpan(value);

        public void AppendFormatted(string? value, int alignment = 0, string? format = null)
        {
            int start = _pos;
            AppendSpan(value);
            Pad(start, alignment);
        }

        public void AppendFormatted(object? value, int alignment = 0, string? format = null)
        {
            int start = _pos;
            AppendFormatted<object?>(value, format);
            Pad(start, alignment);
        }

        private void AppendSpan(scoped ReadOnlySpan<char> value)
        {
            if (_pos + value.Length > _chars.Length) Grow(value.Length);
            value.CopyTo(_chars.Slice(_pos));
            _pos += value.Length;
        }

        private void Pad(int start, int alignment)
        {
            int width = alignment < 0 ? -alignment : alignment;
            int padding = width - (_pos - start);
            if (padding <= 0) return;
            if (_pos + padding > _chars.Length) Grow(padding);
            if (alignment > 0)
            {
                _chars.Slice(start, _pos - start).CopyTo(_chars.Slice(start + padding));
                _chars.Slice(start, padding).Fill(' ');
            }
            else _chars.Slice(_pos, padding).Fill(' ');
            _pos += padding;
        }

        private void Grow(int more)
        {
            int size = _chars.Length * 2;
            if (size < _pos + more) size = _pos + more;
            char[] bigger = ArrayPool<char>.Shared.Rent(size);
            _chars.Slice(0, _pos).CopyTo(bigger);
            char[]? toReturn = _arrayToReturn;
            _chars = _arrayToReturn = bigger;
            if (toReturn is not null) ArrayPool<char>.Shared.Return(toReturn);
        }
    }
}
