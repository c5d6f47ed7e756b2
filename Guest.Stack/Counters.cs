namespace Guest.Stack;

/// <summary>Every event the stack counts: traffic, and each reason a packet is dropped or refused.</summary>
public enum Counter
{
    RxFrames, TxFrames, RxBatches, TxBatches,
    // Ethernet
    EthTooShort, EthNotForUs, EthVlanTagged, EthUnknownType,
    // ARP
    ArpMalformed, ArpUnsupported, ArpRequestsReceived, ArpRepliesReceived, ArpRequestsSent, ArpRepliesSent,
    ArpQueueFull, ArpResolutionFailed, ArpCacheFull,
    // IPv4
    IpMalformed, IpBadChecksum, IpBadSource, IpNotForUs, IpFragmentDropped, IpUnknownProtocol, IpNoRoute, IpOptionsSkipped,
    // ICMP
    IcmpMalformed, IcmpBadChecksum, IcmpEchoRequests, IcmpEchoReplies, IcmpUnreachableSent,
    IcmpUnreachableRateLimited, IcmpOtherTypes,
    // UDP
    UdpMalformed, UdpBadChecksum, UdpNoSocket, UdpQueueFull, UdpDelivered,
    // TCP
    TcpMalformed, TcpBadChecksum, TcpNoSocket, TcpResetsSent, TcpResetsReceived, TcpChallengeAcks,
    TcpChallengeAckRateLimited, TcpOutOfWindow, TcpPawsRejected, TcpOutOfOrderQueued, TcpOutOfOrderDropped,
    TcpRetransmitTimeouts, TcpFastRetransmits, TcpTailLossProbes, TcpDuplicateAcks, TcpAckOfUnsentData, TcpOldAckDropped,
    TcpSynCookiesSent, TcpSynCookiesAccepted, TcpSynCookiesRejected, TcpAcceptQueueFull,
    TcpConnectionTableFull, TcpZeroWindowProbes, TcpKeepAlivesSent, TcpKeepAliveTimeouts, TcpTimeWaitReused, TcpConnectTimeouts, TcpSegmentsSent,
    TcpSegmentsReceived,
    // resources
    NoBuffers, TxQueueFull, TxDeviceBusy,
    Count_
}

/// <summary>Counters indexed by <see cref="Counter"/>; plain array, no allocation after construction.</summary>
public sealed class StackCounters
{
    private readonly ulong[] _values = new ulong[(int)Counter.Count_];

    public ulong this[Counter c] => _values[(int)c];
    internal void Add(Counter c) => _values[(int)c]++;
    internal void Add(Counter c, int n) => _values[(int)c] += (ulong)n;
}
