using Tender.Loader;
using Tender.Manifest;

namespace Tender.Boot;

/// <summary>
/// The seam between the tender's common run path and one way of booting a guest (docs/abi.md:
/// deprivileged mode, Solo5 mode). The common path does everything both modes share; a boot mode
/// does only what differs: where boot structures live and what the CPU looks like at entry.
/// </summary>
/// <remarks>
/// Order of events in <c>tender run</c>:
/// <list type="number">
/// <item>The ELF is parsed; <see cref="BootModes.For"/> picks the mode by <see cref="ElfImage.Kind"/>.</item>
/// <item>The mode's <see cref="ReservedTop"/> is passed to <see cref="ElfImage.Validate"/>.</item>
/// <item>The common path opens the platform (<see cref="IMachine"/>: KVM or the process platform),
///   adds RAM at guest-physical 0 (<see cref="BootContext.Ram"/>, <see cref="BootContext.MemorySize"/>
///   bytes) and loads the ELF's segments into it.</item>
/// <item><see cref="Prepare"/> writes whatever the mode needs into RAM (boot info, command line,
///   manifest copy, page tables, GDT…) or into extra memory it adds with
///   <see cref="IMachine.AddMemory"/> (keep guest-physical addresses below 2^35: see platform.md), and
///   returns the entry state as a <see cref="BootSetup"/>, including the guest-virtual address space
///   its page tables describe (the process platform maps that instead of using the tables).</item>
/// <item>The common path starts the vCPU in that state and runs the guest: hypercalls on ports 0x500 + n are
///   dispatched for both modes; pointers in their arguments are checked against
///   <see cref="BootSetup.GuestAccess"/>; any other port-I/O exit goes to
///   <see cref="BootSetup.FaultReporter"/> first (a mode's private reporting port), and otherwise
///   ends the run as a crash.</item>
/// </list>
/// A mode must not keep state between runs; the tender boots one guest per process.
/// </remarks>
public interface IBootMode
{
    /// <summary>Short name for logs and traces: "deprivileged", "solo5".</summary>
    string Name { get; }

    /// <summary>
    /// Checks the memory size (bytes, from --mem) for this mode and returns the size to use (a mode
    /// may round it, as solo5-hvt rounds to 2 MiB). Throws <see cref="TenderException"/> with a
    /// user-facing message if the size is unusable.
    /// </summary>
    ulong AdjustMemorySize(ulong requestedBytes);

    /// <summary>Bytes at the top of RAM the ELF image must leave free (stack, guard page, rings).</summary>
    ulong ReservedTop(ElfImage elf, ulong memorySize);

    /// <summary>
    /// Lays out the boot structures and returns the state vCPU 0 starts in. Throws
    /// <see cref="TenderException"/> for problems the user can fix (exit code 1).
    /// </summary>
    BootSetup Prepare(BootContext context);
}

/// <summary>What the common run path hands a boot mode. Everything here is already validated.</summary>
public sealed class BootContext
{
    /// <summary>The platform, for extra memory (<see cref="IMachine.AddMemory"/>; RAM is the first),
    /// its vCPU's reset state (<see cref="IMachine.ResetSpecialRegisters"/>) and its CPUID.
    /// Do not start the vCPU here; return the state in <see cref="BootSetup"/>.</summary>
    public required IMachine Machine { get; init; }

    /// <summary>Guest RAM: guest-physical [0, MemorySize), with the ELF's PT_LOAD segments already loaded.</summary>
    public required GuestMemory Ram { get; init; }

    public required ulong MemorySize { get; init; }

    public required ElfImage Elf { get; init; }

    /// <summary>The manifest in force: --manifest, else the ELF's MFT1 note, else no devices.</summary>
    public required AppManifest Manifest { get; init; }

    /// <summary>
    /// The manifest in Solo5's binary form (struct mft, 8 + 104·N bytes) with the device fields
    /// and <c>attached</c> filled in by the device layer: copy it into guest memory as is.
    /// </summary>
    public required byte[] ManifestBinary { get; init; }

    /// <summary>The guest's command line: its arguments joined by spaces, without the NUL (at most
    /// 8191 bytes of UTF-8, checked).</summary>
    public required string CommandLine { get; init; }

    /// <summary>TSC frequency of vCPU 0 in Hz: boot info's cpu_cycle_freq.</summary>
    public required ulong TscFrequencyHz { get; init; }

    /// <summary>
    /// Solo5's shared network ring (docs/ring-io.md), offered when the guest has a network device:
    /// its guest address, 0 when not offered. The common path places it right above
    /// <see cref="MemorySize"/> in RAM (<see cref="Ram"/> is then larger than MemorySize by
    /// <see cref="NetRingSpace"/> bytes) and runs it; the mode maps [NetRingAddress, +NetRingSpace)
    /// for the guest (read-write, never executable) and reports it in the boot info
    /// (host_features bit 0 = HVT_FEATURE_RING_IO, net_ring = NetRingAddress), keeping mem_size =
    /// MemorySize. Hypercall buffers must not point into it (leave it out of GuestAccess).
    /// </summary>
    public ulong NetRingAddress { get; init; }

    /// <summary>Bytes reserved for the ring above MemorySize (a multiple of 2 MiB), 0 when not offered.</summary>
    public ulong NetRingSpace { get; init; }

    /// <summary>
    /// PCI windows (docs/pci.md): the DMA area at 2^40 and each device's BAR windows, as
    /// guest-virtual → guest-physical regions with their rights (user, NX; BARs uncached). The
    /// mode maps them for the guest and leaves them out of GuestAccess (no hypercall buffer there).
    /// Empty unless the guest has PCI devices; only deprivileged mode supports them.
    /// </summary>
    public IReadOnlyList<(Tender.Paging.Region Region, string What)> DeviceWindows { get; init; } = [];
}

/// <summary>The entry state and the per-mode hooks the run loop needs.</summary>
public sealed class BootSetup
{
    /// <summary>General-purpose registers, RIP and RFLAGS at entry.</summary>
    public required CpuRegisters Registers { get; init; }

    /// <summary>Segments, GDTR/IDTR, CR0/CR3/CR4, EFER at entry (start from the vCPU's reset state).</summary>
    public required SpecialRegisters SpecialRegisters { get; init; }

    /// <summary>x87/SSE state at entry; null leaves KVM's reset state.</summary>
    public FpuState? Fpu { get; init; }

    /// <summary>CPUID the guest sees; null means <see cref="IMachine.SupportedCpuid"/> unchanged.</summary>
    public CpuidEntry[]? Cpuid { get; init; }

    /// <summary>
    /// The guest-virtual address space the mode's page tables describe (every region, with its
    /// rights and whether it is supervisor-only): the process platform maps it in the child.
    /// </summary>
    public required IReadOnlyList<Tender.Paging.Region> AddressSpace { get; init; }

    /// <summary>Which guest addresses hypercall arguments may point to, and with which access.</summary>
    public required GuestAccessMap GuestAccess { get; init; }

    /// <summary>Decodes a mode-private port-I/O exit (deprivileged mode's fault stub), or null.</summary>
    public IFaultReporter? FaultReporter { get; init; }

    /// <summary>Hands null dereferences and division errors back to a guest that asked (deprivileged mode), or null.</summary>
    public Deprivileged.FaultHandBack? FaultHandBack { get; init; }

    /// <summary>
    /// How this mode reads a non-zero HALT cookie; null = the common reading, a NUL-terminated
    /// message (docs/abi.md). Solo5 mode sets it: there the cookie points to a trap frame.
    /// </summary>
    public HaltCookieReader? HaltCookie { get; init; }

    /// <summary>
    /// The CPU state a non-zero HALT cookie saved, if this mode's cookie holds one (Solo5 mode's
    /// trap frame): a core dump of the abort shows the trapping instruction, not the HALT.
    /// </summary>
    public HaltTrapFrameReader? HaltTrapFrame { get; init; }

    /// <summary>Lines describing the memory layout, for the debug log and crash reports.</summary>
    public IReadOnlyList<string> LayoutDescription { get; init; } = [];

    /// <summary>Guest RAM the tender made read-only on the host (Solo5 mode), to name in crash reports.</summary>
    public IReadOnlyList<ReadOnlyRange> ReadOnlyMemory { get; init; } = [];
}

/// <summary>Guest-physical [Start, End), whole pages, read-only on the host side; What names it.</summary>
public readonly record struct ReadOnlyRange(ulong Start, ulong End, string What);

/// <summary>
/// Turns the bytes at a non-zero HALT cookie (up to 512, HVT_HALT_COOKIE_MAX, as far as the guest
/// can read them) into the text shown after "guest aborted: ", or null to show nothing more.
/// </summary>
public delegate string? HaltCookieReader(ReadOnlySpan<byte> bytesAtCookie);

/// <summary>The saved CPU state in the bytes at a HALT cookie, or null (<see cref="BootSetup.HaltTrapFrame"/>).</summary>
public delegate GuestFault? HaltTrapFrameReader(ReadOnlySpan<byte> bytesAtCookie);

/// <summary>
/// A boot mode's private channel for CPU exceptions: deprivileged mode's CPL 0 fault stub reports
/// each exception by an `out` to a port the guest cannot use.
/// </summary>
public interface IFaultReporter
{
    /// <summary>
    /// Returns true and the fault if <paramref name="io"/> is this reporter's port; false if the
    /// exit is not its business. Reads whatever state it needs from the vCPU and memory.
    /// </summary>
    bool TryDecode(in IoExit io, IVcpu vcpu, out GuestFault fault);

    /// <summary>
    /// Whether <see cref="TryResume"/> works: a debugger's int3 and single steps (RFLAGS.TF) then
    /// come through this reporter as #BP and #DB and the guest goes on after them.
    /// </summary>
    bool CanResume => false;

    /// <summary>
    /// Puts the guest back where <paramref name="fault"/> left it, at <paramref name="rip"/>, as the
    /// CPU's return from the exception would (the debugger's view of a stopped guest).
    /// </summary>
    void TryResume(IVcpu vcpu, GuestFault fault, ulong rip) => throw new NotSupportedException();
}
