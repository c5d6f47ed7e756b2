namespace Tender.Devices;

/// <summary>
/// Solo5's shared network ring (<c>include/hvt_ring.h</c>, <c>HVT_FEATURE_RING_IO</c> in
/// <c>hvt_abi.h</c>) as numbers: sizes, operation codes and the byte offsets of every field of
/// <c>struct hvt_ring</c> on x86-64. docs/ring-io.md describes the protocol. One ring serves every
/// NET_BASIC device of the guest; each entry names its device by manifest handle.
/// </summary>
public static class HvtRingLayout
{
    /// <summary>Bit 0 of boot info's host_features: the tender offers ring I/O (HVT_FEATURE_RING_IO).</summary>
    public const uint FeatureRingIo = 1u << 0;

    /// <summary>The kick port: a 32-bit <c>out</c> of the ring id (0) wakes the tender's I/O thread.</summary>
    public const ushort KickPort = 0x600;

    /// <summary>Entries in the submission ring and in the commit ring (HVT_RING_SIZE).</summary>
    public const uint Entries = 1024;
    public const uint Mask = Entries - 1;

    /// <summary>
    /// Solo5's per-slot guest buffer size (HVT_RING_BUF_SIZE). The tender does not enforce it (the
    /// guest's buffers are its own business); Solo5's bindings send larger frames by hypercall.
    /// </summary>
    public const int BufferSize = 2048;

    /// <summary>Polls of the submission ring before the I/O thread sleeps (HVT_RING_POLL_ITERS).</summary>
    public const int PollIterations = 4096;

    /// <summary>Operation codes of a submission entry.</summary>
    public const uint NetWrite = 1, NetRead = 2;

    // Cache line 0: written only by the guest.
    /// <summary>u32: submissions the guest has produced (free-running).</summary>
    public const int EntTailOffset = 0;
    /// <summary>u32: commits the guest has consumed (free-running; the tender never needs it).</summary>
    public const int ComHeadOffset = 4;

    // Cache line 1: written only by the tender.
    /// <summary>u32: submissions the tender has consumed.</summary>
    public const int EntHeadOffset = 64;
    /// <summary>u32: commits the tender has produced.</summary>
    public const int ComTailOffset = 68;
    /// <summary>u32: 1 while the I/O thread is (about to be) asleep: the guest must kick.</summary>
    public const int NeedsKickOffset = 72;

    /// <summary>struct hvt_ring_entry[Entries] starts here.</summary>
    public const int EntriesOffset = 128;
    public const int EntrySize = 32;
    public const int EntryOperation = 0;   // u32
    public const int EntryHandle = 4;      // u32
    public const int EntryData = 8;        // u64 guest address
    public const int EntryLength = 16;     // u32
    public const int EntryId = 20;         // u32
                                           // u64 reserved at 24

    /// <summary>struct hvt_ring_commit[Entries] starts here.</summary>
    public const int CommitsOffset = EntriesOffset + (int)Entries * EntrySize;
    public const int CommitSize = 16;
    public const int CommitId = 0;         // u32
    public const int CommitResult = 4;     // i32 solo5_result_t
    public const int CommitLength = 8;     // u32
                                           // u32 reserved at 12

    /// <summary>sizeof(struct hvt_ring): 49 280 bytes.</summary>
    public const int Size = CommitsOffset + (int)Entries * CommitSize;

    public static int EntryOffset(uint index) => EntriesOffset + (int)(index & Mask) * EntrySize;
    public static int CommitOffset(uint index) => CommitsOffset + (int)(index & Mask) * CommitSize;

    /// <summary>
    /// Bytes of guest memory the ring takes: its size rounded up to pageSize (a power of two),
    /// as solo5-hvt rounds it to its 2 MiB guest page.
    /// </summary>
    public static ulong AreaSize(ulong pageSize)
    {
        if (pageSize == 0 || (pageSize & (pageSize - 1)) != 0)
            throw new ArgumentException($"page size {pageSize} is not a power of two", nameof(pageSize));
        return ((ulong)Size + pageSize - 1) & ~(pageSize - 1);
    }
}
