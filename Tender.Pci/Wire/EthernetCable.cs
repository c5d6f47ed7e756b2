namespace Tender.Pci.Wire;

/// <summary>
/// A cable between two emulated ports, in-process: what A transmits, B receives, and the other
/// way round, synchronously on the transmitting thread. Used for a forwarder's two ports (in one
/// guest or in two guests). Counts what it carried and what the receiving port refused.
/// </summary>
public sealed class EthernetCable
{
    private readonly End _a;
    private readonly End _b;

    private EthernetCable(IEthernetEndpoint a, IEthernetEndpoint b)
    {
        _a = new End(this);
        _b = new End(this);
        _a.Peer = b;
        _b.Peer = a;
    }

    /// <summary>Wires a and b together. Attach <see cref="EndA"/> to a and <see cref="EndB"/> to b.</summary>
    public static EthernetCable Between(IEthernetEndpoint a, IEthernetEndpoint b) => new(a, b);

    /// <summary>The end plugged into port A (it delivers into B).</summary>
    public IEthernetWire EndA => _a;

    /// <summary>The end plugged into port B (it delivers into A).</summary>
    public IEthernetWire EndB => _b;

    private long _carried;
    private long _refused;

    /// <summary>Frames carried to a port that accepted them.</summary>
    public long FramesCarried => Interlocked.Read(ref _carried);

    /// <summary>Frames the receiving port did not accept (filtered, no receive buffer, receiver off).</summary>
    public long FramesRefused => Interlocked.Read(ref _refused);

    /// <summary>Unplugs the cable: both ends lose carrier and carry nothing more.</summary>
    public void Unplug()
    {
        _a.Plugged = false;
        _b.Plugged = false;
    }

    private sealed class End(EthernetCable cable) : IEthernetWire
    {
        public IEthernetEndpoint? Peer;
        public volatile bool Plugged = true;

        public bool CarrierPresent => Plugged;

        public void Transmit(ReadOnlySpan<byte> frame)
        {
            if (!Plugged || Peer is null) return;
            if (Peer.Receive(frame)) Interlocked.Increment(ref cable._carried);
            else Interlocked.Increment(ref cable._refused);
        }
    }
}

/// <summary>
/// Connects an emulated port to a host frame port (a TAP): frames the device transmits go to the
/// host; <see cref="Pump"/> moves waiting host frames into the device. The tender calls Pump when
/// the TAP is readable (its poller) or when the guest polls.
/// </summary>
public sealed class FramePortWire : IEthernetWire
{
    private readonly IFramePort _port;
    private readonly IEthernetEndpoint _device;
    private readonly byte[] _buffer;
    private long _sendFailures;

    /// <param name="holdWhenFull">
    /// Leave host frames in the host's queue while the device has no free receive descriptor
    /// (<see cref="IEthernetEndpoint.ReadyToReceive"/>), as the real NIC's packet buffer holds a
    /// burst; false reads them anyway, so the device drops and counts them (MPC).
    /// </param>
    public FramePortWire(IFramePort port, IEthernetEndpoint device, bool holdWhenFull = true)
    {
        _port = port;
        _device = device;
        _holdWhenFull = holdWhenFull;
        _buffer = new byte[port.MaxFrameSize];
    }

    private readonly bool _holdWhenFull;

    /// <summary>A TAP is always "connected".</summary>
    public bool CarrierPresent => true;

    /// <summary>Frames the host refused to take.</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        if (!_port.TrySend(frame)) Interlocked.Increment(ref _sendFailures);
    }

    /// <summary>
    /// Moves up to maxFrames waiting host frames into the device (frames the device drops are
    /// counted by the device). Returns how many frames were read from the host. Not thread-safe:
    /// one poller calls it.
    /// </summary>
    public int Pump(int maxFrames = 64)
    {
        int moved = 0;
        while (moved < maxFrames)
        {
            if (_holdWhenFull && !_device.ReadyToReceive) break;
            int length = _port.TryReceive(_buffer);
            if (length <= 0) break;
            _device.Receive(_buffer.AsSpan(0, length));
            moved++;
        }
        return moved;
    }
}
