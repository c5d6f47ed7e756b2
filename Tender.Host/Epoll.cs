using System.Diagnostics;
using System.Runtime.InteropServices;
using Tender.Host.Interop;

namespace Tender.Host;

/// <summary>
/// An epoll set: descriptors registered with a 64-bit tag, waited on with a nanosecond timeout.
/// A thin wrapper; the policy (what a tag means) belongs to the caller.
/// </summary>
public sealed unsafe class Epoll : IDisposable
{
    private readonly FileDescriptor _fd;

    public Epoll()
    {
        LayoutChecks.Verify();
        int fd = LibC.EpollCreate1(LibC.EPOLL_CLOEXEC);
        if (fd < 0) throw HostException.FromLastError("epoll_create1");
        _fd = new FileDescriptor(fd);
    }

    /// <summary>Watches fd for input (and errors/hang-up, which epoll always reports), tagged with tag.</summary>
    public void Add(FileDescriptor fd, ulong tag, bool input = true) => Control(LibC.EPOLL_CTL_ADD, fd, tag, input);

    /// <summary>Changes whether fd's input is watched (errors and hang-up stay watched).</summary>
    public void Modify(FileDescriptor fd, ulong tag, bool input) => Control(LibC.EPOLL_CTL_MOD, fd, tag, input);

    public void Remove(FileDescriptor fd)
    {
        if (LibC.EpollCtl(_fd.Fd, LibC.EPOLL_CTL_DEL, fd.Fd, null) < 0)
            throw HostException.FromLastError($"epoll_ctl DEL fd {fd.Fd}");
    }

    private void Control(int operation, FileDescriptor fd, ulong tag, bool input)
    {
        var ev = new LibC.EpollEvent { Events = input ? LibC.EPOLLIN : 0, Data = tag };
        if (LibC.EpollCtl(_fd.Fd, operation, fd.Fd, &ev) < 0)
            throw HostException.FromLastError($"epoll_ctl {(operation == LibC.EPOLL_CTL_ADD ? "ADD" : "MOD")} fd {fd.Fd}");
    }

    /// <summary>
    /// Waits until a watched descriptor is ready or the timeout passes (null = forever), and
    /// writes the tags of the ready ones to tags. Returns how many. A signal interrupting the
    /// wait resumes it with the time that is left, so the timeout is honoured as a whole.
    /// </summary>
    public int Wait(Span<ulong> tags, ulong? timeoutNanoseconds)
    {
        int max = Math.Min(tags.Length, 64);
        if (max == 0) throw new ArgumentException("no room for any event", nameof(tags));
        LibC.EpollEvent* events = stackalloc LibC.EpollEvent[max];
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            int n;
            if (timeoutNanoseconds is ulong total)
            {
                ulong elapsed = (ulong)Stopwatch.GetElapsedTime(start).Ticks * 100;
                ulong left = elapsed >= total ? 0 : total - elapsed;
                var ts = new LibC.TimeSpec { Seconds = (long)(left / 1_000_000_000), Nanoseconds = (long)(left % 1_000_000_000) };
                n = LibC.EpollPWait2(_fd.Fd, events, max, &ts, null);
            }
            else
            {
                n = LibC.EpollPWait2(_fd.Fd, events, max, null, null);
            }
            if (n < 0)
            {
                int errno = Marshal.GetLastSystemError();
                if (errno == LibC.EINTR) continue;
                throw new HostException("epoll_pwait2", errno);
            }
            for (int i = 0; i < n; i++) tags[i] = events[i].Data;
            return n;
        }
    }

    public void Dispose() => _fd.Dispose();
}
