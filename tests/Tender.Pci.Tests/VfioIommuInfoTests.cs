using System.Buffers.Binary;
using Tender.Pci.Vfio;

namespace Tender.Pci.Tests;

/// <summary>VFIO_IOMMU_GET_INFO decoding, checked against a buffer laid out by C with the kernel's own structs.</summary>
public sealed class VfioIommuInfoTests
{
    private const string CProgram = """
        #include <stdio.h>
        #include <string.h>
        #include <linux/vfio.h>
        int main(void) {
            unsigned char buf[128];
            memset(buf, 0, sizeof buf);
            struct vfio_iommu_type1_info *info = (void *)buf;
            struct vfio_info_cap_header *other = (void *)(buf + 24);
            struct vfio_iommu_type1_info_cap_iova_range *iova = (void *)(buf + 32);
            info->flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
            info->iova_pgsizes = 0x40201000ULL;            /* 4 KiB, 2 MiB, 1 GiB */
            info->cap_offset = 24;
            other->id = 99; other->version = 1; other->next = 32;  /* a capability we do not know */
            iova->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
            iova->header.version = 1;
            iova->header.next = 0;
            iova->nr_iovas = 2;
            iova->iova_ranges[0].start = 0; iova->iova_ranges[0].end = 0xfedfffffULL;
            iova->iova_ranges[1].start = 0xfef00000ULL; iova->iova_ranges[1].end = 0xffffffffffffULL;
            info->argsz = 32 + sizeof(*iova) + 2 * sizeof(struct vfio_iova_range);
            for (unsigned i = 0; i < info->argsz; i++) printf("%02x", buf[i]);
            printf("\n");
            return 0;
        }
        """;

    [Fact]
    public void ParsesTheKernelsLayoutIncludingTheIovaRangeCapability()
    {
        using var dir = new TempDir();
        string source = Path.Combine(dir.Path, "info.c"), binary = Path.Combine(dir.Path, "info");
        File.WriteAllText(source, CProgram);
        var (code, _, err) = VfioAbiTests.Run("gcc", $"-std=c11 -Wall -Werror -o {binary} {source}");
        Assert.True(code == 0, err);
        var (runCode, hex, _) = VfioAbiTests.Run(binary, "");
        Assert.Equal(0, runCode);
        byte[] buffer = Convert.FromHexString(hex.Trim());
        Assert.Equal(80, buffer.Length);

        VfioIommuInfo info = VfioIommuInfo.Parse(buffer);
        Assert.Equal(0x40201000UL, info.PageSizes);
        Assert.Equal([(0UL, 0xFEDFFFFFUL), (0xFEF00000UL, 0xFFFFFFFFFFFFUL)], info.IovaRanges);
        Assert.Null(info.CheckWindow(1UL << 40, 64UL << 20));
        Assert.Contains("cannot map IOVA", info.CheckWindow(0xFEE00000, 2UL << 20));   // the MSI hole
    }

    private static byte[] Info(uint flags, ulong pageSizes, uint capOffset, int length)
    {
        var b = new byte[length];
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), pageSizes);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), capOffset);
        return b;
    }

    private static void IovaCap(byte[] b, int at, uint next, uint count, params (ulong Start, ulong End)[] ranges)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at + 4), next);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at + 8), count);
        for (int i = 0; i < ranges.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at + 16 + 16 * i), ranges[i].Start);
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at + 24 + 16 * i), ranges[i].End);
        }
    }

    [Fact]
    public void An39BitIommuCannotHoldTheDmaWindowAndSaysSo()
    {
        byte[] b = Info(3, 0x1000, 24, 24 + 16 + 16);
        IovaCap(b, 24, 0, 1, (0, (1UL << 39) - 1));
        string? problem = VfioIommuInfo.Parse(b).CheckWindow(1UL << 40, 16UL << 20);
        Assert.NotNull(problem);
        Assert.Contains("cannot map IOVA [0x10000000000, 0x10000ffffff]", problem);
        Assert.Contains("[0x0, 0x7fffffffff]", problem);
    }

    [Fact]
    public void WithoutCapabilitiesOnlyPageSizesAreChecked()
    {
        var info = VfioIommuInfo.Parse(Info(1, 0x1000, 0, 24));
        Assert.Null(info.IovaRanges);
        Assert.Null(info.CheckWindow(1UL << 40, 2UL << 20));
        Assert.Contains("smallest page", VfioIommuInfo.Parse(Info(1, 1UL << 30, 0, 24)).CheckWindow(1UL << 40, 2UL << 20));
    }

    [Theory]
    [InlineData(8, "fewer than")]          // shorter than the struct
    [InlineData(-1, "malformed")]          // capability offset past the end
    [InlineData(-2, "malformed")]          // a loop
    [InlineData(-3, "more than")]          // range count overruns the buffer
    [InlineData(-4, "malformed")]          // capability inside the struct itself
    public void MalformedInfoIsRejectedNotFollowed(int variant, string expected)
    {
        byte[] b = variant switch
        {
            8 => new byte[8],
            -1 => Info(3, 0x1000, 200, 24),
            -2 => Info(3, 0x1000, 24, 24 + 16),
            -3 => Info(3, 0x1000, 24, 24 + 16 + 16),
            _ => Info(3, 0x1000, 8, 24 + 16),
        };
        if (variant == -2) IovaCap(b, 24, 24, 0);
        if (variant == -3) IovaCap(b, 24, 0, 1000, (0, 1));
        var e = Assert.Throws<VfioException>(() => VfioIommuInfo.Parse(b));
        Assert.Contains(expected, e.Message);
    }
}
