namespace Tender.Pci.Wire;

/// <summary>
/// What an emulated Ethernet port is plugged into. Frames on the wire are Ethernet frames from the
/// destination address to the end of the payload, without preamble or FCS (the port adds and
/// strips the FCS itself, as the MAC does).
/// </summary>
public interface IEthernetWire
{
    /// <summary>
    /// Whether a link partner is there (a cable's other end is attached, a TAP is open): the
    /// port's link comes up only then.
    /// </summary>
    bool CarrierPresent { get; }

    /// <summary>
    /// The port puts one frame on the wire. The span is valid only during the call. Never called
    /// with the port's internal lock held, so an implementation may deliver the frame into another
    /// port synchronously.
    /// </summary>
    void Transmit(ReadOnlySpan<byte> frame);
}

/// <summary>Something that takes frames off a wire: an emulated port's receive side.</summary>
public interface IEthernetEndpoint
{
    /// <summary>
    /// Delivers one frame (no FCS) to the port. Returns whether the port accepted it into a
    /// receive buffer; false means it was filtered or dropped (and counted where the device counts drops).
    /// </summary>
    bool Receive(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Whether a frame delivered now would find room (a hint for wires that can hold frames back,
    /// like a TAP whose kernel queue buffers them; a cable cannot). Default: always.
    /// </summary>
    bool ReadyToReceive => true;
}

/// <summary>
/// A host-side frame source and sink, e.g. a TAP interface. The tender adapts Tender.Devices'
/// TapDevice to this (Write → <see cref="TrySend"/>, Read → <see cref="TryReceive"/>) so Tender.Pci
/// needs no reference to it.
/// </summary>
public interface IFramePort
{
    /// <summary>Sends one frame; false if the host refused it (queue full, too long).</summary>
    bool TrySend(ReadOnlySpan<byte> frame);

    /// <summary>Reads one waiting frame into buffer and returns its length, or 0 if none is waiting.</summary>
    int TryReceive(Span<byte> buffer);

    /// <summary>The largest frame <see cref="TryReceive"/> can return (the buffer must hold this many bytes).</summary>
    int MaxFrameSize { get; }
}
