using System;
using Guest.Stack;
using GuestBindings;

// Two Guest.Stack instances (10.0.0.1 and 10.0.0.2) joined by an in-memory wire. B connects to A and
// both send `--mib=N` MiB (default 4) of a pattern; each side verifies what it reads. Prints
//   stack-loopback: sent=... received=... mismatches=0 ok
static class Program
{
    static byte Pattern(long i, int stream) => (byte)(i * 31 + (i >> 9) + stream * 101);

    static int Main(string[] args)
    {
        long bytes = 4L << 20;
        for (int i = 0; i < args.Length; i++)
            if (args[i].StartsWith("--mib=")) bytes = (long)ParseInt(args[i].Substring(6)) << 20;

        var wire = new Wire();
        NetStack<WireNic> a = Make(wire, 0, "--ipv4=10.0.0.1/24", 0x020000000001UL, 11);
        NetStack<WireNic> b = Make(wire, 1, "--ipv4=10.0.0.2/24", 0x020000000002UL, 22);
        if (a.Listen(5001, 4, out ListenerHandle listener) != NetError.Ok) return Fail("listen");
        if (b.Connect(new Ipv4Address(10, 0, 0, 1), 5001, out TcpHandle cb) != NetError.Ok) return Fail("connect");

        byte[] chunk = new byte[8192], rbuf = new byte[8192];
        TcpHandle ca = default;
        bool haveA = false;
        long sentA = 0, sentB = 0, recvA = 0, recvB = 0, mismatches = 0;
        ulong now = 1_000_000_000;
        ulong t0 = Clock.MonotonicNanoseconds;
        for (int step = 0; step < 5_000_000 && (recvA < bytes || recvB < bytes); step++)
        {
            wire.Now = now;
            a.Poll(now);
            b.Poll(now);
            if (!haveA && a.TryAccept(listener, out ca)) haveA = true;
            if (haveA) Pump(a, ca, chunk, rbuf, ref sentA, ref recvA, ref mismatches, 0, 1, bytes);
            if (b.GetState(cb) == TcpState.Established) Pump(b, cb, chunk, rbuf, ref sentB, ref recvB, ref mismatches, 1, 0, bytes);
            ulong next = Math.Min(Math.Min(a.NextDeadline, b.NextDeadline), wire.NextDue);
            now = next > now ? Math.Min(next, now + 50_000_000) : now + 10_000;
        }
        ulong t1 = Clock.MonotonicNanoseconds;
        bool ok = recvA == bytes && recvB == bytes && mismatches == 0;
        GuestConsole.WriteLine("stack-loopback: sent=" + (sentA + sentB).ToString() + " received=" + (recvA + recvB).ToString() +
            " mismatches=" + mismatches.ToString() + " frames=" + wire.Frames.ToString() + " ns=" + (t1 - t0).ToString() + (ok ? " ok" : " FAILED"));
        return ok ? 0 : 1;
    }

    static void Pump(NetStack<WireNic> st, TcpHandle c, byte[] chunk, byte[] rbuf, ref long sent, ref long recv, ref long mismatches, int outStream, int inStream, long total)
    {
        while (sent < total)
        {
            int n = (int)Math.Min(chunk.Length, total - sent);
            for (int i = 0; i < n; i++) chunk[i] = Pattern(sent + i, outStream);
            int w = st.Write(c, chunk.AsSpan(0, n));
            if (w <= 0) break;
            sent += w;
            if (w < n) break;
        }
        while (recv < total)
        {
            int r = st.Read(c, rbuf);
            if (r <= 0) break;
            for (int i = 0; i < r; i++) if (rbuf[i] != Pattern(recv + i, inStream)) mismatches++;
            recv += r;
        }
    }

    static NetStack<WireNic> Make(Wire wire, int side, string ipArgs, ulong mac, ulong seed)
    {
        var cfg = new StackConfig { Seed = seed };
        if (cfg.ApplyCommandLine(ipArgs) != ConfigError.None) Unikernel.Abort("bad stack configuration " + ipArgs);
        var pool = new PacketPool(1024);
        return new NetStack<WireNic>(new WireNic(wire, side, pool, new MacAddress(mac)), pool, cfg);
    }

    static int ParseInt(string s)
    {
        int v = 0;
        for (int i = 0; i < s.Length; i++) v = v * 10 + (s[i] - '0');
        return v;
    }

    static int Fail(string what)
    {
        GuestConsole.WriteLine("stack-loopback: " + what + " failed");
        return 1;
    }
}

// An ideal Ethernet segment with a fixed delay; frames are copied into preallocated slots.
sealed class Wire
{
    public ulong Now;
    public long Frames;
    private const ulong Delay = 100_000;
    private readonly byte[][] _frame = new byte[4096][];
    private readonly int[] _len = new int[4096];
    private readonly ulong[] _due = new ulong[4096];
    private readonly int[] _to = new int[4096];
    private int _head, _count;

    public Wire()
    {
        for (int i = 0; i < _frame.Length; i++) _frame[i] = new byte[1600];
    }

    public void Send(int fromSide, ReadOnlySpan<byte> frame)
    {
        if (_count == _frame.Length) return; // full: tail drop
        int s = (_head + _count) % _frame.Length;
        frame.CopyTo(_frame[s]);
        _len[s] = frame.Length;
        _due[s] = Now + Delay;
        _to[s] = 1 - fromSide;
        _count++;
        Frames++;
    }

    // FIFO per wire; a frame for the other side at the head waits until that side polls.
    public int TakeDue(int side, Span<byte> into)
    {
        if (_count == 0) return -1;
        int s = _head;
        if (_to[s] != side || _due[s] > Now) return -1;
        int len = _len[s];
        _frame[s].AsSpan(0, len).CopyTo(into);
        _head = (_head + 1) % _frame.Length;
        _count--;
        return len;
    }

    public ulong NextDue => _count == 0 ? ulong.MaxValue : _due[_head];
}

struct WireNic : INetDevice
{
    private readonly Wire _wire;
    private readonly int _side;
    private readonly PacketPool _pool;
    private readonly MacAddress _mac;

    public WireNic(Wire wire, int side, PacketPool pool, MacAddress mac) { _wire = wire; _side = side; _pool = pool; _mac = mac; }
    public MacAddress Mac => _mac;
    public int Mtu => 1500;

    public int ReceiveBatch(Span<PacketBuffer> into)
    {
        int n = 0;
        while (n < into.Length)
        {
            if (!_pool.TryRent(out PacketBuffer b)) break;
            int len = _wire.TakeDue(_side, _pool.Data(b));
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
            _wire.Send(_side, _pool.Data(frames[i]));
            _pool.Return(frames[i]);
        }
        return frames.Length;
    }
}
