namespace Tender.Pci.Dma;

/// <summary>
/// A device's view of DMA memory: the IOVA range [<see cref="BaseIova"/>, BaseIova + <see cref="Size"/>)
/// and nothing else. This is the emulated device's IOMMU: every descriptor and buffer access goes
/// through <see cref="TryGetSpan"/>, which refuses any range that is not wholly inside the area,
/// so a hostile or buggy driver can make the device fail but never reach other host memory.
/// </summary>
public interface IDmaMemory
{
    /// <summary>The first device-visible address (the guest's DMA window: 2^40).</summary>
    ulong BaseIova { get; }

    /// <summary>Bytes in the area.</summary>
    ulong Size { get; }

    /// <summary>
    /// The bytes at [iova, iova + length) if length &gt; 0 and the whole range lies inside the
    /// area (overflow-safe); otherwise false and an empty span. The span is valid until the area
    /// is disposed; callers use it at once and never keep it.
    /// </summary>
    bool TryGetSpan(ulong iova, int length, out Span<byte> span);
}

/// <summary>The range check every <see cref="IDmaMemory"/> applies, in one place.</summary>
public static class DmaRange
{
    /// <summary>
    /// The offset of [iova, iova + length) inside an area [baseIova, baseIova + size), or -1 if
    /// length is not positive or the range is not wholly inside. No addition can overflow:
    /// the checks subtract from values already known to be in range.
    /// </summary>
    public static long OffsetOf(ulong baseIova, ulong size, ulong iova, int length)
    {
        if (length <= 0 || iova < baseIova) return -1;
        ulong offset = iova - baseIova;
        if (offset >= size || (ulong)length > size - offset) return -1;
        return (long)offset;
    }
}

/// <summary>DMA memory backed by a managed byte array (tests, and the emulated device without KVM).</summary>
public sealed class ArrayDmaMemory : IDmaMemory
{
    private readonly byte[] _bytes;

    public ArrayDmaMemory(ulong baseIova, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (baseIova + (ulong)size < baseIova) throw new ArgumentOutOfRangeException(nameof(baseIova), "the area wraps around 2^64");
        BaseIova = baseIova;
        _bytes = new byte[size];
    }

    public ulong BaseIova { get; }
    public ulong Size => (ulong)_bytes.Length;

    /// <summary>The whole area, for a test driver that plays the guest.</summary>
    public Span<byte> Bytes => _bytes;

    public bool TryGetSpan(ulong iova, int length, out Span<byte> span)
    {
        long offset = DmaRange.OffsetOf(BaseIova, Size, iova, length);
        if (offset < 0)
        {
            span = default;
            return false;
        }
        span = _bytes.AsSpan((int)offset, length);
        return true;
    }
}

/// <summary>No DMA memory at all (a manifest without dma_size): every device access is refused.</summary>
public sealed class NoDmaMemory : IDmaMemory
{
    public static readonly NoDmaMemory Instance = new();

    private NoDmaMemory() { }

    public ulong BaseIova => 1UL << 40;
    public ulong Size => 0;

    public bool TryGetSpan(ulong iova, int length, out Span<byte> span)
    {
        span = default;
        return false;
    }
}
