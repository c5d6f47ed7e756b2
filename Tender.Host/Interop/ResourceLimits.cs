using System.Runtime.InteropServices;

namespace Tender.Host.Interop;

/// <summary>Resource limits of another process (prlimit), so the sandbox's limits need no system call injected into it.</summary>
internal static unsafe partial class LibC
{
    public const int RLIMIT_FSIZE = 1;
    public const int RLIMIT_CORE = 4;
    public const int RLIMIT_NPROC = 6;
    public const int RLIMIT_NOFILE = 7;
    public const int RLIMIT_MEMLOCK = 8;
    public const int RLIMIT_MSGQUEUE = 12;

    /// <summary><c>struct rlimit</c>: soft and hard limit.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport(Lib, EntryPoint = "prlimit", SetLastError = true)]
    public static partial int PrLimit(int pid, int resource, RLimit* newLimit, RLimit* oldLimit);
}
