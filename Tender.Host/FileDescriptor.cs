using System.Runtime.InteropServices;
using Tender.Host.Interop;

namespace Tender.Host;

/// <summary>
/// An owned Linux file descriptor, closed exactly once on every path. Callers that pass
/// <see cref="Fd"/> to a system call must not dispose the descriptor concurrently (the device
/// classes stop their I/O before they are disposed).
/// </summary>
public sealed class FileDescriptor : SafeHandle
{
    public FileDescriptor(int fd) : base(invalidHandleValue: -1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle < 0;

    /// <summary>The raw descriptor. Valid while this object is not disposed.</summary>
    public int Fd
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return (int)handle;
        }
    }

    /// <summary>Opens path with open(2) flags (O_CLOEXEC is always added), or throws naming the path.</summary>
    public static FileDescriptor Open(string path, int flags)
    {
        int fd = LibC.Open(path, flags | LibC.O_CLOEXEC);
        if (fd < 0) throw HostException.FromLastError($"open {path}");
        return new FileDescriptor(fd);
    }

    /// <summary>
    /// A connected pair of non-blocking AF_UNIX datagram sockets: frames stay whole, as on a TAP,
    /// so the fuzz harness can stand one in for a NIC without CAP_NET_ADMIN.
    /// </summary>
    public static unsafe (FileDescriptor A, FileDescriptor B) DatagramPair()
    {
        int* pair = stackalloc int[2];
        if (LibC.SocketPair(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0, pair) < 0)
            throw HostException.FromLastError("socketpair");
        return (new FileDescriptor(pair[0]), new FileDescriptor(pair[1]));
    }

    protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;
}
