using Tender.Pci.Dma;

namespace Tender.Pci.Tests;

/// <summary>The DMA area's memory (real mmap here; only the IOMMU mapping needs VFIO).</summary>
public sealed class DmaAreaTests
{
    private const ulong MiB = 1 << 20;

    [Fact]
    public void AllocatesZeroedMemoryAndStatesItsBacking()
    {
        using DmaArea area = DmaArea.Allocate(4 * MiB);
        Assert.Equal(DmaArea.WindowBase, area.BaseIova);
        Assert.Equal(4 * MiB, area.Size);
        // Which backing depends on the host's reserved huge pages; the area must say which it got.
        long freeHuge = FreeHugePages2M();
        if (freeHuge < 2) Assert.Equal(DmaBacking.NormalPagesWithThpAdvice, area.Backing);
        Assert.True(Enum.IsDefined(area.Backing));
        Assert.True(area.TryGetSpan(DmaArea.WindowBase + 4 * MiB - 8, 8, out Span<byte> tail));
        Assert.Equal(new byte[8], tail.ToArray());
        tail.Fill(0xAB);
        Assert.Equal(0xAB, area.GetSpan(4 * MiB - 1, 1)[0]);
        Assert.False(area.IsMappedInIommu);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(4096UL)]
    [InlineData(3UL << 20)]
    [InlineData((1UL << 39) + (2UL << 20))]
    public void RejectsSizesThatAreNotWhole2MiBPages(ulong size) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DmaArea.Allocate(size));

    [Fact]
    public void SpansAreBoundsCheckedAtEveryEdge()
    {
        using DmaArea area = DmaArea.Allocate(2 * MiB);
        ulong b = area.BaseIova, end = b + area.Size;
        Assert.True(area.TryGetSpan(b, 1, out _));
        Assert.True(area.TryGetSpan(b, (int)area.Size, out _));
        Assert.True(area.TryGetSpan(end - 1, 1, out _));
        Assert.False(area.TryGetSpan(b - 1, 1, out _));
        Assert.False(area.TryGetSpan(b - 1, 2, out _));
        Assert.False(area.TryGetSpan(end, 1, out _));
        Assert.False(area.TryGetSpan(end - 1, 2, out _));
        Assert.False(area.TryGetSpan(b, 0, out _));
        Assert.False(area.TryGetSpan(b, -1, out _));
        Assert.False(area.TryGetSpan(ulong.MaxValue, int.MaxValue, out _));
        Assert.False(area.TryGetSpan(0, 16, out _));
    }

    [Fact]
    public void DisposedAreaGivesNoMemory()
    {
        DmaArea area = DmaArea.Allocate(2 * MiB);
        area.Dispose();
        Assert.False(area.TryGetSpan(area.BaseIova, 1, out _));
        Assert.Throws<ObjectDisposedException>(() => area.HostAddress);
        area.Dispose(); // twice is harmless
    }

    [Fact]
    public void ArrayDmaMemoryAppliesTheSameChecks()
    {
        var memory = new ArrayDmaMemory(1UL << 40, 4096);
        Assert.True(memory.TryGetSpan((1UL << 40) + 4095, 1, out _));
        Assert.False(memory.TryGetSpan((1UL << 40) + 4095, 2, out _));
        Assert.False(memory.TryGetSpan((1UL << 40) - 1, 1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArrayDmaMemory(ulong.MaxValue - 10, 4096));
    }

    private static long FreeHugePages2M()
    {
        const string path = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages";
        return File.Exists(path) ? long.Parse(File.ReadAllText(path).Trim()) : 0;
    }
}
