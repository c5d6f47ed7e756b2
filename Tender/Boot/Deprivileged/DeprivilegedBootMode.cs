using System.Runtime.InteropServices;
using System.Text;
using Solo5;
using Tender.Loader;
using Tender.Paging;

namespace Tender.Boot.Deprivileged;

/// <summary>
/// Deprivileged mode (docs/abi.md): the guest runs at CPL 3 in an address space the tender builds;
/// the GDT, IDT, TSS, fault stub and page tables live in a separate memory slot (the "system
/// area") that the guest's page tables either map supervisor-only or not at all.
/// </summary>
public sealed class DeprivilegedBootMode : IBootMode
{
    /// <summary>Guest-physical (and guest-virtual) base of the system area: 16 GiB, above any RAM
    /// this mode allows and below 2^35 (platform.md: 2^36 and up is unreachable on nested hosts).</summary>
    public const ulong SystemAreaBase = 1UL << 34;

    // Offsets inside the system area, each page-aligned so each gets its own page rights.
    private const ulong GdtOffset = 0x0000;
    private const ulong IdtOffset = 0x1000;
    private const ulong TssOffset = 0x2000;          // 3 pages: TSS + I/O bitmap + end byte
    private const ulong StubOffset = 0x5000;
    private const ulong StubStackOffset = 0x6000;    // 2 pages
    private const ulong StubStackTop = 0x8000;
    private const ulong TablesOffset = 0x8000;

    /// <summary>Low-memory addresses of what the tender places for the guest (docs/abi.md). They
    /// start at 64 KiB, Linux's default vm.mmap_min_addr, so the process platform can map them in
    /// an unprivileged child too; everything below stays unmapped, as the null page.</summary>
    public const ulong LowAreaStart = 0x10000;
    public const ulong BootInfoAddress = LowAreaStart;
    /// <summary>Solo5's boot info since v0.11: the five original fields, host_features,
    /// guest_features and net_ring.</summary>
    public const int BootInfoSize = 56;
    public const ulong CommandLineAddress = LowAreaStart + 0x1000;
    public const int CommandLineSize = 8192;
    public const ulong ManifestAddress = LowAreaStart + 0x3000;

    public const ulong MinimumMemory = 2UL << 20;
    public const ulong MaximumMemory = 4UL << 30;

    private const ulong Page = 4096;

    // Ports the guest may use: the hypercalls 0x500 + n and the ring kick 0x600 (docs/abi.md). The
    // CPU checks one bitmap bit per byte accessed, so the 32-bit `out` to 0x600 needs 0x600..0x603.
    private static readonly (int First, int Last)[] GuestPorts = [(0x500, 0x5FF), (0x600, 0x603)];

    public string Name => "deprivileged";

    public ulong AdjustMemorySize(ulong requestedBytes)
    {
        if (requestedBytes < MinimumMemory || requestedBytes > MaximumMemory)
            throw new TenderException($"--mem: {requestedBytes >> 20} MiB is outside the {MinimumMemory >> 20}..{MaximumMemory >> 20} MiB a deprivileged guest can have");
        return requestedBytes & ~(Page - 1);
    }

    public ulong ReservedTop(ElfImage elf, ulong memorySize) =>
        (elf.Deprivileged ?? throw new InvalidOperationException("not a deprivileged guest")).ReservedTop;

    public BootSetup Prepare(BootContext context)
    {
        var note = context.Elf.Deprivileged ?? throw new InvalidOperationException("not a deprivileged guest");
        ulong memorySize = context.MemorySize;
        ulong stackSize = note.EffectiveStackSize;
        ulong stackBottom = memorySize - stackSize;
        ulong guardPage = stackBottom - TenderDeprivilegedNote.GuardPageSize;
        ulong kernelEnd = AlignUp(context.Elf.KernelEnd);

        // --- The guest's own pages (user), and what hypercall arguments may point to.
        var regions = new List<Region>();
        var access = new GuestAccessMap();
        var layout = new List<string>();
        void User(ulong start, ulong end, PageFlags flags, string what)
        {
            if (end <= start) return;
            regions.Add(new Region(start, start, end - start, flags | PageFlags.User));
            access.Add(start, end, (flags & PageFlags.Writable) != 0);
            layout.Add($"  [0x{start:x9}, 0x{end:x9}) {Rights(flags)} {what}");
        }
        layout.Add($"  [0x{0:x9}, 0x{LowAreaStart:x9}) unmapped null area");
        User(LowAreaStart, context.Elf.ImageStart, PageFlags.Writable, "boot info, command line, manifest, free low memory");
        foreach (var (start, end, flags, what) in SegmentPages(context.Elf))
            User(start, end, flags, what);
        User(kernelEnd, guardPage, PageFlags.Writable, "heap");
        layout.Add($"  [0x{guardPage:x9}, 0x{stackBottom:x9}) unmapped stack guard page");
        User(stackBottom, memorySize, PageFlags.Writable, $"stack ({stackSize >> 10} KiB)");
        if (context.NetRingAddress != 0)
        {
            // Mapped for the guest, but not in the access map: no hypercall or ring buffer may point into it.
            ulong ring = context.NetRingAddress, ringEnd = ring + context.NetRingSpace;
            regions.Add(new Region(ring, ring, ringEnd - ring, PageFlags.Writable | PageFlags.User));
            layout.Add($"  [0x{ring:x9}, 0x{ringEnd:x9}) RW- shared network ring (not usable as a buffer)");
        }

        foreach (var (window, what) in context.DeviceWindows)
        {
            // Mapped for the guest, never in the access map: hypercall buffers stay in RAM.
            regions.Add(window);
            layout.Add($"  [0x{window.VirtualAddress:x}, 0x{window.VirtualAddress + window.Length:x}) {Rights(window.Flags)}{((window.Flags & PageFlags.Uncached) != 0 ? " uncached" : "")} {what} -> guest-physical 0x{window.PhysicalAddress:x}");
        }

        // --- The system area (supervisor only).
        ulong sys = SystemAreaBase;
        regions.Add(new Region(sys + GdtOffset, sys + GdtOffset, StubOffset - GdtOffset, PageFlags.Writable)); // GDT, IDT, TSS
        regions.Add(new Region(sys + StubOffset, sys + StubOffset, Page, PageFlags.Executable));               // fault stub
        regions.Add(new Region(sys + StubStackOffset, sys + StubStackOffset, StubStackTop - StubStackOffset, PageFlags.Writable));
        layout.Add($"  [0x{sys:x9}, 0x{sys + TablesOffset:x9}) supervisor: GDT, IDT, TSS + I/O bitmap, fault stub, stub stack");

        PageTables tables;
        ulong tablesAddress = sys + TablesOffset;
        try
        {
            var builder = new PageTableBuilder(tablesAddress, maxTableBytes: 64UL << 20);
            builder.Map(regions);
            tables = builder.Build();
        }
        catch (ArgumentException e)
        {
            throw new TenderException($"cannot map the guest: {e.Message}");
        }
        ulong systemSize = AlignUp(TablesOffset + (ulong)tables.Image.Length);
        layout.Add($"  [0x{tablesAddress:x9}, 0x{sys + systemSize:x9}) page tables ({tables.TablePageCount} pages, not mapped)");

        var system = context.Machine.AddMemory("tender system area", sys, systemSize);
        system.Write(sys + GdtOffset, SystemTables.BuildGdt(sys + TssOffset));
        system.Write(sys + IdtOffset, SystemTables.BuildIdt(sys + StubOffset));
        system.Write(sys + TssOffset, SystemTables.BuildTss(sys + StubStackTop, GuestPorts));
        system.Write(sys + StubOffset, FaultStub.Assemble());
        system.Write(tablesAddress, tables.Image.Span);

        // --- Boot info, command line and manifest in low memory.
        var ram = context.Ram;
        byte[] cmdline = Encoding.UTF8.GetBytes(context.CommandLine);
        if (cmdline.Length >= CommandLineSize)
            throw new TenderException($"guest command line is {cmdline.Length} bytes; at most {CommandLineSize - 1} fit");
        ram.Write(CommandLineAddress, cmdline);
        ram.GetSpan(CommandLineAddress + (ulong)cmdline.Length, 1)[0] = 0;
        if ((ulong)context.ManifestBinary.Length > context.Elf.ImageStart - ManifestAddress)
            throw new TenderException($"manifest is {context.ManifestBinary.Length} bytes, too large for low memory");
        ram.Write(ManifestAddress, context.ManifestBinary);
        var bootInfo = new HvtAbi.BootInfo
        {
            MemSize = memorySize,
            KernelEnd = kernelEnd,
            CpuCycleFreq = context.TscFrequencyHz,
            Cmdline = CommandLineAddress,
            Manifest = ManifestAddress,
            HostFeatures = (context.NetRingAddress != 0 ? HvtAbi.FeatureRingIo : 0u)
                | (context.Elf.Faults is not null ? HvtAbi.FeatureFaultHandBack : 0u),
            GuestFeatures = 0, // the guest accepts features by setting their bits here
            NetRing = context.NetRingAddress,
        };
        MemoryMarshal.Write(ram.GetSpan(BootInfoAddress, BootInfoSize), in bootInfo);

        // --- CPU state at entry (docs/abi.md "State at entry").
        var sregs = context.Machine.ResetSpecialRegisters;
        var userCode = new SegmentRegister { Base = 0, Limit = 0xFFFF_FFFF, Selector = SystemTables.UserCode, Type = 0xB, Present = 1, Dpl = 3, S = 1, L = 1, G = 1 };
        var userData = new SegmentRegister { Base = 0, Limit = 0xFFFF_FFFF, Selector = SystemTables.UserData, Type = 0x3, Present = 1, Dpl = 3, Db = 1, S = 1, G = 1 };
        sregs.Cs = userCode;
        sregs.Ds = sregs.Es = sregs.Fs = sregs.Gs = sregs.Ss = userData;
        sregs.Tr = new SegmentRegister { Base = sys + TssOffset, Limit = SystemTables.TssLimit, Selector = SystemTables.TaskState, Type = 0xB, Present = 1 };
        sregs.Gdt = new DescriptorTableRegister { Base = sys + GdtOffset, Limit = SystemTables.GdtBytes - 1 };
        sregs.Idt = new DescriptorTableRegister { Base = sys + IdtOffset, Limit = SystemTables.IdtBytes - 1 };
        sregs.Cr0 = Cr0.PE | Cr0.MP | Cr0.ET | Cr0.NE | Cr0.WP | Cr0.PG;
        sregs.Cr4 = Cr4.PAE | Cr4.OSFXSR | Cr4.OSXMMEXCPT | Cr4.FSGSBASE;
        sregs.Cr3 = tables.RootPhysicalAddress;
        sregs.Efer = Efer.LME | Efer.LMA | Efer.NXE;

        var regs = new CpuRegisters { Rip = context.Elf.Entry, Rsp = memorySize, Rdi = BootInfoAddress, Rflags = 0x2 };

        var fpu = new FpuState { Fcw = 0x37F, Mxcsr = 0x1F80 }; // the state after fninit; SSE defaults

        return new BootSetup
        {
            Registers = regs,
            SpecialRegisters = sregs,
            Fpu = fpu,
            GuestAccess = access,
            AddressSpace = regions,
            FaultReporter = new FaultStubReporter(system, sys + StubStackOffset, sys + StubStackTop),
            FaultHandBack = FaultHandBack.For(context.Elf, ram, stackBottom, memorySize),
            LayoutDescription = layout,
        };
    }

    /// <summary>
    /// The PT_LOAD segments as page ranges with their rights. The loader has already refused
    /// segments that share a page (each needs its own pages for its rights) and W+X segments;
    /// this checks again because the page tables rely on it.
    /// </summary>
    private static List<(ulong Start, ulong End, PageFlags Flags, string What)> SegmentPages(ElfImage elf)
    {
        var pages = new List<(ulong Start, ulong End, PageFlags Flags, string What)>();
        foreach (var s in elf.LoadSegments.OrderBy(s => s.PageStart))
        {
            if (pages.Count > 0 && s.PageStart < pages[^1].End)
                throw new TenderException($"ELF: program header {s.ProgramHeaderIndex} shares a page with another segment");
            if (s.IsWritable && s.IsExecutable)
                throw new TenderException($"ELF: program header {s.ProgramHeaderIndex} is writable and executable");
            var flags = (s.IsWritable ? PageFlags.Writable : 0) | (s.IsExecutable ? PageFlags.Executable : 0);
            pages.Add((s.PageStart, s.PageEnd, flags, $"ELF segment {s.FlagsText} (program header {s.ProgramHeaderIndex})"));
        }
        return pages;
    }

    private static string Rights(PageFlags flags) =>
        "R" + ((flags & PageFlags.Writable) != 0 ? "W" : "-") + ((flags & PageFlags.Executable) != 0 ? "X" : "-");

    private static ulong AlignUp(ulong value) => (value + (Page - 1)) & ~(Page - 1);

    private static class Cr0
    {
        public const ulong PE = 1UL << 0, MP = 1UL << 1, ET = 1UL << 4, NE = 1UL << 5, WP = 1UL << 16, PG = 1UL << 31;
    }

    private static class Cr4
    {
        public const ulong PAE = 1UL << 5, OSFXSR = 1UL << 9, OSXMMEXCPT = 1UL << 10, FSGSBASE = 1UL << 16;
    }

    private static class Efer
    {
        public const ulong LME = 1UL << 8, LMA = 1UL << 10, NXE = 1UL << 11;
    }
}
