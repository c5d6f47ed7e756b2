namespace Tender.Paging;

/// <summary>
/// The page tables for the mapped regions do not fit in the space reserved for them.
/// <see cref="RequiredBytes"/> says how much they need, so a caller can reserve more.
/// </summary>
public sealed class PageTableSpaceException : InvalidOperationException
{
    public PageTableSpaceException(ulong requiredBytes, ulong availableBytes, ulong tablesPhysicalAddress)
        : base($"page tables need {requiredBytes:#,0} bytes ({requiredBytes / 4096} pages of 4 KiB) but only " +
               $"{availableBytes:#,0} bytes are reserved for them at guest-physical 0x{tablesPhysicalAddress:x}")
    {
        RequiredBytes = requiredBytes;
        AvailableBytes = availableBytes;
    }

    public ulong RequiredBytes { get; }
    public ulong AvailableBytes { get; }
}
