using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tender.Devices;

/// <summary>
/// The host's view of <c>struct hvt_ring</c> in guest memory. The tender places the ring (at the
/// top of guest RAM, as solo5-hvt does), so its address is the tender's own and fixed: there is
/// nothing about its location for a guest to get wrong. Everything inside it is written by a
/// hostile guest at any moment, so callers read each field once and trust only their copy.
/// </summary>
public sealed unsafe class NetRingArea
{
    private readonly byte* _host;

    /// <summary>
    /// A view of the <see cref="HvtRingLayout.Size"/> bytes at hostAddress, which the guest sees
    /// at guestAddress. The caller guarantees that the memory stays mapped for as long as any
    /// engine uses this view (the tender stops the engine before it unmaps guest memory).
    /// </summary>
    public NetRingArea(byte* hostAddress, ulong guestAddress)
    {
        ArgumentNullException.ThrowIfNull(hostAddress);
        if (((nuint)hostAddress & 63) != 0)
            throw new ArgumentException("the ring must be cache-line aligned in host memory", nameof(hostAddress));
        _host = hostAddress;
        GuestAddress = guestAddress;
    }

    public ulong GuestAddress { get; }

    /// <summary>The u32 at offset (aligned: every u32 of the layout is), for Volatile/Interlocked access.</summary>
    public ref uint Word(int offset)
    {
        if ((uint)offset > HvtRingLayout.Size - 4 || (offset & 3) != 0) throw new ArgumentOutOfRangeException(nameof(offset));
        return ref Unsafe.AsRef<uint>(_host + offset);
    }

    /// <summary>The u64 at offset (8-aligned).</summary>
    public ref ulong Quad(int offset)
    {
        if ((uint)offset > HvtRingLayout.Size - 8 || (offset & 7) != 0) throw new ArgumentOutOfRangeException(nameof(offset));
        return ref Unsafe.AsRef<ulong>(_host + offset);
    }

    /// <summary>Zeroes the whole ring (indices, entries, commits).</summary>
    public void Clear() => NativeMemory.Clear(_host, HvtRingLayout.Size);
}
