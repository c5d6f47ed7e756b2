namespace Tender.Devices;

/// <summary>
/// Bounds-checked access to guest memory, for the ring engine. The tender adapts its own guest
/// memory to this; tests use an in-process buffer. Implementations must check the whole range
/// [address, address + length) overflow-safely before forming a span, and must keep the memory
/// mapped (at the same host address) for as long as the ring engine runs: the engine holds no
/// spans across calls, but it does use them from its own I/O thread while the vCPU runs.
/// </summary>
public interface IGuestMemoryAccess
{
    /// <summary>The bytes at [address, address + length), or false and why if any lies outside guest memory.</summary>
    bool TryGetSpan(ulong address, ulong length, out Span<byte> span, out string? error);
}
