using System.Runtime.CompilerServices;
using Internal.Runtime;

namespace System
{
    // The collector (Runtime/Gc) under .NET's names. Every collection is full (there are no
    // generations), so each counts for generations 0, 1 and 2 alike, as a gen-2 collection does in .NET.
    // Finalizers never run: SuppressFinalize has nothing to suppress.
    public static class GC
    {
        // Bytes allocated since boot (not bytes in use): what .NET's counters mean. Guests and tests
        // read the difference across a loop to show that it allocates nothing.
        public static long GetAllocatedBytesForCurrentThread() => (long)GcHeap.s_allocatedTotal;

        public static long GetTotalAllocatedBytes(bool precise = false) => (long)GcHeap.s_allocatedTotal;

        // Bytes of objects in use; with forceFullCollection, after a collection.
        public static long GetTotalMemory(bool forceFullCollection)
        {
            if (forceFullCollection) GcCollector.Collect(GcCollector.ReasonInduced);
            return (long)GcCollector.BytesInUse;
        }

        public static void Collect() => GcCollector.Collect(GcCollector.ReasonInduced);

        public static void Collect(int generation)
        {
            if (generation < 0) throw new ArgumentOutOfRangeException(nameof(generation));
            GcCollector.Collect(GcCollector.ReasonInduced);
        }

        public static int CollectionCount(int generation)
        {
            if (generation < 0) throw new ArgumentOutOfRangeException(nameof(generation));
            return generation <= MaxGeneration ? GcCollector.s_count : 0;
        }

        public static int MaxGeneration => 2;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void KeepAlive(object? obj) { }

        public static void SuppressFinalize(object obj)
        {
            if (obj is null) throw new ArgumentNullException(nameof(obj));
        }
    }
}
