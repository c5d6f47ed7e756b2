using Guest.Stack;
using Tender.Devices;
using Tender.Host;
using Tender.TestSupport;

namespace Guest.Stack.Tests.Support;

/// <summary>
/// A real Linux TAP interface in a network namespace of its own: the kernel's side is
/// <see cref="HostIp"/>/24, our stack is <see cref="StackIp"/>. The TAP is opened inside the
/// namespace with Tender.Devices' <see cref="TapDevice"/>, and Linux peers run there too
/// (<see cref="TestNamespace.Exec"/>, or sockets opened with <see cref="TestNamespace.Run{T}"/>),
/// so no test traffic can reach any other address and the fixed addresses cannot collide with
/// the host's. Disposing closes the TAP and deletes the namespace (which destroys the interface).
/// </summary>
public sealed class TapLink : IDisposable
{
    public const string InterfaceName = "gstk0";
    public const string HostIp = "10.213.0.1";
    public const string StackIp = "10.213.0.2";

    public TapLink()
    {
        Namespace = new TestNamespace("gstk");
        try
        {
            Namespace.AddTap(InterfaceName, HostIp + "/24");
            Tap = Namespace.Run(() => TapDevice.Open(InterfaceName));
        }
        catch
        {
            Namespace.Dispose();
            throw;
        }
    }

    public TestNamespace Namespace { get; }
    public TapDevice Tap { get; }

    public void Dispose()
    {
        Tap.Dispose();
        Namespace.Dispose();
    }
}

/// <summary>Frames a <see cref="TapNic"/> loses on purpose, in each direction (the host has no netem).</summary>
public sealed class TapLoss
{
    public double Rate;
    public long DroppedIn, DroppedOut;
    XorShift _rng = new(42);
    public bool Drop() => Rate > 0 && (_rng.Next() >> 11) * (1.0 / (1UL << 53)) < Rate;
}

/// <summary>
/// The stack's device over a <see cref="TapDevice"/>: one read/write system call per frame.
/// waiter must watch the TAP's descriptor (it is what <see cref="Wait"/> sleeps on).
/// </summary>
public readonly struct TapNic : INetDevice
{
    readonly TapDevice _tap;
    readonly Epoll _waiter;
    readonly PacketPool _pool;
    readonly Guest.Stack.MacAddress _mac;
    readonly TapLoss? _loss;

    public TapNic(TapDevice tap, Epoll waiter, PacketPool pool, Guest.Stack.MacAddress mac, TapLoss? loss = null)
    {
        if (pool.SlotSize < tap.MaxFrameSize)
            throw new ArgumentException($"pool slots of {pool.SlotSize} bytes cannot hold the TAP's {tap.MaxFrameSize}-byte frames", nameof(pool));
        _tap = tap; _waiter = waiter; _pool = pool; _mac = mac; _loss = loss;
    }

    public Guest.Stack.MacAddress Mac => _mac;
    public int Mtu => _tap.Mtu;

    public int ReceiveBatch(Span<PacketBuffer> into)
    {
        int n = 0;
        while (n < into.Length && _pool.TryRent(out var b))
        {
            // A freshly rented buffer covers its whole slot, which is at least MaxFrameSize (checked above).
            if (_tap.Read(_pool.Data(b), out int length) != DeviceResult.Ok) { _pool.Return(b); break; }
            if (_loss != null && _loss.Drop()) { _loss.DroppedIn++; _pool.Return(b); continue; }
            b.Length = length;
            into[n++] = b;
        }
        return n;
    }

    public int SendBatch(ReadOnlySpan<PacketBuffer> frames)
    {
        int n = 0;
        for (; n < frames.Length; n++)
        {
            if (_loss != null && _loss.Drop()) { _loss.DroppedOut++; _pool.Return(frames[n]); continue; }
            if (_tap.Write(_pool.Data(frames[n])) == DeviceResult.Again) break;   // kernel queue full: keep the rest
            _pool.Return(frames[n]);   // sent, or refused by the kernel (then lost, as on a wire)
        }
        return n;
    }

    /// <summary>Sleeps until the TAP has a frame or the timeout passes.</summary>
    public void Wait(int timeoutMs)
    {
        Span<ulong> ready = stackalloc ulong[1];
        _waiter.Wait(ready, (ulong)timeoutMs * 1_000_000);
    }
}
