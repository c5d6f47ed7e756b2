using Guest.Stack;
using Tender.Fuzz;

namespace Tender.Fuzz.Tests;

/// <summary>
/// The stack targets' seeds reach what they were written for (a handshake with data, an echo):
/// a seed that the harness's framing or checksum filling broke would only exercise the drop paths.
/// </summary>
public class SeedDepthTests
{
    private static StackCounters Run(string target, string seed) =>
        StackTargets.Counters(target, File.ReadAllBytes(Path.Combine(Corpus.CorpusDirectory(target), seed)));

    [Fact]
    public void The_tcp_seed_completes_a_handshake_and_its_data_is_echoed()
    {
        var c = Run("tcp", "handshake-data-fin");
        Assert.Equal(4UL, c[Counter.TcpSegmentsReceived]);
        Assert.Equal(0UL, c[Counter.TcpBadChecksum] + c[Counter.TcpOutOfWindow] + c[Counter.TcpResetsSent] + c[Counter.TcpNoSocket]);
        // SYN-ACK, the echoed "hello" (with or without the ACK of it folded in), the FIN's ACK and our FIN.
        Assert.InRange(c[Counter.TcpSegmentsSent], 3UL, 8UL);
    }

    [Fact]
    public void The_tcp_out_of_order_seed_is_queued_then_reassembled()
    {
        var c = Run("tcp", "handshake-out-of-order");
        Assert.Equal(1UL, c[Counter.TcpOutOfOrderQueued]);
        Assert.Equal(0UL, c[Counter.TcpBadChecksum]);
    }

    [Fact]
    public void The_udp_and_icmp_seeds_are_answered()
    {
        Assert.Equal(1UL, Run("udp", "echo")[Counter.UdpDelivered]);
        Assert.Equal(1UL, Run("udp", "closed-port")[Counter.IcmpUnreachableSent]);
        Assert.Equal(1UL, Run("icmp", "echo-request")[Counter.IcmpEchoRequests]);
        Assert.Equal(1UL, Run("ipv4", "icmp-echo")[Counter.IcmpEchoRequests]);
        Assert.Equal(1UL, Run("ipv4", "options")[Counter.IcmpEchoRequests]);
        Assert.Equal(1UL, Run("ipv4", "tcp-syn")[Counter.TcpSegmentsReceived]);
        Assert.Equal(1UL, Run("ethernet", "ipv4-icmp")[Counter.IcmpEchoRequests]);
        Assert.Equal(2UL, Run("arp", "request")[Counter.ArpRequestsReceived]); // the harness's own, then the seed's
    }
}
