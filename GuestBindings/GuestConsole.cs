using System;

namespace GuestBindings
{
    /// <summary>Console output through the tender (the PUTS hypercall): UTF-8, unbuffered.</summary>
    /// <remarks>Writing allocates nothing: text is encoded into a fixed buffer and written in pieces.</remarks>
    public static unsafe class GuestConsole
    {
        private const int ChunkBytes = 1024;
        private static byte[]? s_chunk;

        public static void Write(string? text) => WriteCore(text.AsSpan(), newline: false);

        public static void Write(ReadOnlySpan<char> text) => WriteCore(text, newline: false);

        public static void WriteLine(string? text) => WriteCore(text.AsSpan(), newline: true);

        public static void WriteLine() => WriteCore(default, newline: true);

        // One PUTS (one exit) per line when the line fits in the buffer.
        private static void WriteCore(ReadOnlySpan<char> text, bool newline)
        {
            byte[] chunk = s_chunk ??= new byte[ChunkBytes];
            fixed (byte* buffer = chunk)
            {
                int n = 0;
                for (int i = 0; i < text.Length; i++)
                {
                    // Room for the longest encoding (4 bytes) plus the newline.
                    if (n > ChunkBytes - 5)
                    {
                        Hypercalls.Write(buffer, (ulong)n);
                        n = 0;
                    }
                    int c = text[i];
                    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.Length && text[i + 1] >= 0xDC00 && text[i + 1] <= 0xDFFF)
                    {
                        c = 0x10000 + ((c - 0xD800) << 10) + (text[i + 1] - 0xDC00);
                        i++;
                    }
                    else if (c >= 0xD800 && c <= 0xDFFF)
                    {
                        c = 0xFFFD; // lone surrogate
                    }
                    if (c < 0x80) buffer[n++] = (byte)c;
                    else if (c < 0x800) { buffer[n++] = (byte)(0xC0 | (c >> 6)); buffer[n++] = (byte)(0x80 | (c & 0x3F)); }
                    else if (c < 0x10000) { buffer[n++] = (byte)(0xE0 | (c >> 12)); buffer[n++] = (byte)(0x80 | ((c >> 6) & 0x3F)); buffer[n++] = (byte)(0x80 | (c & 0x3F)); }
                    else { buffer[n++] = (byte)(0xF0 | (c >> 18)); buffer[n++] = (byte)(0x80 | ((c >> 12) & 0x3F)); buffer[n++] = (byte)(0x80 | ((c >> 6) & 0x3F)); buffer[n++] = (byte)(0x80 | (c & 0x3F)); }
                }
                if (newline) buffer[n++] = (byte)'\n';
                if (n > 0) Hypercalls.Write(buffer, (ulong)n);
            }
        }

        /// <summary>Writes raw bytes as they are.</summary>
        public static void Write(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length == 0) return;
            fixed (byte* p = bytes) Hypercalls.Write(p, (ulong)bytes.Length);
        }
    }
}
