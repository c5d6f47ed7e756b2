using System.Diagnostics.CodeAnalysis;
using Internal.Runtime;

namespace System
{
    // Standard output goes to the tender's console (PUTS hypercall), encoded as UTF-8 into a buffer in
    // the image: writing allocates nothing. There is no input.
    public static unsafe class Console
    {
        private const int Capacity = 1024;

        private struct Buffer1K
        {
            internal fixed byte Bytes[Capacity];
        }

        private static Buffer1K s_buffer;

        public static void Write(string? value) => WriteCore(value, newline: false);
        public static void WriteLine(string? value) => WriteCore(value, newline: true);
        public static void WriteLine() => WriteCore(null, newline: true);
        public static void Write(object? value) => WriteCore(value?.ToString(), newline: false);
        public static void WriteLine(object? value) => WriteCore(value?.ToString(), newline: true);
        public static void Write(int value) => WriteCore(value.ToString(), newline: false);
        public static void WriteLine(int value) => WriteCore(value.ToString(), newline: true);
        public static void Write(long value) => WriteCore(value.ToString(), newline: false);
        public static void WriteLine(long value) => WriteCore(value.ToString(), newline: true);
        public static void Write(uint value) => WriteCore(value.ToString(), newline: false);
        public static void WriteLine(uint value) => WriteCore(value.ToString(), newline: true);
        public static void Write(ulong value) => WriteCore(value.ToString(), newline: false);
        public static void WriteLine(ulong value) => WriteCore(value.ToString(), newline: true);
        public static void Write(bool value) => WriteCore(value ? "True" : "False", newline: false);
        public static void WriteLine(bool value) => WriteCore(value ? "True" : "False", newline: true);
        public static void Write(char value) { char c = value; WriteChars(&c, 1, newline: false); }
        public static void WriteLine(char value) { char c = value; WriteChars(&c, 1, newline: true); }
        public static void Write(double value) => WriteFormatted(value, newline: false);
        public static void WriteLine(double value) => WriteFormatted(value, newline: true);
        public static void Write(float value) => WriteFormatted(value, newline: false);
        public static void WriteLine(float value) => WriteFormatted(value, newline: true);
        public static void Write(string format, object? arg0) => WriteCore(string.Format(format, arg0), newline: false);
        public static void WriteLine(string format, object? arg0) => WriteCore(string.Format(format, arg0), newline: true);
        public static void Write(string format, object? arg0, object? arg1) => WriteCore(string.Format(format, arg0, arg1), newline: false);
        public static void WriteLine(string format, object? arg0, object? arg1) => WriteCore(string.Format(format, arg0, arg1), newline: true);
        public static void Write(string format, object? arg0, object? arg1, object? arg2) => WriteCore(string.Format(format, arg0, arg1, arg2), newline: false);
        public static void WriteLine(string format, object? arg0, object? arg1, object? arg2) => WriteCore(string.Format(format, arg0, arg1, arg2), newline: true);
        public static void Write(string format, params object?[] arg) => WriteCore(string.Format(format, arg), newline: false);
        public static void WriteLine(string format, params object?[] arg) => WriteCore(string.Format(format, arg), newline: true);

        // Floating point through TryFormat into stack space: no string is allocated.
        private static void WriteFormatted<T>(T value, bool newline) where T : ISpanFormattable
        {
            char* buffer = stackalloc char[64];
            if (value.TryFormat(new Span<char>(buffer, 64), out int written, default, null)) WriteChars(buffer, written, newline);
            else WriteCore(value.ToString(null, null), newline);
        }

        private static void WriteCore(string? value, bool newline)
        {
            if (value is null) { WriteChars(null, 0, newline); return; }
            fixed (char* p = value) WriteChars(p, value.Length, newline);
        }

        private static void WriteChars(char* text, int length, bool newline)
        {
            fixed (byte* buffer = s_buffer.Bytes)
            {
                int n = 0;
                for (int i = 0; i < length; i++)
                {
                    if (n > Capacity - 5)
                    {
                        Hvt.Write(buffer, (nuint)n);
                        n = 0;
                    }
                    int c = text[i];
                    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < length && text[i + 1] >= 0xDC00 && text[i + 1] <= 0xDFFF)
                    {
                        c = 0x10000 + ((c - 0xD800) << 10) + (text[i + 1] - 0xDC00);
                        i++;
                    }
                    else if (c >= 0xD800 && c <= 0xDFFF)
                    {
                        c = 0xFFFD;
                    }
                    if (c < 0x80) buffer[n++] = (byte)c;
                    else if (c < 0x800) { buffer[n++] = (byte)(0xC0 | (c >> 6)); buffer[n++] = (byte)(0x80 | (c & 0x3F)); }
                    else if (c < 0x10000) { buffer[n++] = (byte)(0xE0 | (c >> 12)); buffer[n++] = (byte)(0x80 | ((c >> 6) & 0x3F)); buffer[n++] = (byte)(0x80 | (c & 0x3F)); }
                    else { buffer[n++] = (byte)(0xF0 | (c >> 18)); buffer[n++] = (byte)(0x80 | ((c >> 12) & 0x3F)); buffer[n++] = (byte)(0x80 | ((c >> 6) & 0x3F)); buffer[n++] = (byte)(0x80 | (c & 0x3F)); }
                }
                if (newline) buffer[n++] = (byte)'\n';
                if (n > 0) Hvt.Write(buffer, (nuint)n);
            }
        }
    }

    public static unsafe class Environment
    {
        private static ulong s_tscAtBoot;

        internal static void MarkBoot() => s_tscAtBoot = Hvt.Tsc();

        /// <summary>Ends the guest with the given status (0-254; the tender reserves 255 for aborts).</summary>
        [DoesNotReturn]
        public static void Exit(int exitCode)
        {
            if ((uint)exitCode > 254) throw new ArgumentOutOfRangeException(nameof(exitCode), "Exit code must be 0..254 (255 means abort).");
            GcStats.PrintIfRequested();
            Hvt.Exit(exitCode, null);
        }

        [DoesNotReturn]
        public static void FailFast(string? message) => Internal.Runtime.FailFast.Abort(message ?? "Environment.FailFast");

        public static int ProcessorCount => 1;

        public static bool Is64BitProcess => true;

        public static string NewLine => "\n";

        /// <summary>Milliseconds since the guest booted, from the TSC and the frequency the tender measured.</summary>
        public static long TickCount64
        {
            get
            {
                ulong freq = Hvt.BootInfo()->CpuCycleFreq;
                return freq < 1000 ? 0 : (long)((Hvt.Tsc() - s_tscAtBoot) / (freq / 1000));
            }
        }

        public static int TickCount => (int)TickCount64;
    }
}
