using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Internal.Runtime
{
    // The few hypercalls the core library itself needs: console output for fail-fast reports and HALT.
    // GuestBindings offers the full set to programs.
    internal static unsafe class Hvt
    {
        [DllImport("*", EntryPoint = "tender_hypercall")]
        [SuppressGCTransition]
        internal static extern void Hypercall(uint port, uint argument);

        [DllImport("*", EntryPoint = "tender_boot_info")]
        [SuppressGCTransition]
        internal static extern Solo5.HvtAbi.BootInfo* BootInfo();

        [DllImport("*", EntryPoint = "tender_stack_size")]
        [SuppressGCTransition]
        internal static extern ulong StackSize();

        [DllImport("*", EntryPoint = "tender_rdtsc")]
        [SuppressGCTransition]
        internal static extern ulong Tsc();

        [DllImport("*", EntryPoint = "tender_mfence")]
        [SuppressGCTransition]
        internal static extern void MemoryFence();

        // Argument structs live in the image (below 4 GiB, as the ABI requires) and never on the stack,
        // which sits at the top of guest memory.
        private static Solo5.HvtAbi.PutsArgs s_puts;
        private static Solo5.HvtAbi.HaltArgs s_halt;

        internal static void Write(byte* data, nuint length)
        {
            fixed (Solo5.HvtAbi.PutsArgs* a = &s_puts)
            {
                a->Data = (ulong)data;
                a->Length = length;
                Hypercall(Solo5.HvtAbi.PortBase + Solo5.HvtAbi.Puts, (uint)(ulong)a);
            }
        }

        [DoesNotReturn]
        internal static void Exit(int status, byte* cookie)
        {
            fixed (Solo5.HvtAbi.HaltArgs* a = &s_halt)
            {
                a->Cookie = (ulong)cookie;
                a->Status = status;
                Hypercall(Solo5.HvtAbi.PortBase + Solo5.HvtAbi.Halt, (uint)(ulong)a);
            }
            while (true) { }
        }
    }

    // Fail-fast: format a report into a static buffer (no allocation: it also serves out-of-memory)
    // and HALT with the buffer as the abort cookie; the tender prints it and exits 255.
    internal static unsafe class FailFast
    {
        private const int Capacity = 2048;

        // In the image's bss, not the heap: the report must work when the heap is exhausted.
        private struct MessageBuffer
        {
            internal fixed byte Bytes[Capacity];
        }

        private static MessageBuffer s_message;
        private static byte* s_buffer;
        private static int s_length;
        private static bool s_inProgress;

        private static void Reset()
        {
            // Statics never move (no GC), so the address stays valid after the fixed block.
            if (s_buffer == null) fixed (byte* p = s_message.Bytes) s_buffer = p;
            s_length = 0;
        }

        internal static void Append(string? s)
        {
            if (s is null) return;
            for (int i = 0; i < s.Length; i++) AppendChar(s[i]);
        }

        internal static void AppendAscii(byte* s)
        {
            for (; *s != 0; s++) AppendByte(*s);
        }

        internal static void AppendChar(char c)
        {
            if (c < 0x80) { AppendByte((byte)c); }
            else if (c < 0x800) { AppendByte((byte)(0xC0 | (c >> 6))); AppendByte((byte)(0x80 | (c & 0x3F))); }
            else { AppendByte((byte)(0xE0 | (c >> 12))); AppendByte((byte)(0x80 | ((c >> 6) & 0x3F))); AppendByte((byte)(0x80 | (c & 0x3F))); }
        }

        private static void AppendByte(byte b)
        {
            if (s_length < Capacity - 1) s_buffer[s_length++] = b;
        }

        internal static void AppendHex(ulong v)
        {
            AppendByte((byte)'0'); AppendByte((byte)'x');
            for (int shift = 60; shift >= 0; shift -= 4)
            {
                int d = (int)((v >> shift) & 0xF);
                AppendByte((byte)(d < 10 ? '0' + d : 'a' + d - 10));
            }
        }

        [DoesNotReturn]
        internal static void Abort(string message)
        {
            Reset();
            Append(message);
            Finish();
        }

        [DoesNotReturn]
        internal static void AbortAscii(byte* message)
        {
            Reset();
            AppendAscii(message);
            Finish();
        }

        [DoesNotReturn]
        internal static void Finish()
        {
            s_buffer[s_length] = 0;
            Hvt.Exit(255, s_buffer);
        }

        // Every managed exception ends the guest: there is no unwinder, so catch and finally blocks do not
        // run. The report names the exception type, its message and the address of the throwing code.
        [DoesNotReturn]
        internal static void UnhandledException(object? exception, ulong rip)
        {
            if (s_inProgress)
            {
                // The report itself threw (e.g. a Message override): give the bare facts.
                Reset();
                Append("Unhandled exception while reporting an unhandled exception at RIP ");
                AppendHex(rip);
                Finish();
            }
            s_inProgress = true;
            string? message = null;
            string name = TypeNames.Describe(exception);
            if (exception is Exception e) message = e.Message;
            Reset();
            Append("Unhandled exception: ");
            Append(name);
            if (message is not null)
            {
                Append(": ");
                Append(message);
            }
            Append(" (thrown at RIP ");
            AppendHex(rip);
            Append(")");
            Finish();
        }
    }

    internal static unsafe partial class TypeNames
    {
        [DllImport("*", EntryPoint = "tender_typenames")]
        [SuppressGCTransition]
        private static extern TableEntry* Table(TableEntry** end);

        private struct TableEntry
        {
            internal MethodTable* Type;
            internal byte* Name;
        }

        // Without reflection metadata the guest knows the .NET names of the core library's own types;
        // other types are named from the table the build adds to the image (ilc's symbol names,
        // "<assembly>_<namespace>_<type>"), with their nearest core-library base type.
        internal static string Describe(object? o)
        {
            if (o is null) return "null";
            MethodTable* mt = o.GetMethodTable();
            string? known = KnownName(mt);
            if (known is not null) return known;
            string name = SymbolName(mt) ?? "(type at " + ((ulong)mt).ToString("x") + ")";
            for (MethodTable* b = mt->IsArray ? null : mt->RelatedType; b != null; b = b->RelatedType)
            {
                known = KnownName(b);
                if (known is not null) return name + " (derived from " + known + ")";
            }
            return name;
        }

        // The name object.ToString() gives: the .NET name of a core-library type, else the symbol name.
        internal static string Name(object o)
        {
            MethodTable* mt = o.GetMethodTable();
            return KnownName(mt) ?? SymbolName(mt) ?? "(type at " + ((ulong)mt).ToString("x") + ")";
        }

        private static string? SymbolName(MethodTable* mt)
        {
            TableEntry* end;
            for (TableEntry* e = Table(&end); e < end; e++)
            {
                if (e->Type != mt) continue;
                int n = 0;
                while (e->Name[n] != 0) n++;
                return Utf8.ToString(e->Name, n);
            }
            return null;
        }
    }
}
