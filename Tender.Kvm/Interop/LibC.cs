using System.Runtime.InteropServices;

namespace Tender.Kvm.Interop;

/// <summary>
/// Every libc function the tender calls. This is the single place with native declarations: the
/// KVM wrappers, signal plumbing and memory mapping all go through here.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const int O_RDWR = 0x2;
    public const int O_CLOEXEC = 0x80000;

    public const int PROT_NONE = 0x0;
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int PROT_EXEC = 0x4;
    public const int MAP_SHARED = 0x01;
    public const int MAP_PRIVATE = 0x02;
    public const int MAP_ANONYMOUS = 0x20;
    public const int MAP_NORESERVE = 0x4000;
    public static readonly nint MAP_FAILED = -1;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int E2BIG = 7;

    public const int SA_SIGINFO = 0x4;

    [LibraryImport(Lib, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>ioctl with an integer (or no) argument.</summary>
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, nint argument);

    /// <summary>ioctl with a pointer argument (a kvm_* struct).</summary>
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport(Lib, EntryPoint = "mprotect", SetLastError = true)]
    public static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport(Lib, EntryPoint = "pthread_self")]
    public static partial nuint PthreadSelf();

    /// <summary>Returns an error number (not -1/errno) as POSIX threads functions do.</summary>
    [LibraryImport(Lib, EntryPoint = "pthread_kill")]
    public static partial int PthreadKill(nuint thread, int signal);

    [LibraryImport(Lib, EntryPoint = "sigaction", SetLastError = true)]
    public static partial int SigAction(int signal, SigActionStruct* action, SigActionStruct* oldAction);

    [LibraryImport(Lib, EntryPoint = "__libc_current_sigrtmin")]
    public static partial int CurrentSigRtMin();

    [LibraryImport(Lib, EntryPoint = "__libc_current_sigrtmax")]
    public static partial int CurrentSigRtMax();

    [LibraryImport(Lib, EntryPoint = "strerror")]
    private static partial nint StrError(int errno);

    /// <summary>glibc's x86-64 <c>struct sigaction</c>: handler, 1024-bit mask, flags, restorer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SigActionStruct
    {
        public nint Handler;
        public fixed ulong Mask[16];
        public int Flags;
        public int Padding;
        public nint Restorer;
    }

    public static string ErrorText(int errno) =>
        Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";
}
