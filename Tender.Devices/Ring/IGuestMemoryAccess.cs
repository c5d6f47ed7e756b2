namespace Tender.Devices;

/// <summary>How the tender will touch a guest buffer on the guest's behalf.</summary>
public enum GuestAccess
{
    /// <summary>The tender reads it (a frame to send): the guest must be allowed to read it.</summary>
    Read,
    /// <summary>The tender writes it (a frame received): the guest must be allowed to write it.</summary>
    Write,
}

/// <summary>
/// Checked access to the guest buffers that ring entries name. The tender adapts its guest memory
/// and the guest's access rights to this (so a buffer the guest could not itself read or write,
/// or one inside the ring area, is refused); tests use an in-process buffer. Implementations
/// check the whole range [address, address + length) overflow-safely before forming a span, and
/// keep the memory mapped at the same host address for as long as the ring engine runs: the
/// engine holds no span across calls, but uses them from its own I/O thread while the vCPU runs.
/// </summary>
public interface IGuestMemoryAccess
{
    /// <summary>The bytes at [address, address + length), or false and why not.</summary>
    bool TryGetSpan(ulong address, ulong length, GuestAccess access, out Span<byte> span, out string? error);
}
