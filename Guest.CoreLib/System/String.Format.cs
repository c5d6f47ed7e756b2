using System.Text;

namespace System
{
    // Composite formatting: "{index[,alignment][:format]}" with "{{" and "}}" for braces. Arguments are
    // formatted through ISpanFormattable (no temporary string) or IFormattable when they have it.
    public sealed partial class String
    {
        public static string Format(string format, object? arg0) => FormatCore(null, format, new ReadOnlySpan<object?>(new object?[] { arg0 }));
        public static string Format(string format, object? arg0, object? arg1) => FormatCore(null, format, new ReadOnlySpan<object?>(new object?[] { arg0, arg1 }));
        public static string Format(string format, object? arg0, object? arg1, object? arg2) => FormatCore(null, format, new ReadOnlySpan<object?>(new object?[] { arg0, arg1, arg2 }));
        public static string Format(string format, params object?[] args)
        {
            if (args is null) throw new ArgumentNullException(nameof(args));
            return FormatCore(null, format, args);
        }
        public static string Format(IFormatProvider? provider, string format, object? arg0) => FormatCore(provider, format, new ReadOnlySpan<object?>(new object?[] { arg0 }));
        public static string Format(IFormatProvider? provider, string format, object? arg0, object? arg1) => FormatCore(provider, format, new ReadOnlySpan<object?>(new object?[] { arg0, arg1 }));
        public static string Format(IFormatProvider? provider, string format, object? arg0, object? arg1, object? arg2) => FormatCore(provider, format, new ReadOnlySpan<object?>(new object?[] { arg0, arg1, arg2 }));
        public static string Format(IFormatProvider? provider, string format, params object?[] args)
        {
            if (args is null) throw new ArgumentNullException(nameof(args));
            return FormatCore(provider, format, args);
        }

        private static string FormatCore(IFormatProvider? provider, string format, ReadOnlySpan<object?> args)
        {
            if (format is null) throw new ArgumentNullException(nameof(format));
            Span<char> buffer = stackalloc char[256];
            var w = new ValueStringBuilder(buffer);
            AppendComposite(ref w, provider, format, args);
            return w.ToString();
        }

        private static void ThrowFormatError() => throw new FormatException("Input string was not in a correct format.");

        internal static void AppendComposite(ref ValueStringBuilder w, IFormatProvider? provider, string format, ReadOnlySpan<object?> args)
        {
            int i = 0, n = format.Length;
            while (i < n)
            {
                char c = format[i++];
                if (c == '}')
                {
                    if (i < n && format[i] == '}') { w.Append('}'); i++; continue; }
                    ThrowFormatError();
                }
                if (c != '{') { w.Append(c); continue; }
                if (i < n && format[i] == '{') { w.Append('{'); i++; continue; }

                // {index
                if (i >= n || format[i] < '0' || format[i] > '9') ThrowFormatError();
                int index = 0;
                while (i < n && format[i] >= '0' && format[i] <= '9')
                {
                    index = index * 10 + (format[i++] - '0');
                    if (index >= 1_000_000) ThrowFormatError();
                }
                while (i < n && format[i] == ' ') i++;
                // [,alignment]
                int alignment = 0;
                if (i < n && format[i] == ',')
                {
                    i++;
                    while (i < n && format[i] == ' ') i++;
                    bool left = false;
                    if (i < n && format[i] == '-') { left = true; i++; }
                    if (i >= n || format[i] < '0' || format[i] > '9') ThrowFormatError();
                    while (i < n && format[i] >= '0' && format[i] <= '9')
                    {
                        alignment = alignment * 10 + (format[i++] - '0');
                        if (alignment >= 1_000_000) ThrowFormatError();
                    }
                    if (left) alignment = -alignment;
                    while (i < n && format[i] == ' ') i++;
                }
                // [:format]}
                ReadOnlySpan<char> itemFormat = default;
                if (i < n && format[i] == ':')
                {
                    int start = ++i;
                    while (i < n && format[i] != '}')
                    {
                        if (format[i] == '{') ThrowFormatError();
                        i++;
                    }
                    itemFormat = ((ReadOnlySpan<char>)format).Slice(start, i - start);
                }
                if (i >= n || format[i] != '}') ThrowFormatError();
                i++;
                if (index >= args.Length) throw new FormatException("Index (zero based) must be greater than or equal to zero and less than the size of the argument list.");
                AppendFormattedObject(ref w, args[index], alignment, itemFormat, provider);
            }
        }

        // One formatted value, padded with spaces to |alignment| (right-aligned if positive).
        internal static void AppendFormattedObject(ref ValueStringBuilder w, object? value, int alignment, ReadOnlySpan<char> format, IFormatProvider? provider)
        {
            int start = w.Length;
            if (value is ISpanFormattable spanFormattable)
            {
                Span<char> tmp = stackalloc char[128];
                if (spanFormattable.TryFormat(tmp, out int written, format, provider)) w.Append(tmp.Slice(0, written));
                else w.Append(spanFormattable.ToString(format.Length == 0 ? null : new string(format), provider));
            }
            else if (value is IFormattable formattable) w.Append(formattable.ToString(format.Length == 0 ? null : new string(format), provider));
            else if (value is not null) w.Append(value.ToString());
            w.Pad(start, alignment);
        }
    }
}
