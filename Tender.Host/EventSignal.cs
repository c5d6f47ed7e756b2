using Tender.Host.Interop;

namespace Tender.Host;

/// <summary>
/// A wake-up flag another thread can raise and an epoll set can watch: an eventfd whose counter
/// is non-zero while the signal is set. Raising it twice before it is consumed is one wake-up
/// (<see cref="ConsumeCount"/> tells how many raises it stood for).
/// </summary>
public sealed unsafe class EventSignal : IDisposable
{
    private readonly FileDescriptor _fd;

    public EventSignal()
    {
        LayoutChecks.Verify();
        int fd = LibC.EventFd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (fd < 0) throw HostException.FromLastError("eventfd");
        _fd = new FileDescriptor(fd);
    }

    /// <summary>The eventfd, readable while the signal is set.</summary>
    public FileDescriptor Descriptor => _fd;

    /// <summary>Sets the signal. Safe from any thread; never blocks.</summary>
    public void Set()
    {
        ulong one = 1;
        // EAGAIN only if the counter would overflow, i.e. the signal is already set: nothing to do.
        while (LibC.Write(_fd.Fd, (byte*)&one, 8) < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastSystemError();
            if (errno == LibC.EINTR) continue;
            if (errno == LibC.EAGAIN) return;
            throw new HostException("eventfd write", errno);
        }
    }

    /// <summary>Clears the signal; true if it was set.</summary>
    public bool Consume() => ConsumeCount() != 0;

    /// <summary>
    /// Clears the signal and returns how many times it was set since it was last cleared (the
    /// eventfd's counter: each <see cref="Set"/>, or each KVM ioeventfd hit, adds one); 0 if unset.
    /// </summary>
    public ulong ConsumeCount()
    {
        ulong value;
        while (LibC.Read(_fd.Fd, (byte*)&value, 8) < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastSystemError();
            if (errno == LibC.EINTR) continue;
            if (errno == LibC.EAGAIN) return 0;
            throw new HostException("eventfd read", errno);
        }
        return value;
    }

    public void Dispose() => _fd.Dispose();
}
