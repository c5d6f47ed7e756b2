using System;

namespace Guest.Stack;

// TCP (RFC 9293) with RFC 7323 window scaling and timestamps, RFC 6298 RTO, RFC 5681/6582
// NewReno, delayed ACKs, zero-window probing, RFC 5961 protections, SYN cookies when a
// listener's half-open quota is used up, and out-of-order reassembly inside the receive window.
public sealed partial class NetStack<TNic>
{
    private TcpConnection[] _conns = null!;
    private TcpListenerEntry[] _listeners = null!;
    private int _lastConn = -1;
    private int _ourMss;
    private int _rcvWscale;
    private ulong _challengeSecond;
    private int _challengeCount;
    private ushort _nextEphemeral;

    /// <summary>The four MSS values a SYN cookie can encode (2 bits). A switch, not an array initialiser: no static data to set up in the guest.</summary>
    private static int CookieMss(uint index) => (index & 3) switch { 0 => 536, 1 => 1200, 2 => 1440, _ => 1460 };

    private void InitTcp()
    {
        _conns = new TcpConnection[Math.Max(1, _cfg.MaxTcpConnections)];
        for (int i = 0; i < _conns.Length; i++)
            _conns[i] = new TcpConnection(i, _cfg.TcpSendBufferSize, _cfg.TcpReceiveBufferSize, Math.Max(1, _cfg.TcpOutOfOrderRanges));
        _listeners = new TcpListenerEntry[Math.Max(1, _cfg.MaxTcpListeners)];
        for (int i = 0; i < _listeners.Length; i++)
            _listeners[i] = new TcpListenerEntry { Queue = new int[Math.Max(1, _cfg.TcpMaxBacklog)] };
        _ourMss = _mtu - Ipv4.MinHeaderLength - Tcp.MinHeaderLength;
        // Smallest shift that lets the whole receive buffer be advertised (RFC 7323 2.2).
        _rcvWscale = 0;
        while (_rcvWscale < 14 && (_cfg.TcpReceiveBufferSize >> _rcvWscale) > 65535) _rcvWscale++;
        _nextEphemeral = (ushort)(49152 + _rng.NextInt(16384));
    }

    private uint TsClock => (uint)(_now / 1_000_000); // 1 ms timestamp clock

    // ---- lookup -------------------------------------------------------------------------------

    private int FindConnection(Ipv4Address remote, ushort rport, Ipv4Address local, ushort lport)
    {
        int last = _lastConn;
        if (last >= 0 && Matches(_conns[last], remote, rport, local, lport)) return last;
        for (int i = 0; i < _conns.Length; i++)
            if (Matches(_conns[i], remote, rport, local, lport)) { _lastConn = i; return i; }
        return -1;
    }

    private static bool Matches(TcpConnection c, Ipv4Address remote, ushort rport, Ipv4Address local, ushort lport)
        => c.InUse && c.State != TcpState.Closed && c.RemotePort == rport && c.LocalPort == lport
           && c.RemoteIp == remote && c.LocalIp == local;

    private int FindListener(Ipv4Address local, ushort port)
    {
        for (int i = 0; i < _listeners.Length; i++)
        {
            var l = _listeners[i];
            if (l.InUse && l.Port == port && (l.LocalIp.IsAny || l.LocalIp == local)) return i;
        }
        return -1;
    }

    /// <summary>A free connection slot; when none is free, the TIME-WAIT connection closest to expiry is recycled.</summary>
    private int AllocateConnection()
    {
        int tw = -1;
        for (int i = 0; i < _conns.Length; i++)
        {
            var c = _conns[i];
            if (!c.InUse) return i;
            if (c.State == TcpState.TimeWait && !c.AppOwned && (tw < 0 || c.TimeWaitDeadline < _conns[tw].TimeWaitDeadline)) tw = i;
        }
        if (tw >= 0) { Counters.Add(Counter.TcpTimeWaitReused); FreeConnection(_conns[tw]); return tw; }
        Counters.Add(Counter.TcpConnectionTableFull);
        return -1;
    }

    private void FreeConnection(TcpConnection c)
    {
        if (c.Listener >= 0 && c.State == TcpState.SynReceived) _listeners[c.Listener].HalfOpen--;
        if (_lastConn == c.Index) _lastConn = -1;
        c.Reset();
    }

    private uint NewIsn(Ipv4Address remote, ushort rport, ushort lport)
    {
        // RFC 6528: a 4 µs clock plus a keyed hash of the connection's identity.
        ulong h = XorShift.Mix(_secret ^ ((ulong)remote.Value << 32 | (ulong)rport << 16 | lport));
        return (uint)(_now / 4000) + (uint)h;
    }

    private void InitConnection(TcpConnection c, Ipv4Address remote, ushort rport, ushort lport)
    {
        c.InUse = true;
        c.LocalIp = _cfg.Address; c.RemoteIp = remote; c.LocalPort = lport; c.RemotePort = rport;
        c.Rto = _cfg.TcpInitialRto;
        c.SndMss = 536;
        c.TsOffset = _rng.NextUInt();
        c.LastHeard = _now;
    }

    /// <summary>Initial window per RFC 5681 3.1 (IW by SMSS).</summary>
    private static uint InitialCwnd(int mss) => (uint)(mss > 2190 ? 2 * mss : mss > 1095 ? 3 * mss : 4 * mss);

    private void NegotiateSynOptions(TcpConnection c, in TcpHeader h)
    {
        c.SndMss = Math.Min(h.Mss > 0 ? h.Mss : 536, _ourMss);
        if (c.SndMss < 64) c.SndMss = 64;
        if (c.OfferWs && h.WindowScale >= 0) { c.SndWscale = h.WindowScale; c.RcvWscale = _rcvWscale; }
        else { c.SndWscale = 0; c.RcvWscale = 0; c.OfferWs = false; }
        if (c.OfferTs && h.HasTimestamps) { c.TsEnabled = true; c.TsRecent = h.TsVal; }
        else { c.TsEnabled = false; c.OfferTs = false; }
        c.SackEnabled = c.OfferSack && h.SackPermitted;
        if (!c.SackEnabled) c.OfferSack = false;
        if (c.TsEnabled) c.SndMss -= 12;   // RFC 6691: MSS counts no options; leave room for the timestamp option
        c.Cwnd = InitialCwnd(c.SndMss);
        c.Ssthresh = 0x7FFFFFFF;
    }

    // ---- input --------------------------------------------------------------------------------

    private void TcpInput(in Ipv4Header ip, ReadOnlySpan<byte> seg)
    {
        var r = Tcp.TryParse(seg, ip.Source, ip.Destination, out var h);
        if (r == TcpParse.BadChecksum) { Counters.Add(Counter.TcpBadChecksum); return; }
        if (r != TcpParse.Ok || h.SourcePort == 0 || h.DestinationPort == 0) { Counters.Add(Counter.TcpMalformed); return; }
        Counters.Add(Counter.TcpSegmentsReceived);
        var payload = seg.Slice(h.HeaderLength);
        int ci = FindConnection(ip.Source, h.SourcePort, ip.Destination, h.DestinationPort);
        if (ci >= 0)
        {
            var c = _conns[ci];
            if (c.State == TcpState.SynSent) SynSentInput(c, h);
            else SegmentArrives(c, h, payload);
            return;
        }
        int li = FindListener(ip.Destination, h.DestinationPort);
        if (li >= 0) { ListenInput(li, ip.Source, ip.Destination, h, payload); return; }
        Counters.Add(Counter.TcpNoSocket);
        ResetForUnknown(ip.Source, ip.Destination, h, payload.Length);
    }

    /// <summary>RFC 9293 3.10.7.1: the reply to a segment for no connection.</summary>
    private void ResetForUnknown(Ipv4Address remote, Ipv4Address local, in TcpHeader h, int dataLength)
    {
        if (h.Has(TcpFlags.Rst)) return;
        if (h.Has(TcpFlags.Ack))
            SendBareSegment(local, remote, h.DestinationPort, h.SourcePort, h.Ack, 0, TcpFlags.Rst, 0);
        else
        {
            uint len = (uint)dataLength + (h.Has(TcpFlags.Syn) ? 1u : 0u) + (h.Has(TcpFlags.Fin) ? 1u : 0u);
            SendBareSegment(local, remote, h.DestinationPort, h.SourcePort, 0, h.Seq + len, TcpFlags.Rst | TcpFlags.Ack, 0);
        }
        Counters.Add(Counter.TcpResetsSent);
    }

    private void ListenInput(int li, Ipv4Address remote, Ipv4Address local, in TcpHeader h, ReadOnlySpan<byte> payload)
    {
        var l = _listeners[li];
        if (h.Has(TcpFlags.Rst)) return;
        if (h.Has(TcpFlags.Ack))
        {
            if (!h.Has(TcpFlags.Syn) && TryAcceptCookie(li, remote, local, h, payload)) return;
            ResetForUnknown(remote, local, h, payload.Length);
            return;
        }
        if (!h.Has(TcpFlags.Syn) || h.Has(TcpFlags.Fin)) return;
        if (l.QCount == l.Backlog) { Counters.Add(Counter.TcpAcceptQueueFull); return; }
        int slot = l.HalfOpen < _cfg.TcpHalfOpenPerListener ? AllocateConnection() : -1;
        if (slot < 0) { SendSynCookie(remote, local, h); return; }
        var c = _conns[slot];
        InitConnection(c, remote, h.SourcePort, h.DestinationPort);
        c.LocalIp = local;
        c.Listener = li;
        l.HalfOpen++;
        c.State = TcpState.SynReceived;
        c.Irs = h.Seq; c.RcvNxt = h.Seq + 1;
        c.Iss = NewIsn(remote, h.SourcePort, h.DestinationPort);
        c.SndUna = c.Iss; c.SndNxt = c.Iss + 1; c.SndMax = c.SndNxt; c.SndBufSeq = c.Iss + 1;
        c.SndWnd = h.Window; c.SndWl1 = h.Seq; c.MaxSndWnd = h.Window; // SYN windows are never scaled
        c.OfferWs = h.WindowScale >= 0; c.OfferTs = h.HasTimestamps; c.OfferSack = h.SackPermitted;
        c.Recover = c.Iss;
        NegotiateSynOptions(c, h);
        EmitSegment(c, c.Iss, 0, TcpFlags.Syn | TcpFlags.Ack);
        c.RtoDeadline = _now + c.Rto;
    }

    // ---- SYN cookies ----------------------------------------------------------------------------
    // Cookie (our ISN): 24 bits keyed hash | 6 bits of a 64-second counter | 2 bits MSS index.
    // With timestamps the peer's window scale rides in the low 4 bits of our TSval (15 = none);
    // without them the SYN-ACK offers neither window scaling nor timestamps.

    private uint CookieHash(Ipv4Address remote, ushort rport, ushort lport, uint counter)
        => (uint)XorShift.Mix(XorShift.Mix(_secret + counter) ^ ((ulong)remote.Value << 32 | (ulong)rport << 16 | lport));

    private void SendSynCookie(Ipv4Address remote, Ipv4Address local, in TcpHeader h)
    {
        int peerMss = h.Mss > 0 ? h.Mss : 536;
        int idx = 0;
        for (int i = 3; i >= 0; i--) if (CookieMss((uint)i) <= peerMss && CookieMss((uint)i) <= _ourMss) { idx = i; break; }
        uint counter = (uint)(_now / 64_000_000_000UL);
        uint cookie = (CookieHash(remote, h.SourcePort, h.DestinationPort, counter) & 0xFFFFFF00u) | (counter & 0x3F) << 2 | (uint)idx;
        bool ts = h.HasTimestamps;
        int ws = ts && h.WindowScale >= 0 ? _rcvWscale : -1;
        uint tsVal = (TsClock & ~0xFu) | (uint)(ts && h.WindowScale >= 0 ? h.WindowScale : 15);
        ushort wnd = (ushort)Math.Min(_cfg.TcpReceiveBufferSize, 65535);
        SendSegmentWithOptions(local, remote, h.DestinationPort, h.SourcePort, cookie, h.Seq + 1,
            TcpFlags.Syn | TcpFlags.Ack, wnd, _ourMss, ws, ts, tsVal, h.TsVal);
        Counters.Add(Counter.TcpSynCookiesSent);
    }

    private bool TryAcceptCookie(int li, Ipv4Address remote, Ipv4Address local, in TcpHeader h, ReadOnlySpan<byte> payload)
    {
        uint cookie = h.Ack - 1;
        uint counter = (uint)(_now / 64_000_000_000UL);
        bool ok = false;
        for (uint back = 0; back < 2 && !ok; back++)
        {
            uint cnt = counter - back;
            if (((cookie >> 2) & 0x3F) != (cnt & 0x3F)) continue;
            ok = (CookieHash(remote, h.SourcePort, h.DestinationPort, cnt) & 0xFFFFFF00u) == (cookie & 0xFFFFFF00u);
        }
        if (!ok) { Counters.Add(Counter.TcpSynCookiesRejected); return false; }
        var l = _listeners[li];
        if (l.QCount == l.Backlog) { Counters.Add(Counter.TcpAcceptQueueFull); return true; }
        int slot = AllocateConnection();
        if (slot < 0) return true;
        var c = _conns[slot];
        InitConnection(c, remote, h.SourcePort, h.DestinationPort);
        c.LocalIp = local;
        c.Irs = h.Seq - 1; c.RcvNxt = h.Seq;
        c.Iss = cookie; c.SndUna = h.Ack; c.SndNxt = h.Ack; c.SndMax = h.Ack; c.SndBufSeq = h.Ack;
        c.SndMss = Math.Min(CookieMss(cookie), _ourMss);
        if (h.HasTimestamps)
        {
            c.TsEnabled = true; c.OfferTs = true; c.TsRecent = h.TsVal; c.TsOffset = 0;
            int ws = (int)(h.TsEcr & 0xF);
            if (ws != 15) { c.OfferWs = true; c.SndWscale = Math.Min(ws, 14); c.RcvWscale = _rcvWscale; }
            c.SndMss -= 12;
        }
        c.Recover = c.Iss;
        c.Cwnd = InitialCwnd(c.SndMss); c.Ssthresh = 0x7FFFFFFF;
        c.SndWnd = (uint)h.Window << c.SndWscale; c.MaxSndWnd = c.SndWnd; c.SndWl1 = h.Seq; c.SndWl2 = h.Ack;
        c.State = TcpState.Established;
        c.RcvAdvEdge = c.RcvNxt + (uint)Math.Min(_cfg.TcpReceiveBufferSize, 65535);
        c.LastAckSent = c.RcvNxt;
        EnqueueAccept(li, c);
        Counters.Add(Counter.TcpSynCookiesAccepted);
        if (payload.Length > 0 || h.Has(TcpFlags.Fin)) SegmentArrives(c, h, payload);
        return true;
    }

    private void EnqueueAccept(int li, TcpConnection c)
    {
        var l = _listeners[li];
        l.Queue[(l.QHead + l.QCount) % l.Backlog] = c.Index;
        l.QCount++;
        c.Listener = li;
    }

    // ---- SYN-SENT ---------------------------------------------------------------------------------

    private void SynSentInput(TcpConnection c, in TcpHeader h)
    {
        bool ack = h.Has(TcpFlags.Ack);
        if (ack && (Seq.Le(h.Ack, c.Iss) || Seq.Gt(h.Ack, c.SndMax)))
        {
            if (!h.Has(TcpFlags.Rst))
            {
                SendBareSegment(c.LocalIp, c.RemoteIp, c.LocalPort, c.RemotePort, h.Ack, 0, TcpFlags.Rst, 0);
                Counters.Add(Counter.TcpResetsSent);
            }
            return;
        }
        if (h.Has(TcpFlags.Rst))
        {
            // RFC 5961 3.2: in SYN-SENT a RST is valid only if it acknowledges our SYN.
            if (ack) { Counters.Add(Counter.TcpResetsReceived); NetworkClose(c, NetError.ConnectionRefused); }
            return;
        }
        if (!h.Has(TcpFlags.Syn)) return;
        c.Irs = h.Seq; c.RcvNxt = h.Seq + 1;
        NegotiateSynOptions(c, h);
        c.SndWnd = h.Window; c.MaxSndWnd = h.Window; c.SndWl1 = h.Seq; c.SndWl2 = h.Ack;
        if (ack)
        {
            bool synRetransmitted = c.Retries > 0;
            if (c.RttTiming && !synRetransmitted) RttSample(c, _now - c.RttStart);
            c.RttTiming = false;
            c.SndUna = h.Ack;
            c.State = TcpState.Established;
            c.LastHeard = _now;
            c.RtoDeadline = 0; c.Retries = 0;
            // RFC 6298 (5.7): after a lost SYN, data starts with an RTO of 3 s, not the backed-off one.
            if (!c.HaveRtt) c.Rto = synRetransmitted ? Math.Max(3_000_000_000UL, _cfg.TcpInitialRto) : _cfg.TcpInitialRto;
            c.AckNow = true; c.NeedOutput = true;
        }
        else
        {
            // Simultaneous open (RFC 9293 figure 7): answer with SYN,ACK from the same ISS.
            c.State = TcpState.SynReceived;
            EmitSegment(c, c.Iss, 0, TcpFlags.Syn | TcpFlags.Ack);
            c.RtoDeadline = _now + c.Rto;
        }
    }

    // ---- every other state ------------------------------------------------------------------------

    private void SegmentArrives(TcpConnection c, in TcpHeader h, ReadOnlySpan<byte> payload)
    {
        bool syn = h.Has(TcpFlags.Syn), fin = h.Has(TcpFlags.Fin), rst = h.Has(TcpFlags.Rst);
        uint segLen = (uint)payload.Length + (syn ? 1u : 0u) + (fin ? 1u : 0u);

        if (c.State == TcpState.SynReceived && syn && h.Seq == c.Irs)
        {
            if (!h.Has(TcpFlags.Ack))
            {
                EmitSegment(c, c.Iss, 0, TcpFlags.Syn | TcpFlags.Ack); // our SYN,ACK was lost: send it again
                return;
            }
            // Simultaneous open (RFC 9293 figure 8, line 7): the peer's SYN,ACK repeats the SYN we
            // already took; what is new is its ACK. Process it without the SYN.
            TcpHeader rest = h;
            rest.Seq = h.Seq + 1;
            rest.Flags = h.Flags & ~TcpFlags.Syn;
            SegmentArrives(c, rest, payload);
            return;
        }

        // PAWS (RFC 7323 5): a segment whose timestamp is older than TS.Recent is a stale duplicate.
        if (c.TsEnabled && h.HasTimestamps && !rst && Seq.Lt(h.TsVal, c.TsRecent))
        {
            Counters.Add(Counter.TcpPawsRejected);
            c.AckNow = true; c.NeedOutput = true;
            return;
        }

        // 1. Sequence number check (RFC 9293 3.10.7.4).
        uint wnd = (uint)c.RecvBuf.Free;
        bool acceptable;
        if (segLen == 0)
            acceptable = wnd == 0 ? h.Seq == c.RcvNxt : Seq.InWindow(h.Seq, c.RcvNxt, wnd);
        else
            acceptable = wnd != 0 && (Seq.InWindow(h.Seq, c.RcvNxt, wnd) || Seq.InWindow(h.Seq + segLen - 1, c.RcvNxt, wnd));
        bool zeroWindowProbe = false;
        if (!acceptable)
        {
            // A closed window still takes ACKs (and the probe's byte is not accepted).
            if (wnd == 0 && h.Seq == c.RcvNxt && !rst && !syn && h.Has(TcpFlags.Ack)) zeroWindowProbe = true;
            else
            {
                Counters.Add(Counter.TcpOutOfWindow);
                if (!rst) { c.AckNow = true; c.NeedOutput = true; }
                // A retransmitted FIN in TIME-WAIT means our last ACK was lost: ACK again, restart 2·MSL.
                if (fin && c.State == TcpState.TimeWait) c.TimeWaitDeadline = _now + _cfg.TcpTimeWait;
                return;
            }
        }

        c.LastHeard = _now;
        c.KeepAlivesSent = 0;

        // 2. RST (RFC 5961 3.2): exact match resets, anything else in the window gets a challenge ACK.
        if (rst)
        {
            if (h.Seq == c.RcvNxt)
            {
                Counters.Add(Counter.TcpResetsReceived);
                if (c.State == TcpState.SynReceived && c.Listener >= 0) FreeConnection(c);   // back to LISTEN
                else if (c.State == TcpState.TimeWait || c.State == TcpState.Closing || c.State == TcpState.LastAck) NetworkClose(c, 0);
                else NetworkClose(c, NetError.ConnectionReset);
            }
            else ChallengeAck(c);
            return;
        }

        // 3. SYN in a synchronized state (RFC 5961 4.2): challenge ACK, never a reset.
        if (syn) { ChallengeAck(c); return; }

        // 4. ACK.
        if (!h.Has(TcpFlags.Ack)) return;
        if (c.State == TcpState.SynReceived)
        {
            if (Seq.Lt(c.SndUna, h.Ack) && Seq.Le(h.Ack, c.SndMax))
            {
                if (c.Listener >= 0 && !c.AppOwned)
                {
                    var l = _listeners[c.Listener];
                    if (l.QCount == l.Backlog) { Counters.Add(Counter.TcpAcceptQueueFull); return; } // peer will retry
                    l.HalfOpen--;
                    c.State = TcpState.Established;
                    EnqueueAccept(c.Listener, c);
                }
                else c.State = TcpState.Established;
                c.SndWnd = (uint)h.Window << c.SndWscale; c.MaxSndWnd = c.SndWnd; c.SndWl1 = h.Seq; c.SndWl2 = h.Ack;
                c.Retries = 0;
            }
            else
            {
                SendBareSegment(c.LocalIp, c.RemoteIp, c.LocalPort, c.RemotePort, h.Ack, 0, TcpFlags.Rst, 0);
                Counters.Add(Counter.TcpResetsSent);
                return;
            }
        }
        if (Seq.Gt(h.Ack, c.SndMax))
        {
            Counters.Add(Counter.TcpAckOfUnsentData);
            c.AckNow = true; c.NeedOutput = true;
            return;
        }
        // RFC 5961 5.2: ACKs older than the largest window we were offered are dropped.
        if (Seq.Lt(h.Ack, c.SndUna - Math.Max(c.MaxSndWnd, 1u)))
        {
            Counters.Add(Counter.TcpOldAckDropped);
            ChallengeAck(c);
            return;
        }
        // RFC 7323 4.3: remember the timestamp of the segment that covers our last ACK.
        if (c.TsEnabled && h.HasTimestamps && Seq.Le(h.Seq, c.LastAckSent) && Seq.Ge(h.Seq + segLen, c.LastAckSent))
            c.TsRecent = h.TsVal;

        ProcessAck(c, h, payload.Length, fin);

        switch (c.State)
        {
            case TcpState.FinWait1:
                if (c.OurFinAcked) { c.State = TcpState.FinWait2; if (!c.AppOwned) c.TimeWaitDeadline = _now + _cfg.TcpTimeWait; }
                break;
            case TcpState.Closing:
                if (c.OurFinAcked) EnterTimeWait(c);
                break;
            case TcpState.LastAck:
                if (c.OurFinAcked) { NetworkClose(c, 0); return; }
                break;
            case TcpState.TimeWait:
                if (fin) { c.AckNow = true; c.NeedOutput = true; c.TimeWaitDeadline = _now + _cfg.TcpTimeWait; }
                return;
        }
        if (zeroWindowProbe) { c.AckNow = true; c.NeedOutput = true; return; }

        // 6. Data.
        if (payload.Length > 0)
        {
            if (c.State == TcpState.Established || c.State == TcpState.FinWait1 || c.State == TcpState.FinWait2)
                ReceiveData(c, h.Seq, payload);
            else { c.AckNow = true; c.NeedOutput = true; }   // after the peer's FIN: nothing more may come
        }

        // 7. FIN: taken only in order; one beyond rcv.nxt is remembered until the gap fills.
        if (fin)
        {
            uint finSeq = h.Seq + (uint)payload.Length;
            if (finSeq == c.RcvNxt) ProcessFin(c);
            else if (Seq.Gt(finSeq, c.RcvNxt) && Seq.InWindow(finSeq, c.RcvNxt, (uint)c.RecvBuf.Free + 1))
            {
                c.HasOooFin = true; c.OooFinSeq = finSeq;
            }
        }
    }

    private void ProcessAck(TcpConnection c, in TcpHeader h, int dataLength, bool fin)
    {
        uint ack = h.Ack;
        uint newWnd = (uint)h.Window << c.SndWscale;
        if (Seq.Gt(ack, c.SndUna))
        {
            uint acked = ack - c.SndUna;
            // RTT: from the echoed timestamp (any ACK of new data, RFC 7323 4.1) or the timed segment (Karn).
            if (c.TsEnabled && h.HasTimestamps && h.TsEcr != 0)
            {
                uint ms = TsClock + c.TsOffset - h.TsEcr;
                if (ms < 600_000) RttSample(c, (ulong)Math.Max(ms, 1u) * 1_000_000);
            }
            else if (c.RttTiming && Seq.Ge(ack, c.RttSeq)) RttSample(c, _now - c.RttStart);
            if (c.RttTiming && Seq.Ge(ack, c.RttSeq)) c.RttTiming = false;

            uint bufAcked = Seq.Gt(ack, c.SndBufSeq) ? Math.Min(ack - c.SndBufSeq, (uint)c.SendBuf.Count) : 0;
            c.SendBuf.Discard((int)bufAcked);
            c.SndBufSeq += bufAcked;
            c.SndUna = ack;
            if (Seq.Lt(c.SndNxt, ack)) c.SndNxt = ack;
            c.Retries = 0;
            c.PersistBackoff = 0;

            if (c.InRecovery)
            {
                if (Seq.Ge(ack, c.Recover))
                {
                    // Full acknowledgement (RFC 6582 3.2 step 3): deflate the window.
                    uint flight = c.SndMax - c.SndUna;
                    c.Cwnd = Math.Min(c.Ssthresh, Math.Max(flight, (uint)c.SndMss) + (uint)c.SndMss);
                    c.InRecovery = false;
                    c.DupAcks = 0;
                }
                else
                {
                    // Partial acknowledgement: retransmit the next hole, deflate by the amount acked.
                    RetransmitFirst(c);
                    c.Cwnd = c.Cwnd > acked ? c.Cwnd - acked : 0;
                    c.Cwnd += (uint)c.SndMss;
                    c.RtoDeadline = _now + c.Rto;
                }
            }
            else
            {
                c.DupAcks = 0;
                if (c.Cwnd < c.Ssthresh) c.Cwnd += Math.Min(acked, (uint)c.SndMss);        // slow start
                else
                {
                    c.BytesAckedCa += acked;                                              // congestion avoidance
                    if (c.BytesAckedCa >= c.Cwnd) { c.BytesAckedCa -= c.Cwnd; c.Cwnd += (uint)c.SndMss; }
                }
            }
            if (c.Cwnd > 0x3FFFFFFF) c.Cwnd = 0x3FFFFFFF;
            c.TlpOutstanding = false;
            if (c.SndUna == c.SndMax) { c.RtoDeadline = 0; c.TlpDeadline = 0; }
            else if (!c.InRecovery) { c.RtoDeadline = _now + c.Rto; ArmTailLossProbe(c); }
            c.NeedOutput = true;
        }
        else if (ack == c.SndUna && dataLength == 0 && !fin && newWnd == c.SndWnd && c.SndMax != c.SndUna)
        {
            Counters.Add(Counter.TcpDuplicateAcks);
            c.DupAcks++;
            if (c.DupAcks == 3 && !c.InRecovery && Seq.Ge(ack, c.Recover))
            {
                // Fast retransmit / fast recovery (RFC 5681 3.2, RFC 6582 3.2).
                uint flight = c.SndMax - c.SndUna;
                c.Ssthresh = Math.Max(flight / 2, 2u * (uint)c.SndMss);
                c.Recover = c.SndMax;
                c.InRecovery = true;
                RetransmitFirst(c);
                c.Cwnd = c.Ssthresh + 3u * (uint)c.SndMss;
                c.RttTiming = false;
                c.TlpDeadline = 0;
                c.RtoDeadline = _now + c.Rto;
                Counters.Add(Counter.TcpFastRetransmits);
            }
            else if (c.InRecovery)
            {
                c.Cwnd += (uint)c.SndMss;   // each further dup ACK: one more segment has left the network
                c.NeedOutput = true;
            }
            else if (c.DupAcks < 3) c.NeedOutput = true;   // limited transmit (RFC 3042), see TcpOutput
        }

        // Window update (RFC 9293 3.10.7.4, SND.WL1/SND.WL2 rule).
        if (Seq.Lt(c.SndWl1, h.Seq) || (c.SndWl1 == h.Seq && Seq.Le(c.SndWl2, ack)))
        {
            if (newWnd != c.SndWnd) c.NeedOutput = true;
            c.SndWnd = newWnd; c.SndWl1 = h.Seq; c.SndWl2 = ack;
            if (newWnd > c.MaxSndWnd) c.MaxSndWnd = newWnd;
            if (newWnd > 0) { c.PersistDeadline = 0; c.PersistBackoff = 0; }
        }
    }

    /// <summary>RFC 6298 (2.2, 2.3): SRTT/RTTVAR update and the new RTO, with 1 ms clock granularity.</summary>
    private void RttSample(TcpConnection c, ulong r)
    {
        if (!c.HaveRtt) { c.Srtt = r; c.RttVar = r / 2; c.HaveRtt = true; }
        else
        {
            ulong diff = c.Srtt > r ? c.Srtt - r : r - c.Srtt;
            c.RttVar = (3 * c.RttVar + diff) / 4;
            c.Srtt = (7 * c.Srtt + r) / 8;
        }
        ulong rto = c.Srtt + Math.Max(1_000_000UL, 4 * c.RttVar);
        c.Rto = Math.Clamp(rto, _cfg.TcpMinRto, _cfg.TcpMaxRto);
    }

    private void ReceiveData(TcpConnection c, uint seq, ReadOnlySpan<byte> data)
    {
        if (Seq.Lt(seq, c.RcvNxt))
        {
            int skip = (int)(c.RcvNxt - seq);
            data = data.Slice(Math.Min(skip, data.Length));
            seq = c.RcvNxt;
        }
        int off = (int)(seq - c.RcvNxt);
        int room = c.RecvBuf.Free - off;
        if (room <= 0 || data.Length == 0) { c.AckNow = true; c.NeedOutput = true; return; }
        if (data.Length > room) data = data.Slice(0, room);
        c.RecvBuf.WriteAt(off, data);
        if (off == 0)
        {
            c.RecvBuf.Commit(data.Length);
            c.RcvNxt += (uint)data.Length;
            if (c.Ooo.Count > 0)
            {
                // Absorb queued ranges the new bytes reach; a filled hole is ACKed at once (RFC 5681 4.2).
                while (c.Ooo.Count > 0 && Seq.Le(c.Ooo.FirstStart, c.RcvNxt))
                {
                    uint end = c.Ooo.FirstEnd;
                    if (Seq.Gt(end, c.RcvNxt)) { c.RecvBuf.Commit((int)(end - c.RcvNxt)); c.RcvNxt = end; }
                    c.Ooo.RemoveFirst();
                }
                c.AckNow = true;
            }
            else if (++c.SegsSinceAck >= 2) c.AckNow = true;  // ACK at least every second segment
            else if (c.DelAckDeadline == 0) c.DelAckDeadline = _now + _cfg.TcpDelayedAck;
            if (!c.AppOwned && c.Listener < 0) c.RecvBuf.Discard(c.RecvBuf.Count); // closed by the app: consume
            if (c.HasOooFin && c.OooFinSeq == c.RcvNxt) { c.HasOooFin = false; ProcessFin(c); }
        }
        else
        {
            if (c.Ooo.Insert(seq, seq + (uint)data.Length, c.RcvNxt)) { Counters.Add(Counter.TcpOutOfOrderQueued); c.LastOooStart = seq; }
            else Counters.Add(Counter.TcpOutOfOrderDropped);
            // RFC 5681 4.2: an immediate duplicate ACK per out-of-order segment. They are sent as
            // pure ACKs even when we have data to send, and are not merged by batch coalescing:
            // the sender counts them to trigger fast retransmit.
            // If in-order data arrived earlier in this batch and is not yet acknowledged, the first
            // ACK we send is a new cumulative ACK, not a duplicate: send one more.
            if (c.DupAcksToSend == 0 && c.RcvNxt != c.LastAckSent) c.DupAcksToSend++;
            if (c.DupAcksToSend < 8) c.DupAcksToSend++;
            c.AckNow = true;
        }
        c.NeedOutput = true;
    }

    private void ProcessFin(TcpConnection c)
    {
        c.RcvNxt++;
        // The FIN ends the peer's byte stream: bytes it sent beyond it, held out of order, can never
        // be delivered, and a range starting at the new rcv.nxt would break the ranges' invariant
        // (found by fuzzing: fuzz/regressions/tcp).
        c.Ooo.Clear();
        c.AckNow = true; c.NeedOutput = true;
        switch (c.State)
        {
            case TcpState.SynReceived:
            case TcpState.Established: c.State = TcpState.CloseWait; break;
            case TcpState.FinWait1:
                if (c.OurFinAcked) EnterTimeWait(c); else c.State = TcpState.Closing; // simultaneous close
                break;
            case TcpState.FinWait2: EnterTimeWait(c); break;
        }
    }

    private void EnterTimeWait(TcpConnection c)
    {
        c.State = TcpState.TimeWait;
        c.TimeWaitDeadline = _now + _cfg.TcpTimeWait;
        c.RtoDeadline = 0; c.PersistDeadline = 0; c.DelAckDeadline = 0; c.TlpDeadline = 0;
    }

    /// <summary>The connection is over (reset, timeout, or a clean end): keep it for the app to see, or free it.</summary>
    private void NetworkClose(TcpConnection c, int error)
    {
        if (c.Listener >= 0 && !c.AppOwned)
        {
            // Not yet accepted: nobody will ever look at it. Drop it from the listener.
            RemoveFromAcceptQueue(c);
            FreeConnection(c);
            return;
        }
        c.State = TcpState.Closed;
        c.Error = error;
        c.RtoDeadline = c.PersistDeadline = c.DelAckDeadline = c.TimeWaitDeadline = c.TlpDeadline = 0;
        c.AckNow = false; c.NeedOutput = false;
        if (!c.AppOwned) FreeConnection(c);
    }

    private void RemoveFromAcceptQueue(TcpConnection c)
    {
        var l = _listeners[c.Listener];
        if (c.State == TcpState.SynReceived) return;
        int w = 0;
        for (int r = 0; r < l.QCount; r++)
        {
            int v = l.Queue[(l.QHead + r) % l.Backlog];
            if (v != c.Index) l.Queue[(l.QHead + w++) % l.Backlog] = v;
        }
        l.QCount = w;
    }

    private void ChallengeAck(TcpConnection c)
    {
        ulong second = _now / 1_000_000_000UL;
        if (second != _challengeSecond) { _challengeSecond = second; _challengeCount = 0; }
        if (_challengeCount >= _cfg.TcpChallengeAcksPerSecond) { Counters.Add(Counter.TcpChallengeAckRateLimited); return; }
        _challengeCount++;
        Counters.Add(Counter.TcpChallengeAcks);
        EmitSegment(c, c.SndMax, 0, TcpFlags.Ack);
    }
}
