using Guest.Stack;

namespace Guest.Stack.Tests.Support;

/// <summary>
/// An in-memory Ethernet segment between two stacks that loses, duplicates, reorders and delays
/// frames, driven by a seeded generator so every run is the same. Frames are copied into
/// preallocated slots ("the wire"): sending and receiving allocate nothing.
/// </summary>
public sealed class SimLink
{
    public double Loss, Duplicate, Reorder;
    public ulong Delay = 1_000_000, ReorderExtra = 3_000_000;
    public ulong Now;
    public long Delivered, Dropped, Duplicated, Reordered;

    private readonly byte[][] _frame;
    private readonly int[] _len;
    private readonly ulong[] _due;
    private readonly int[] _to;
    private readonly long[] _order;
    private readonly int[] _free;
    private int _freeCount;
    private readonly int[] _inFlight;
    private int _inFlightCount;
    private long _orderCounter;
    private XorShift _rng;

    public SimLink(ulong seed, int slots = 4096)
    {
        _rng = new XorShift(seed);
        _frame = new byte[slots][];
        for (int i = 0; i < slots; i++) _frame[i] = new byte[1600];
        _len = new int[slots]; _due = new ulong[slots]; _to = new int[slots]; _order = new long[slots];
        _free = new int[slots];
        for (int i = 0; i < slots; i++) _free[i] = i;
        _freeCount = slots;
        _inFlight = new int[slots];
    }

    private bool Chance(double p) => p > 0 && (_rng.Next() >> 11) * (1.0 / (1UL << 53)) < p;

    public void Send(int fromSide, ReadOnlySpan<byte> frame)
    {
        if (Chance(Loss)) { Dropped++; return; }
        int copies = Chance(Duplicate) ? 2 : 1;
        if (copies == 2) Duplicated++;
        for (int k = 0; k < copies; k++)
        {
            if (_freeCount == 0) { Dropped++; return; }   // the wire is full: tail drop
            int s = _free[--_freeCount];
            frame.CopyTo(_frame[s]);
            _len[s] = frame.Length;
            ulong extra = 0;
            if (Chance(Reorder)) { extra = 1 + (_rng.Next() % ReorderExtra); Reordered++; }
            _due[s] = Now + Delay + extra + (ulong)k * 1000;
            _to[s] = 1 - fromSide;
            _order[s] = _orderCounter++;
            _inFlight[_inFlightCount++] = s;
        }
    }

    /// <summary>Takes the earliest due frame for <paramref name="side"/>, if any is due.</summary>
    public int TakeDue(int side, Span<byte> into)
    {
        int best = -1;
        for (int i = 0; i < _inFlightCount; i++)
        {
            int s = _inFlight[i];
            if (_to[s] != side || _due[s] > Now) continue;
            if (best < 0 || _due[s] < _due[_inFlight[best]] || (_due[s] == _due[_inFlight[best]] && _order[s] < _order[_inFlight[best]])) best = i;
        }
        if (best < 0) return -1;
        int slot = _inFlight[best];
        _inFlight[best] = _inFlight[--_inFlightCount];
        int len = _len[slot];
        _frame[slot].AsSpan(0, len).CopyTo(into);
        _free[_freeCount++] = slot;
        Delivered++;
        return len;
    }

    public ulong NextDue
    {
        get
        {
            ulong d = ulong.MaxValue;
            for (int i = 0; i < _inFlightCount; i++) if (_due[_inFlight[i]] < d) d = _due[_inFlight[i]];
            return d;
        }
    }
}

/// <summary>One side of a <see cref="SimLink"/> as a device.</summary>
public struct LinkNic : INetDevice
{
    private readonly SimLink _link;
    private readonly int _side;
    private readonly PacketPool _pool;
    private readonly MacAddress _mac;

    public LinkNic(SimLink link, int side, PacketPool pool, MacAddress mac) { _link = link; _side = side; _pool = pool; _mac = mac; }
    public MacAddress Mac => _mac;
    public int Mtu => 1500;

    public int ReceiveBatch(Span<PacketBuffer> into)
    {
        int n = 0;
        while (n < into.Length)
        {
            if (!_pool.TryRent(out var b)) break;
            int len = _link.TakeDue(_side, _pool.Data(b));
            if (len < 0) { _pool.Return(b); break; }
            b.Length = len;
            into[n++] = b;
        }
        return n;
    }

    public int SendBatch(ReadOnlySpan<PacketBuffer> frames)
    {
        for (int i = 0; i < frames.Length; i++)
        {
            _link.Send(_side, _pool.Data(frames[i]));
            _pool.Return(frames[i]);   // transmit complete: the buffer goes back to its pool
        }
        return frames.Length;
    }
}

/// <summary>Two stacks (10.0.0.1 and 10.0.0.2) on a <see cref="SimLink"/>, with a virtual clock.</summary>
public sealed class TwoStacks
{
    public readonly SimLink Link;
    public readonly NetStack<LinkNic> A, B;
    public ulong Now = 1_000_000_000;
    public static readonly Ipv4Address AddrA = new(10, 0, 0, 1), AddrB = new(10, 0, 0, 2);

    public TwoStacks(ulong seed, Action<StackConfig>? configure = null, int poolSlots = 1024)
    {
        Link = new SimLink(seed);
        A = Make(0, "--ipv4=10.0.0.1/24", seed * 3 + 1, configure, poolSlots, 0x020000000001);
        B = Make(1, "--ipv4=10.0.0.2/24", seed * 5 + 2, configure, poolSlots, 0x020000000002);
    }

    private NetStack<LinkNic> Make(int side, string args, ulong seed, Action<StackConfig>? configure, int poolSlots, ulong mac)
    {
        var cfg = new StackConfig { Seed = seed };
        Assert.Equal(ConfigError.None, cfg.ApplyCommandLine(args));
        configure?.Invoke(cfg);
        var pool = new PacketPool(poolSlots);
        return new NetStack<LinkNic>(new LinkNic(Link, side, pool, new MacAddress(mac)), pool, cfg);
    }

    /// <summary>One step of the event loop on both sides, then the clock jumps to the next event.</summary>
    public void Step()
    {
        Link.Now = Now;
        A.Poll(Now);
        B.Poll(Now);
        A.CheckInvariants();
        B.CheckInvariants();
        ulong next = Math.Min(Math.Min(A.NextDeadline, B.NextDeadline), Link.NextDue);
        Now = next > Now ? Math.Min(next, Now + 50_000_000) : Now + 10_000;
    }
}
