using Tender.Host.Interop;
using Tender.Host;

namespace Tender.Platform;

/// <summary>An owned mmap'd range of host memory, unmapped exactly once.</summary>
public sealed unsafe class MappedRegion : IDisposable
{
    private nint _address;

    private MappedRegion(nint address, ulong length)
    {
        _address = address;
        Length = length;
    }

    public ulong Length { get; }

    public byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_address == 0, this);
            return (byte*)_address;
        }
    }

    /// <summary>Zero-filled private memory, committed lazily by the kernel (so a 512 MiB guest
    /// costs only the pages it touches).</summary>
    public static MappedRegion Anonymous(ulong length, string what)
    {
        nint address = LibC.Mmap(0, (nuint)length, LibC.PROT_READ | LibC.PROT_WRITE,
            LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        if (address == LibC.MAP_FAILED) throw HostException.FromLastError($"mmap of {length:#,0} bytes for {what}");
        return new MappedRegion(address, length);
    }

    /// <summary>Maps a file descriptor shared (the vCPU's kvm_run page).</summary>
    public static MappedRegion OfDescriptor(FileDescriptor fd, ulong length, string what)
    {
        nint address = LibC.Mmap(0, (nuint)length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd.Fd, 0);
        if (address == LibC.MAP_FAILED) throw HostException.FromLastError($"mmap of {what}");
        return new MappedRegion(address, length);
    }

    /// <summary>
    /// Maps [offset, offset + length) of a file shared and read-write (the process platform's
    /// guest memfd), kept out of any child a fork would make (MADV_DONTFORK: a forked child must
    /// never inherit a writable alias of guest memory).
    /// </summary>
    public static MappedRegion SharedFile(int fd, ulong offset, ulong length, string what)
    {
        nint address = LibC.Mmap(0, (nuint)length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_NORESERVE, fd, (nint)offset);
        if (address == LibC.MAP_FAILED) throw HostException.FromLastError($"mmap of {length:#,0} bytes of {what}");
        if (LibC.Madvise(address, (nuint)length, LibC.MADV_DONTFORK) != 0)
        {
            var error = HostException.FromLastError($"madvise(MADV_DONTFORK) of {what}");
            LibC.Munmap(address, (nuint)length);
            throw error;
        }
        return new MappedRegion(address, length);
    }

    public void Dispose()
    {
        nint address = Interlocked.Exchange(ref _address, 0);
        if (address != 0) LibC.Munmap(address, (nuint)Length);
        GC.SuppressFinalize(this);
    }

    ~MappedRegion()
    {
        if (_address != 0) LibC.Munmap(_address, (nuint)Length);
    }
}
