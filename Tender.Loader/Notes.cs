namespace Tender.Loader;

/// <summary>One ELF note found inside a PT_NOTE segment.</summary>
/// <param name="Owner">The note's name without its terminating NUL ("Solo5", "Tender", "GNU", …).</param>
/// <param name="NameSize">n_namesz as written (with the NUL): recognised notes must match it exactly.</param>
/// <param name="Type">The note's n_type.</param>
/// <param name="Descriptor">A copy of the descriptor bytes (n_descsz bytes).</param>
/// <param name="ProgramHeaderIndex">Index of the PT_NOTE program header that holds the note.</param>
/// <param name="DescriptorFileOffset">File offset of the first descriptor byte.</param>
/// <param name="DescriptorGuestAddress">
/// Guest address of the first descriptor byte once the image is loaded, or null when the note is
/// not inside any PT_LOAD segment's file bytes (then it is not part of the loaded image).
/// </param>
public sealed record ElfNote(
    string Owner,
    uint NameSize,
    uint Type,
    byte[] Descriptor,
    int ProgramHeaderIndex,
    ulong DescriptorFileOffset,
    ulong? DescriptorGuestAddress);

/// <summary>Solo5's "ABI1" note (elf_abi.h): which Solo5 target and ABI version the binary was built for.</summary>
public readonly record struct Solo5AbiNote(uint Target, uint Version)
{
    /// <summary>Owner name of every Solo5 note.</summary>
    public const string OwnerName = "Solo5";
    /// <summary>n_type of the ABI note: the bytes "ABI1" read as a little-endian u32.</summary>
    public const uint NoteType = 0x31494241;
    /// <summary>enum abi_target: HVT_ABI_TARGET.</summary>
    public const uint HvtTarget = 1;
    /// <summary>The hvt ABI version this tender implements (HVT_ABI_VERSION).</summary>
    public const uint SupportedHvtVersion = 2;

    /// <summary>Readable name of a Solo5 ABI target number.</summary>
    public static string TargetName(uint target) => target switch
    {
        1 => "hvt",
        2 => "spt",
        3 => "virtio",
        4 => "muen",
        5 => "genode",
        6 => "xen",
        _ => $"unknown target {target}",
    };
}

/// <summary>
/// The project's own note (docs/abi.md): the guest asks to run deprivileged, at CPL 3.
/// </summary>
public readonly record struct TenderDeprivilegedNote(uint Version, uint Flags, ulong StackSize)
{
    /// <summary>Owner name of the note ("Tender", namesz 7 with the NUL).</summary>
    public const string OwnerName = "Tender";
    /// <summary>NT_TENDER_DEPRIV: the bytes "TDPV" read as a little-endian u32.</summary>
    public const uint NoteType = 0x56504454;
    /// <summary>Descriptor size: u32 version, u32 flags, u64 stack_size.</summary>
    public const int DescriptorSize = 16;
    /// <summary>The only descriptor version defined so far.</summary>
    public const uint SupportedVersion = 1;
    /// <summary>Stack size used when the note asks for 0.</summary>
    public const ulong DefaultStackSize = 1024 * 1024;
    /// <summary>Size of the unmapped guard page below the stack.</summary>
    public const ulong GuardPageSize = 4096;

    /// <summary>The stack size the tender must give the guest (the default when the note says 0).</summary>
    public ulong EffectiveStackSize => StackSize == 0 ? DefaultStackSize : StackSize;

    /// <summary>
    /// Bytes at the top of guest memory that the image may not use: the stack and its guard page.
    /// Pass this to <see cref="ElfImage.Validate"/> as reservedTop.
    /// </summary>
    public ulong ReservedTop => EffectiveStackSize + GuardPageSize;
}

/// <summary>
/// The project's optional fault note (docs/abi.md "CPU faults as guest exceptions"): a deprivileged
/// guest that wants a null dereference or a division by zero handed back to it names the entry point
/// the tender continues it at.
/// </summary>
public readonly record struct TenderFaultNote(uint Version, uint Flags, ulong Entry)
{
    /// <summary>NT_TENDER_FAULTS: the bytes "TFLT" read as a little-endian u32 (owner "Tender").</summary>
    public const uint NoteType = 0x544C4654;
    /// <summary>Descriptor size: u32 version, u32 flags, u64 entry.</summary>
    public const int DescriptorSize = 16;
    public const uint SupportedVersion = 1;
}

/// <summary>Which of the two boot modes (docs/abi.md) the ELF's notes select.</summary>
public enum GuestKind
{
    /// <summary>The ELF carries a Tender NT_TENDER_DEPRIV note: CPL 3, tender-owned tables.</summary>
    Deprivileged,
    /// <summary>The ELF carries Solo5's ABI note for hvt ABI v2 (and no Tender note): CPL 0 as solo5-hvt.</summary>
    Solo5,
}
