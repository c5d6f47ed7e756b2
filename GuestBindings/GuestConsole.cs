using System;

namespace GuestBindings
{
    /// <summary>Console output through the tender (the PUTS hypercall): UTF-8, unbuffered.</summary>
    public static unsafe class GuestConsole
    {
        public static void Write(string? text)
        {
            if (string.IsNullOrEmpty(text)) return;
            byte* p = Utf8.Encode(text, out int n);
            Hypercalls.Write(p, (ulong)n);
        }

        public static void WriteLine(string? text)
        {
            Write(text);
            Write("\n");
        }

        public static void WriteLine() => Write("\n");

        /// <summary>Writes raw bytes as they are.</summary>
        public static void Write(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length == 0) return;
            fixed (byte* p = bytes) Hypercalls.Write(p, (ulong)bytes.Length);
        }
    }
}
