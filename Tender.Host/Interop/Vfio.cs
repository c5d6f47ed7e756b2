using System.Runtime.InteropServices;

namespace Tender.Host.Interop;

/// <summary>
/// The Linux VFIO user-space ABI (uapi <c>linux/vfio.h</c>) that the tender uses to pass a host
/// PCI device to a guest: container, group and device ioctls, the type1 IOMMU map/unmap calls and
/// their argument structs. Only what Tender.Pci needs is declared. Every number and layout here is
/// compared with the kernel header by a test that compiles a C program against
/// <c>&lt;linux/vfio.h&gt;</c> (tests/Tender.Pci.Tests, VfioAbiTests), because this machine has no
/// IOMMU and the calls themselves cannot be exercised here.
/// </summary>
/// <remarks>
/// VFIO's ioctls are all <c>_IO(';', 100 + n)</c>: no size or direction is encoded, the size is the
/// struct's leading <c>argsz</c> field instead, which the caller sets to the struct size it knows.
/// </remarks>
internal static unsafe class Vfio
{
    /// <summary>VFIO_TYPE, the ioctl "magic" character.</summary>
    public const uint Type = ';';
    /// <summary>VFIO_BASE: the first ioctl number.</summary>
    public const uint Base = 100;

    /// <summary>_IO(type, nr) on Linux: (type &lt;&lt; 8) | nr, with direction and size zero.</summary>
    private static nuint Io(uint number) => (nuint)((Type << 8) | (Base + number));

    // Container (/dev/vfio/vfio).
    public static readonly nuint GetApiVersion = Io(0);     // VFIO_GET_API_VERSION
    public static readonly nuint CheckExtension = Io(1);    // VFIO_CHECK_EXTENSION
    public static readonly nuint SetIommu = Io(2);          // VFIO_SET_IOMMU
    // Group (/dev/vfio/N).
    public static readonly nuint GroupGetStatus = Io(3);    // VFIO_GROUP_GET_STATUS
    public static readonly nuint GroupSetContainer = Io(4); // VFIO_GROUP_SET_CONTAINER
    public static readonly nuint GroupUnsetContainer = Io(5); // VFIO_GROUP_UNSET_CONTAINER
    public static readonly nuint GroupGetDeviceFd = Io(6);  // VFIO_GROUP_GET_DEVICE_FD
    // Device (the fd GROUP_GET_DEVICE_FD returns).
    public static readonly nuint DeviceGetInfo = Io(7);     // VFIO_DEVICE_GET_INFO
    public static readonly nuint DeviceGetRegionInfo = Io(8); // VFIO_DEVICE_GET_REGION_INFO
    public static readonly nuint DeviceReset = Io(11);      // VFIO_DEVICE_RESET
    // Type1 IOMMU, issued on the container once SET_IOMMU succeeded.
    public static readonly nuint IommuGetInfo = Io(12);     // VFIO_IOMMU_GET_INFO
    public static readonly nuint IommuMapDma = Io(13);      // VFIO_IOMMU_MAP_DMA
    public static readonly nuint IommuUnmapDma = Io(14);    // VFIO_IOMMU_UNMAP_DMA

    /// <summary>VFIO_API_VERSION: the only version the kernel has ever reported.</summary>
    public const int ApiVersion = 0;
    /// <summary>VFIO_TYPE1v2_IOMMU: type1 with v2 semantics (unmap must match whole mappings).</summary>
    public const uint Type1v2Iommu = 3;

    public const uint GroupFlagsViable = 1 << 0;        // VFIO_GROUP_FLAGS_VIABLE
    public const uint GroupFlagsContainerSet = 1 << 1;  // VFIO_GROUP_FLAGS_CONTAINER_SET

    public const uint DeviceFlagsReset = 1 << 0;        // VFIO_DEVICE_FLAGS_RESET
    public const uint DeviceFlagsPci = 1 << 1;          // VFIO_DEVICE_FLAGS_PCI

    public const uint RegionInfoFlagRead = 1 << 0;      // VFIO_REGION_INFO_FLAG_READ
    public const uint RegionInfoFlagWrite = 1 << 1;     // VFIO_REGION_INFO_FLAG_WRITE
    public const uint RegionInfoFlagMmap = 1 << 2;      // VFIO_REGION_INFO_FLAG_MMAP

    public const uint IommuInfoPageSizes = 1 << 0;      // VFIO_IOMMU_INFO_PGSIZES
    public const uint IommuInfoCaps = 1 << 1;           // VFIO_IOMMU_INFO_CAPS
    public const ushort IommuType1InfoCapIovaRange = 1; // VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE

    public const uint DmaMapFlagRead = 1 << 0;          // VFIO_DMA_MAP_FLAG_READ
    public const uint DmaMapFlagWrite = 1 << 1;         // VFIO_DMA_MAP_FLAG_WRITE

    // vfio-pci region indices (enum in vfio.h).
    public const uint PciBar0RegionIndex = 0;           // VFIO_PCI_BAR0_REGION_INDEX (BAR i = i)
    public const uint PciBar5RegionIndex = 5;           // VFIO_PCI_BAR5_REGION_INDEX
    public const uint PciRomRegionIndex = 6;            // VFIO_PCI_ROM_REGION_INDEX
    public const uint PciConfigRegionIndex = 7;         // VFIO_PCI_CONFIG_REGION_INDEX

    /// <summary><c>struct vfio_group_status</c> (8 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct GroupStatus
    {
        public uint ArgSize;
        public uint Flags;
    }

    /// <summary><c>struct vfio_device_info</c> (20 bytes; cap_offset is the newest field).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct DeviceInfo
    {
        public uint ArgSize;
        public uint Flags;
        public uint NumRegions;
        public uint NumIrqs;
        public uint CapOffset;
    }

    /// <summary><c>struct vfio_region_info</c> (32 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct RegionInfo
    {
        public uint ArgSize;
        public uint Flags;
        public uint Index;
        public uint CapOffset;
        public ulong Size;
        /// <summary>Where the region starts in the device fd, for pread/pwrite/mmap.</summary>
        public ulong Offset;
    }

    /// <summary>
    /// <c>struct vfio_iommu_type1_info</c> (24 bytes with its tail padding). With
    /// VFIO_IOMMU_INFO_CAPS the kernel appends a capability chain and reports the whole size in
    /// argsz; <see cref="CapOffset"/> is the first capability's offset from the struct's start.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IommuType1Info
    {
        public uint ArgSize;
        public uint Flags;
        /// <summary>Bitmap of the IOMMU page sizes (bit n = 2^n bytes).</summary>
        public ulong IovaPageSizes;
        public uint CapOffset;
    }

    /// <summary><c>struct vfio_info_cap_header</c> (8 bytes): id, version, offset of the next capability (0 = last).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct InfoCapHeader
    {
        public ushort Id;
        public ushort Version;
        public uint Next;
    }

    /// <summary><c>struct vfio_iommu_type1_info_cap_iova_range</c> without its flexible array (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IovaRangeCap
    {
        public InfoCapHeader Header;
        public uint NrIovas;
        public uint Reserved;
    }

    /// <summary><c>struct vfio_iova_range</c> (16 bytes): an inclusive [start, end] range of usable IOVAs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IovaRange
    {
        public ulong Start;
        public ulong End;
    }

    /// <summary><c>struct vfio_iommu_type1_dma_map</c> (32 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct DmaMap
    {
        public uint ArgSize;
        public uint Flags;
        public ulong VirtualAddress;
        public ulong Iova;
        public ulong Size;
    }

    /// <summary><c>struct vfio_iommu_type1_dma_unmap</c> (24 bytes, without the flexible data[]).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct DmaUnmap
    {
        public uint ArgSize;
        public uint Flags;
        public ulong Iova;
        public ulong Size;
    }
}

/// <summary>
/// Memory-mapping calls (<c>sys/mman.h</c>) for the host side of PCI: the DMA area and device BAR
/// mappings. Kept apart from <see cref="LibC"/> (another helper's file) so neither edits the other.
/// </summary>
internal static unsafe partial class MemoryMapping
{
    private const string Lib = "libc";

    public const int PROT_NONE = 0x0;
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x01;
    public const int MAP_PRIVATE = 0x02;
    public const int MAP_ANONYMOUS = 0x20;
    public const int MAP_NORESERVE = 0x4000;
    public const int MAP_POPULATE = 0x8000;
    public const int MAP_HUGETLB = 0x40000;
    /// <summary>MAP_HUGE_SHIFT: the log2 of the huge page size goes in bits 26..31 of the flags.</summary>
    public const int MAP_HUGE_SHIFT = 26;
    /// <summary>MAP_HUGE_2MB = 21 &lt;&lt; MAP_HUGE_SHIFT.</summary>
    public const int MAP_HUGE_2MB = 21 << MAP_HUGE_SHIFT;
    public const int MADV_HUGEPAGE = 14;
    public static readonly nint MAP_FAILED = -1;

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport(Lib, EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);
}
