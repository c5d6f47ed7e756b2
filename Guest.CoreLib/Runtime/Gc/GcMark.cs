using System;
using System.Runtime.CompilerServices;

namespace Internal.Runtime
{
    // The mark phase. Roots are found conservatively (any word that points at or into an allocated
    // object keeps it); objects are scanned precisely through the GC descriptor ilc emits in front of
    // every MethodTable that has reference fields:
    //   mt[-8]                    number of series n (a signed word)
    //   n > 0: n pairs {size, offset} below it, highest first: references occupy
    //          [o + offset, o + offset + size + objectSize) (size is stored minus the base size, so
    //          that one series also covers an array's elements).
    //   n < 0: an array of structs: one {offset} word at mt[-16] where the first element's references
    //          start, and -n {nptrs: uint32, skip: uint32} items at mt[-24], mt[-32], ...: nptrs
    //          references then skip bytes, repeated to the end of the array.
    // An explicit mark stack bounds recursion; when it fills, marked objects are rescanned later.
    internal static unsafe class GcMark
    {
        private static byte** s_stack;
        private static nuint s_capacity;
        private static nuint s_top;
        private static bool s_overflowed;

        internal static void SetStack(byte** stack, nuint capacity)
        {
            s_stack = stack;
            s_capacity = capacity;
        }

        internal static void ClearMarks()
        {
            // Only the blocks ever used can hold marks.
            Native.Memset((byte*)GcHeap.s_marks, 0, GcHeap.s_highWater * (GcHeap.BlockSize / 64));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static bool IsMarked(byte* o)
        {
            nuint bit = (nuint)(o - GcHeap.s_base) >> 3;
            return (GcHeap.s_marks[bit >> 6] & (1UL << (int)(bit & 63))) != 0;
        }

        // Sets the mark; true if it was not set before.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool SetMark(byte* o)
        {
            nuint bit = (nuint)(o - GcHeap.s_base) >> 3;
            ulong* word = GcHeap.s_marks + (bit >> 6);
            ulong mask = 1UL << (int)(bit & 63);
            if ((*word & mask) != 0) return false;
            *word |= mask;
            return true;
        }

        // Every 8-byte-aligned word in [start, end) is a potential reference.
        internal static void ScanRangeConservatively(byte* start, byte* end)
        {
            nuint* p = (nuint*)(((nuint)start + 7) & ~(nuint)7);
            nuint* stop = (nuint*)((nuint)end & ~(nuint)7);
            nuint low = (nuint)GcHeap.s_base;
            nuint span = GcHeap.s_blockCount << GcHeap.BlockShift;
            for (; p < stop; p++)
            {
                nuint w = *p;
                if (w - low >= span) continue;
                byte* o = GcHeap.FindObject(w);
                if (o != null) MarkObject(o);
            }
            Drain();
        }

        // The frozen objects ilc laid out one after another, each behind its 8-byte header: their
        // reference fields (a program may store heap objects into a preinitialised array or static).
        internal static void ScanFrozenObjects(byte* start, byte* end, byte* imageStart, byte* imageEnd)
        {
            byte* p = (byte*)(((nuint)start + 7) & ~(nuint)7);
            while (p + 16 <= end)
            {
                byte* o = p + 8;
                MethodTable* mt = *(MethodTable**)o;
                if (mt == null) { p += 8; continue; } // alignment padding
                // Not a type in the image: a layout this walk does not know; the rest word by word.
                if ((byte*)mt < imageStart || (byte*)mt >= imageEnd) { ScanRangeConservatively(p, end); return; }
                if (mt->HasGCPointers) { ScanObject(o); Drain(); }
                p += GcHeap.ObjectSize(o);
            }
        }

        // A reference from a heap object's reference field: null, an object in the heap (its start), or
        // a frozen object in the image (never collected, and never referring to heap objects).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void MarkReference(byte* r)
        {
            if ((nuint)(r - GcHeap.s_base) >= GcHeap.s_blockCount << GcHeap.BlockShift) return;
            MarkObject(r);
        }

        private static void MarkObject(byte* o)
        {
            if (!SetMark(o)) return;
            MethodTable* mt = *(MethodTable**)o;
            if (!mt->HasGCPointers) return;
            if (s_top == s_capacity) { s_overflowed = true; return; }
            s_stack[s_top++] = o;
        }

        private static void Drain()
        {
            while (s_top > 0) ScanObject(s_stack[--s_top]);
        }

        // After the roots: while the stack has overflowed, rescan every marked object (whose children
        // may have been dropped) until a pass completes without overflowing.
        internal static void Finish()
        {
            Drain();
            while (s_overflowed)
            {
                s_overflowed = false;
                for (nuint i = 0; i < GcHeap.s_blockCount; i++)
                {
                    GcHeap.Block* info = GcHeap.s_blocks + i;
                    byte* b = GcHeap.BlockAddress(i);
                    if (info->Kind == GcHeap.KindSmall)
                    {
                        for (uint k = 0; k < info->Count; k++)
                        {
                            byte* cell = b + k * info->CellSize;
                            if (*(nuint*)cell != 0 && IsMarked(cell)) { ScanObject(cell); Drain(); }
                        }
                    }
                    else if (info->Kind == GcHeap.KindLarge && IsMarked(b))
                    {
                        ScanObject(b);
                        Drain();
                    }
                }
            }
        }

        private static void ScanObject(byte* o)
        {
            MethodTable* mt = *(MethodTable**)o;
            if (!mt->HasGCPointers) return; // no descriptor in front of its MethodTable
            nint size = (nint)mt->BaseSize;
            if (mt->HasComponentSize) size += (nint)((nuint)mt->ComponentSize * *(uint*)(o + 8));
            nint* header = (nint*)mt - 1;
            nint series = *header;
            if (series > 0)
            {
                nint* s = header - 2; // {size, offset} of the highest series
                for (nint i = 0; i < series; i++, s -= 2)
                {
                    byte** p = (byte**)(o + s[1]);
                    byte** stop = (byte**)((byte*)p + s[0] + size);
                    for (; p < stop; p++) MarkReference(*p);
                }
            }
            else if (series < 0)
            {
                byte* items = (byte*)(header - 2); // item 0; item i at items - 8 * i
                byte** p = (byte**)(o + *(header - 1));
                byte** stop = (byte**)(o + size - 8);
                while (p < stop)
                {
                    for (nint i = 0; i > series; i--)
                    {
                        uint* item = (uint*)(items + 8 * i);
                        byte** run = p + item[0];
                        for (; p < run; p++) MarkReference(*p);
                        p = (byte**)((byte*)p + item[1]);
                    }
                }
            }
        }
    }
}
