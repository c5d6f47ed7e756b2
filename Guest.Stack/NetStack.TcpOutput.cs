using System;

namespace Guest.Stack;

// TCP output: segmentation of the send buffer under min(cwnd, peer window), retransmission,
// ACKs (immediate and delayed), zero-window probes, and the timers.
public sealed partial class NetStack<TNic>
{
    /// <summary>
    /// Writes one segment of connection <paramref name="c"/>: len bytes from the send buffer at seq.
    /// Segments without data carry SND.MAX, never a rewound SND.NXT (after a timeout we go back N),
    /// since a receiver drops a zero-length segment whose sequence number is below its RCV.NXT
    /// and with it the ACK: both ends could then retransmit forever (as BSD, not the RFC text).
    /// </summary>
    private bool EmitSegment(TcpConnection c, uint seq, int len, TcpFlags flags)
    {
        if (!TryRentTx(out var b)) return false;
        bool syn = (flags & TcpFlags.Syn) != 0;
        int mss = syn ? _ourMss : 0;
        int ws = syn && c.OfferWs ? c.RcvWscale : -1;
        bool ts = syn ? c.OfferTs : c.TsEnabled;
        int free = c.RecvBuf.Free;
        ushort wnd = (ushort)Math.Min(syn ? free : free >> c.RcvWscale, 65535);
        // While we hold out-of-order data and RCV.NXT has not moved, ACKs are duplicates: repeat
        // the window last advertised. A sender counts an ACK as a duplicate only if its window
        // is unchanged (RFC 5681 2), and the application reading meanwhile must not spoil that.
        if (!syn && c.Ooo.Count > 0 && c.RcvNxt == c.LastAckSent && c.RcvAdvEdge != 0 && Seq.Ge(c.RcvAdvEdge, c.RcvNxt))
            wnd = (ushort)Math.Min((c.RcvAdvEdge - c.RcvNxt) >> c.RcvWscale, 65535u);
        uint ack = (flags & TcpFlags.Ack) != 0 ? c.RcvNxt : 0;
        bool sackOk = syn && c.OfferSack;
        Span<uint> sack = stackalloc uint[8];
        int blocks = !syn && c.SackEnabled && (flags & TcpFlags.Ack) != 0 ? SackBlocks(c, sack, ts ? 3 : 4) : 0;
        int hl = Tcp.MinHeaderLength + Tcp.OptionsLength(mss, ws, ts, sackOk, blocks);
        var seg = _pool.SlotSpan(b.Slot).Slice(IpPayloadOffset, hl + len);
        if (len > 0) c.SendBuf.CopyOut((int)(seq - c.SndBufSeq), seg.Slice(hl, len));
        Tcp.WriteHeader(seg, c.LocalIp, c.RemoteIp, c.LocalPort, c.RemotePort, seq, ack, flags, wnd,
                        mss, ws, ts, TsClock + c.TsOffset, c.TsRecent, sackOk, sack.Slice(0, 2 * blocks));
        if ((flags & TcpFlags.Ack) != 0)
        {
            c.LastAckSent = c.RcvNxt;
            uint edge = c.RcvNxt + (syn ? wnd : (uint)wnd << c.RcvWscale);
            if (Seq.Gt(edge, c.RcvAdvEdge) || c.RcvAdvEdge == 0) c.RcvAdvEdge = edge;
            c.AckNow = false; c.SegsSinceAck = 0; c.DelAckDeadline = 0;
        }
        Counters.Add(Counter.TcpSegmentsSent);
        SendIp(b, c.RemoteIp, Ipv4.ProtoTcp, seg.Length);
        return true;
    }

    /// <summary>
    /// SACK blocks (RFC 2018 4) for the out-of-order ranges we hold: the one holding the most
    /// recent arrival first, then the others from the lowest; at most <paramref name="max"/>.
    /// </summary>
    private static int SackBlocks(TcpConnection c, Span<uint> into, int max)
    {
        int n = 0;
        var ooo = c.Ooo;
        int recent = -1;
        for (int i = 0; i < ooo.Count; i++)
            if (Seq.Le(ooo.StartAt(i), c.LastOooStart) && Seq.Lt(c.LastOooStart, ooo.EndAt(i))) { recent = i; break; }
        if (recent >= 0) { into[0] = ooo.StartAt(recent); into[1] = ooo.EndAt(recent); n = 1; }
        for (int i = 0; i < ooo.Count && n < max; i++)
        {
            if (i == recent) continue;
            into[2 * n] = ooo.StartAt(i); into[2 * n + 1] = ooo.EndAt(i); n++;
        }
        return n;
    }

    private void SendBareSegment(Ipv4Address local, Ipv4Address remote, ushort lport, ushort rport, uint seq, uint ack, TcpFlags flags, ushort window)
        => SendSegmentWithOptions(local, remote, lport, rport, seq, ack, flags, window, 0, -1, false, 0, 0);

    private void SendSegmentWithOptions(Ipv4Address local, Ipv4Address remote, ushort lport, ushort rport, uint seq, uint ack,
                                        TcpFlags flags, ushort window, int mss, int ws, bool ts, uint tsVal, uint tsEcr)
    {
        if (!TryRentTx(out var b)) return;
        int hl = Tcp.MinHeaderLength + Tcp.OptionsLength(mss, ws, ts);
        var seg = _pool.SlotSpan(b.Slot).Slice(IpPayloadOffset, hl);
        Tcp.WriteHeader(seg, local, remote, lport, rport, seq, ack, flags, window, mss, ws, ts, tsVal, tsEcr);
        Counters.Add(Counter.TcpSegmentsSent);
        SendIp(b, remote, Ipv4.ProtoTcp, hl);
    }

    private static bool CanSendData(TcpState s)
        => s == TcpState.Established || s == TcpState.CloseWait || s == TcpState.FinWait1 || s == TcpState.Closing || s == TcpState.LastAck;

    private void TcpOutputAll()
    {
        for (int i = 0; i < _conns.Length; i++)
        {
            var c = _conns[i];
            if (c.InUse && (c.NeedOutput || c.AckNow)) TcpOutput(c);
        }
    }

    private void TcpOutput(TcpConnection c)
    {
        c.NeedOutput = false;
        if (!CanSendData(c.State))
        {
            if (c.AckNow && c.State != TcpState.SynSent && c.State != TcpState.Closed)
            {
                if (c.State == TcpState.SynReceived) EmitSegment(c, c.Iss, 0, TcpFlags.Syn | TcpFlags.Ack);
                else EmitSegment(c, c.SndMax, 0, TcpFlags.Ack);
            }
            return;
        }
        for (; c.DupAcksToSend > 0; c.DupAcksToSend--)
            if (!CanTransmit || !EmitSegment(c, c.SndMax, 0, TcpFlags.Ack)) break;
        c.DupAcksToSend = 0;
        bool sent = false;
        int unsent = 0;
        while (true)
        {
            if (!CanTransmit) { c.NeedOutput = true; break; }   // back-pressure: retry at the next Poll
            uint dataEnd = c.DataEnd;
            unsent = Seq.Gt(dataEnd, c.SndNxt) ? (int)(dataEnd - c.SndNxt) : 0;
            uint inflight = c.SndNxt - c.SndUna;
            // Limited transmit (RFC 3042): the first two duplicate ACKs each let one new segment
            // out beyond cwnd, so a small window still produces the third duplicate ACK.
            uint limited = !c.InRecovery && c.DupAcks > 0 ? (uint)(Math.Min(c.DupAcks, 2) * c.SndMss) : 0;
            uint limit = Math.Min(c.SndWnd, c.Cwnd + limited);
            int usable = limit > inflight ? (int)Math.Min(limit - inflight, 0x40000000u) : 0;
            int len = Math.Min(Math.Min(unsent, usable), c.SndMss);
            bool fin = c.FinQueued && c.SndNxt + (uint)len == dataEnd && len == unsent;
            if (len == 0 && !fin) break;
            // Sender-side silly window avoidance: no small segment while data is in flight,
            // unless it is the last of the data.
            if (len < c.SndMss && len < unsent && inflight > 0) break;
            TcpFlags flags = TcpFlags.Ack;
            if (fin) flags |= TcpFlags.Fin;
            if (len > 0 && len == unsent) flags |= TcpFlags.Psh;
            if (!EmitSegment(c, c.SndNxt, len, flags)) { c.NeedOutput = true; break; }
            if (!c.RttTiming && !c.TsEnabled && len > 0 && Seq.Ge(c.SndNxt, c.SndMax))
            {
                c.RttTiming = true; c.RttSeq = c.SndNxt + (uint)len; c.RttStart = _now;
            }
            c.SndNxt += (uint)len + (fin ? 1u : 0u);
            if (Seq.Gt(c.SndNxt, c.SndMax)) c.SndMax = c.SndNxt;
            if (fin) c.FinSent = true;
            if (c.RtoDeadline == 0) c.RtoDeadline = _now + c.Rto;
            sent = true;
            if (fin) break;
        }
        if (sent && !c.InRecovery) ArmTailLossProbe(c);
        if (!sent && c.SndWnd == 0 && unsent > 0 && c.SndNxt == c.SndUna && c.PersistDeadline == 0 && c.RtoDeadline == 0)
            c.PersistDeadline = _now + Math.Min(c.Rto << Math.Min(c.PersistBackoff, 20), _cfg.TcpMaxRto);
        if (!sent && c.AckNow) EmitSegment(c, c.SndMax, 0, TcpFlags.Ack);
    }

    /// <summary>Sends the first unacknowledged segment again (fast retransmit, NewReno partial ACK).</summary>
    private void RetransmitFirst(TcpConnection c)
    {
        uint dataEnd = c.DataEnd;
        int avail = Seq.Gt(dataEnd, c.SndUna) ? (int)(dataEnd - c.SndUna) : 0;
        int len = Math.Min(avail, c.SndMss);
        bool fin = c.FinSent && c.SndUna + (uint)len == dataEnd;
        if (len == 0 && !fin) return;
        EmitSegment(c, c.SndUna, len, TcpFlags.Ack | (fin ? TcpFlags.Fin : TcpFlags.None));
    }

    /// <summary>
    /// Tail loss probe (RFC 8985 7, simplified): if no ACK comes within PTO = 2·SRTT (plus a
    /// delayed-ACK allowance when one segment is in flight), send one probe segment so that a
    /// lost tail or a lost last ACK is repaired by an ACK instead of a full RTO. Only with an RTT
    /// estimate, outside recovery, and when the probe would come before the RTO.
    /// </summary>
    private void ArmTailLossProbe(TcpConnection c)
    {
        c.TlpDeadline = 0;
        if (!c.HaveRtt || c.TlpOutstanding || c.InRecovery || c.Retries > 0 || c.SndNxt != c.SndMax || c.SndUna == c.SndMax) return;   // not after an RTO
        ulong pto = 2 * c.Srtt;
        if (c.SndMax - c.SndUna <= (uint)c.SndMss) pto += 200_000_000;   // the peer may delay its ACK for one segment
        pto = Math.Max(pto, 10_000_000);
        if (pto >= c.Rto) return;
        c.TlpDeadline = _now + pto;
    }

    private void OnTailLossProbe(TcpConnection c)
    {
        c.TlpDeadline = 0;
        if (c.InRecovery || c.TlpOutstanding || c.SndUna == c.SndMax || c.SndNxt != c.SndMax || !CanSendData(c.State) || !CanTransmit) return;
        uint dataEnd = c.DataEnd;
        int unsent = Seq.Gt(dataEnd, c.SndNxt) ? (int)(dataEnd - c.SndNxt) : 0;
        uint inflight = c.SndNxt - c.SndUna;
        int len = Math.Min(unsent, c.SndMss);
        if (len > 0 && inflight + (uint)len <= c.SndWnd)
        {
            // New data is the better probe: it carries information and costs no retransmission.
            bool fin = c.FinQueued && c.SndNxt + (uint)len == dataEnd;
            EmitSegment(c, c.SndNxt, len, TcpFlags.Ack | TcpFlags.Psh | (fin ? TcpFlags.Fin : TcpFlags.None));
            c.SndNxt += (uint)len + (fin ? 1u : 0u);
            c.SndMax = c.SndNxt;
            if (fin) c.FinSent = true;
        }
        else
        {
            // Retransmit the last segment (with the FIN if that is what ends the sequence space).
            uint end = c.FinSent ? dataEnd : c.SndMax;
            uint start = end - (uint)Math.Min((int)(end - c.SndUna), c.SndMss);
            if (Seq.Lt(start, c.SndUna)) start = c.SndUna;
            int rlen = Seq.Gt(end, start) ? (int)(end - start) : 0;
            bool fin = c.FinSent && start + (uint)rlen == dataEnd;
            if (rlen == 0 && !fin) return;
            EmitSegment(c, start, rlen, TcpFlags.Ack | (fin ? TcpFlags.Fin : TcpFlags.None));
        }
        c.TlpOutstanding = true;
        c.RtoDeadline = _now + c.Rto;
        Counters.Add(Counter.TcpTailLossProbes);
    }

    private void TcpTimers()
    {
        for (int i = 0; i < _conns.Length; i++)
        {
            var c = _conns[i];
            if (!c.InUse) continue;
            if (c.TimeWaitDeadline != 0 && c.TimeWaitDeadline <= _now)
            {
                // TIME-WAIT over, or an orphaned FIN-WAIT-2 whose peer never closed.
                c.TimeWaitDeadline = 0;
                if (c.State == TcpState.TimeWait || (c.State == TcpState.FinWait2 && !c.AppOwned)) { NetworkClose(c, 0); continue; }
            }
            if (c.TlpDeadline != 0 && c.TlpDeadline <= _now) OnTailLossProbe(c);
            if (c.RtoDeadline != 0 && c.RtoDeadline <= _now) { OnRetransmitTimeout(c); if (!c.InUse) continue; }
            if (c.PersistDeadline != 0 && c.PersistDeadline <= _now) OnPersist(c);
            ulong ka = KeepAliveDeadline(c);
            if (ka != 0 && ka <= _now) { OnKeepAlive(c); if (!c.InUse) continue; }
            if (c.DelAckDeadline != 0 && c.DelAckDeadline <= _now)
            {
                c.DelAckDeadline = 0; c.AckNow = true; c.NeedOutput = true;
            }
        }
    }

    private void OnRetransmitTimeout(TcpConnection c)
    {
        c.RtoDeadline = 0;
        c.TlpDeadline = 0;
        c.TlpOutstanding = false;
        Counters.Add(Counter.TcpRetransmitTimeouts);
        bool handshake = c.State == TcpState.SynSent || c.State == TcpState.SynReceived;
        if (c.Retries >= (handshake ? _cfg.TcpMaxSynRetransmits : _cfg.TcpMaxRetransmits))
        {
            if (c.State == TcpState.SynSent) Counters.Add(Counter.TcpConnectTimeouts);
            else
            {
                SendBareSegment(c.LocalIp, c.RemoteIp, c.LocalPort, c.RemotePort, c.SndMax, 0, TcpFlags.Rst, 0);
                Counters.Add(Counter.TcpResetsSent);
            }
            if (c.State == TcpState.SynReceived && c.Listener >= 0) FreeConnection(c);
            else NetworkClose(c, NetError.TimedOut);
            return;
        }
        c.Retries++;
        c.Rto = Math.Min(c.Rto * 2, _cfg.TcpMaxRto);   // RFC 6298 (5.5): back off
        c.RttTiming = false;                           // Karn: no sample from a retransmitted segment
        if (handshake)
        {
            EmitSegment(c, c.Iss, 0, c.State == TcpState.SynSent ? TcpFlags.Syn : TcpFlags.Syn | TcpFlags.Ack);
            c.RtoDeadline = _now + c.Rto;
            return;
        }
        // RFC 5681 (4): halve on the first timeout, then restart from one segment (go-back-N).
        uint flight = c.SndMax - c.SndUna;
        if (c.Retries == 1) c.Ssthresh = Math.Max(flight / 2, 2u * (uint)c.SndMss);
        c.Cwnd = (uint)c.SndMss;
        c.InRecovery = false; c.DupAcks = 0; c.BytesAckedCa = 0;
        c.Recover = c.SndMax;
        c.SndNxt = c.SndUna;
        c.NeedOutput = true;
    }

    /// <summary>When the next keep-alive probe is due, or 0: only idle synchronized connections with nothing in flight.</summary>
    private ulong KeepAliveDeadline(TcpConnection c)
    {
        if (_cfg.TcpKeepAliveIdle == 0 || (c.State != TcpState.Established && c.State != TcpState.CloseWait)) return 0;
        if (c.SndUna != c.SndMax || c.RtoDeadline != 0 || c.PersistDeadline != 0) return 0;
        return c.LastHeard + _cfg.TcpKeepAliveIdle + (ulong)c.KeepAlivesSent * _cfg.TcpKeepAliveInterval;
    }

    private void OnKeepAlive(TcpConnection c)
    {
        if (c.KeepAlivesSent >= _cfg.TcpKeepAliveProbes)
        {
            Counters.Add(Counter.TcpKeepAliveTimeouts);
            NetworkClose(c, NetError.TimedOut);   // the peer is gone: nothing to send a reset to
            return;
        }
        // An old sequence number with no data: a live peer must answer with an ACK (RFC 9293 3.8.4).
        EmitSegment(c, c.SndUna - 1, 0, TcpFlags.Ack);
        c.KeepAlivesSent++;
        Counters.Add(Counter.TcpKeepAlivesSent);
    }

    private void OnPersist(TcpConnection c)
    {
        c.PersistDeadline = 0;
        int unsent = Seq.Gt(c.DataEnd, c.SndNxt) ? (int)(c.DataEnd - c.SndNxt) : 0;
        if (c.SndWnd != 0 || (unsent == 0 && !(c.FinQueued && !c.FinSent)) || !CanSendData(c.State)) return;
        // Probe with an already-acknowledged sequence number: the receiver must answer with an
        // ACK that carries its current window, and no data is pushed beyond the window.
        EmitSegment(c, c.SndUna - 1, 0, TcpFlags.Ack);
        Counters.Add(Counter.TcpZeroWindowProbes);
        c.PersistBackoff++;
        c.PersistDeadline = _now + Math.Min(c.Rto << Math.Min(c.PersistBackoff, 20), _cfg.TcpMaxRto);
    }

    private void TcpDeadline(ref ulong d)
    {
        for (int i = 0; i < _conns.Length; i++)
        {
            var c = _conns[i];
            if (!c.InUse) continue;
            if (c.NeedOutput || c.AckNow) { d = 0; return; }
            if (c.RtoDeadline != 0 && c.RtoDeadline < d) d = c.RtoDeadline;
            if (c.TlpDeadline != 0 && c.TlpDeadline < d) d = c.TlpDeadline;
            if (c.PersistDeadline != 0 && c.PersistDeadline < d) d = c.PersistDeadline;
            if (c.DelAckDeadline != 0 && c.DelAckDeadline < d) d = c.DelAckDeadline;
            if (c.TimeWaitDeadline != 0 && c.TimeWaitDeadline < d) d = c.TimeWaitDeadline;
            ulong ka = KeepAliveDeadline(c);
            if (ka != 0 && ka < d) d = ka;
        }
    }
}
