using System.Runtime.InteropServices;
using Tender.Host;
using Tender.Host.Interop;

namespace Tender.Pci.Dma;

/// <summary>How a <see cref="DmaArea"/>'s memory is backed.</summary>
public enum DmaBacking
{
    /// <summary>Explicit 2 MiB huge pages (MAP_HUGETLB | MAP_HUGE_2MB) from the kernel's reserved pool.</summary>
    HugeTlb2MiB,
    /// <summary>
    /// The stated fallback when no huge pages are reserved (vm.nr_hugepages too small): normal
    /// 4 KiB pages with madvise(MADV_HUGEPAGE), so transparent huge pages may still back it.
    /// </summary>
    NormalPagesWithThpAdvice,
}

/// <summary>
/// The guest's DMA area (manifest <c>dma_size</c>): anonymous host memory that is at the same time
/// the backing of the guest's DMA window (a KVM memory slot the tender maps at guest-virtual 2^40)
/// and, for a VFIO device, mapped in the IOMMU with IOVA = guest-virtual address (design decision 2),
/// so a driver writes the pointer it holds into a descriptor. For the emulated device it is the
/// <see cref="IDmaMemory"/> the model reads descriptors and buffers from.
/// Unmapped from the IOMMU and from the process exactly once, on every path (Dispose or finalizer).
/// </summary>
public sealed unsafe class DmaArea : IDmaMemory, IDisposable
{
    /// <summary>The DMA window's guest-virtual address and IOVA (design decision 2).</summary>
    public const ulong WindowBase = 1UL << 40;
    /// <summary>The area is built from and mapped with 2 MiB pages, so its size is a multiple of this.</summary>
    public const ulong PageSize = 2UL << 20;
    /// <summary>The manifest's limit for dma_size.</summary>
    public const ulong MaxSize = 1UL << 39;

    private nint _address;
    private Vfio.VfioContainer? _iommu;

    private DmaArea(nint address, ulong size, ulong baseIova, DmaBacking backing)
    {
        _address = address;
        Size = size;
        BaseIova = baseIova;
        Backing = backing;
    }

    public ulong BaseIova { get; }
    public ulong Size { get; }
    public DmaBacking Backing { get; }

    /// <summary>The host address of the first byte (for the KVM memory slot and VFIO_IOMMU_MAP_DMA).</summary>
    public nint HostAddress
    {
        get
        {
            ObjectDisposedException.ThrowIf(_address == 0, this);
            return _address;
        }
    }

    /// <summary>Whether the area is currently mapped in a VFIO container's IOMMU.</summary>
    public bool IsMappedInIommu => _iommu is not null;

    /// <summary>
    /// Allocates a zero-filled area of size bytes (a non-zero multiple of 2 MiB, at most 2^39)
    /// whose device-visible addresses start at baseIova (2^40 for a guest). Tries hugetlb pages
    /// first, then falls back to normal pages advised for THP (<see cref="Backing"/> says which).
    /// </summary>
    public static DmaArea Allocate(ulong size, ulong baseIova = WindowBase)
    {
        if (size == 0 || size % PageSize != 0 || size > MaxSize)
            throw new ArgumentOutOfRangeException(nameof(size), size, "the DMA area must be a non-zero multiple of 2 MiB, at most 2^39 bytes");
        if (baseIova % PageSize != 0 || baseIova + size < baseIova)
            throw new ArgumentOutOfRangeException(nameof(baseIova), baseIova, "the DMA area's IOVA must be 2 MiB aligned and not wrap");

        const int prot = MemoryMapping.PROT_READ | MemoryMapping.PROT_WRITE;
        // MAP_POPULATE: VFIO pins the pages when mapping anyway; faulting them in here makes a
        // hugetlb shortfall show up now (as a failed mmap) instead of as SIGBUS on first touch.
        nint address = MemoryMapping.Mmap(0, (nuint)size, prot,
            MemoryMapping.MAP_PRIVATE | MemoryMapping.MAP_ANONYMOUS | MemoryMapping.MAP_HUGETLB |
            MemoryMapping.MAP_HUGE_2MB | MemoryMapping.MAP_POPULATE, -1, 0);
        if (address != MemoryMapping.MAP_FAILED)
            return new DmaArea(address, size, baseIova, DmaBacking.HugeTlb2MiB);

        address = MemoryMapping.Mmap(0, (nuint)size, prot,
            MemoryMapping.MAP_PRIVATE | MemoryMapping.MAP_ANONYMOUS | MemoryMapping.MAP_NORESERVE, -1, 0);
        if (address == MemoryMapping.MAP_FAILED)
            throw HostException.FromLastError($"mmap of a {size:#,0}-byte DMA area");
        // Advice only: a kernel without THP refuses it and the area still works with 4 KiB pages.
        _ = MemoryMapping.Madvise(address, (nuint)size, MemoryMapping.MADV_HUGEPAGE);
        return new DmaArea(address, size, baseIova, DmaBacking.NormalPagesWithThpAdvice);
    }

    /// <summary>The host memory of the whole area (for the tender and tests; the device model uses <see cref="TryGetSpan"/>).</summary>
    public Span<byte> GetSpan(ulong offset, int length)
    {
        ObjectDisposedException.ThrowIf(_address == 0, this);
        if (DmaRange.OffsetOf(0, Size, offset, length) < 0)
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, +{length}) is outside the {Size}-byte DMA area");
        return new Span<byte>((byte*)_address + offset, length);
    }

    public bool TryGetSpan(ulong iova, int length, out Span<byte> span)
    {
        long offset = DmaRange.OffsetOf(BaseIova, Size, iova, length);
        nint address = _address;
        if (offset < 0 || address == 0)
        {
            span = default;
            return false;
        }
        span = new Span<byte>((byte*)address + offset, length);
        return true;
    }

    /// <summary>
    /// Maps the area in a VFIO container's IOMMU, readable and writable by the device, at
    /// <see cref="BaseIova"/>. Undone by <see cref="Dispose"/> (or when the container closes).
    /// </summary>
    public void MapInto(Vfio.VfioContainer container)
    {
        ObjectDisposedException.ThrowIf(_address == 0, this);
        if (_iommu is not null) throw new InvalidOperationException("the DMA area is already mapped in an IOMMU");
        container.MapDma((ulong)_address, BaseIova, Size);
        _iommu = container;
    }

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    ~DmaArea() => Release();

    private void Release()
    {
        // Unmap from the IOMMU before the memory goes: the device must never DMA into freed pages.
        Vfio.VfioContainer? iommu = Interlocked.Exchange(ref _iommu, null);
        if (iommu is not null && !iommu.IsClosed) iommu.TryUnmapDma(BaseIova, Size);
        nint address = Interlocked.Exchange(ref _address, 0);
        if (address != 0) MemoryMapping.Munmap(address, (nuint)Size);
    }
}
