using System.Runtime.InteropServices;
using N = Tender.Host.Interop.Vfio;

namespace Tender.Pci.Vfio;

/// <summary>
/// Every VFIO number and struct layout the C# side relies on, as (C expression, C# value) pairs.
/// The ABI test compiles a C program that prints each C expression against the kernel's
/// <c>linux/vfio.h</c> and compares the results with these values, so the interop cannot drift
/// from the kernel even though no VFIO call can run on this machine.
/// </summary>
public static unsafe class VfioAbi
{
    /// <summary>(C expression, value the C# code uses). The expressions use only vfio.h and stddef.h.</summary>
    public static IReadOnlyList<(string CExpression, ulong Value)> Entries { get; } = Build();

    private static (string, ulong)[] Build()
    {
        var list = new List<(string, ulong)>
        {
            ("VFIO_TYPE", N.Type),
            ("VFIO_BASE", N.Base),
            ("VFIO_API_VERSION", N.ApiVersion),
            ("VFIO_TYPE1v2_IOMMU", N.Type1v2Iommu),
            ("VFIO_GET_API_VERSION", N.GetApiVersion),
            ("VFIO_CHECK_EXTENSION", N.CheckExtension),
            ("VFIO_SET_IOMMU", N.SetIommu),
            ("VFIO_GROUP_GET_STATUS", N.GroupGetStatus),
            ("VFIO_GROUP_SET_CONTAINER", N.GroupSetContainer),
            ("VFIO_GROUP_UNSET_CONTAINER", N.GroupUnsetContainer),
            ("VFIO_GROUP_GET_DEVICE_FD", N.GroupGetDeviceFd),
            ("VFIO_DEVICE_GET_INFO", N.DeviceGetInfo),
            ("VFIO_DEVICE_GET_REGION_INFO", N.DeviceGetRegionInfo),
            ("VFIO_DEVICE_RESET", N.DeviceReset),
            ("VFIO_IOMMU_GET_INFO", N.IommuGetInfo),
            ("VFIO_IOMMU_MAP_DMA", N.IommuMapDma),
            ("VFIO_IOMMU_UNMAP_DMA", N.IommuUnmapDma),
            ("VFIO_GROUP_FLAGS_VIABLE", N.GroupFlagsViable),
            ("VFIO_GROUP_FLAGS_CONTAINER_SET", N.GroupFlagsContainerSet),
            ("VFIO_DEVICE_FLAGS_RESET", N.DeviceFlagsReset),
            ("VFIO_DEVICE_FLAGS_PCI", N.DeviceFlagsPci),
            ("VFIO_REGION_INFO_FLAG_READ", N.RegionInfoFlagRead),
            ("VFIO_REGION_INFO_FLAG_WRITE", N.RegionInfoFlagWrite),
            ("VFIO_REGION_INFO_FLAG_MMAP", N.RegionInfoFlagMmap),
            ("VFIO_IOMMU_INFO_PGSIZES", N.IommuInfoPageSizes),
            ("VFIO_IOMMU_INFO_CAPS", N.IommuInfoCaps),
            ("VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE", N.IommuType1InfoCapIovaRange),
            ("VFIO_DMA_MAP_FLAG_READ", N.DmaMapFlagRead),
            ("VFIO_DMA_MAP_FLAG_WRITE", N.DmaMapFlagWrite),
            ("VFIO_PCI_BAR0_REGION_INDEX", N.PciBar0RegionIndex),
            ("VFIO_PCI_BAR5_REGION_INDEX", N.PciBar5RegionIndex),
            ("VFIO_PCI_ROM_REGION_INDEX", N.PciRomRegionIndex),
            ("VFIO_PCI_CONFIG_REGION_INDEX", N.PciConfigRegionIndex),
        };
        Struct<N.GroupStatus>(list, "vfio_group_status",
            ("argsz", nameof(N.GroupStatus.ArgSize)), ("flags", nameof(N.GroupStatus.Flags)));
        Struct<N.DeviceInfo>(list, "vfio_device_info",
            ("argsz", nameof(N.DeviceInfo.ArgSize)), ("flags", nameof(N.DeviceInfo.Flags)),
            ("num_regions", nameof(N.DeviceInfo.NumRegions)), ("num_irqs", nameof(N.DeviceInfo.NumIrqs)),
            ("cap_offset", nameof(N.DeviceInfo.CapOffset)));
        Struct<N.RegionInfo>(list, "vfio_region_info",
            ("argsz", nameof(N.RegionInfo.ArgSize)), ("flags", nameof(N.RegionInfo.Flags)),
            ("index", nameof(N.RegionInfo.Index)), ("cap_offset", nameof(N.RegionInfo.CapOffset)),
            ("size", nameof(N.RegionInfo.Size)), ("offset", nameof(N.RegionInfo.Offset)));
        Struct<N.IommuType1Info>(list, "vfio_iommu_type1_info",
            ("argsz", nameof(N.IommuType1Info.ArgSize)), ("flags", nameof(N.IommuType1Info.Flags)),
            ("iova_pgsizes", nameof(N.IommuType1Info.IovaPageSizes)), ("cap_offset", nameof(N.IommuType1Info.CapOffset)));
        Struct<N.InfoCapHeader>(list, "vfio_info_cap_header",
            ("id", nameof(N.InfoCapHeader.Id)), ("version", nameof(N.InfoCapHeader.Version)), ("next", nameof(N.InfoCapHeader.Next)));
        Struct<N.IovaRangeCap>(list, "vfio_iommu_type1_info_cap_iova_range",
            ("header", nameof(N.IovaRangeCap.Header)), ("nr_iovas", nameof(N.IovaRangeCap.NrIovas)), ("reserved", nameof(N.IovaRangeCap.Reserved)));
        list.Add(("offsetof(struct vfio_iommu_type1_info_cap_iova_range, iova_ranges)", (ulong)sizeof(N.IovaRangeCap)));
        Struct<N.IovaRange>(list, "vfio_iova_range",
            ("start", nameof(N.IovaRange.Start)), ("end", nameof(N.IovaRange.End)));
        Struct<N.DmaMap>(list, "vfio_iommu_type1_dma_map",
            ("argsz", nameof(N.DmaMap.ArgSize)), ("flags", nameof(N.DmaMap.Flags)),
            ("vaddr", nameof(N.DmaMap.VirtualAddress)), ("iova", nameof(N.DmaMap.Iova)), ("size", nameof(N.DmaMap.Size)));
        Struct<N.DmaUnmap>(list, "vfio_iommu_type1_dma_unmap",
            ("argsz", nameof(N.DmaUnmap.ArgSize)), ("flags", nameof(N.DmaUnmap.Flags)),
            ("iova", nameof(N.DmaUnmap.Iova)), ("size", nameof(N.DmaUnmap.Size)));
        return list.ToArray();
    }

    private static void Struct<T>(List<(string, ulong)> list, string cName, params (string CField, string CsField)[] fields)
        where T : unmanaged
    {
        list.Add(($"sizeof(struct {cName})", (ulong)sizeof(T)));
        foreach (var (cField, csField) in fields)
            list.Add(($"offsetof(struct {cName}, {cField})", (ulong)Marshal.OffsetOf<T>(csField)));
    }
}
