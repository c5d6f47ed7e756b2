using System.Runtime.InteropServices;
using System.Text;
using Solo5;
using Tender.Loader;

namespace Tender.Boot.Solo5;

/// <summary>Where <see cref="Solo5BootInfo.Write"/> put things, for the layout description and tests.</summary>
public readonly record struct Solo5LowMemory(ulong BootInfo, ulong Manifest, ulong ManifestLength, ulong CommandLine, ulong End);

/// <summary>
/// The contents of Solo5's low memory (docs/solo5-mode.md, section 5): struct hvt_boot_info at
/// 0x10000, followed directly by the manifest copy, followed by the 8192-byte command-line area.
/// </summary>
public static class Solo5BootInfo
{
    /// <summary>
    /// Builds the low-memory image that goes at <see cref="Solo5Layout.BootInfoAddress"/>.
    /// <paramref name="manifest"/> is the binary struct mft with the device fields filled in;
    /// <paramref name="commandLine"/> the guest arguments joined by single spaces;
    /// <paramref name="netRing"/> the guest address of the shared network ring, 0 when the
    /// tender offers none (then host_features is 0 and guests use the NET hypercalls).
    /// </summary>
    public static byte[] Build(ulong memorySize, ulong kernelEnd, ulong cpuCycleFrequency,
        ReadOnlySpan<byte> manifest, string commandLine, out Solo5LowMemory layout, ulong netRing = 0)
    {
        byte[] cmdline = Encoding.UTF8.GetBytes(commandLine);
        if (cmdline.Length > Solo5Layout.CommandLineSize - 1)
            throw new TenderException(
                $"guest command line too long: {cmdline.Length} bytes, at most {Solo5Layout.CommandLineSize - 1} (Solo5's HVT_CMDLINE_SIZE with its NUL)");
        if (cmdline.AsSpan().Contains((byte)0))
            throw new TenderException("guest command line contains a NUL byte");

        ulong manifestAt = Solo5Layout.BootInfoAddress + Solo5Layout.BootInfoSize;
        ulong cmdlineAt = manifestAt + (ulong)manifest.Length;
        ulong end = cmdlineAt + Solo5Layout.CommandLineSize;
        // A manifest has at most 64 entries (6664 bytes), so this always fits; checked because the
        // image must never reach the ELF at 1 MiB.
        if (end > Solo5Layout.ImageBase)
            throw new TenderException($"Solo5 low memory (boot info, {manifest.Length}-byte manifest, command line) does not fit below 0x{Solo5Layout.ImageBase:x}");
        layout = new Solo5LowMemory(Solo5Layout.BootInfoAddress, manifestAt, (ulong)manifest.Length, cmdlineAt, end);

        var image = new byte[end - Solo5Layout.BootInfoAddress];
        // guest_features stays 0: the guest writes it. Without a ring, host_features and net_ring
        // stay 0 too, which Solo5's bindings read as "use the NET hypercalls".
        var bootInfo = new HvtAbi.BootInfo
        {
            MemSize = memorySize,
            KernelEnd = kernelEnd,
            CpuCycleFreq = cpuCycleFrequency,
            Cmdline = cmdlineAt,
            Manifest = manifestAt,
            HostFeatures = netRing != 0 ? HvtAbi.FeatureRingIo : 0,
            NetRing = netRing,
        };
        MemoryMarshal.Write(image.AsSpan(0, (int)Solo5Layout.BootInfoSize), in bootInfo);
        manifest.CopyTo(image.AsSpan((int)(manifestAt - Solo5Layout.BootInfoAddress)));
        cmdline.CopyTo(image.AsSpan((int)(cmdlineAt - Solo5Layout.BootInfoAddress)));
        // The NUL and the rest of the 8192-byte area are already zero.
        return image;
    }

    /// <summary>
    /// kernel_end as solo5-hvt computes it: the highest end of a PT_LOAD segment that has file
    /// bytes, rounded up to that segment's p_align. Segments with no file bytes (Solo5 images put
    /// .bss in one) are skipped by solo5-hvt's loader, so they do not count.
    /// </summary>
    /// <remarks>
    /// solo5-hvt refuses an alignment that is not a power of two above 0 and a segment end that is
    /// not 4 KiB aligned after rounding; our loader accepts such images, so the result is also
    /// rounded up to 4 KiB, which is what solo5-hvt would have demanded.
    /// </remarks>
    public static ulong KernelEnd(ElfImage elf)
    {
        ulong kernelEnd = 0;
        foreach (LoadSegment s in elf.LoadSegments)
        {
            if (s.FileSize == 0) continue;
            ulong align = Math.Max(s.Alignment, ElfImage.PageSize);
            if ((align & (align - 1)) != 0) align = ElfImage.PageSize; // the loader already rejects this
            // The loader checked End + 4095 does not overflow; larger alignments saturate at the top.
            ulong end = s.End > ulong.MaxValue - (align - 1) ? ulong.MaxValue & ~(align - 1) : (s.End + align - 1) & ~(align - 1);
            kernelEnd = Math.Max(kernelEnd, end);
        }
        return kernelEnd;
    }
}
