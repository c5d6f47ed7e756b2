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

/// <summary>The device seeds do what they were written for: frames really go out and come in.</summary>
public class DeviceSeedDepthTests
{
    private static byte[] Seed(string target, string name) => File.ReadAllBytes(Path.Combine(Corpus.CorpusDirectory(target), name));

    private static int PeerReceives()
    {
        var buffer = new byte[2048];
        return FuzzGuest.Instance.Peer.Read(buffer, out int length) == Tender.Devices.DeviceResult.Ok ? length : -1;
    }

    [Fact]
    public void The_ring_seeds_send_a_frame_and_commit_a_received_one()
    {
        var ring = Targets.Find("ring")!;
        Assert.Equal(FuzzOutcome.Accepted, ring.Run(Seed("ring", "write")));
        Assert.Equal(60, PeerReceives());

        Assert.Equal(FuzzOutcome.Accepted, ring.Run(Seed("ring", "read")));
        var commit = FuzzGuest.Instance.Ram.GetSpan(RingTarget.RingAddress + (ulong)Tender.Devices.HvtRingLayout.CommitOffset(0), 16);
        Assert.Equal(7u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(commit));        // the entry's id
        Assert.Equal(0, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(commit[4..]));     // SOLO5_R_OK
        Assert.Equal(60u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(commit[8..]));  // the waiting frame
    }

    [Fact]
    public void The_hypercall_seed_writes_a_frame_and_reads_the_waiting_one()
    {
        Assert.Equal(FuzzOutcome.Accepted, Targets.Find("hypercalls")!.Run(Seed("hypercalls", "netwrite-netread")));
        Assert.Equal(60, PeerReceives());
        var write = FuzzGuest.Instance.Ram.GetSpan(0x1000, 32);
        var read = FuzzGuest.Instance.Ram.GetSpan(0x1040, 32);
        Assert.Equal(0, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(write[24..]));  // NETWRITE ret OK
        Assert.Equal(0, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(read[24..]));   // NETREAD ret OK
        Assert.Equal(60UL, System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(read[16..])); // its length
    }
}

/// <summary>The 82599 seeds bring the device up the way a driver does, then move a frame each way.</summary>
public class IxgbeSeedDepthTests
{
    private static IxgbeTarget.Observed Run(string seed) =>
        IxgbeTarget.Run(File.ReadAllBytes(Path.Combine(Corpus.CorpusDirectory("ixgbe"), seed)));

    [Fact]
    public void The_initialisation_seed_brings_the_link_up_without_device_errors()
    {
        var o = Run("init");
        Assert.True(o.LinkUp);
        Assert.Equal(0, o.Errors);
    }

    [Fact]
    public void The_receive_and_transmit_seeds_move_one_frame_each()
    {
        var rx = Run("init-receive");
        Assert.Equal((1, 0L), (rx.Received, rx.Errors));
        var tx = Run("init-transmit");
        Assert.Equal((1, 0L), (tx.Transmitted, tx.Errors));
    }
}

/// <summary>The gdb seeds are sessions the stub answers in full, not framing errors.</summary>
public class GdbSeedDepthTests
{
    private static string Transcript(string seed) =>
        GdbTarget.Transcript(File.ReadAllBytes(Path.Combine(Corpus.CorpusDirectory("gdb"), seed)));

    [Fact]
    public void The_gdb_seeds_are_answered_without_nacks_or_errors_where_none_are_due()
    {
        string handshake = Transcript("handshake");
        Assert.DoesNotMatch("(^|#[0-9a-f]{2})-", handshake); // a nack stands where an ack would
        Assert.Contains("qXfer:features:read+", handshake);
        Assert.Contains("<architecture>i386:x86-64</architecture>", handshake);
        Assert.Contains("$T05thread:01;#", handshake);

        string breakpoints = Transcript("break-continue-step");
        Assert.Contains("$T05swbreak:;thread:01;#", breakpoints);
        Assert.DoesNotContain("$E", breakpoints);

        string memory = Transcript("memory");
        Assert.Contains("$E14#", memory);               // the read inside the hole
        Assert.Contains("$0102030423247d#", memory);     // M, then X's escaped bytes, read back
    }

    [Fact]
    public void The_watch_seed_stops_at_the_watchpoint_and_detaches()
    {
        string watch = Transcript("watch");
        Assert.Contains("$E22#", watch);                 // the read watchpoint the fake refuses
        Assert.Contains("$T05rwatch:11002;thread:01;#", watch); // the third stop the harness makes
        Assert.Contains("$OK#", watch);
    }
}
