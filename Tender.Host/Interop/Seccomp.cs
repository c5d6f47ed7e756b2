using System.Runtime.InteropServices;

namespace Tender.Host.Interop;

/// <summary>prctl, seccomp and capabilities: what the tender needs to sandbox itself.</summary>
internal static unsafe partial class LibC
{
    public const int PR_CAPBSET_DROP = 24;
    public const int PR_SET_NO_NEW_PRIVS = 38;
    public const int PR_CAP_AMBIENT = 47;
    public const int PR_CAP_AMBIENT_CLEAR_ALL = 4;
    public const long SYS_seccomp = 317;
    public const uint SECCOMP_SET_MODE_FILTER = 1;
    public const uint SECCOMP_FILTER_FLAG_TSYNC = 1;
    /// <summary>_LINUX_CAPABILITY_VERSION_3: 64-bit sets, two cap_user_data_t entries.</summary>
    public const uint LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    [LibraryImport(Lib, EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>glibc has no seccomp() wrapper; syscall(2) reaches it (TSYNC exists only there, not in prctl).</summary>
    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall3(long number, nuint a0, nuint a1, void* a2);

    [StructLayout(LayoutKind.Sequential)]
    public struct CapHeader
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    /// <summary>data: two entries (low and high 32 capabilities) for version 3.</summary>
    [LibraryImport(Lib, EntryPoint = "capset", SetLastError = true)]
    public static partial int CapSet(CapHeader* header, CapData* data);

    [LibraryImport(Lib, EntryPoint = "capget", SetLastError = true)]
    public static partial int CapGet(CapHeader* header, CapData* data);

    [StructLayout(LayoutKind.Sequential)]
    public struct SockFprog
    {
        public ushort Length;
        public byte* Filter;
    }
}
