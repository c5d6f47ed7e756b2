using System.Runtime.InteropServices;
using Tender.Host;
using Tender.Host.Interop;
using VfioAbiNative = Tender.Host.Interop.Vfio;

namespace Tender.Pci.Vfio;

/// <summary>
/// A VFIO container (<c>/dev/vfio/vfio</c>): one IOMMU context shared by the groups added to it.
/// Opening checks the API version and that the type1v2 IOMMU is available; the IOMMU type is set
/// when the first group joins (the kernel requires a group before VFIO_SET_IOMMU). Closing the
/// container drops every DMA mapping it holds.
/// </summary>
public sealed unsafe class VfioContainer : IDisposable
{
    /// <summary>Where the kernel puts VFIO's character devices.</summary>
    public const string DefaultDevicePath = "/dev/vfio";

    private readonly FileDescriptor _fd;
    private bool _iommuSet;

    private VfioContainer(FileDescriptor fd, string devicePath)
    {
        _fd = fd;
        DevicePath = devicePath;
    }

    /// <summary>The folder holding <c>vfio</c> and the group devices (parameter for tests).</summary>
    public string DevicePath { get; }

    public bool IsClosed => _fd.IsClosed;

    /// <summary>Opens the container, or throws a <see cref="VfioException"/> saying what is missing.</summary>
    public static VfioContainer Open(string devicePath = DefaultDevicePath)
    {
        string path = Path.Combine(devicePath, "vfio");
        if (!File.Exists(path))
            throw new VfioException($"VFIO is not available: {path} does not exist (load the vfio-pci module; the host needs an IOMMU)");
        FileDescriptor fd;
        try { fd = FileDescriptor.Open(path, LibC.O_RDWR); }
        catch (HostException e) { throw new VfioException($"cannot open the VFIO container {path}: {e.Message}", e); }

        try
        {
            int version = LibC.Ioctl(fd.Fd, VfioAbiNative.GetApiVersion, 0);
            if (version < 0)
                throw new VfioException($"VFIO_GET_API_VERSION on {path} failed: {LibC.ErrorText(Marshal.GetLastSystemError())} (is it the VFIO container device?)");
            if (version != VfioAbiNative.ApiVersion)
                throw new VfioException($"VFIO API version {version} is not supported (expected {VfioAbiNative.ApiVersion})");
            if (LibC.Ioctl(fd.Fd, VfioAbiNative.CheckExtension, (nint)VfioAbiNative.Type1v2Iommu) != 1)
                throw new VfioException("the kernel's VFIO has no type1v2 IOMMU (VFIO_TYPE1v2_IOMMU); is the IOMMU enabled (intel_iommu=on / amd_iommu=on)?");
            return new VfioContainer(fd, devicePath);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>The raw container fd, for VFIO_GROUP_SET_CONTAINER.</summary>
    internal int Fd => _fd.Fd;

    /// <summary>Called by <see cref="VfioGroup.AttachTo"/> after the group joined: sets the IOMMU type once.</summary>
    internal void OnGroupAttached()
    {
        if (_iommuSet) return;
        if (LibC.Ioctl(_fd.Fd, VfioAbiNative.SetIommu, (nint)VfioAbiNative.Type1v2Iommu) != 0)
            throw new VfioException($"VFIO_SET_IOMMU (type1v2) failed: {LibC.ErrorText(Marshal.GetLastSystemError())}");
        _iommuSet = true;
    }

    /// <summary>What the container's IOMMU can map (VFIO_IOMMU_GET_INFO, with its capability chain).</summary>
    public VfioIommuInfo GetIommuInfo()
    {
        if (!_iommuSet) throw new InvalidOperationException("no group has joined the container yet, so it has no IOMMU");
        int size = sizeof(VfioAbiNative.IommuType1Info);
        for (int attempt = 0; attempt < 2; attempt++)
        {
            // The kernel says in argsz how large the struct with all its capabilities is; ask
            // once with the bare struct, then again with that size.
            byte[] buffer = new byte[size];
            fixed (byte* p = buffer)
            {
                ((VfioAbiNative.IommuType1Info*)p)->ArgSize = (uint)size;
                if (LibC.Ioctl(_fd.Fd, VfioAbiNative.IommuGetInfo, p) != 0)
                    throw new VfioException($"VFIO_IOMMU_GET_INFO failed: {LibC.ErrorText(Marshal.GetLastSystemError())}");
                uint wanted = ((VfioAbiNative.IommuType1Info*)p)->ArgSize;
                if (wanted <= size || attempt == 1) return VfioIommuInfo.Parse(buffer);
                if (wanted > 1 << 20) throw new VfioException($"VFIO_IOMMU_GET_INFO asks for an implausible {wanted} bytes");
                size = (int)wanted;
            }
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Maps host memory [vaddr, vaddr + size) at iova, readable and writable by devices in this container.</summary>
    public void MapDma(ulong hostAddress, ulong iova, ulong size)
    {
        if (!_iommuSet) throw new InvalidOperationException("no group has joined the container yet, so it has no IOMMU");
        var map = new VfioAbiNative.DmaMap
        {
            ArgSize = (uint)sizeof(VfioAbiNative.DmaMap),
            Flags = VfioAbiNative.DmaMapFlagRead | VfioAbiNative.DmaMapFlagWrite,
            VirtualAddress = hostAddress,
            Iova = iova,
            Size = size,
        };
        if (LibC.Ioctl(_fd.Fd, VfioAbiNative.IommuMapDma, &map) != 0)
            throw new VfioException($"VFIO_IOMMU_MAP_DMA of {size:#,0} bytes at IOVA 0x{iova:x} failed: {LibC.ErrorText(Marshal.GetLastSystemError())}");
    }

    /// <summary>Removes a mapping made by <see cref="MapDma"/>; false if the kernel refused (it is dropped with the container anyway).</summary>
    public bool TryUnmapDma(ulong iova, ulong size)
    {
        if (_fd.IsClosed) return false;
        var unmap = new VfioAbiNative.DmaUnmap
        {
            ArgSize = (uint)sizeof(VfioAbiNative.DmaUnmap),
            Iova = iova,
            Size = size,
        };
        return LibC.Ioctl(_fd.Fd, VfioAbiNative.IommuUnmapDma, &unmap) == 0;
    }

    public void Dispose() => _fd.Dispose();
}
