using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime;
using System.Runtime.CompilerServices;
using Internal.Runtime;

namespace System.Runtime
{
    // Exports a managed method under a fixed symbol name, for ilc's helper calls and the boot stub.
    [AttributeUsage(AttributeTargets.Method, Inherited = false)]
    internal sealed class RuntimeExportAttribute : Attribute
    {
        public RuntimeExportAttribute(string entry) { }
    }

    [AttributeUsage(AttributeTargets.Method, Inherited = false)]
    internal sealed class RuntimeImportAttribute : Attribute
    {
        public RuntimeImportAttribute(string entry) { }
        public RuntimeImportAttribute(string lib, string entry) { }
    }
}

namespace System.Runtime.CompilerServices
{
    // ilc passes the address of one of these (in the image) for each type with a static constructor.
    internal struct StaticClassConstructionContext
    {
        internal volatile IntPtr cctorMethodAddress;
    }

    [AttributeUsage(AttributeTargets.Class)]
    internal sealed class EagerStaticClassConstructionAttribute : Attribute { }

    // Runs static constructors on first access. One thread, so no locking; a constructor re-entered
    // while it runs sees the partially initialised type, as in .NET for a recursive access.
    internal static unsafe class ClassConstructorRunner
    {
        private static object CheckStaticClassConstructionReturnGCStaticBase(StaticClassConstructionContext* context, object gcStaticBase)
        {
            EnsureClassConstructorRun(context);
            return gcStaticBase;
        }

        private static IntPtr CheckStaticClassConstructionReturnNonGCStaticBase(StaticClassConstructionContext* context, IntPtr nonGcStaticBase)
        {
            EnsureClassConstructorRun(context);
            return nonGcStaticBase;
        }

        private static object CheckStaticClassConstructionReturnThreadStaticBase(StaticClassConstructionContext* context, object threadStaticBase)
        {
            EnsureClassConstructorRun(context);
            return threadStaticBase;
        }

        internal static void EnsureClassConstructorRun(StaticClassConstructionContext* context)
        {
            IntPtr cctor = context->cctorMethodAddress;
            if (cctor == IntPtr.Zero || cctor == (IntPtr)1) return;
            if (cctor == (IntPtr)FailedCctors.Failed) FailedCctors.Throw(context);
            context->cctorMethodAddress = (IntPtr)1;
            try
            {
                ((delegate*<void>)cctor)();
            }
            catch (Exception e)
            {
                // As in .NET: the type stays unusable, every later access throws again.
                FailedCctors.Record(context, e);
                context->cctorMethodAddress = (IntPtr)FailedCctors.Failed;
                FailedCctors.Throw(context);
            }
            context->cctorMethodAddress = IntPtr.Zero;
        }
    }
}

namespace Internal.Runtime.CompilerHelpers
{
    // Targets of the compiler's implicit checks (range, overflow, null, division).
    internal static class ThrowHelpers
    {
        [DoesNotReturn] private static void ThrowOverflowException() => throw new OverflowException();
        [DoesNotReturn] private static void ThrowIndexOutOfRangeException() => throw new IndexOutOfRangeException();
        [DoesNotReturn] private static void ThrowNullReferenceException() => throw new NullReferenceException();
        [DoesNotReturn] private static void ThrowDivideByZeroException() => throw new DivideByZeroException();
        [DoesNotReturn] private static void ThrowArrayTypeMismatchException() => throw new ArrayTypeMismatchException();
        [DoesNotReturn] private static void ThrowPlatformNotSupportedException() => throw new PlatformNotSupportedException();
        [DoesNotReturn] private static void ThrowNotImplementedException() => throw new NotImplementedException();
        [DoesNotReturn] private static void ThrowNotSupportedException() => throw new NotSupportedException();
        [DoesNotReturn] private static void ThrowArgumentException() => throw new ArgumentException();
        [DoesNotReturn] private static void ThrowArgumentOutOfRangeException() => throw new ArgumentOutOfRangeException();
        [DoesNotReturn] private static void ThrowInvalidProgramException() => throw new InvalidProgramException();
        [DoesNotReturn] private static void ThrowFeatureBodyRemoved() => FailFast.Abort("A method removed by the compiler (feature switch) was called.");
        [DoesNotReturn] private static void ThrowBodyRemoved() => FailFast.Abort("A method removed by the compiler was called.");
        [DoesNotReturn] private static void ThrowInstanceBodyRemoved() => FailFast.Abort("A method removed by the compiler was called.");
        [DoesNotReturn] private static void ThrowUnavailableType() => FailFast.Abort("A type unavailable to the compiler was used.");
    }

    // Process start-up hooks ilc's generated entry point (__managed__Main) calls.
    internal static unsafe class StartupCodeHelpers
    {
        private static string[]? s_args;

        // The boot stub passes argc = 0 and argv = the hvt boot info; the guest's arguments are the
        // tender's command line, split at spaces.
        private static void InitializeCommandLineArgs(int argc, IntPtr argv)
        {
            GuestStartup.Initialize();
            Internal.Runtime.Exceptions.HardwareFaults.Arm();
            Solo5.HvtAbi.BootInfo* bi = Hvt.BootInfo();
            s_args = SplitCommandLine((byte*)bi->Cmdline);
        }

        private static string[] GetMainMethodArguments() => s_args ?? new string[0];

        internal static string[] SplitCommandLine(byte* cmdline)
        {
            if (cmdline == null) return new string[0];
            int count = 0;
            for (int i = 0; cmdline[i] != 0;)
            {
                while (cmdline[i] == (byte)' ') i++;
                if (cmdline[i] == 0) break;
                int start = i;
                while (cmdline[i] != 0 && cmdline[i] != (byte)' ') i++;
                if (IsGcStatsArgument(cmdline + start, i - start)) GcStats.s_requested = true;
                else count++;
            }
            string[] args = new string[count];
            int n = 0;
            for (int i = 0; cmdline[i] != 0;)
            {
                while (cmdline[i] == (byte)' ') i++;
                if (cmdline[i] == 0) break;
                int start = i;
                while (cmdline[i] != 0 && cmdline[i] != (byte)' ') i++;
                if (IsGcStatsArgument(cmdline + start, i - start)) continue;
                args[n++] = Utf8.ToString(cmdline + start, i - start);
            }
            return args;
        }

        // `--gc-stats` is the core library's own argument (Runtime/Gc/GcStats.cs), not the program's.
        private static bool IsGcStatsArgument(byte* word, int length)
        {
            string name = GcStats.Argument;
            if (length != name.Length) return false;
            for (int k = 0; k < length; k++)
                if (word[k] != (byte)name[k]) return false;
            return true;
        }
    }
}

namespace Internal.Runtime
{
    internal static unsafe class Utf8
    {
        // Decodes UTF-8 (invalid sequences become U+FFFD).
        internal static string ToString(byte* p, int length)
        {
            // A collected scratch array: at most one UTF-16 unit per input byte (+1 for a surrogate pair).
            char[] scratch = new char[length + 1];
            fixed (char* buf = scratch)
            {
                int n = 0;
                for (int i = 0; i < length;)
                {
                    int b = p[i];
                    int cp, extra;
                    if (b < 0x80) { cp = b; extra = 0; }
                    else if ((b & 0xE0) == 0xC0) { cp = b & 0x1F; extra = 1; }
                    else if ((b & 0xF0) == 0xE0) { cp = b & 0x0F; extra = 2; }
                    else if ((b & 0xF8) == 0xF0) { cp = b & 0x07; extra = 3; }
                    else { buf[n++] = '\uFFFD'; i++; continue; }
                    bool ok = true;
                    for (int k = 1; k <= extra; k++)
                    {
                        if (i + k >= length || (p[i + k] & 0xC0) != 0x80) { ok = false; break; }
                        cp = (cp << 6) | (p[i + k] & 0x3F);
                    }
                    if (!ok) { buf[n++] = '\uFFFD'; i++; continue; }
                    i += extra + 1;
                    if (cp >= 0x10000)
                    {
                        cp -= 0x10000;
                        buf[n++] = (char)(0xD800 + (cp >> 10));
                        buf[n++] = (char)(0xDC00 + (cp & 0x3FF));
                    }
                    else buf[n++] = (char)cp;
                }
                return new string(buf, 0, n);
            }
        }
    }
}

namespace System
{
    internal static class ThrowHelper
    {
        [DoesNotReturn] internal static void ThrowIndexOutOfRangeException() => throw new IndexOutOfRangeException();
        [DoesNotReturn] internal static void ThrowArgumentOutOfRangeException() => throw new ArgumentOutOfRangeException();
        [DoesNotReturn] internal static void ThrowArgumentException(string message) => throw new ArgumentException(message);
        [DoesNotReturn] internal static void ThrowInvalidOperationException(string message) => throw new InvalidOperationException(message);
        [DoesNotReturn] internal static void ThrowOverflowException() => throw new OverflowException();
        [DoesNotReturn] internal static void ThrowNullReferenceException() => throw new NullReferenceException();
    }

    public static class Buffer
    {
        public static unsafe void MemoryCopy(void* source, void* destination, long destinationSizeInBytes, long sourceBytesToCopy)
        {
            if (sourceBytesToCopy > destinationSizeInBytes) throw new ArgumentOutOfRangeException(nameof(sourceBytesToCopy));
            Memmove(ref *(byte*)destination, ref *(byte*)source, (nuint)sourceBytesToCopy);
        }

        public static void BlockCopy(Array src, int srcOffset, Array dst, int dstOffset, int count)
        {
            if (src is null) throw new ArgumentNullException(nameof(src));
            if (dst is null) throw new ArgumentNullException(nameof(dst));
            unsafe
            {
                if (!src.GetMethodTable()->ArrayElementType->IsValueType || !dst.GetMethodTable()->ArrayElementType->IsValueType)
                    throw new ArgumentException("Object must be an array of primitives.");
                ulong srcLen = (ulong)src.Length * src.GetMethodTable()->ComponentSize;
                ulong dstLen = (ulong)dst.Length * dst.GetMethodTable()->ComponentSize;
                if (srcOffset < 0 || dstOffset < 0 || count < 0 || (ulong)srcOffset + (ulong)count > srcLen || (ulong)dstOffset + (ulong)count > dstLen)
                    throw new ArgumentOutOfRangeException(nameof(count));
            }
            Memmove(ref Unsafe.AddByteOffset(ref dst.RawData, (nuint)dstOffset), ref Unsafe.AddByteOffset(ref src.RawData, (nuint)srcOffset), (nuint)count);
        }

        internal static unsafe void Memmove(ref byte destination, ref byte source, nuint len)
        {
            fixed (byte* d = &destination, s = &source)
                Native.Memmove(d, s, len);
        }

        internal static unsafe void Memmove<T>(ref T destination, ref T source, nuint elementCount)
        {
            Memmove(ref Unsafe.As<T, byte>(ref destination), ref Unsafe.As<T, byte>(ref source), elementCount * (nuint)Unsafe.SizeOf<T>());
        }

        // The collector has no generations or card tables, so no write barrier bookkeeping: a plain move.
        internal static void BulkMoveWithWriteBarrier(ref byte destination, ref byte source, nuint byteCount) =>
            Memmove(ref destination, ref source, byteCount);
    }

    internal static unsafe class SpanHelpers
    {
        internal static void Memmove(ref byte dest, ref byte src, nuint len) => Buffer.Memmove(ref dest, ref src, len);

        internal static void ClearWithoutReferences(ref byte b, nuint byteLength)
        {
            fixed (byte* p = &b) Native.Memset(p, 0, byteLength);
        }

        internal static void ClearWithReferences(ref nint ip, nuint pointerSizeLength)
        {
            fixed (nint* p = &ip) Native.Memset((byte*)p, 0, pointerSizeLength * (nuint)sizeof(nint));
        }

        internal static void Fill(ref byte dest, byte value, nuint len)
        {
            fixed (byte* p = &dest) Native.Memset(p, value, len);
        }

        internal static void Fill<T>(ref T refData, nuint numElements, T value)
        {
            for (nuint i = 0; i < numElements; i++) Unsafe.Add(ref refData, i) = value;
        }

        internal static bool SequenceEqual(ref byte first, ref byte second, nuint length)
        {
            fixed (byte* a = &first, b = &second)
            {
                nuint i = 0;
                for (; i + 8 <= length; i += 8)
                    if (*(ulong*)(a + i) != *(ulong*)(b + i)) return false;
                for (; i < length; i++)
                    if (a[i] != b[i]) return false;
                return true;
            }
        }
    }
}

namespace Internal.Runtime
{
    // memmove/memset from the boot stub (rep movsb/stosb).
    internal static unsafe class Native
    {
        [System.Runtime.InteropServices.DllImport("*", EntryPoint = "memmove")]
        [System.Runtime.InteropServices.SuppressGCTransition]
        internal static extern void* Memmove(void* dest, void* src, nuint len);

        [System.Runtime.InteropServices.DllImport("*", EntryPoint = "memset")]
        [System.Runtime.InteropServices.SuppressGCTransition]
        internal static extern void* Memset(void* dest, int value, nuint len);
    }

    // The boot stub's RhpFallbackFailFast (`throw` itself: Runtime/ExceptionHandling, Guest.Build/eh.S).
    internal static unsafe class ExceptionHandling
    {
        [RuntimeExport("GuestRuntime_FailFast")]
        private static void FallbackFailFast(ulong rip)
        {
            FailFast.Abort("Fail-fast requested by compiled code at RIP " + rip.ToString("x"));
        }
    }
}

namespace Internal.Runtime.CompilerHelpers
{
    // Targets of `ldtoken`. Handles are the compiler's own data pointers; the guest has no reflection
    // to interpret them further.
    internal static class LdTokenHelpers
    {
        private static RuntimeTypeHandle GetRuntimeTypeHandle(IntPtr pEEType) => new RuntimeTypeHandle { _value = pEEType };
        private static RuntimeMethodHandle GetRuntimeMethodHandle(IntPtr pHandleSignature) => new RuntimeMethodHandle { _value = pHandleSignature };
        private static RuntimeFieldHandle GetRuntimeFieldHandle(IntPtr pHandleSignature) => new RuntimeFieldHandle { _value = pHandleSignature };
        private static Type GetRuntimeType(IntPtr pEEType)
        {
            FailFast.Abort("typeof/GetType() needs reflection, which guests do not have.");
            return null!;
        }
    }
}
