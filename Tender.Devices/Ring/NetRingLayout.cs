using System.Numerics;

namespace Tender.Devices;

/// <summary>
/// The shared network ring's layout in guest memory (docs/ring-io.md is the specification;
/// these constants are its numbers). One ring area per NIC: a 512-byte header, then the RX
/// descriptors, then the TX descriptors. All fields little-endian.
/// </summary>
public static class NetRingLayout
{
    /// <summary>host_features bit the tender sets when it offers shared-ring network I/O.</summary>
    public const ulong FeatureNetRing = 1UL << 0;
    /// <summary>The port a guest writes to kick the tender's I/O thread (and to attach a ring).</summary>
    public const ushort KickPort = 0x600;

    /// <summary>"TRNG" as a little-endian u32.</summary>
    public const uint Magic = 0x474E5254;
    public const uint Version = 1;
    /// <summary>The ring area's required alignment (a cache line: every index has its own).</summary>
    public const ulong Alignment = 64;
    public const uint MaxEntries = 4096;

    // Header fields (offsets from the ring area's start).
    public const int MagicOffset = 0x00;
    public const int VersionOffset = 0x04;
    public const int RxEntriesOffset = 0x08;
    public const int TxEntriesOffset = 0x0C;
    public const int FlagsOffset = 0x10;
    /// <summary>u32, guest-written: RX buffers posted so far (free-running).</summary>
    public const int RxProducerOffset = 0x40;
    /// <summary>u32, tender-written: RX descriptors completed so far (free-running).</summary>
    public const int RxConsumerOffset = 0x80;
    /// <summary>u32, guest-written: TX frames posted so far.</summary>
    public const int TxProducerOffset = 0xC0;
    /// <summary>u32, tender-written: TX descriptors completed so far.</summary>
    public const int TxConsumerOffset = 0x100;
    /// <summary>u32, tender-written: <see cref="NetRingState"/>.</summary>
    public const int TenderStateOffset = 0x140;
    public const int HeaderSize = 0x200;

    // Descriptor fields (16 bytes each).
    public const int DescriptorSize = 16;
    public const int DescriptorAddressOffset = 0;
    public const int DescriptorLengthOffset = 8;
    public const int DescriptorFlagsOffset = 12;
    public const int DescriptorStatusOffset = 14;

    /// <summary>Bytes of a ring area with these sizes.</summary>
    public static ulong AreaSize(uint rxEntries, uint txEntries) =>
        HeaderSize + (ulong)DescriptorSize * ((ulong)rxEntries + txEntries);

    public static int RxDescriptorOffset(uint slot) => HeaderSize + (int)slot * DescriptorSize;

    public static int TxDescriptorOffset(uint rxEntries, uint slot) => HeaderSize + (int)(rxEntries + slot) * DescriptorSize;

    /// <summary>Null if n is a valid ring size (a power of two, 1..MaxEntries), else why not.</summary>
    public static string? CheckEntries(uint n, string which) =>
        n == 0 || n > MaxEntries || !BitOperations.IsPow2(n)
            ? $"{which} ring size {n} is not a power of two between 1 and {MaxEntries}"
            : null;
}

/// <summary>The tender's state word in a ring header.</summary>
public enum NetRingState : uint
{
    /// <summary>The I/O thread is running and will see new descriptors without a kick.</summary>
    Awake = 0,
    /// <summary>The I/O thread sleeps: a guest that posts descriptors must kick port 0x600.</summary>
    Sleeping = 1,
    /// <summary>The tender found the ring corrupt and stopped servicing it.</summary>
    Failed = 2,
}
