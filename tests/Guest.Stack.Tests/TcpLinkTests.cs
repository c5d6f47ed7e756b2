using Guest.Stack;
using Guest.Stack.Tests.Support;

namespace Guest.Stack.Tests;

/// <summary>Two real stacks over an impaired in-memory link: bulk data both ways must arrive intact.</summary>
public class TcpLinkTests
{
    static byte Pattern(long i, int stream) => (byte)(i * 31 + (i >> 9) + stream * 101);

    /// <summary>A bidirectional bulk transfer: B connects to A; each sends <paramref name="bytes"/> and verifies what it reads.</summary>
    public sealed class Bulk
    {
        readonly TwoStacks _s;
        readonly long _bytes;      // B → A
        readonly long _bytesFromA; // A → B
        readonly byte[] _chunk = new byte[8192];
        readonly byte[] _rbuf = new byte[8192];
        TcpHandle _a, _b;
        ListenerHandle _l;
        bool _haveA;
        public long SentA, SentB, RecvA, RecvB;
        public bool EofA, EofB, ClosedA, ClosedB;
        public long Mismatches;

        public Bulk(TwoStacks s, long bytes, long bytesFromA = -1)
        {
            _s = s; _bytes = bytes; _bytesFromA = bytesFromA < 0 ? bytes : bytesFromA;
            Assert.Equal(NetError.Ok, s.A.Listen(5001, 4, out _l));
            Assert.Equal(NetError.Ok, s.B.Connect(TwoStacks.AddrA, 5001, out _b));
        }

        public bool Done => EofA && EofB;

        public void Step()
        {
            _s.Step();
            if (!_haveA && _s.A.TryAccept(_l, out _a)) _haveA = true;
            if (_haveA) Pump(_s.A, _a, ref SentA, ref RecvA, ref EofA, ref ClosedA, 0, 1, _bytesFromA, _bytes);
            if (_s.B.GetState(_b) != TcpState.SynSent) Pump(_s.B, _b, ref SentB, ref RecvB, ref EofB, ref ClosedB, 1, 0, _bytes, _bytesFromA);
        }

        void Pump(NetStack<LinkNic> st, TcpHandle c, ref long sent, ref long recv, ref bool eof, ref bool closed, int outStream, int inStream, long toSend, long toReceive)
        {
            if (closed) return;
            while (sent < toSend)
            {
                int n = (int)Math.Min(_chunk.Length, toSend - sent);
                for (int i = 0; i < n; i++) _chunk[i] = Pattern(sent + i, outStream);
                int w = st.Write(c, _chunk.AsSpan(0, n));
                if (w < 0) Assert.Fail($"write failed {w} state {st.GetState(c)} sent {sent} recv {recv} t={_s.Now}");
                sent += w;
                if (w < n) break;   // back-pressure
            }
            while (!eof)
            {
                int r = st.Read(c, _rbuf);
                if (r == NetError.EndOfStream) { eof = true; break; }
                if (r < 0) Assert.Fail($"read failed {r} state {st.GetState(c)} sent {sent} recv {recv}");
                if (r == 0) break;
                for (int i = 0; i < r; i++) if (_rbuf[i] != Pattern(recv + i, inStream)) Mismatches++;
                recv += r;
            }
            // The server closes once everything is exchanged; the client once it has seen the server's EOF.
            bool server = outStream == 0;
            if (!closed && sent == toSend && recv == toReceive && (server || eof))
            {
                Assert.Equal(NetError.Ok, st.Close(c));
                closed = true;
            }
        }
    }

    static TwoStacks RunBulk(ulong seed, double loss, double dup, double reorder, long bytes, ulong maxVirtualSeconds = 600, long bytesFromA = -1, int poolSlots = 1024)
    {
        var s = new TwoStacks(seed, poolSlots: poolSlots);
        s.Link.Loss = loss; s.Link.Duplicate = dup; s.Link.Reorder = reorder;
        var bulk = new Bulk(s, bytes, bytesFromA);
        long fromA = bytesFromA < 0 ? bytes : bytesFromA;
        ulong limit = s.Now + maxVirtualSeconds * 1_000_000_000UL;
        while (!(bulk.RecvA == bytes && bulk.RecvB == fromA && bulk.ClosedA && bulk.ClosedB) && s.Now < limit) bulk.Step();
        Assert.Equal(bytes, bulk.RecvA);
        Assert.Equal(fromA, bulk.RecvB);
        Assert.Equal(0, bulk.Mismatches);
        Assert.True(bulk.ClosedA && bulk.ClosedB);
        // Both sides finish the close handshake; TIME-WAIT then ends and every connection is freed.
        for (int i = 0; i < 2000 && (s.A.ConnectionsInUse + s.B.ConnectionsInUse) > 0; i++) s.Step();
        Assert.Equal(0, s.A.ConnectionsInUse + s.B.ConnectionsInUse);
        if (loss > 0) Assert.True(s.Link.Dropped > 0);
        Assert.Equal(s.A.Pool.Capacity, s.A.Pool.Available);
        Assert.Equal(s.B.Pool.Capacity, s.B.Pool.Available);
        return s;
    }

    [Fact] public void Clean_link_moves_4_MiB_each_way() => RunBulk(1, 0, 0, 0, 4 << 20);

    [Fact]
    public void One_way_transfer_over_a_lossy_link_recovers_mostly_by_fast_retransmit()
    {
        var s = RunBulk(6, 0.01, 0, 0, 4 << 20, bytesFromA: 0);
        ulong fast = s.B.Counters[Counter.TcpFastRetransmits], timeouts = s.B.Counters[Counter.TcpRetransmitTimeouts];
        Assert.True(fast > timeouts, $"fast retransmits {fast}, timeouts {timeouts}");
    }
    [Fact]
    public void A_small_buffer_pool_throttles_tcp_instead_of_failing()
    {
        // 40 slots: fewer than one window of segments. TCP must wait for buffers, not drop or stall.
        var s = RunBulk(7, 0.01, 0, 0, 1 << 20, poolSlots: 40);
        Assert.True(s.A.Counters[Counter.NoBuffers] + s.B.Counters[Counter.NoBuffers] == 0, "TCP asked for buffers it could not get");
    }

    [Fact]
    public void Twenty_concurrent_connections_over_a_lossy_link_each_deliver_intact()
    {
        var s = new TwoStacks(9, c => { c.TcpSendBufferSize = c.TcpReceiveBufferSize = 16 * 1024; c.MaxTcpConnections = 24; c.TcpMaxBacklog = 32; });
        s.Link.Loss = 0.02; s.Link.Reorder = 0.02; s.Link.Duplicate = 0.01;
        const int n = 20, size = 96 * 1024;
        Assert.Equal(NetError.Ok, s.A.Listen(7000, 32, out var l));
        var client = new TcpHandle[n];
        for (int i = 0; i < n; i++) Assert.Equal(NetError.Ok, s.B.Connect(TwoStacks.AddrA, 7000, out client[i]));
        var server = new List<TcpHandle>();
        // Each client sends `size` bytes tagged with its index; the server echoes per connection.
        var sent = new long[n]; var got = new long[n]; var bad = 0L;
        var buf = new byte[4096];
        ulong limit = s.Now + 600_000_000_000UL;
        var doneClient = new bool[n];
        while (doneClient.Any(d => !d) && s.Now < limit)
        {
            s.Step();
            while (s.A.TryAccept(l, out var a)) server.Add(a);
            foreach (var a in server.ToArray())
            {
                int room = Math.Min(s.A.SendSpace(a), buf.Length);
                int r = room > 0 ? s.A.Read(a, buf.AsSpan(0, room)) : 0;
                if (r > 0) Assert.Equal(r, s.A.Write(a, buf.AsSpan(0, r)));
                else if (r == NetError.EndOfStream) { s.A.Close(a); server.Remove(a); }
                else Assert.True(r >= 0, $"server read failed: {r}");
            }
            for (int i = 0; i < n; i++)
            {
                if (doneClient[i] || s.B.GetState(client[i]) == TcpState.SynSent) continue;
                while (sent[i] < size)
                {
                    int k = (int)Math.Min(buf.Length, size - sent[i]);
                    for (int j = 0; j < k; j++) buf[j] = (byte)((sent[i] + j) * 7 + i);
                    int w = s.B.Write(client[i], buf.AsSpan(0, k));
                    Assert.True(w >= 0, $"client write failed: {w}");
                    sent[i] += w;
                    if (w < k) break;
                }
                if (sent[i] == size && s.B.SendPending(client[i]) == 0 && s.B.GetState(client[i]) == TcpState.Established) s.B.ShutdownWrite(client[i]);
                int r;
                while ((r = s.B.Read(client[i], buf)) > 0)
                {
                    for (int j = 0; j < r; j++) if (buf[j] != (byte)((got[i] + j) * 7 + i)) bad++;
                    got[i] += r;
                }
                if (r == NetError.EndOfStream) { Assert.Equal(size, got[i]); s.B.Close(client[i]); doneClient[i] = true; }
                else Assert.True(r >= 0, $"client read failed: {r}");
            }
        }
        Assert.All(doneClient, Assert.True);
        Assert.Equal(0, bad);
        Assert.All(got, g => Assert.Equal(size, g));
        for (int i = 0; i < 3000 && s.A.ConnectionsInUse + s.B.ConnectionsInUse > 0; i++) s.Step();
        Assert.Equal(0, s.A.ConnectionsInUse + s.B.ConnectionsInUse);
        Assert.Equal(s.A.Pool.Capacity, s.A.Pool.Available);
        Assert.Equal(s.B.Pool.Capacity, s.B.Pool.Available);
    }

    [Fact] public void Lossy_link_1_percent() => RunBulk(2, 0.01, 0, 0, 4 << 20);
    [Fact] public void Lossy_duplicating_reordering_link() => RunBulk(3, 0.03, 0.02, 0.05, 3 << 20);
    [Fact] public void Heavy_reordering_link() => RunBulk(4, 0.005, 0.01, 0.3, 2 << 20);
    [Fact] public void Very_lossy_link_still_delivers() => RunBulk(5, 0.10, 0.01, 0.02, 1 << 20, 3600);
}
