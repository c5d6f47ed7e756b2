using Guest.Stack;
using Guest.Stack.Tests.Support;
using static Guest.Stack.TcpFlags;

namespace Guest.Stack.Tests;

/// <summary>TCP scenarios as scripts: segments the peer sends, segments the stack must answer with.</summary>
public class TcpScriptTests
{
    static readonly Ipv4Address PeerAddr = new(StackHarness.PeerIp);
    const ulong Ms = 1_000_000;

    [Fact]
    public void Passive_open_negotiates_mss_window_scale_and_timestamps()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        Assert.Equal(NetError.Ok, h.Stack.Listen(80, 4, out var l));
        p.Send(Syn, p.Seq, 0, null, 65535, new Frames.TcpOpts { Mss = 1400, Ws = 7, Ts = true, TsVal = 5000, Sack = true });
        var sa = Assert.Single(p.Poll());
        Assert.Equal(Syn | Ack, sa.Flags);
        Assert.Equal(p.Seq + 1, sa.Ack);
        Assert.Equal(1460, sa.Mss);
        Assert.Equal(1, sa.Ws);               // 64 KiB receive buffer needs a shift of 1
        Assert.True(sa.Ts);
        Assert.Equal(5000u, sa.TsEcr);
        Assert.Equal(65535, sa.Window);       // never scaled in a SYN
        Assert.True(sa.SackOk);               // the peer offered SACK: we will report holes
        Assert.False(h.Stack.TryAccept(l, out _));
        p.Seq++;
        p.Send(Ack, p.Seq, sa.Seq + 1, null, 1000, new Frames.TcpOpts { Ts = true, TsVal = 5001, TsEcr = sa.TsVal });
        Assert.Empty(p.Poll());
        Assert.Equal(1, h.Stack.AcceptPending(l));
        Assert.True(h.Stack.TryAccept(l, out var c));
        Assert.Equal(TcpState.Established, h.Stack.GetState(c));

        // The peer's window of 1000 is scaled by 2^7: a 20 000-byte write goes out beyond 1000 bytes.
        Assert.Equal(20000, h.Stack.Write(c, new byte[20000]));
        var segs = p.Poll();
        Assert.True(segs.Sum(s => s.Data.Length) > 1000);
        Assert.All(segs, s => Assert.True(s.Data.Length <= 1400 - 12)); // MSS less the timestamp option
        Assert.All(segs, s => Assert.True(s.Ts && s.TsEcr == 5001));
    }

    [Fact]
    public void Active_open_offers_options_and_completes_with_an_ack()
    {
        var h = new StackHarness().Started();
        Assert.Equal(NetError.Ok, h.Stack.Connect(PeerAddr, 80, out var c));
        Assert.Equal(TcpState.SynSent, h.Stack.GetState(c));
        var p = new TcpPeer(h);
        var syn = Assert.Single(p.Poll());
        Assert.Equal(Syn, syn.Flags);
        Assert.Equal(1460, syn.Mss); Assert.Equal(1, syn.Ws); Assert.True(syn.Ts); Assert.True(syn.SackOk);
        Assert.InRange(syn.SrcPort, 49152, 65535);
        p.PeerPort = 80; p.StackPort = syn.SrcPort;
        p.Send(Syn | Ack, p.Seq, syn.Seq + 1, null, 65535, new Frames.TcpOpts { Mss = 1460 });
        var ack = Assert.Single(p.Poll());
        Assert.Equal(Ack, ack.Flags);
        Assert.Equal(p.Seq + 1, ack.Ack);
        Assert.Equal(syn.Seq + 1, ack.Seq);
        Assert.False(ack.Ts);                   // the peer did not echo timestamps: none from now on
        Assert.Equal(TcpState.Established, h.Stack.GetState(c));
    }

    [Fact]
    public void Connect_to_a_refusing_port_reports_refused_and_syn_retries_time_out()
    {
        var h = new StackHarness(c => c.TcpMaxSynRetransmits = 2).Started();
        var p = new TcpPeer(h);
        h.Stack.Connect(PeerAddr, 80, out var c);
        var syn = Assert.Single(p.Poll());
        p.PeerPort = 80; p.StackPort = syn.SrcPort;
        p.Send(Rst | Ack, 0, syn.Seq + 1);
        p.Poll();
        Assert.Equal(TcpState.Closed, h.Stack.GetState(c));
        Assert.Equal(NetError.ConnectionRefused, h.Stack.Read(c, new byte[1]));
        Assert.Equal(NetError.Ok, h.Stack.Close(c));

        h.Stack.Connect(PeerAddr, 81, out var c2);
        Assert.Single(p.Poll());
        Assert.Single(p.Poll(1000 * Ms));      // initial RTO 1 s
        Assert.Empty(p.Poll(1999 * Ms));
        Assert.Single(p.Poll(1 * Ms));         // backed off to 2 s
        p.Poll(4000 * Ms);
        Assert.Equal(TcpState.Closed, h.Stack.GetState(c2));
        Assert.Equal(NetError.TimedOut, h.Stack.Read(c2, new byte[1]));
        Assert.Equal(1UL, h.Counters[Counter.TcpConnectTimeouts]);
    }

    [Fact]
    public void Retransmission_timer_follows_rfc6298_with_exponential_backoff()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenActive(rttNanos: 10 * Ms);   // SRTT 10 ms → RTO = max(min RTO 200 ms, 10 + 4·5 ms)
        Assert.Equal(100, h.Stack.Write(c, new byte[100]));
        var first = Assert.Single(p.Poll());
        Assert.Equal(100, first.Data.Length);
        ulong t0 = h.Now;
        Assert.Equal(t0 + 200 * Ms, h.Stack.NextDeadline);
        Assert.Empty(p.Poll(199 * Ms));
        var r1 = Assert.Single(p.Poll(1 * Ms));
        Assert.Equal(first.Seq, r1.Seq); Assert.Equal(100, r1.Data.Length);
        Assert.Equal(h.Now + 400 * Ms, h.Stack.NextDeadline);
        Assert.Empty(p.Poll(399 * Ms));
        Assert.Single(p.Poll(1 * Ms));
        Assert.Equal(h.Now + 800 * Ms, h.Stack.NextDeadline);
        Assert.Single(p.Poll(800 * Ms));
        Assert.Equal(3UL, h.Counters[Counter.TcpRetransmitTimeouts]);
        p.Send(Ack, p.Seq, first.Seq + 100);
        Assert.Empty(p.Poll());
        Assert.Equal(ulong.MaxValue, h.Stack.NextDeadline);
        Assert.Equal(0, h.Stack.SendPending(c));
    }

    [Fact]
    public void Too_many_retransmissions_reset_the_connection_and_report_timeout()
    {
        var h = new StackHarness(c => c.TcpMaxRetransmits = 2).Started();
        var p = new TcpPeer(h);
        var c = p.OpenActive();
        h.Stack.Write(c, new byte[10]);
        p.Poll();
        Assert.Single(p.Poll(200 * Ms));
        Assert.Single(p.Poll(400 * Ms));
        var rst = Assert.Single(p.Poll(800 * Ms));
        Assert.Equal(Rst, rst.Flags);
        Assert.Equal(TcpState.Closed, h.Stack.GetState(c));
        Assert.Equal(NetError.TimedOut, h.Stack.Write(c, new byte[1]));
    }

    [Fact]
    public void Three_duplicate_acks_trigger_fast_retransmit_and_newreno_recovery()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenActive(mss: 1000);
        uint s = p.StackIsn + 1;
        Assert.Equal(20000, h.Stack.Write(c, new byte[20000]));
        var burst = p.Poll();
        Assert.Equal(new uint[] { s, s + 1000, s + 2000, s + 3000 }, burst.Select(x => x.Seq));   // IW = 4 · MSS
        p.Send(Ack, p.Seq, s + 1000);
        Assert.Equal(new uint[] { s + 4000, s + 5000 }, p.Poll().Select(x => x.Seq));          // slow start: cwnd 5 MSS
        // Segment s+1000 was lost. The first two duplicate ACKs each release one new segment
        // (limited transmit, RFC 3042); the third triggers the fast retransmit.
        p.Send(Ack, p.Seq, s + 1000);
        Assert.Equal(s + 6000, Assert.Single(p.Poll()).Seq);
        p.Send(Ack, p.Seq, s + 1000);
        Assert.Equal(s + 7000, Assert.Single(p.Poll()).Seq);
        p.Send(Ack, p.Seq, s + 1000);
        var fr = Assert.Single(p.Poll());
        Assert.Equal(s + 1000, fr.Seq); Assert.Equal(1000, fr.Data.Length);
        Assert.Equal(1UL, h.Counters[Counter.TcpFastRetransmits]);
        // ssthresh = 7000/2 = 3500, cwnd = 3500 + 3·1000 = 6500 with 7000 in flight. Each further
        // duplicate inflates cwnd by one MSS: the 4th leaves 500 bytes (held back: no runt
        // segments), the 5th lets one full segment out.
        p.Send(Ack, p.Seq, s + 1000);
        Assert.Empty(p.Poll());
        p.Send(Ack, p.Seq, s + 1000);
        Assert.Equal(s + 8000, Assert.Single(p.Poll()).Seq);
        // Partial ACK (recover = s+8000): the next hole is retransmitted at once.
        p.Send(Ack, p.Seq, s + 4000);
        var partial = p.Poll();
        Assert.Equal(s + 4000, partial[0].Seq);
        Assert.Equal(1000, partial[0].Data.Length);
        // A full ACK ends recovery; transmission continues with cwnd = min(ssthresh, flight + MSS).
        p.Send(Ack, p.Seq, s + 9000);
        var after = p.Poll();
        Assert.NotEmpty(after);
        Assert.All(after, x => Assert.True(Seq.Ge(x.Seq, s + 9000)));
        Assert.Equal(1UL, h.Counters[Counter.TcpFastRetransmits]);
        Assert.Equal(0UL, h.Counters[Counter.TcpRetransmitTimeouts]);
    }

    [Fact]
    public void Tail_loss_probe_resends_the_last_segment_after_two_srtt_then_the_rto_still_applies()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenActive(rttNanos: 10 * Ms, mss: 1000);      // SRTT 10 ms: PTO 20 ms, RTO 200 ms
        uint s = p.StackIsn + 1;
        h.Stack.Write(c, new byte[3000]);
        Assert.Equal(3, p.Poll().Count);
        Assert.Equal(h.Now + 20 * Ms, h.Stack.NextDeadline);
        Assert.Empty(p.Poll(19 * Ms));
        var probe = Assert.Single(p.Poll(1 * Ms));
        Assert.Equal(s + 2000, probe.Seq); Assert.Equal(1000, probe.Data.Length);
        Assert.Equal(1UL, h.Counters[Counter.TcpTailLossProbes]);
        Assert.Equal(h.Now + 200 * Ms, h.Stack.NextDeadline);     // one probe, then the RTO
        p.Send(Ack, p.Seq, s + 3000);                              // the probe's ACK repairs everything
        Assert.Empty(p.Poll());
        Assert.Equal(ulong.MaxValue, h.Stack.NextDeadline);
        Assert.Equal(0UL, h.Counters[Counter.TcpRetransmitTimeouts]);
    }

    [Fact]
    public void Tail_loss_probe_prefers_new_data_when_the_peer_window_allows()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenActive(rttNanos: 10 * Ms, mss: 1000);
        uint s = p.StackIsn + 1;
        h.Stack.Write(c, new byte[10000]);
        Assert.Equal(4, p.Poll().Count);                           // cwnd: 4 segments
        var probe = Assert.Single(p.Poll(20 * Ms));
        Assert.Equal(s + 4000, probe.Seq);                         // new data beyond cwnd, within the window
        Assert.Empty(p.Poll(19 * Ms));                             // only one probe per episode
    }

    [Fact]
    public void After_a_timeout_pure_acks_carry_the_highest_sequence_sent()
    {
        // Go-back-N rewinds SND.NXT; an ACK with that old number would be dropped by the peer
        // (its RCV.NXT is beyond it), and with it the acknowledgement.
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenActive(mss: 1000);
        uint s = p.StackIsn + 1;
        h.Stack.Write(c, new byte[4000]);
        Assert.Equal(4, p.Poll().Count);
        Assert.Equal(s + 3000, Assert.Single(p.Poll(20 * Ms)).Seq);   // tail loss probe after 2·SRTT: the last segment
        Assert.Equal(s, Assert.Single(p.Poll(200 * Ms)).Seq);    // timeout: go back to s
        p.Send(Ack | Psh, p.Seq, s, new byte[10]);               // peer data, acknowledging nothing new
        p.Send(Ack | Psh, p.Seq + 10, s, new byte[10]);
        var ack = Assert.Single(p.Poll());
        Assert.Empty(ack.Data);
        Assert.Equal(s + 4000, ack.Seq);
        Assert.Equal(p.Seq + 20, ack.Ack);
    }

    [Fact]
    public void Receive_window_closes_as_the_buffer_fills_and_reopens_with_an_update_when_read()
    {
        var h = new StackHarness(c => c.TcpReceiveBufferSize = 4096).Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        for (int i = 0; i < 4; i++) { p.Send(Ack | Psh, p.Seq, p.StackIsn + 1, new byte[1024]); p.Seq += 1024; }
        var ack = Assert.Single(p.Poll());               // one ACK for the whole batch
        Assert.Equal(p.Seq, ack.Ack);
        Assert.Equal(0, ack.Window);
        // A byte into the closed window is not taken; the ACK repeats window 0.
        p.Send(Ack, p.Seq, p.StackIsn + 1, new byte[] { 1 });
        var z = Assert.Single(p.Poll());
        Assert.Equal(p.Seq, z.Ack); Assert.Equal(0, z.Window);
        Assert.Equal(4096, h.Stack.Read(c, new byte[8192]));
        var upd = Assert.Single(p.Poll());
        Assert.Equal(p.Seq, upd.Ack);
        Assert.Equal(4096, upd.Window);
    }

    [Fact]
    public void Small_reads_do_not_announce_silly_windows()
    {
        var h = new StackHarness(c => c.TcpReceiveBufferSize = 8192).Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        for (int i = 0; i < 8; i++) { p.Send(Ack, p.Seq, p.StackIsn + 1, new byte[1024]); p.Seq += 1024; }
        p.Poll();
        Assert.Equal(100, h.Stack.Read(c, new byte[100]));
        Assert.Empty(p.Poll());                          // 100 bytes of window: not worth a segment
        Assert.Equal(3000, h.Stack.Read(c, new byte[3000]));
        Assert.Equal(3100, Assert.Single(p.Poll()).Window);
    }

    [Fact]
    public void Zero_window_is_probed_with_backoff_until_it_opens()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenActive(mss: 1000, window: 2000);
        uint s = p.StackIsn + 1;
        h.Stack.Write(c, new byte[5000]);
        Assert.Equal(2, p.Poll().Count);                 // 2000 bytes fill the peer's window
        p.Send(Ack, p.Seq, s + 2000, null, 0);           // all acknowledged, window closed
        Assert.Empty(p.Poll());
        ulong t = h.Now;
        Assert.Equal(t + 200 * Ms, h.Stack.NextDeadline); // persist timer = RTO
        var probe = Assert.Single(p.Poll(200 * Ms));
        Assert.Equal(s + 1999, probe.Seq);               // an old sequence number: forces an ACK, no data
        Assert.Empty(probe.Data);
        p.Send(Ack, p.Seq, s + 2000, null, 0);
        Assert.Empty(p.Poll());
        Assert.Empty(p.Poll(399 * Ms));
        Assert.Single(p.Poll(1 * Ms));                   // backed off to 400 ms
        Assert.Equal(2UL, h.Counters[Counter.TcpZeroWindowProbes]);
        // Window update: transmission resumes at once.
        p.Send(Ack, p.Seq, s + 2000, null, 3000);
        var resumed = p.Poll();
        Assert.Equal(new uint[] { s + 2000, s + 3000, s + 4000 }, resumed.Select(x => x.Seq));
    }

    [Fact]
    public void Rst_with_exact_sequence_resets_in_window_gets_challenge_ack_outside_is_ignored()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        p.Send(Rst, p.Seq + 100, 0);                      // in window, not exact: RFC 5961 challenge
        var ch = Assert.Single(p.Poll());
        Assert.Equal(Ack, ch.Flags);
        Assert.Equal(p.Seq, ch.Ack);
        Assert.Equal(p.StackIsn + 1, ch.Seq);
        Assert.Equal(TcpState.Established, h.Stack.GetState(c));
        p.Send(Rst, p.Seq + 200_000, 0);                  // outside the window
        Assert.Empty(p.Poll());
        Assert.Equal(TcpState.Established, h.Stack.GetState(c));
        p.Send(Syn, p.Seq + 10, 0);                       // SYN on an established connection
        Assert.Equal(Ack, Assert.Single(p.Poll()).Flags);
        Assert.Equal(2UL, h.Counters[Counter.TcpChallengeAcks]);
        p.Send(Rst, p.Seq, 0);                            // exact: reset
        Assert.Empty(p.Poll());
        Assert.Equal(TcpState.Closed, h.Stack.GetState(c));
        Assert.Equal(NetError.ConnectionReset, h.Stack.Read(c, new byte[1]));
        Assert.Equal(NetError.ConnectionReset, h.Stack.Write(c, new byte[1]));
        Assert.Equal(NetError.Ok, h.Stack.Close(c));
        Assert.Equal(0, h.Stack.ConnectionsInUse);
    }

    [Fact]
    public void Challenge_acks_are_rate_limited()
    {
        var h = new StackHarness(c => c.TcpChallengeAcksPerSecond = 5).Started();
        var p = new TcpPeer(h);
        p.OpenPassive(out _);
        for (int i = 0; i < 10; i++) p.Send(Rst, p.Seq + 1 + (uint)i, 0);
        Assert.Equal(5, p.Poll().Count);
        Assert.Equal(5UL, h.Counters[Counter.TcpChallengeAckRateLimited]);
        p.Send(Rst, p.Seq + 1, 0);
        Assert.Single(p.Poll(1000 * Ms));               // a new second, a new allowance
    }

    [Fact]
    public void Acks_for_unsent_data_and_very_old_acks_are_not_accepted()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        p.Send(Ack, p.Seq, p.StackIsn + 5000, new byte[10]);
        var a = Assert.Single(p.Poll());
        Assert.Equal(p.Seq, a.Ack);                      // data not taken
        Assert.Equal(0, h.Stack.BytesToRead(c));
        Assert.Equal(1UL, h.Counters[Counter.TcpAckOfUnsentData]);
    }

    [Fact]
    public void Segments_to_closed_ports_are_answered_with_rst()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h) { StackPort = 81 };
        p.Send(Syn, 777, 0);
        var r = Assert.Single(p.Poll());
        Assert.Equal(Rst | Ack, r.Flags); Assert.Equal(0u, r.Seq); Assert.Equal(778u, r.Ack);
        p.Send(Ack, 777, 4242);
        r = Assert.Single(p.Poll());
        Assert.Equal(Rst, r.Flags); Assert.Equal(4242u, r.Seq);
        p.Send(Rst, 777, 0);
        Assert.Empty(p.Poll());
        Assert.Equal(3UL, h.Counters[Counter.TcpNoSocket]);
    }

    [Fact]
    public void Active_close_goes_through_fin_wait_and_time_wait_which_expires()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        Assert.Equal(NetError.Ok, h.Stack.Close(c));
        Assert.Equal(NetError.InvalidHandle, h.Stack.Write(c, new byte[1]));
        var fin = Assert.Single(p.Poll());
        Assert.Equal(Fin | Ack, fin.Flags);
        Assert.Equal(p.StackIsn + 1, fin.Seq);
        Assert.Equal(TcpState.FinWait1, h.Stack.StateOf(80, PeerAddr, p.PeerPort));
        Assert.Equal(1, h.Stack.ClosesInProgress);
        p.Send(Ack, p.Seq, fin.Seq + 1);
        Assert.Empty(p.Poll());
        Assert.Equal(TcpState.FinWait2, h.Stack.StateOf(80, PeerAddr, p.PeerPort));
        Assert.Equal(1, h.Stack.ClosesInProgress);             // the peer's FIN is still to come
        p.Send(Fin | Ack, p.Seq, fin.Seq + 1);
        var ack = Assert.Single(p.Poll());
        Assert.Equal(p.Seq + 1, ack.Ack);
        Assert.Equal(TcpState.TimeWait, h.Stack.StateOf(80, PeerAddr, p.PeerPort));
        Assert.Equal(0, h.Stack.ClosesInProgress);             // an application may exit now
        p.Send(Fin | Ack, p.Seq, fin.Seq + 1, null, 65535, null);    // our ACK was lost: FIN again
        Assert.Equal(p.Seq + 1, Assert.Single(p.Poll(10_000 * Ms)).Ack);
        Assert.Empty(p.Poll(59_000 * Ms));
        Assert.Equal(1, h.Stack.ConnectionsInUse);
        p.Poll(1_000 * Ms);                                  // 2·MSL after the last FIN
        Assert.Equal(0, h.Stack.ConnectionsInUse);
        Assert.Equal(TcpState.Closed, h.Stack.StateOf(80, PeerAddr, p.PeerPort));
    }

    [Fact]
    public void Passive_close_reads_end_of_stream_then_last_ack_frees_the_connection()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        p.Send(Fin | Ack, p.Seq, p.StackIsn + 1, new byte[] { 42 });
        var a = Assert.Single(p.Poll());
        Assert.Equal(p.Seq + 2, a.Ack);                      // data byte and FIN, acknowledged at once
        Assert.Equal(TcpState.CloseWait, h.Stack.GetState(c));
        var buf = new byte[4];
        Assert.Equal(1, h.Stack.Read(c, buf));
        Assert.Equal(NetError.EndOfStream, h.Stack.Read(c, buf));
        Assert.Equal(3, h.Stack.Write(c, new byte[] { 1, 2, 3 })); // half-close: we may still send
        h.Stack.Close(c);
        var segs = p.Poll();
        Assert.Equal(3, segs.Sum(x => x.Data.Length));
        Assert.True(segs[^1].Has(Fin));
        p.Send(Ack, p.Seq + 2, p.StackIsn + 1 + 4);
        p.Poll();
        Assert.Equal(0, h.Stack.ConnectionsInUse);
    }

    [Fact]
    public void A_passive_close_whose_fin_is_lost_stays_in_progress_until_the_resent_fin_is_acknowledged()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        p.Send(Fin | Ack, p.Seq, p.StackIsn + 1);
        Assert.Single(p.Poll());
        Assert.Equal(NetError.EndOfStream, h.Stack.Read(c, new byte[4]));
        Assert.Equal(0, h.Stack.ClosesInProgress);             // the application still holds it
        h.Stack.Close(c);
        var fin = Assert.Single(p.Poll());                     // lost on the wire: the peer never sees it
        Assert.True(fin.Has(Fin));
        Assert.Equal(TcpState.LastAck, h.Stack.StateOf(80, PeerAddr, p.PeerPort));
        Assert.Equal(1, h.Stack.ClosesInProgress);
        var again = Assert.Single(p.Poll(1_000 * Ms));         // the RTO sends it again
        Assert.True(again.Has(Fin));
        Assert.Equal(fin.Seq, again.Seq);
        Assert.Equal(1, h.Stack.ClosesInProgress);
        p.Send(Ack, p.Seq + 1, fin.Seq + 1);
        p.Poll();
        Assert.Equal(0, h.Stack.ClosesInProgress);
        Assert.Equal(0, h.Stack.ConnectionsInUse);
    }

    [Fact]
    public void Half_close_sends_fin_and_keeps_reading_until_the_peer_closes()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        h.Stack.Write(c, new byte[] { 1, 2 });
        Assert.Equal(NetError.Ok, h.Stack.ShutdownWrite(c));
        Assert.Equal(NetError.NotConnected, h.Stack.Write(c, new byte[1]));
        var segs = p.Poll();
        Assert.True(segs[^1].Has(Fin));
        Assert.Equal(2, segs.Sum(x => x.Data.Length));
        p.Send(Ack, p.Seq, p.StackIsn + 4);                      // data and FIN acknowledged: FIN-WAIT-2
        p.Send(Ack | Psh, p.Seq, p.StackIsn + 4, new byte[] { 9, 8, 7 });
        p.Poll(100 * Ms);
        Assert.Equal(TcpState.FinWait2, h.Stack.GetState(c));
        var buf = new byte[8];
        Assert.Equal(3, h.Stack.Read(c, buf));
        p.Send(Fin | Ack, p.Seq + 3, p.StackIsn + 4);
        Assert.Equal(p.Seq + 4, Assert.Single(p.Poll()).Ack);
        Assert.Equal(TcpState.TimeWait, h.Stack.GetState(c));
        Assert.Equal(NetError.EndOfStream, h.Stack.Read(c, buf));
        Assert.Equal(NetError.Ok, h.Stack.Close(c));
        Assert.Equal(1, h.Stack.ConnectionsInUse);                // TIME-WAIT goes on without the handle
        p.Poll(61_000 * Ms);
        Assert.Equal(0, h.Stack.ConnectionsInUse);
    }

    [Fact]
    public void Keep_alives_probe_an_idle_peer_and_give_up_when_it_is_gone()
    {
        var h = new StackHarness(c => { c.TcpKeepAliveIdle = 10_000 * Ms; c.TcpKeepAliveInterval = 1_000 * Ms; c.TcpKeepAliveProbes = 2; }).Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        Assert.Equal(h.Now + 10_000 * Ms, h.Stack.NextDeadline);
        var ka = Assert.Single(p.Poll(10_000 * Ms));
        Assert.Equal(Ack, ka.Flags); Assert.Empty(ka.Data);
        Assert.Equal(p.StackIsn, ka.Seq);                         // SND.UNA − 1: the peer must answer
        p.Send(Ack, p.Seq, p.StackIsn + 1);                        // alive: the idle clock restarts
        Assert.Empty(p.Poll(1 * Ms));
        Assert.Empty(p.Poll(9_999 * Ms));
        Assert.Single(p.Poll(1 * Ms));                            // idle again: probe 1
        Assert.Single(p.Poll(1_000 * Ms));                        // probe 2
        Assert.Empty(p.Poll(1_000 * Ms));                         // no answer: the connection is dead
        Assert.Equal(TcpState.Closed, h.Stack.GetState(c));
        Assert.Equal(NetError.TimedOut, h.Stack.Read(c, new byte[1]));
        Assert.Equal(1UL, h.Counters[Counter.TcpKeepAliveTimeouts]);
    }

    [Fact]
    public void Simultaneous_open_passes_through_syn_received()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        h.Stack.Connect(PeerAddr, 80, out var c);
        var syn = Assert.Single(p.Poll());
        p.PeerPort = 80; p.StackPort = syn.SrcPort;
        p.Send(Syn, p.Seq, 0, null, 65535, new Frames.TcpOpts { Mss = 1200 }); // the peer's own SYN crosses ours
        var sa = Assert.Single(p.Poll());
        Assert.Equal(Syn | Ack, sa.Flags);
        Assert.Equal(syn.Seq, sa.Seq);                     // same ISS
        Assert.Equal(p.Seq + 1, sa.Ack);
        Assert.Equal(TcpState.SynReceived, h.Stack.GetState(c));
        p.Send(Syn | Ack, p.Seq, syn.Seq + 1);             // the peer's SYN,ACK
        p.Poll();
        Assert.Equal(TcpState.Established, h.Stack.GetState(c));
        p.Seq++;
        p.Send(Ack | Psh, p.Seq, syn.Seq + 1, new byte[] { 7, 8 });
        p.Poll(); p.Poll(100 * Ms);
        Assert.Equal(2, h.Stack.Read(c, new byte[4]));
    }

    [Fact]
    public void Simultaneous_close_passes_through_closing_to_time_wait()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        h.Stack.Close(c);
        var fin = Assert.Single(p.Poll());
        p.Send(Fin | Ack, p.Seq, fin.Seq);                 // the peer's FIN, not yet acknowledging ours
        var a = Assert.Single(p.Poll());
        Assert.Equal(p.Seq + 1, a.Ack);
        Assert.Equal(TcpState.Closing, h.Stack.StateOf(80, PeerAddr, p.PeerPort));
        p.Send(Ack, p.Seq + 1, fin.Seq + 1);
        p.Poll();
        Assert.Equal(TcpState.TimeWait, h.Stack.StateOf(80, PeerAddr, p.PeerPort));
    }

    [Fact]
    public void Out_of_order_segments_are_kept_and_merged_when_the_hole_fills()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        byte[] Part(int k) => Enumerable.Range(0, 100).Select(i => (byte)(k * 100 + i)).ToArray();
        p.Send(Ack, p.Seq + 200, p.StackIsn + 1, Part(2));
        Assert.Equal(p.Seq, Assert.Single(p.Poll()).Ack);  // immediate duplicate ACK
        p.Send(Ack, p.Seq + 100, p.StackIsn + 1, Part(1));
        Assert.Equal(p.Seq, Assert.Single(p.Poll()).Ack);
        Assert.Equal(0, h.Stack.BytesToRead(c));
        p.Send(Ack, p.Seq, p.StackIsn + 1, Part(0));
        Assert.Equal(p.Seq + 300, Assert.Single(p.Poll()).Ack); // hole filled: ACK at once
        var buf = new byte[400];
        Assert.Equal(300, h.Stack.Read(c, buf));
        Assert.Equal(Part(0).Concat(Part(1)).Concat(Part(2)).ToArray(), buf[..300]);
        Assert.Equal(2UL, h.Counters[Counter.TcpOutOfOrderQueued]);
    }

    [Fact]
    public void With_sack_the_duplicate_acks_describe_the_holes_most_recent_block_first()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _, new Frames.TcpOpts { Mss = 1460, Sack = true });
        uint s = p.Seq;
        p.Send(Ack, s + 300, p.StackIsn + 1, new byte[100]);
        var a1 = Assert.Single(p.Poll());
        Assert.Equal(s, a1.Ack);
        Assert.Equal(new[] { s + 300, s + 400 }, a1.Sack);
        p.Send(Ack, s + 100, p.StackIsn + 1, new byte[100]);
        var a2 = Assert.Single(p.Poll());
        Assert.Equal(new[] { s + 100, s + 200, s + 300, s + 400 }, a2.Sack);   // newest first
        p.Send(Ack, s + 200, p.StackIsn + 1, new byte[100]);                   // joins both ranges
        Assert.Equal(new[] { s + 100, s + 400 }, Assert.Single(p.Poll()).Sack);
        p.Send(Ack, s, p.StackIsn + 1, new byte[100]);
        var done = Assert.Single(p.Poll());
        Assert.Equal(s + 400, done.Ack);
        Assert.Empty(done.Sack);
        Assert.Equal(400, h.Stack.BytesToRead(c));
    }

    [Fact]
    public void Without_sack_permitted_no_sack_blocks_are_sent()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        p.OpenPassive(out _);
        p.Send(Ack, p.Seq + 300, p.StackIsn + 1, new byte[100]);
        var a = Assert.Single(p.Poll());
        Assert.Empty(a.Sack);
        Assert.False(a.SackOk);
    }

    [Fact]
    public void Duplicate_acks_are_separate_and_repeat_the_window_so_the_sender_counts_them()
    {
        var h = new StackHarness(c => c.TcpReceiveBufferSize = 8192).Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        uint s = p.Seq;
        // In-order and out-of-order data in one batch: a new cumulative ACK, then a duplicate.
        p.Send(Ack, s, p.StackIsn + 1, new byte[1000]);
        p.Send(Ack, s + 2000, p.StackIsn + 1, new byte[1000]);
        var acks = p.Poll();
        Assert.Equal(2, acks.Count);
        Assert.All(acks, a => Assert.Equal(s + 1000, a.Ack));
        Assert.Equal(acks[0].Window, acks[1].Window);
        // The application reads (the window could grow), then another out-of-order segment
        // arrives: its duplicate ACK still carries the old window, or the sender would not count it.
        Assert.Equal(1000, h.Stack.Read(c, new byte[4096]));
        p.Send(Ack, s + 3000, p.StackIsn + 1, new byte[1000]);
        var dup = Assert.Single(p.Poll());
        Assert.Equal(s + 1000, dup.Ack);
        Assert.Equal(acks[0].Window, dup.Window);
        // The hole fills: a new ACK with the window grown by what was read.
        p.Send(Ack, s + 1000, p.StackIsn + 1, new byte[1000]);
        var full = Assert.Single(p.Poll());
        Assert.Equal(s + 4000, full.Ack);
        Assert.Equal(8192 - 3000, full.Window);
    }

    [Fact]
    public void Out_of_order_ranges_beyond_the_limit_are_dropped_and_counted()
    {
        var h = new StackHarness(c => c.TcpOutOfOrderRanges = 2).Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        p.Send(Ack, p.Seq + 100, p.StackIsn + 1, new byte[10]);
        p.Send(Ack, p.Seq + 300, p.StackIsn + 1, new byte[10]);
        p.Send(Ack, p.Seq + 500, p.StackIsn + 1, new byte[10]);
        p.Send(Ack, p.Seq + 110, p.StackIsn + 1, new byte[10]);   // adjacent to the first: merges, no new slot
        p.Poll();
        Assert.Equal(3UL, h.Counters[Counter.TcpOutOfOrderQueued]);
        Assert.Equal(1UL, h.Counters[Counter.TcpOutOfOrderDropped]);
        p.Send(Ack, p.Seq, p.StackIsn + 1, new byte[100]);
        Assert.Equal(p.Seq + 120, Assert.Single(p.Poll()).Ack);
        Assert.Equal(120, h.Stack.Read(c, new byte[1000]));
    }

    [Fact]
    public void By_default_thirty_holes_in_the_window_keep_every_out_of_order_segment()
    {
        // A 1 MiB window on a wire losing 5% holds dozens of holes at once; each segment dropped
        // for want of a range is one the sender must send again (the lossy-wire soak resent a third
        // of its stream with 4 ranges).
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        for (uint i = 1; i <= 30; i++) p.Send(Ack, p.Seq + i * 20, p.StackIsn + 1, new byte[10]);
        p.Poll();
        Assert.Equal(30UL, h.Counters[Counter.TcpOutOfOrderQueued]);
        Assert.Equal(0UL, h.Counters[Counter.TcpOutOfOrderDropped]);
        // The holes fill from the front: the first 10 bytes and each hole after a range, in turn.
        p.Send(Ack, p.Seq, p.StackIsn + 1, new byte[20]);
        for (uint i = 1; i < 30; i++) p.Send(Ack, p.Seq + i * 20 + 10, p.StackIsn + 1, new byte[10]);
        p.Poll();
        Assert.Equal(30 * 20 + 10, h.Stack.Read(c, new byte[1000]));
    }

    [Fact]
    public void Acks_are_delayed_for_one_segment_but_sent_at_once_for_every_second()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        p.OpenPassive(out _);
        p.Send(Ack, p.Seq, p.StackIsn + 1, new byte[100]);
        Assert.Empty(p.Poll());
        Assert.Equal(h.Now + 40 * Ms, h.Stack.NextDeadline);
        Assert.Empty(p.Poll(39 * Ms));
        Assert.Equal(p.Seq + 100, Assert.Single(p.Poll(1 * Ms)).Ack);
        p.Send(Ack, p.Seq + 100, p.StackIsn + 1, new byte[100]);
        Assert.Empty(p.Poll());
        p.Send(Ack, p.Seq + 200, p.StackIsn + 1, new byte[100]);
        Assert.Equal(p.Seq + 300, Assert.Single(p.Poll()).Ack);
    }

    [Fact]
    public void Paws_drops_segments_with_old_timestamps()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _, new Frames.TcpOpts { Mss = 1460, Ts = true, TsVal = 1000, Ws = 0 });
        p.Send(Ack, p.Seq, p.StackIsn + 1, new byte[10], 65535, new Frames.TcpOpts { Ts = true, TsVal = 900 });
        Assert.Single(p.Poll());                     // an ACK, but the data is not taken
        Assert.Equal(0, h.Stack.BytesToRead(c));
        Assert.Equal(1UL, h.Counters[Counter.TcpPawsRejected]);
        p.Send(Ack, p.Seq, p.StackIsn + 1, new byte[10], 65535, new Frames.TcpOpts { Ts = true, TsVal = 1002 });
        p.Poll(50 * Ms);
        Assert.Equal(10, h.Stack.BytesToRead(c));
    }

    [Fact]
    public void Syn_flood_fills_the_half_open_quota_then_syn_cookies_keep_the_listener_open()
    {
        var h = new StackHarness(c => { c.TcpHalfOpenPerListener = 4; c.MaxTcpConnections = 8; }).Started();
        var p = new TcpPeer(h);
        Assert.Equal(NetError.Ok, h.Stack.Listen(80, 4, out var l));
        var rng = new Random(7);
        for (int i = 0; i < 500; i++)
        {
            p.PeerPort = (ushort)(1000 + i);
            p.Send(Syn, (uint)rng.Next(), 0, null, 65535, new Frames.TcpOpts { Mss = 1460 });
        }
        var answers = new List<Frames.Seg>();
        while (h.Wire.Inbound.Count > 0) answers.AddRange(p.Poll());   // a Poll takes at most 8 batches
        Assert.Equal(500, answers.Count);
        Assert.Equal(4, h.Stack.ConnectionsInUse);
        Assert.Equal(496UL, h.Counters[Counter.TcpSynCookiesSent]);

        // A real client amid the flood, with timestamps and window scaling, completes via its cookie.
        p.PeerPort = 40000;
        p.Send(Syn, 5555, 0, null, 65535, new Frames.TcpOpts { Mss = 1460, Ws = 6, Ts = true, TsVal = 77 });
        var sa = Assert.Single(p.Poll());
        Assert.Equal(6u, sa.TsVal & 0xF);
        p.Send(Ack, 5556, sa.Seq + 1, null, 100, new Frames.TcpOpts { Ts = true, TsVal = 78, TsEcr = sa.TsVal });
        p.Poll();
        Assert.True(h.Stack.TryAccept(l, out var c));
        Assert.Equal(TcpState.Established, h.Stack.GetState(c));
        Assert.Equal(1UL, h.Counters[Counter.TcpSynCookiesAccepted]);
        h.Stack.Write(c, new byte[3000]);
        Assert.True(p.Poll().Sum(s => s.Data.Length) > 100);   // window 100 · 2^6 recovered from the cookie

        // A forged ACK with a wrong cookie is refused with RST.
        p.PeerPort = 40001;
        p.Send(Ack, 1, 12345);
        Assert.Equal(Rst, Assert.Single(p.Poll()).Flags);
        Assert.Equal(1UL, h.Counters[Counter.TcpSynCookiesRejected]);

        // Half-open connections time out and free their slots.
        for (int i = 0; i < 20; i++) h.Poll(10_000 * Ms);   // (ARP entries expire meanwhile: raw frames)
        Assert.Equal(1, h.Stack.ConnectionsInUse);
    }

    [Fact]
    public void Syn_received_resends_syn_ack_on_timeout_and_on_a_repeated_syn_and_rst_returns_to_listen()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        h.Stack.Listen(80, 4, out var l);
        p.Send(Syn, 500, 0, null, 65535, new Frames.TcpOpts { Mss = 1460 });
        var sa = Assert.Single(p.Poll());
        Assert.Equal(h.Now + 1000 * Ms, h.Stack.NextDeadline);     // initial RTO
        var again = Assert.Single(p.Poll(1000 * Ms));
        Assert.Equal(Syn | Ack, again.Flags); Assert.Equal(sa.Seq, again.Seq);
        p.Send(Syn, 500, 0, null, 65535, new Frames.TcpOpts { Mss = 1460 }); // the peer did not hear it either
        var third = Assert.Single(p.Poll());
        Assert.Equal(Syn | Ack, third.Flags); Assert.Equal(sa.Seq, third.Seq);
        p.Send(Rst, 501, 0);                                        // exact sequence: back to LISTEN
        Assert.Empty(p.Poll());
        Assert.Equal(0, h.Stack.ConnectionsInUse);
        p.PeerPort++;
        p.Send(Syn, 900, 0, null, 65535, new Frames.TcpOpts { Mss = 1460 });
        var sa2 = Assert.Single(p.Poll());
        p.Send(Ack, 901, sa2.Seq + 1);
        p.Poll();
        Assert.True(h.Stack.TryAccept(l, out _));
    }

    [Fact]
    public void Unacceptable_handshake_acks_and_table_exhaustion_are_refused()
    {
        var h = new StackHarness(c => c.MaxTcpConnections = 2).Started();
        var p = new TcpPeer(h);
        h.Stack.Listen(80, 4, out _);
        p.Send(Syn, 500, 0, null, 65535, new Frames.TcpOpts { Mss = 1460 });
        var sa = Assert.Single(p.Poll());
        p.Send(Ack, 501, sa.Seq + 77);                              // acknowledges something we never sent
        var rst = Assert.Single(p.Poll());
        Assert.Equal(Rst, rst.Flags); Assert.Equal(sa.Seq + 77, rst.Seq);
        Assert.Equal(NetError.Ok, h.Stack.Connect(PeerAddr, 1234, out _));
        Assert.Equal(NetError.NoResources, h.Stack.Connect(PeerAddr, 1235, out _));
        Assert.Equal(1UL, h.Counters[Counter.TcpConnectionTableFull]);
    }

    [Fact]
    public void Abort_sends_rst_and_frees_at_once_and_stale_handles_are_refused()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        var c = p.OpenPassive(out _);
        Assert.Equal(NetError.Ok, h.Stack.Abort(c));
        var rst = Assert.Single(p.Poll());
        Assert.Equal(Rst, rst.Flags); Assert.Equal(p.StackIsn + 1, rst.Seq);
        Assert.Equal(0, h.Stack.ConnectionsInUse);
        Assert.Equal(NetError.InvalidHandle, h.Stack.Read(c, new byte[1]));
        Assert.Equal(NetError.InvalidHandle, h.Stack.Close(c));
        Assert.Equal(TcpState.Closed, h.Stack.GetState(c));
        // The slot is reused; the old handle still does not reach the new connection.
        var c2 = new TcpPeer(h) { PeerPort = 40001, StackPort = 81 }.OpenPassive(out _);
        Assert.Equal(NetError.InvalidHandle, h.Stack.Write(c, new byte[1]));
        Assert.Equal(1, h.Stack.Write(c2, new byte[1]));
    }

    [Fact]
    public void Accept_queue_full_drops_syns_rather_than_growing()
    {
        var h = new StackHarness().Started();
        var p = new TcpPeer(h);
        h.Stack.Listen(80, 2, out var l);
        for (int i = 0; i < 3; i++)
        {
            p.PeerPort = (ushort)(2000 + i);
            p.Send(Syn, 100, 0, null, 65535, new Frames.TcpOpts { Mss = 1460 });
            var sa = p.Poll();
            if (i < 2)
            {
                p.Send(Ack, 101, Assert.Single(sa).Seq + 1);
                p.Poll();
            }
            else Assert.Empty(sa);
        }
        Assert.Equal(2, h.Stack.AcceptPending(l));
        Assert.Equal(1UL, h.Counters[Counter.TcpAcceptQueueFull]);
    }
}
