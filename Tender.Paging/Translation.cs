namespace Tender.Paging;

/// <summary>
/// Result of walking the page tables for one guest-virtual address.
/// </summary>
/// <param name="PhysicalAddress">The guest-physical address of the byte asked for (page base plus offset).</param>
/// <param name="Flags">Effective rights: Writable/User only if every level allows it, Executable
/// only if no level sets NX, Uncached if the leaf sets PCD.</param>
/// <param name="PageSize">4096, 2 MiB or 1 GiB: the size of the leaf that mapped the address.</param>
public readonly record struct Translation(ulong PhysicalAddress, PageFlags Flags, ulong PageSize);

/// <summary>One leaf entry of a set of page tables: a whole page.</summary>
public readonly record struct PageMapping(ulong VirtualAddress, ulong PhysicalAddress, ulong PageSize, PageFlags Flags);
