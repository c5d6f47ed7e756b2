using System.Runtime.InteropServices;
using Tender.Host.Interop;
using Tender.Kvm.Interop;

namespace Tender.Kvm;

/// <summary>An owned Linux file descriptor, closed exactly once on every path.</summary>
internal sealed class FileDescriptor : SafeHandle
{
    public FileDescriptor(int fd) : base(invalidHandleValue: -1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle < 0;

    /// <summary>The raw descriptor, for ioctl. Valid while this object is not disposed.</summary>
    public int Fd
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return (int)handle;
        }
    }

    protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;
}
