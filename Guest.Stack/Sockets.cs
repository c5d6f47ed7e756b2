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
