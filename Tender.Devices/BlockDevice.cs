using System.Numerics;
using System.Runtime.InteropServices;
using Tender.Host;
using Tender.Host.Interop;

namespace Tender.Devices;

/// <summary>How a block device is opened.</summary>
/// <param name="SectorSize">Bytes per sector: a power of two, at least 512 (solo5-hvt's --block-sector-size).</param>
/// <param name="ReadOnly">Open the backing read-only; writes then fail with <see cref="DeviceResult.InvalidArgument"/>.</param>
public readonly record struct BlockDeviceOptions(uint SectorSize = BlockDevice.DefaultSectorSize, bool ReadOnly = false);

/// <summary>
/// A BLOCK_BASIC device backed by a regular file or a host block device. Its capacity is the
/// backing's size at open time, a non-zero multiple of the sector size. Requests are whole
/// sectors entirely inside the device; any other request is refused with a result code before
/// the backing is touched, so a guest can never make the tender read or write outside it.
/// I/O uses pread/pwrite (no shared file position), so calls from several threads are safe.
/// </summary>
public sealed unsafe class BlockDevice : IDisposable
{
    public const uint DefaultSectorSize = 512;
    public const uint MinimumSectorSize = 512;

    private readonly FileDescriptor _fd;

    private BlockDevice(string path, FileDescriptor fd, ulong capacity, uint sectorSize, bool readOnly)
    {
        Path = path;
        _fd = fd;
        Capacity = capacity;
        SectorSize = sectorSize;
        ReadOnly = readOnly;
    }

    public string Path { get; }
    /// <summary>Size of the device in bytes.</summary>
    public ulong Capacity { get; }
    public uint SectorSize { get; }
    public ulong SectorCount => Capacity / SectorSize;
    public bool ReadOnly { get; }

    /// <summary>Null if size is a valid sector size, else why not.</summary>
    public static string? CheckSectorSize(ulong size) =>
        size < MinimumSectorSize || !BitOperations.IsPow2(size) || size > int.MaxValue
            ? $"sector size {size} is not a power of two between {MinimumSectorSize} and 2^30"
            : null;

    /// <summary>Opens the backing at path; throws <see cref="DeviceException"/> naming the path and what is wrong.</summary>
    public static BlockDevice Open(string path, BlockDeviceOptions options = default)
    {
        LayoutChecks.Verify();
        uint sectorSize = options.SectorSize == 0 ? DefaultSectorSize : options.SectorSize;
        if (CheckSectorSize(sectorSize) is string bad)
            throw new DeviceException($"block device '{path}': {bad}");

        // O_NONBLOCK only so that opening a FIFO by mistake cannot hang the tender (it is then
        // rejected by type); regular files and block devices ignore it.
        int fd = LibC.Open(path, (options.ReadOnly ? LibC.O_RDONLY : LibC.O_RDWR) | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastSystemError();
            throw new DeviceException($"block device '{path}': cannot open {(options.ReadOnly ? "read-only" : "read-write")}: {LibC.ErrorText(errno)}");
        }
        var descriptor = new FileDescriptor(fd);
        try
        {
            ulong size = BackingSize(path, descriptor);
            if (size == 0)
                throw new DeviceException($"block device '{path}': the backing is empty; it must hold at least one sector of {sectorSize} bytes");
            if (size % sectorSize != 0)
                throw new DeviceException($"block device '{path}': size {size} bytes is not a multiple of the sector size {sectorSize} ({size % sectorSize} bytes over)");
            return new BlockDevice(path, descriptor, size, sectorSize, options.ReadOnly);
        }
        catch
        {
            descriptor.Dispose();
            throw;
        }
    }

    private static ulong BackingSize(string path, FileDescriptor fd)
    {
        LibC.Stat st;
        if (LibC.FStat(fd.Fd, &st) < 0)
            throw new DeviceException($"block device '{path}': fstat failed: {LibC.ErrorText(Marshal.GetLastSystemError())}");
        switch (st.Mode & LibC.S_IFMT)
        {
            case LibC.S_IFREG:
                return (ulong)st.Size;
            case LibC.S_IFBLK:
                // A block device's st_size is 0; the kernel reports its size through an ioctl.
                ulong bytes;
                if (LibC.Ioctl(fd.Fd, LibC.BLKGETSIZE64, &bytes) < 0)
                    throw new DeviceException($"block device '{path}': BLKGETSIZE64 failed: {LibC.ErrorText(Marshal.GetLastSystemError())}");
                return bytes;
            case LibC.S_IFDIR:
                throw new DeviceException($"block device '{path}': is a directory, not a file or block device");
            default:
                throw new DeviceException($"block device '{path}': is neither a regular file nor a block device (mode 0x{st.Mode:x})");
        }
    }

    /// <summary>
    /// <see cref="DeviceResult.Ok"/> if [offset, offset + length) is one or more whole sectors
    /// inside the device, else <see cref="DeviceResult.InvalidArgument"/>. Overflow-safe for any
    /// 64-bit values, so guest-supplied numbers can be passed in unchecked.
    /// </summary>
    public DeviceResult CheckRequest(ulong offset, ulong length)
    {
        ulong mask = SectorSize - 1;
        if (length == 0 || (offset & mask) != 0 || (length & mask) != 0) return DeviceResult.InvalidArgument;
        if (offset >= Capacity || length > Capacity - offset) return DeviceResult.InvalidArgument;
        return DeviceResult.Ok;
    }

    /// <summary>Reads buffer.Length bytes at offset (whole sectors inside the device).</summary>
    public DeviceResult Read(ulong offset, Span<byte> buffer)
    {
        var check = CheckRequest(offset, (ulong)buffer.Length);
        if (check != DeviceResult.Ok) return check;
        fixed (byte* start = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint n = LibC.PRead(_fd.Fd, start + done, (nuint)(buffer.Length - done), (long)offset + done);
                if (n < 0)
                {
                    if (Marshal.GetLastSystemError() == LibC.EINTR) continue;
                    return DeviceResult.Unspecified;
                }
                // End of file inside the device: the backing shrank after it was opened.
                if (n == 0) return DeviceResult.Unspecified;
                done += (int)n;
            }
        }
        return DeviceResult.Ok;
    }

    /// <summary>Writes data at offset (whole sectors inside the device; not on a read-only device).</summary>
    public DeviceResult Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (ReadOnly) return DeviceResult.InvalidArgument;
        var check = CheckRequest(offset, (ulong)data.Length);
        if (check != DeviceResult.Ok) return check;
        fixed (byte* start = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                nint n = LibC.PWrite(_fd.Fd, start + done, (nuint)(data.Length - done), (long)offset + done);
                if (n < 0)
                {
                    if (Marshal.GetLastSystemError() == LibC.EINTR) continue;
                    return DeviceResult.Unspecified;
                }
                if (n == 0) return DeviceResult.Unspecified;
                done += (int)n;
            }
        }
        return DeviceResult.Ok;
    }

    public void Dispose() => _fd.Dispose();
}
