namespace Guest.Stack;

/// <summary>RFC 9293 connection states.</summary>
public enum TcpState { Closed, Listen, SynSent, SynReceived, Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait }

/// <summary>Results of socket calls: 0 or a count on success, one of these (negative) on failure.</summary>
public static class NetError
{
    public const int Ok = 0;
    /// <summary>Read: the peer closed its side and every byte has been read.</summary>
    public const int EndOfStream = -1;
    public const int ConnectionReset = -2;
    public const int TimedOut = -3;
    public const int ConnectionRefused = -4;
    /// <summary>The handle is stale (closed) or was never valid.</summary>
    public const int InvalidHandle = -5;
    /// <summary>Write after Close, or before a connect finished.</summary>
    public const int NotConnected = -6;
    public const int AddressInUse = -7;
    /// <summary>A fixed-size table (connections, listeners, UDP sockets, buffers) is full.</summary>
    public const int NoResources = -8;
    public const int MessageTooLong = -9;
    public const int NoRoute = -10;
    public const int InvalidArgument = -11;
}

/// <summary>A TCP connection handle: a table index plus a generation so stale handles are detected.</summary>
public readonly struct TcpHandle
{
    internal readonly int Index;
    internal readonly int Generation;
    internal TcpHandle(int index, int generation) { Index = index; Generation = generation; }
    public bool IsNone => Generation == 0;
}

public readonly struct ListenerHandle
{
    internal readonly int Index;
    internal readonly int Generation;
    internal ListenerHandle(int index, int generation) { Index = index; Generation = generation; }
    public bool IsNone => Generation == 0;
}

public readonly struct UdpHandle
{
    internal readonly int Index;
    internal readonly int Generation;
    internal UdpHandle(int index, int generation) { Index = index; Generation = generation; }
    public bool IsNone => Generation == 0;
}

/// <summary>Out-of-order byte ranges [Start, End) held in the receive ring, sorted, disjoint, non-adjacent.</summary>
internal sealed class OooRanges
{
    private readonly uint[] _start;
    private readonly uint[] _end;
    public int Count;

    public OooRanges(int capacity) { _start = new uint[capacity]; _end = new uint[capacity]; }

    public uint StartAt(int i) => _start[i];
    public uint EndAt(int i) => _end[i];
    public uint FirstStart => _start[0];
    public uint FirstEnd => _end[0];
    public uint LastEnd => _end[Count - 1];

    /// <summary>Adds a range, merging with neighbours; false (nothing changed) when it would need a slot and none is left.</summary>
    public bool Insert(uint s, uint e, uint origin)
    {
        // Positions are compared as offsets from origin (rcv.nxt), which all ranges lie beyond.
        uint os = s - origin, oe = e - origin;
        int i = 0;
        while (i < Count && _end[i] - origin < os) i++;         // ranges entirely before s (not touching)
        int j = i;
        while (j < Count && _start[j] - origin <= oe) j++;      // ranges i..j-1 overlap or touch [s,e)
        if (i == j)
        {
            if (Count == _start.Length) return false;
            for (int k = Count; k > i; k--) { _start[k] = _start[k - 1]; _end[k] = _end[k - 1]; }
            _start[i] = s; _end[i] = e; Count++;
            return true;
        }
        uint ns = _start[i] - origin < os ? _start[i] : s;
        uint ne = _end[j - 1] - origin > oe ? _end[j - 1] : e;
        _start[i] = ns; _end[i] = ne;
        int removed = j - i - 1;
        if (removed > 0)
        {
            for (int k = i + 1; k + removed < Count; k++) { _start[k] = _start[k + removed]; _end[k] = _end[k + removed]; }
            Count -= removed;
        }
        return true;
    }

    public void RemoveFirst()
    {
        for (int k = 1; k < Count; k++) { _start[k - 1] = _start[k]; _end[k - 1] = _end[k]; }
        Count--;
    }

    public void Clear() => Count = 0;
}

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
        RtoDeadline = DelAckDeadline = PersistDeadline = TimeWaitDeadline = TlpDeadline = 0; TlpOutstanding = false; Retries = PersistBackoff = 0;
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
