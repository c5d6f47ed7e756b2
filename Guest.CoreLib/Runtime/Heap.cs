using System;
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime
{
    // Runtime memory outside the collected heap's objects (Runtime/Gc): caches and buffers the
    // runtime keeps for ever. Allocation failure ends the guest with a clear abort message.
    internal static unsafe class Heap
    {
        // Raw, zeroed memory (8-byte aligned), never freed. Returns null when the heap is exhausted.
        internal static void* TryReserve(nuint size) => GcHeap.AllocateRaw(size);

        internal static void* Reserve(nuint size)
        {
            void* p = TryReserve(size);
            if (p == null) OutOfMemory(size);
            return p;
        }

        // A zeroed object of the type (not an array) in the collected heap.
        internal static byte* AllocateObject(MethodTable* mt) => GcHeap.Allocate(mt, ((nuint)mt->BaseSize + 7) & ~(nuint)7);

        internal static void OutOfMemory(ulong size)
        {
            // Allocation failure (after a full collection): no exception object can be created, so
            // report directly.
            byte* msg = stackalloc byte[160];
            int n = 0;
            n = Put(msg, n, "Out of memory: allocation of ");
            n = PutNumber(msg, n, size);
            n = Put(msg, n, " bytes failed (heap ");
            n = PutNumber(msg, n, GcCollector.BytesInUse);
            n = Put(msg, n, " used, ");
            n = PutNumber(msg, n, (ulong)GcHeap.FreeBlocks << GcHeap.BlockShift);
            n = Put(msg, n, " free)");
            msg[n] = 0;
            FailFast.AbortAscii(msg);
        }

        private static int Put(byte* b, int n, string s)
        {
            for (int i = 0; i < s.Length && n < 150; i++) b[n++] = (byte)s[i];
            return n;
        }

        private static int PutNumber(byte* b, int n, ulong v)
        {
            byte* tmp = stackalloc byte[20];
            int k = 0;
            do { tmp[k++] = (byte)('0' + (int)(v % 10)); v /= 10; } while (v != 0);
            while (k > 0 && n < 150) b[n++] = tmp[--k];
            return n;
        }
    }

}

namespace System.Runtime
{
    using Internal.Runtime;

    // Allocation entry points ilc calls (by symbol name) and the managed allocator behind them.
    internal static unsafe class RuntimeExports
    {
        [RuntimeExport("RhpNewFast")]
        internal static object RhpNewFast(MethodTable* mt)
        {
            return ObjectAt(Heap.AllocateObject(mt));
        }

        [RuntimeExport("RhpNewFinalizable")]
        internal static object RhpNewFinalizable(MethodTable* mt) => RhpNewFast(mt);

        [RuntimeExport("RhNewObject")]
        internal static object RhNewObject(MethodTable* mt) => RhpNewFast(mt);

        [RuntimeExport("RhpNewArrayFast")]
        internal static object RhpNewArrayFast(MethodTable* mt, int length) => AllocateArrayLike(mt, length);

        [RuntimeExport("RhpNewPtrArrayFast")]
        internal static object RhpNewPtrArrayFast(MethodTable* mt, int length) => AllocateArrayLike(mt, length);

        [RuntimeExport("RhpNewArray")]
        internal static object RhpNewArray(MethodTable* mt, int length) => AllocateArrayLike(mt, length);

        [RuntimeExport("RhNewArray")]
        internal static object RhNewArray(MethodTable* mt, int length) => AllocateArrayLike(mt, length);

        [RuntimeExport("RhNewString")]
        internal static object RhNewString(MethodTable* mt, int length) => AllocateArrayLike(mt, length);

        // Reinterprets an address as a reference to the object that starts there.
        internal static object ObjectAt(byte* p)
        {
            nint address = (nint)p;
            return Unsafe.As<nint, object>(ref address);
        }

        // Arrays and strings: base size (header, length, and for strings the terminator) plus elements.
        internal static object AllocateArrayLike(MethodTable* mt, int length)
        {
            if (length < 0) throw new OverflowException();
            ulong size = (mt->BaseSize + (ulong)mt->ComponentSize * (ulong)(uint)length + 7) & ~7UL;
            if (size > (ulong)GcHeap.s_regionEnd - (ulong)GcHeap.s_regionStart && GcHeap.Initialized) Heap.OutOfMemory(size);
            byte* p = GcHeap.Allocate(mt, (nuint)size);
            *(int*)(p + sizeof(IntPtr)) = length;
            return ObjectAt(p);
        }

        [RuntimeExport("RhBox")]
        internal static object RhBox(MethodTable* mt, ref byte data)
        {
            if (mt->IsNullable) FailFast.Abort("Boxing a Nullable<T> is not supported in a guest.");
            object o = RhpNewFast(mt);
            nuint size = mt->BaseSize - (nuint)(2 * sizeof(IntPtr));
            Buffer.Memmove(ref Unsafe.As<RawObject>(o).Data, ref data, size);
            return o;
        }

        [RuntimeExport("RhUnbox2")]
        internal static ref byte RhUnbox2(MethodTable* mt, object obj)
        {
            if (obj is null) ThrowHelper.ThrowNullReferenceException();
            if (obj.GetMethodTable() != mt) throw new InvalidCastException();
            return ref Unsafe.As<RawObject>(obj).Data;
        }

        [RuntimeExport("RhUnboxNullable")]
        internal static void RhUnboxNullable(ref byte data, MethodTable* mt, object? obj)
        {
            FailFast.Abort("Unboxing to a Nullable<T> is not supported in a guest.");
        }
    }
}
