using Guest.Stack;
using Guest.Stack.Tests.Support;
using Xunit.Abstractions;

namespace Guest.Stack.Tests;

/// <summary>The steady-state packet path allocates nothing (the guests have no garbage collector).</summary>
public class AllocationTests
{
    readonly ITestOutputHelper _out;
    public AllocationTests(ITestOutputHelper o) => _out = o;

    [Theory]
    [InlineData(21, 0.0, 0.0, 0.0)]
    [InlineData(22, 0.02, 0.01, 0.05)]   // retransmission, recovery, reassembly and duplicate paths too
    public void Bulk_transfer_allocates_zero_bytes_per_packet_in_steady_state(ulong seed, double loss, double dup, double reorder)
    {
        var s = new TwoStacks(seed);
        s.Link.Loss = loss; s.Link.Duplicate = dup; s.Link.Reorder = reorder;
        var bulk = new TcpLinkTests.Bulk(s, long.MaxValue / 4);
        // Warm-up: handshake, ARP, JIT tiers, slow start.
        while (bulk.RecvA + bulk.RecvB < (2 << 20)) bulk.Step();
        // UDP and ICMP in the same window: a bound socket that echoes datagrams back.
        Assert.Equal(NetError.Ok, s.A.UdpBind(7, out var ua));
        Assert.Equal(NetError.Ok, s.B.UdpBind(7000, out var ub));
        var payload = new byte[512];
        var rbuf = new byte[2048];

        long frames0 = (long)(s.A.Counters[Counter.RxFrames] + s.B.Counters[Counter.RxFrames]);
        long bytes0 = bulk.RecvA + bulk.RecvB;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        int steps = 0;
        while (bulk.RecvA + bulk.RecvB < bytes0 + (6 << 20))
        {
            bulk.Step();
            if ((++steps & 3) == 0) s.B.UdpSend(ub, TwoStacks.AddrA, 7, payload);
            while (s.A.UdpReceive(ua, rbuf, out var from, out var port) > 0) s.A.UdpSend(ua, from, port, payload);
            while (s.B.UdpReceive(ub, rbuf, out _, out _) > 0) { }
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        double seconds = clock.Elapsed.TotalSeconds;
        long frames = (long)(s.A.Counters[Counter.RxFrames] + s.B.Counters[Counter.RxFrames]) - frames0;
        _out.WriteLine($"{steps} steps, {s.A.Counters[Counter.UdpDelivered]} datagrams, {frames} frames, {bulk.RecvA + bulk.RecvB - bytes0} bytes, {allocated} bytes allocated, {seconds * 1000:F0} ms wall ({(bulk.RecvA + bulk.RecvB - bytes0) * 8 / seconds / 1e9:F2} Gbit/s through both stacks and the simulated wire)");
        Assert.True(frames > 4000, "too few frames measured");
        Assert.True(s.A.Counters[Counter.UdpDelivered] > 20, "too few UDP datagrams in the window");
        Assert.Equal(0, allocated);
    }
}
