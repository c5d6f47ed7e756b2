using System.Runtime.InteropServices;

namespace Tender.Host.Interop;

/// <summary>CPU affinity: the process platform can put its tracer thread and the traced child on one CPU, where a trap's round trip needs no cross-CPU wake-up.</summary>
internal static unsafe partial class LibC
{
    /// <summary>The CPU the calling thread runs on now.</summary>
    [LibraryImport(Lib, EntryPoint = "sched_getcpu", SetLastError = true)]
    public static partial int SchedGetCpu();

    /// <summary>pid 0 is the calling thread; a mask of maskSize bytes, one bit per CPU.</summary>
    [LibraryImport(Lib, EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static partial int SchedSetAffinity(int pid, nuint maskSize, ulong* mask);
}
