using System;
using System.Diagnostics.CodeAnalysis;

namespace GuestBindings
{
    /// <summary>The running unikernel: its arguments, memory, waiting, and how it ends.</summary>
    public static unsafe class Unikernel
    {
        /// <summary>Exit status the tender reports for <see cref="Abort"/> (Solo5's SOLO5_EXIT_ABORT).</summary>
        public const int AbortExitCode = 255;

        /// <summary>The command line the tender passed (the guest arguments joined by spaces).</summary>
        public static string CommandLine
        {
            get
            {
                byte* p = (byte*)Hypercalls.GetBootInfo()->Cmdline;
                if (p == null) return "";
                int n = 0;
                while (p[n] != 0) n++;
                return Utf8.Decode(p, n);
            }
        }

        /// <summary>The arguments, as <c>Main</c> receives them: the command line split at spaces.</summary>
        public static string[] GetArguments() => CommandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        /// <summary>Guest memory size in bytes (the top of the stack).</summary>
        public static ulong MemorySize => Hypercalls.GetBootInfo()->MemSize;

        /// <summary>End of the loaded image: the heap starts here.</summary>
        public static ulong ImageEnd => Hypercalls.GetBootInfo()->KernelEnd;

        /// <summary>Ends the guest with <paramref name="status"/> (0–254) as the tender's exit code.</summary>
        [DoesNotReturn]
        public static void Exit(int status)
        {
            if (status < 0 || status > 254) throw new ArgumentOutOfRangeException(nameof(status), "Exit status must be 0..254 (255 means abort).");
            Environment.Exit(status); // through the core library: its exit-time reports (--gc-stats)
        }

        /// <summary>Ends the guest abnormally: the tender prints <paramref name="message"/> and exits 255.</summary>
        [DoesNotReturn]
        public static void Abort(string message)
        {
            byte* buffer = Utf8.EncodeNullTerminated(message ?? "abort");
            Hypercalls.DoHalt(AbortExitCode, buffer);
        }

        /// <summary>
        /// Waits until <paramref name="deadlineNanoseconds"/> (on <see cref="Clock.MonotonicNanoseconds"/>)
        /// or until a device has input (Solo5's solo5_yield). Returns the set of ready device handles
        /// (bit n = manifest entry n); 0 when the deadline passed.
        /// </summary>
        public static ulong Yield(ulong deadlineNanoseconds)
        {
            ulong now = Clock.MonotonicNanoseconds;
            ulong timeout = deadlineNanoseconds > now ? deadlineNanoseconds - now : 0;
            Hypercalls.DoPoll(timeout, out ulong ready);
            return ready;
        }
    }

    internal static unsafe class Utf8
    {
        internal static string Decode(byte* p, int length)
        {
            char[] chars = new char[length];
            int n = 0;
            for (int i = 0; i < length;)
            {
                int b = p[i];
                int cp, extra;
                if (b < 0x80) { cp = b; extra = 0; }
                else if ((b & 0xE0) == 0xC0) { cp = b & 0x1F; extra = 1; }
                else if ((b & 0xF0) == 0xE0) { cp = b & 0x0F; extra = 2; }
                else { cp = 0xFFFD; extra = 0; }
                bool ok = i + extra < length;
                for (int k = 1; ok && k <= extra; k++)
                {
                    if ((p[i + k] & 0xC0) != 0x80) ok = false;
                    else cp = (cp << 6) | (p[i + k] & 0x3F);
                }
                if (!ok) { cp = 0xFFFD; extra = 0; }
                chars[n++] = (char)cp;
                i += extra + 1;
            }
            return new string(chars, 0, n);
        }

        // Encodes into a fresh buffer (UTF-8, NUL-terminated); returns it and its length without the NUL.
        internal static byte* Encode(ReadOnlySpan<char> s, out int length)
        {
            byte[] buffer = new byte[s.Length * 3 + 1];
            int n = 0;
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if (c < 0x80) buffer[n++] = (byte)c;
                else if (c < 0x800) { buffer[n++] = (byte)(0xC0 | (c >> 6)); buffer[n++] = (byte)(0x80 | (c & 0x3F)); }
                else { buffer[n++] = (byte)(0xE0 | (c >> 12)); buffer[n++] = (byte)(0x80 | ((c >> 6) & 0x3F)); buffer[n++] = (byte)(0x80 | (c & 0x3F)); }
            }
            length = n;
            // The collector never moves objects; the caller's use of the pointer keeps the array alive
            // (the stack is scanned conservatively).
            fixed (byte* p = buffer) return p;
        }

        internal static byte* EncodeNullTerminated(string s) => Encode(s, out _);
    }
}
