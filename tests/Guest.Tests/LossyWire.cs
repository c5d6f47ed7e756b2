using System.Diagnostics;
using Tender.Devices;
using Tender.TestSupport;
using TestNamespace = Tender.TestSupport.TestNamespace;

namespace Guest.Tests;

/// <summary>
/// A bad cable between the guest's TAP and Linux, in a test namespace: frames are carried between
/// the guest's TAP (through a packet socket on it) and a second TAP whose Linux side holds the
/// peer's address, and on the way a seeded random choice drops, duplicates or delays (reorders
/// behind the next frames) each a given share of them, in both directions. tc netem would do this
/// in the kernel, but kernels built without CONFIG_NET_SCH_NETEM (this project's CI host among
/// them) have no netem, no veth and no module to load; this wire needs only TUN.
/// </summary>
public sealed class LossyWire : IDisposable
{
    private readonly TapDevice _linux;
    private readonly PacketSocket _guest;
    private readonly Thread _thread;
    private volatile bool _stop;
    private readonly double _share;
    private readonly Random _random;

    public long Carried, Dropped, Duplicated, Reordered;

    /// <param name="ns">the namespace holding both TAPs</param>
    /// <param name="guestTap">the TAP the tender opens (no address)</param>
    /// <param name="linuxTap">the TAP with the Linux peer's address</param>
    /// <param name="share">each of drop, duplicate and reorder hits this share of the frames (0.05: 5%)</param>
    public LossyWire(TestNamespace ns, string guestTap, string linuxTap, double share, int seed)
    {
        _share = share;
        _random = new Random(seed);
        (_linux, _guest) = ns.Run(() => (TapDevice.Open(linuxTap), new PacketSocket(guestTap, etherType: 0x0003))); // ETH_P_ALL
        _thread = new Thread(Relay) { IsBackground = true, Name = "lossy wire" };
        _thread.Start();
    }

    /// <summary>A frame held back to be sent after later ones (reordering), and when it must go at the latest.</summary>
    private sealed class Held
    {
        public readonly byte[] Frame = new byte[65536];
        public int Length = -1;
        public long Deadline;
    }

    private void Relay()
    {
        byte[] buffer = new byte[65536];
        var toLinux = new Held();
        var toGuest = new Held();
        long maxHold = Stopwatch.Frequency / 500; // 2 ms: a held frame goes out then even if nothing follows
        while (!_stop)
        {
            bool moved = false;
            int n;
            while ((n = _guest.TryReceive(buffer)) >= 0)
            {
                Pass(buffer.AsSpan(0, n), toLinux, f => _linux.Write(f));
                moved = true;
            }
            while (_linux.Read(buffer, out n) == DeviceResult.Ok)
            {
                Pass(buffer.AsSpan(0, n), toGuest, f => _guest.Send(f));
                moved = true;
            }
            long now = Stopwatch.GetTimestamp();
            Release(toLinux, now, maxHold, f => _linux.Write(f));
            Release(toGuest, now, maxHold, f => _guest.Send(f));
            if (!moved) Thread.Sleep(0);
        }
    }

    private delegate void Sink(ReadOnlySpan<byte> frame);

    private void Pass(ReadOnlySpan<byte> frame, Held held, Sink send)
    {
        double r = _random.NextDouble();
        if (r < _share)
        {
            Dropped++;
            return;
        }
        if (r < 2 * _share && held.Length < 0)
        {
            frame.CopyTo(held.Frame);
            held.Length = frame.Length;
            held.Deadline = Stopwatch.GetTimestamp();
            Reordered++;
            return;
        }
        Send(frame, send);
        if (r < 3 * _share)
        {
            Duplicated++;
            Send(frame, send);
        }
        // A held frame goes out behind the frame that overtook it.
        if (held.Length >= 0)
        {
            Send(held.Frame.AsSpan(0, held.Length), send);
            held.Length = -1;
        }
    }

    private void Release(Held held, long now, long maxHold, Sink send)
    {
        if (held.Length < 0 || now - held.Deadline < maxHold) return;
        Send(held.Frame.AsSpan(0, held.Length), send);
        held.Length = -1;
    }

    private void Send(ReadOnlySpan<byte> frame, Sink send)
    {
        try
        {
            send(frame);
            Carried++;
        }
        catch (IOException)
        {
            Dropped++; // a full queue on the way: one more loss, as on a real link
        }
    }

    public override string ToString() => $"{Carried} frames carried, {Dropped} dropped, {Duplicated} duplicated, {Reordered} reordered";

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _guest.Dispose();
        _linux.Dispose();
    }
}
