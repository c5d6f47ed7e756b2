using System.Runtime.InteropServices;

namespace Tender.Host.Interop;

// Anonymous memory files: the process platform's guest memory is one memfd, mapped by the tender
// and, at the guest's own addresses, by the sandboxed child.
internal static unsafe partial class LibC
{
    public const uint MFD_CLOEXEC = 0x1;
    public const int MADV_DONTFORK = 10;

    [LibraryImport(Lib, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);

    [LibraryImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    [LibraryImport(Lib, EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);
}
