namespace Guest.Stack;

/// <summary>One TCP control block (RFC 9293 3.3.1) with its buffers, allocated once at stack start.</summary>
internal sealed class TcpConnection
{
    public readonly int Index;
    public int Generation = 1;
    public bool InUse;
    public bool AppOwned;           // the application holds a handle
    public int Listener = -1;       // passive open not yet accepted: owned by this listener
    public TcpState State;
    public int Error;               // NetError to report once closed by the network

    public Ipv4Address LocalIp, RemoteIp;
    public ushort LocalPort, RemotePort;

    // Send sequence space
    public uint Iss, SndUna, SndNxt, SndMax, SndWnd, SndWl1, SndWl2, MaxSndWnd;
    public uint SndBufSeq;          // sequence number of SendBuf's first byte
    public int SndMss = 536;
    public int SndWscale, RcvWscale;
    public bool OfferWs, OfferTs;   // options our SYN / SYN-ACK carries
    public bool TsEnabled;
    public bool OfferSack, SackEnabled;   // RFC 2018: we report out-of-order ranges to the peer
    public uint LastOooStart;       // start of the most recent out-of-order arrival (first SACK block)
    public uint TsRecent, TsOffset, LastAckSent;
    public bool FinQueued;          // the application closed: FIN goes after SendBuf's last byte
    public bool FinSent;

    // Receive sequence space
    public uint Irs, RcvNxt, RcvAdvEdge;
    public bool HasOooFin;
    public uint OooFinSeq;

    public readonly ByteRing SendBuf;
    public readonly ByteRing RecvBuf;
    public readonly OooRanges Ooo;

    // Timers (absolute ns, 0 = off)
    public ulong RtoDeadline, DelAckDeadline, PersistDeadline, TimeWaitDeadline, TlpDeadline;
    public bool TlpOutstanding;     // a tail loss probe was sent and no ACK has advanced SND.UNA since
    public int Retries, PersistBackoff;
    public ulong LastHeard;         // time of the last acceptable segment (keep-alive)
    public int KeepAlivesSent;

    // RTT estimation (RFC 6298), all in ns
    public ulong Srtt, RttVar, Rto;
    public bool HaveRtt, RttTiming;
    public uint RttSeq;
    public ulong RttStart;

    // Congestion control (RFC 5681, RFC 6582)
    public uint Cwnd, Ssthresh, Recover, BytesAckedCa;
    public int DupAcks;
    public bool InRecovery;

    // Output bookkeeping
    public bool AckNow, NeedOutput;
    public int SegsSinceAck;
    public int DupAcksToSend;       // out-of-order arrivals in this batch: one pure duplicate ACK each

    public TcpConnection(int index, int sendSize, int recvSize, int oooRanges)
    {
        Index = index;
        SendBuf = new ByteRing(sendSize);
        RecvBuf = new ByteRing(recvSize);
        Ooo = new OooRanges(oooRanges);
    }

    /// <summary>Clears everything for reuse; keeps the buffers, bumps the generation.</summary>
    public void Reset()
    {
        Generation++;
        if (Generation == 0) Generation = 1;
        InUse = false; AppOwned = false; Listener = -1; State = TcpState.Closed; Error = 0;
        LocalIp = default; RemoteIp = default; LocalPort = 0; RemotePort = 0;
        Iss = SndUna = SndNxt = SndMax = SndWnd = SndWl1 = SndWl2 = MaxSndWnd = SndBufSeq = 0;
        SndMss = 536; SndWscale = RcvWscale = 0; OfferWs = OfferTs = TsEnabled = false; OfferSack = SackEnabled = false; LastOooStart = 0;
        TsRecent = TsOffset = LastAckSent = 0; FinQueued = FinSent = false;
        Irs = RcvNxt = RcvAdvEdge = 0; HasOooFin = false; OooFinSeq = 0;
        SendBuf.Reset(); RecvBuf.Reset(); Ooo.Clear();
        RtoDeadline = DelAckDeadline = PersistDeadline = TimeWaitDeadline = TlpDeadline = 0; TlpOutstanding = false; Retries = PersistBackoff = 0; LastHeard = 0; KeepAlivesSent = 0;
        Srtt = RttVar = Rto = 0; HaveRtt = RttTiming = false; RttSeq = 0; RttStart = 0;
        Cwnd = Ssthresh = Recover = BytesAckedCa = 0; DupAcks = 0; InRecovery = false;
        AckNow = NeedOutput = false; SegsSinceAck = 0; DupAcksToSend = 0;
    }

    public uint DataEnd => SndBufSeq + (uint)SendBuf.Count;
    public uint FinSeq => DataEnd;
    public bool OurFinAcked => FinSent && Seq.Gt(SndUna, FinSeq);
    public bool IsSynchronized => State >= TcpState.Established;
}

internal sealed class TcpListenerEntry
{
    public int Generation = 1;
    public bool InUse;
    public Ipv4Address LocalIp;     // Any = every local address
    public ushort Port;
    public int[] Queue = null!;  // connection indices completed and waiting for accept
    public int QHead, QCount, Backlog;
    public int HalfOpen;
}
