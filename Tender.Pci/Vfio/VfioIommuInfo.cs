using System.Runtime.InteropServices;
using N = Tender.Host.Interop.Vfio;

namespace Tender.Pci.Vfio;

/// <summary>
/// What a container's type1 IOMMU can map (VFIO_IOMMU_GET_INFO): its page sizes and, where the
/// kernel reports them, the usable IOVA ranges. Design decision 2 puts the DMA window at IOVA
/// 2^40; an IOMMU with a narrower address width (some have 39 bits) cannot map it, and this is
/// where the tender finds out, with a message instead of a failed map.
/// </summary>
/// <param name="PageSizes">Bit n set = the IOMMU maps 2^n-byte pages; 0 if not reported.</param>
/// <param name="IovaRanges">Inclusive [Start, End] ranges of usable IOVAs; null if not reported.</param>
public sealed record VfioIommuInfo(ulong PageSizes, IReadOnlyList<(ulong Start, ulong End)>? IovaRanges)
{
    /// <summary>
    /// Decodes the struct and its capability chain as the kernel filled it. Malformed chains
    /// (offsets outside the buffer, loops, counts that overrun it) are rejected, never followed.
    /// </summary>
    public static VfioIommuInfo Parse(ReadOnlySpan<byte> buffer)
    {
        int infoSize = Marshal.SizeOf<N.IommuType1Info>();
        if (buffer.Length < infoSize) throw new VfioException($"VFIO_IOMMU_GET_INFO returned {buffer.Length} bytes, fewer than its {infoSize}-byte struct");
        var info = MemoryMarshal.Read<N.IommuType1Info>(buffer);
        ulong pageSizes = (info.Flags & N.IommuInfoPageSizes) != 0 ? info.IovaPageSizes : 0;
        List<(ulong, ulong)>? ranges = null;
        if ((info.Flags & N.IommuInfoCaps) != 0)
        {
            long offset = info.CapOffset;
            int headerSize = Marshal.SizeOf<N.InfoCapHeader>();
            int capSize = Marshal.SizeOf<N.IovaRangeCap>();
            int rangeSize = Marshal.SizeOf<N.IovaRange>();
            for (int hops = 0; offset != 0; hops++)
            {
                if (hops > 64 || offset < infoSize || offset + headerSize > buffer.Length)
                    throw new VfioException($"VFIO_IOMMU_GET_INFO capability chain is malformed (capability at offset {offset} of {buffer.Length} bytes)");
                var header = MemoryMarshal.Read<N.InfoCapHeader>(buffer[(int)offset..]);
                if (header.Id == N.IommuType1InfoCapIovaRange)
                {
                    if (offset + capSize > buffer.Length)
                        throw new VfioException("VFIO_IOMMU_GET_INFO IOVA-range capability is cut short");
                    var cap = MemoryMarshal.Read<N.IovaRangeCap>(buffer[(int)offset..]);
                    long end = offset + capSize + (long)cap.NrIovas * rangeSize;
                    if (end > buffer.Length)
                        throw new VfioException($"VFIO_IOMMU_GET_INFO reports {cap.NrIovas} IOVA ranges, more than its {buffer.Length} bytes hold");
                    ranges = [];
                    for (long at = offset + capSize; at < end; at += rangeSize)
                    {
                        var range = MemoryMarshal.Read<N.IovaRange>(buffer[(int)at..]);
                        ranges.Add((range.Start, range.End));
                    }
                }
                offset = header.Next;
            }
        }
        return new VfioIommuInfo(pageSizes, ranges);
    }

    /// <summary>Null if [iova, iova + size) can be mapped with 2 MiB-aligned pieces; else why not, as a sentence.</summary>
    public string? CheckWindow(ulong iova, ulong size)
    {
        if (size == 0 || iova + size < iova) return $"the DMA window 0x{iova:x} + {size} bytes is empty or wraps";
        ulong last = iova + size - 1;
        if (PageSizes != 0)
        {
            ulong smallest = PageSizes & (~PageSizes + 1);
            if (smallest > (2UL << 20))
                return $"the IOMMU's smallest page is {smallest:#,0} bytes; the DMA area is built from 2 MiB pages";
        }
        if (IovaRanges is not null && !IovaRanges.Any(r => r.Start <= iova && last <= r.End))
            return $"the IOMMU cannot map IOVA [0x{iova:x}, 0x{last:x}] (the DMA window of design decision 2); its usable IOVA ranges are " +
                   string.Join(", ", IovaRanges.Select(r => $"[0x{r.Start:x}, 0x{r.End:x}]"));
        return null;
    }
}
