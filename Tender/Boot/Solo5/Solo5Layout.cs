namespace Tender.Boot.Solo5;

/// <summary>
/// Fixed guest-physical addresses and sizes of Solo5's hvt boot layout on x86-64, as
/// <c>solo5-hvt</c> uses them (docs/solo5-mode.md, sections 3–5). A Solo5 guest relies on none
/// of the tender-private ones (they are not mapped), but keeping them identical keeps CR3, GDTR
/// and RDI identical.
/// </summary>
public static class Solo5Layout
{
    /// <summary>The boot GDT: null, code, data (3 descriptors).</summary>
    public const ulong GdtAddress = 0x1000;
    public const ushort GdtLimit = 3 * 8 - 1;

    /// <summary>First page-table page (the PML4, so also CR3).</summary>
    public const ulong PageTablesAddress = 0x2000;

    /// <summary>Solo5's tables occupy 0x2000–0x8fff: PML4, PDPT, four page directories, one page table.</summary>
    public const ulong PageTablesMaxBytes = 0x7000;

    /// <summary>struct hvt_boot_info; RDI at entry. Everything from here up to 1 MiB is read-only to the guest.</summary>
    public const ulong BootInfoAddress = 0x10000;

    /// <summary>Lowest address of the ELF image (HVT_GUEST_MIN_BASE).</summary>
    public const ulong ImageBase = 0x100000;

    /// <summary>Size of struct hvt_boot_info since Solo5 v0.11 (the ring-I/O fields appended; 40 before).</summary>
    public const ulong BootInfoSize = 56;

    /// <summary>The command-line area (HVT_CMDLINE_SIZE), including the terminating NUL.</summary>
    public const int CommandLineSize = 8192;

    /// <summary>Guest memory is a whole number of these (the 2 MiB leaves of the page tables).</summary>
    public const ulong LargePageSize = 0x200000;

    /// <summary>Four page directories of 512 large pages: 4 GiB at most.</summary>
    public const ulong MaxMemorySize = 2048 * LargePageSize;

    /// <summary>solo5-hvt's default when --mem is not given.</summary>
    public const ulong DefaultMemorySize = 512UL * 1024 * 1024;

    /// <summary>HVT_HALT_COOKIE_MAX: bytes that must be addressable at a non-zero HALT cookie.</summary>
    public const ulong HaltCookieSize = 512;

    /// <summary>Initial RFLAGS: only the reserved bit 1.</summary>
    public const ulong InitialRflags = 0x2;

    // Control registers (Intel SDM vol. 3, 2.5).
    public const ulong Cr0ProtectionEnable = 1UL << 0;
    public const ulong Cr0NumericError = 1UL << 5;
    public const ulong Cr0WriteProtect = 1UL << 16;
    public const ulong Cr0Paging = 1UL << 31;
    public const ulong Cr4Pae = 1UL << 5;
    public const ulong Cr4OsFxsr = 1UL << 9;
    public const ulong Cr4OsXmmExcpt = 1UL << 10;
    public const ulong EferLongModeEnable = 1UL << 8;
    public const ulong EferLongModeActive = 1UL << 10;

    /// <summary>PE | NE | WP | PG = 0x80010021 (no MP, EM or TS).</summary>
    public const ulong InitialCr0 = Cr0ProtectionEnable | Cr0NumericError | Cr0WriteProtect | Cr0Paging;

    /// <summary>PAE | OSFXSR | OSXMMEXCPT = 0x620.</summary>
    public const ulong InitialCr4 = Cr4Pae | Cr4OsFxsr | Cr4OsXmmExcpt;

    /// <summary>LME | LMA = 0x500 (no NXE: the page tables carry no NX bits).</summary>
    public const ulong InitialEfer = EferLongModeEnable | EferLongModeActive;

    /// <summary>GDT indices of the boot segments; selectors are index × 8, RPL 0.</summary>
    public const ushort CodeSelector = 1 * 8;
    public const ushort DataSelector = 2 * 8;
}
