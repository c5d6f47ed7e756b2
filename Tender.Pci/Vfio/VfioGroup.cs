using System.Runtime.InteropServices;
using System.Text;
using Tender.Host;
using Tender.Host.Interop;
using VfioAbiNative = Tender.Host.Interop.Vfio;

namespace Tender.Pci.Vfio;

/// <summary>
/// A VFIO group (<c>/dev/vfio/N</c>): the unit of isolation the IOMMU can give away. It must be
/// viable (every device in it bound to vfio-pci or to no driver) before it can join a container.
/// </summary>
public sealed unsafe class VfioGroup : IDisposable
{
    private readonly FileDescriptor _fd;

    private VfioGroup(FileDescriptor fd, int number, string path)
    {
        _fd = fd;
        Number = number;
        Path = path;
    }

    public int Number { get; }
    public string Path { get; }

    /// <summary>
    /// Opens group <paramref name="number"/> under devicePath and checks it is viable, or throws a
    /// <see cref="VfioException"/> naming the group and what to do.
    /// </summary>
    public static VfioGroup Open(int number, string devicePath = VfioContainer.DefaultDevicePath)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        string path = System.IO.Path.Combine(devicePath, number.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!File.Exists(path))
            throw new VfioException($"VFIO group {number}: {path} does not exist (is the device bound to vfio-pci, and is the vfio-pci module loaded?)");
        FileDescriptor fd;
        try { fd = FileDescriptor.Open(path, LibC.O_RDWR); }
        catch (HostException e) when (e.Errno == LibC.EBUSY)
        { throw new VfioException($"VFIO group {number} ({path}) is already open in another process", e); }
        catch (HostException e)
        { throw new VfioException($"cannot open VFIO group {number} ({path}): {e.Message}", e); }

        try
        {
            var status = new VfioAbiNative.GroupStatus { ArgSize = (uint)sizeof(VfioAbiNative.GroupStatus) };
            if (LibC.Ioctl(fd.Fd, VfioAbiNative.GroupGetStatus, &status) != 0)
                throw new VfioException($"VFIO_GROUP_GET_STATUS on group {number} failed: {LibC.ErrorText(Marshal.GetLastSystemError())} (is {path} a VFIO group?)");
            if ((status.Flags & VfioAbiNative.GroupFlagsViable) == 0)
                throw new VfioException($"VFIO group {number} is not viable: every device in IOMMU group {number} must be bound to vfio-pci or unbound");
            return new VfioGroup(fd, number, path);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Adds the group to a container (VFIO_GROUP_SET_CONTAINER), which then gets its IOMMU type.</summary>
    public void AttachTo(VfioContainer container)
    {
        int containerFd = container.Fd;
        if (LibC.Ioctl(_fd.Fd, VfioAbiNative.GroupSetContainer, &containerFd) != 0)
            throw new VfioException($"VFIO_GROUP_SET_CONTAINER for group {Number} failed: {LibC.ErrorText(Marshal.GetLastSystemError())}");
        container.OnGroupAttached();
    }

    /// <summary>Opens a device of this group by its PCI address (VFIO_GROUP_GET_DEVICE_FD).</summary>
    public FileDescriptor OpenDeviceDescriptor(PciAddress address)
    {
        byte[] name = Encoding.ASCII.GetBytes(address.ToString() + "\0");
        int fd;
        fixed (byte* p = name)
            fd = LibC.Ioctl(_fd.Fd, VfioAbiNative.GroupGetDeviceFd, p);
        if (fd < 0)
            throw new VfioException($"VFIO_GROUP_GET_DEVICE_FD for {address} in group {Number} failed: {LibC.ErrorText(Marshal.GetLastSystemError())}");
        return new FileDescriptor(fd);
    }

    public void Dispose() => _fd.Dispose();
}
