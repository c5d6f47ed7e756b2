using Tender.Boot;
using Tender.Devices;

namespace Tender.Run;

/// <summary>
/// The ring engine's view of guest buffers: a buffer must be memory the guest itself may read
/// (frames it sends) or write (frames it receives), by the boot mode's <see cref="GuestAccessMap"/>,
/// before it becomes a span of guest RAM. A zero-length buffer accesses nothing, so it is an empty
/// span wherever it points — the hypercalls' rule too (HypercallHandler), so a ring entry and a
/// NETWRITE/NETREAD with the same arguments get the same answer from the device.
/// </summary>
internal sealed class GuestBufferAccess(GuestMemory ram, GuestAccessMap access) : IGuestMemoryAccess
{
    public bool TryGetSpan(ulong address, ulong length, GuestAccess kind, out Span<byte> span, out string? error)
    {
        if (length == 0)
        {
            span = Span<byte>.Empty;
            error = null;
            return true;
        }
        error = kind == GuestAccess.Read ? access.CheckRead(address, length) : access.CheckWrite(address, length);
        if (error is not null)
        {
            span = default;
            return false;
        }
        return ram.TryGetSpan(address, length, out span, out error);
    }
}
