using System;
using System.Runtime;
using System.Runtime.InteropServices;

namespace Internal.Runtime
{
    // A full, stop-the-world, non-moving mark-sweep collection. It runs inside an allocation that
    // found its budget used or no memory left, or on GC.Collect. The boot stub's helper first pushes
    // the callee-saved registers, so that a reference held only in a register of some caller is on
    // the stack too; then the roots are scanned conservatively: the stack from there up to its top,
    // and the image's writable data (GC static bases, the thread-static block in the TLS area, frozen
    // objects ilc preinitialised and a program may have stored references into, runtime pointers).
    internal static unsafe class GcCollector
    {
        internal const int ReasonBudget = 0;
        internal const int ReasonLowMemory = 1;
        internal const int ReasonInduced = 2;

        private const ulong MinBudget = 4 * 1024 * 1024;

        [DllImport("*", EntryPoint = "tender_gc_collect_with_registers_spilled")]
        [SuppressGCTransition]
        private static extern void CollectWithRegistersSpilled();

        [DllImport("*", EntryPoint = "tender_gc_data_range")]
        [SuppressGCTransition]
        private static extern byte* DataRange(byte** end);

        [DllImport("*", EntryPoint = "tender_gc_stack_top")]
        [SuppressGCTransition]
        private static extern byte* StackTop();

        private static ulong s_budget;
        private static bool s_collecting;
        internal static int s_count;
        internal static ulong s_pauseTotalTicks;
        internal static ulong s_pauseMaxTicks;

        internal static ulong Budget => s_budget;

        internal static void ResetBudget()
        {
            ulong capacity = (ulong)GcHeap.s_blockCount << GcHeap.BlockShift;
            s_budget = MinBudget < capacity / 8 ? MinBudget : capacity / 8;
            if (s_budget < GcHeap.BlockSize) s_budget = GcHeap.BlockSize;
        }

        internal static void Collect(int reason)
        {
            if (!GcHeap.Initialized) GcHeap.Initialize();
            if (s_collecting) FailFast.Abort("GC: allocation during a collection");
            s_collecting = true;
            ulong start = Hvt.Tsc();
            CollectWithRegistersSpilled();
            ulong ticks = Hvt.Tsc() - start;
            s_count++;
            s_pauseTotalTicks += ticks;
            if (ticks > s_pauseMaxTicks) s_pauseMaxTicks = ticks;
            GcHeap.s_allocatedAtCollection = GcHeap.s_allocatedTotal;
            ResetBudget();
            if (GcSweep.s_liveBytes > s_budget) s_budget = GcSweep.s_liveBytes;
            s_collecting = false;
        }

        // Called by the boot stub with RSP just below the spilled callee-saved registers.
        [RuntimeExport("GuestGc_CollectFrom")]
        private static void CollectFrom(byte* stackPointer)
        {
            GcMark.ClearMarks();
            GcMark.ScanRangeConservatively(stackPointer, StackTop());
            byte* dataEnd;
            byte* dataStart = DataRange(&dataEnd);
            byte* frozenStart = GuestStartup.s_frozenStart;
            byte* frozenEnd = GuestStartup.s_frozenEnd;
            if (frozenStart >= dataStart && frozenEnd <= dataEnd && frozenStart < frozenEnd)
            {
                GcMark.ScanRangeConservatively(dataStart, frozenStart);
                GcMark.ScanFrozenObjects(frozenStart, frozenEnd, (byte*)0x100000, (byte*)Hvt.BootInfo()->KernelEnd);
                GcMark.ScanRangeConservatively(frozenEnd, dataEnd);
            }
            else GcMark.ScanRangeConservatively(dataStart, dataEnd);
            GcMark.Finish();
            GcSweep.Sweep();
        }

        // Bytes of objects in use: what survived the last collection plus what was allocated since.
        internal static ulong BytesInUse => GcSweep.s_liveBytes + (GcHeap.s_allocatedTotal - GcHeap.s_allocatedAtCollection);
    }
}
