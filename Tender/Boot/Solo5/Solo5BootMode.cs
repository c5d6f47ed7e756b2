using Tender.Loader;
using Tender.Paging;

namespace Tender.Boot.Solo5;

/// <summary>
/// Solo5 mode (design decision 1, docs/solo5-mode.md): boots an unmodified Solo5 hvt unikernel
/// the way solo5-hvt does — CPL 0, Solo5's boot GDT, page tables, boot info, manifest copy and
/// command line at Solo5's addresses, CPUID as KVM supports it.
/// </summary>
public sealed class Solo5BootMode : IBootMode
{
    public string Name => "solo5";

    /// <summary>
    /// solo5-hvt's rule: round down to a whole number of 2 MiB pages (at least one), and refuse
    /// more than the 4 GiB its four page directories can map.
    /// </summary>
    public ulong AdjustMemorySize(ulong requestedBytes)
    {
        ulong size = requestedBytes / Solo5Layout.LargePageSize * Solo5Layout.LargePageSize;
        if (size == 0) size = Solo5Layout.LargePageSize;
        if (size > Solo5Layout.MaxMemorySize)
            throw new TenderException(
                $"guest memory {ElfImageSize(requestedBytes)} is more than Solo5 mode's maximum of 4 GiB (4096 MiB)");
        return size;
    }

    /// <summary>Solo5 keeps nothing at the top of memory: the guest's stack starts there.</summary>
    public ulong ReservedTop(ElfImage elf, ulong memorySize) => 0;

    public BootSetup Prepare(BootContext context)
    {
        ulong memorySize = context.MemorySize;
        // AdjustMemorySize produced this; checked again because everything below relies on it.
        if (memorySize % Solo5Layout.LargePageSize != 0 || memorySize == 0 || memorySize > Solo5Layout.MaxMemorySize)
            throw new TenderException($"Solo5 mode needs a memory size that is a non-zero multiple of 2 MiB up to 4 GiB, not 0x{memorySize:x}");
        if (context.Ram.GuestPhysicalAddress != 0 || context.Ram.Size < memorySize)
            throw new InvalidOperationException($"Solo5 mode expects RAM at guest-physical 0 of {memorySize:#,0} bytes");

        // Solo5's network ring, when the tender offers one, sits directly above mem_size, as
        // solo5-hvt puts it; its tables must still cover it, so the total must stay within 4 GiB.
        ulong ring = context.NetRingAddress, ringSpace = context.NetRingSpace;
        if (ring != 0)
        {
            if (ring != memorySize || ringSpace == 0 || ringSpace % Solo5Layout.LargePageSize != 0)
                throw new InvalidOperationException($"Solo5 mode expects the net ring right above memory in 2 MiB units, not at 0x{ring:x} + 0x{ringSpace:x}");
            if (ringSpace > Solo5Layout.MaxMemorySize - memorySize)
                throw new TenderException(
                    $"guest memory {memorySize >> 20} MiB plus {ringSpace >> 20} MiB for the network ring is more than Solo5 mode's 4 GiB; " +
                    $"use --mem={(Solo5Layout.MaxMemorySize - ringSpace) >> 20} or less");
            if (context.Ram.Size < memorySize + ringSpace)
                throw new InvalidOperationException("Solo5 mode expects RAM to include the net ring");
        }

        ulong kernelEnd = Solo5BootInfo.KernelEnd(context.Elf);
        byte[] lowMemory = Solo5BootInfo.Build(memorySize, kernelEnd, context.TscFrequencyHz,
            context.ManifestBinary, context.CommandLine, out Solo5LowMemory low, ring);

        // As solo5-hvt: the pages of read-only segments become read-only on the host, since
        // the guest's own page tables (all read-write) cannot be trusted to keep them so.
        var readOnly = ReadOnlySegmentPages(context.Elf);
        foreach (var r in readOnly) context.Ram.ProtectReadOnly(r.Start, r.End - r.Start);

        PageTables tables = BuildPageTables(memorySize + ringSpace);
        if (tables.PhysicalAddress + (ulong)tables.Image.Length > Solo5Layout.BootInfoAddress)
            throw new InvalidOperationException("Solo5 page tables overlap the boot info");

        context.Ram.Write(Solo5Layout.GdtAddress, Solo5CpuState.GdtImage());
        context.Ram.Write(tables.PhysicalAddress, tables.Image.Span);
        context.Ram.Write(Solo5Layout.BootInfoAddress, lowMemory);

        return new BootSetup
        {
            Registers = Solo5CpuState.Registers(context.Elf.Entry, memorySize),
            SpecialRegisters = Solo5CpuState.SpecialRegisters(tables.RootPhysicalAddress),
            Fpu = null,   // solo5-hvt leaves KVM's reset state (FCW 0x37f, MXCSR 0x1f80)
            Cpuid = null, // solo5-hvt passes KVM_GET_SUPPORTED_CPUID through unchanged
            // solo5-hvt accepts a guest buffer [gpa, gpa + len) only if gpa + len < mem_size
            // (strictly): the last byte of memory is never part of a hypercall argument, and
            // neither is the net ring above it. It checks bounds only; here the host-read-only
            // segment pages are also refused for the tender's writes (a NET_READ into .text
            // would otherwise make the tender fault on its own mprotect).
            GuestAccess = AccessMap(memorySize, readOnly),
            AddressSpace = AddressSpace(memorySize + ringSpace, context.Elf),
            ReadOnlyMemory = readOnly,
            FaultReporter = null, // no fault stub: with no IDT an exception is a triple fault
            // A Solo5 guest's cookie is the trap frame its exception handler saved, never text.
            HaltCookie = bytes => Solo5HaltCookie.DescribeTrapFrame(bytes),
            HaltTrapFrame = bytes => Solo5HaltCookie.ReadTrapFrame(bytes),
            LayoutDescription = Describe(memorySize, kernelEnd, low, tables, context.Elf, ring, ringSpace),
        };
    }

    /// <summary>
    /// The whole pages of the ELF's non-writable PT_LOAD segments that no writable segment
    /// touches (a page shared with data stays writable), in address order.
    /// </summary>
    public static IReadOnlyList<ReadOnlyRange> ReadOnlySegmentPages(ElfImage elf)
    {
        var ranges = new List<ReadOnlyRange>();
        foreach (var s in elf.LoadSegments)
        {
            if (s.IsWritable || s.MemorySize == 0) continue;
            ulong start = s.PageStart, end = s.PageEnd;
            foreach (var w in elf.LoadSegments)
            {
                if (!w.IsWritable || w.PageEnd <= start || w.PageStart >= end) continue;
                if (w.PageStart <= start) start = Math.Min(end, w.PageEnd);
                else end = w.PageStart;
            }
            if (start < end) ranges.Add(new ReadOnlyRange(start, end, $"ELF segment {s.ProgramHeaderIndex} ({s.FlagsText})"));
        }
        ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
        return ranges;
    }

    /// <summary>[0, memorySize - 1) writable except the read-only ranges, which are readable only.</summary>
    public static GuestAccessMap AccessMap(ulong memorySize, IReadOnlyList<ReadOnlyRange> readOnly)
    {
        var map = new GuestAccessMap();
        ulong limit = memorySize - 1, at = 0;
        foreach (var r in readOnly)
        {
            ulong start = Math.Min(r.Start, limit), end = Math.Min(r.End, limit);
            if (start > at) map.Add(at, start, writable: true);
            if (end > start) map.Add(start, end, writable: false);
            at = Math.Max(at, end);
        }
        if (limit > at) map.Add(at, limit, writable: true);
        return map;
    }

    /// <summary>
    /// The guest-virtual address space for a platform that maps pages itself (the process
    /// platform): what <see cref="BuildPageTables"/> maps, with rights as tight as the guest's
    /// own ELF allows rather than its tables' read-write-execute everywhere: the low area
    /// read-only, each page of the image with the union of the rights of the segments on it
    /// (R, RW or RX; a page text and data share keeps both), and the rest read-write. All
    /// supervisor: the guest believes it runs at CPL 0.
    /// </summary>
    public static List<Region> AddressSpace(ulong mappedSize, ElfImage elf)
    {
        const ulong Page = 4096;
        var regions = new List<Region>
        {
            new(Solo5Layout.BootInfoAddress, Solo5Layout.BootInfoAddress, Solo5Layout.ImageBase - Solo5Layout.BootInfoAddress, PageFlags.None),
        };
        ulong imageEnd = Solo5Layout.ImageBase;
        foreach (var s in elf.LoadSegments) imageEnd = Math.Max(imageEnd, Math.Min(s.PageEnd, mappedSize));
        var pages = new PageFlags[(imageEnd - Solo5Layout.ImageBase) / Page];
        var touched = new bool[pages.Length];
        foreach (var s in elf.LoadSegments)
        {
            if (s.MemorySize == 0) continue;
            var flags = (s.IsWritable ? PageFlags.Writable : 0) | (s.IsExecutable ? PageFlags.Executable : 0);
            for (ulong p = Math.Max(s.PageStart, Solo5Layout.ImageBase); p < Math.Min(s.PageEnd, imageEnd); p += Page)
            {
                ulong i = (p - Solo5Layout.ImageBase) / Page;
                pages[i] |= flags;
                touched[i] = true;
            }
        }
        for (int i = 0; i < pages.Length;)
        {
            var flags = touched[i] ? pages[i] : PageFlags.Writable; // gaps between segments: read-write, as the tables map them
            int j = i + 1;
            while (j < pages.Length && (touched[j] ? pages[j] : PageFlags.Writable) == flags) j++;
            ulong start = Solo5Layout.ImageBase + (ulong)i * Page;
            regions.Add(new Region(start, start, (ulong)(j - i) * Page, flags));
            i = j;
        }
        if (mappedSize > imageEnd) regions.Add(new Region(imageEnd, imageEnd, mappedSize - imageEnd, PageFlags.Writable));
        return regions;
    }

    /// <summary>
    /// The mappings solo5-hvt's tables make, identity-mapped and supervisor-only: nothing below
    /// 0x10000 (null page, GDT, the tables themselves); 0x10000–1 MiB read-only (boot info,
    /// manifest, command line); the rest of the allocation (memory and the net ring above it)
    /// read-write. No NX anywhere (EFER.NXE is off, where an NX bit would be a reserved-bit
    /// fault), so every region is marked executable.
    /// </summary>
    public static PageTables BuildPageTables(ulong mappedSize)
    {
        var builder = new PageTableBuilder(Solo5Layout.PageTablesAddress, Solo5Layout.PageTablesMaxBytes,
            forbidWritableExecutable: false);
        builder.Map(new Region(Solo5Layout.BootInfoAddress, Solo5Layout.BootInfoAddress,
            Solo5Layout.ImageBase - Solo5Layout.BootInfoAddress, PageFlags.Executable));
        builder.Map(new Region(Solo5Layout.ImageBase, Solo5Layout.ImageBase,
            mappedSize - Solo5Layout.ImageBase, PageFlags.Writable | PageFlags.Executable));
        return builder.Build();
    }

    private static List<string> Describe(ulong memorySize, ulong kernelEnd, Solo5LowMemory low, PageTables tables, ElfImage elf,
        ulong ring, ulong ringSpace)
    {
        var lines = new List<string>
        {
            $"solo5: memory 0x0-0x{memorySize - 1:x} ({memorySize / (1024 * 1024)} MiB), CPL 0",
            $"solo5: GDT 0x{Solo5Layout.GdtAddress:x}, page tables 0x{tables.PhysicalAddress:x}-0x{tables.PhysicalAddress + (ulong)tables.Image.Length - 1:x} ({tables.TablePageCount} pages), not mapped",
            $"solo5: boot info 0x{low.BootInfo:x}, manifest 0x{low.Manifest:x} ({low.ManifestLength} bytes), command line 0x{low.CommandLine:x}, read-only up to 0x{Solo5Layout.ImageBase:x}",
        };
        foreach (LoadSegment s in elf.LoadSegments)
            lines.Add($"solo5: segment {s.FlagsText} 0x{s.VirtualAddress:x}-0x{s.End - 1:x} (file 0x{s.FileSize:x})");
        lines.Add($"solo5: kernel_end 0x{kernelEnd:x}, entry 0x{elf.Entry:x}, stack top 0x{memorySize - 8:x}");
        if (ring != 0)
            lines.Add($"solo5: network ring 0x{ring:x}-0x{ring + ringSpace - 1:x} (host_features RING_IO), not usable by hypercalls");
        return lines;
    }

    private static string ElfImageSize(ulong bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB" : $"{bytes:#,0} bytes";
}
