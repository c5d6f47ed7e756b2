namespace Tender.Paging;

/// <summary>
/// One contiguous mapping: guest-virtual [VirtualAddress, VirtualAddress + Length) maps to
/// guest-physical [PhysicalAddress, PhysicalAddress + Length) with <see cref="Flags"/>.
/// </summary>
public readonly record struct Region(ulong VirtualAddress, ulong PhysicalAddress, ulong Length, PageFlags Flags)
{
    // Hexadecimal, half-open ranges: the form every error message and crash report uses.
    public override string ToString() =>
        Length != 0 && Length - 1 <= ulong.MaxValue - VirtualAddress
            ? $"[0x{VirtualAddress:x}, 0x{VirtualAddress + (Length - 1):x}] -> 0x{PhysicalAddress:x} ({Length:#,0} bytes, {Flags.Describe()})"
            : $"0x{VirtualAddress:x} + 0x{Length:x} -> 0x{PhysicalAddress:x} ({Flags.Describe()})";
}
