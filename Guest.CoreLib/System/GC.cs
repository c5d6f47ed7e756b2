using Internal.Runtime;

namespace System
{
    // The guest heap's counters under .NET's names. The heap is a bump allocator that never frees
    // (Runtime/Heap.cs), so bytes allocated = bytes in use, on the one thread there is. Guests and
    // tests read these to show that a steady-state loop allocates nothing.
    public static class GC
    {
        public static long GetAllocatedBytesForCurrentThread() => (long)Heap.Used;

        public static long GetTotalAllocatedBytes(bool precise = false) => (long)Heap.Used;

        // Nothing is ever collected, so forcing a collection changes nothing.
        public static long GetTotalMemory(bool forceFullCollection) => (long)Heap.Used;
    }
}
