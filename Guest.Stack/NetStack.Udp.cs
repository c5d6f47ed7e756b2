using System;

namespace Guest.Stack;

// UDP: bind, send, receive. A received datagram stays in the frame buffer it arrived in until
// the application reads it (no copy inside the stack); each socket holds at most
// UdpQueuePerSocket such buffers and drops (counted) beyond that.
public sealed partial class NetStack<TNic>
{
    private ushort[] _udpPort = null!;
    private bool[] _udpUsed = null!;
    private int[] _udpGen = null!;
    private int _udpQ;                      // queue capacity per socket
    private PacketBuffer[] _udpBuf = null!; // [socket * _udpQ + k]
    private int[] _udpOff = null!, _udpLen = null!;
    private uint[] _udpFrom = null!;
    private ushort[] _udpFromPort = null!;
    private int[] _udpHead = null!, _udpCount = null!;

    private void InitUdp()
    {
        int n = Math.Max(1, _cfg.MaxUdpSockets);
        _udpQ = Math.Max(1, _cfg.UdpQueuePerSocket);
        _udpPort = new ushort[n]; _udpUsed = new bool[n]; _udpGen = new int[n];
        for (int i = 0; i < n; i++) _udpGen[i] = 1;
        _udpBuf = new PacketBuffer[n * _udpQ]; _udpOff = new int[n * _udpQ]; _udpLen = new int[n * _udpQ];
        _udpFrom = new uint[n * _udpQ]; _udpFromPort = new ushort[n * _udpQ];
        _udpHead = new int[n]; _udpCount = new int[n];
    }

    /// <summary>Binds a UDP port (1..65535).</summary>
    public int UdpBind(ushort port, out UdpHandle socket)
    {
        socket = default;
        if (port == 0) return NetError.InvalidArgument;
        int free = -1;
        for (int i = 0; i < _udpUsed.Length; i++)
        {
            if (_udpUsed[i] && _udpPort[i] == port) return NetError.AddressInUse;
            if (!_udpUsed[i] && free < 0) free = i;
        }
        if (free < 0) return NetError.NoResources;
        _udpUsed[free] = true; _udpPort[free] = port; _udpHead[free] = 0; _udpCount[free] = 0;
        socket = new UdpHandle(free, _udpGen[free]);
        return NetError.Ok;
    }

    private bool UdpValid(UdpHandle s) => (uint)s.Index < (uint)_udpUsed.Length && _udpUsed[s.Index] && _udpGen[s.Index] == s.Generation;

    public int UdpClose(UdpHandle s)
    {
        if (!UdpValid(s)) return NetError.InvalidHandle;
        int i = s.Index;
        while (_udpCount[i] > 0) UdpDequeue(i, out _, out _, out _, out _);
        _udpUsed[i] = false;
        _udpGen[i]++;
        if (_udpGen[i] == 0) _udpGen[i] = 1;
        return NetError.Ok;
    }

    /// <summary>Datagrams waiting on the socket.</summary>
    public int UdpPending(UdpHandle s) => UdpValid(s) ? _udpCount[s.Index] : 0;

    /// <summary>
    /// Copies the oldest waiting datagram into <paramref name="into"/> (truncating if it is
    /// longer) and returns its full length; 0 if none is waiting.
    /// </summary>
    public int UdpReceive(UdpHandle s, Span<byte> into, out Ipv4Address from, out ushort fromPort)
    {
        from = default; fromPort = 0;
        if (!UdpValid(s)) return NetError.InvalidHandle;
        int i = s.Index;
        if (_udpCount[i] == 0) return 0;
        int k = i * _udpQ + _udpHead[i];
        int len = _udpLen[k];
        var data = _pool.SlotSpan(_udpBuf[k].Slot).Slice(_udpOff[k], len);
        data.Slice(0, Math.Min(len, into.Length)).CopyTo(into);
        UdpDequeue(i, out _, out _, out from, out fromPort);
        return len == 0 ? 0 : len;
    }

    private void UdpDequeue(int i, out int off, out int len, out Ipv4Address from, out ushort fromPort)
    {
        int k = i * _udpQ + _udpHead[i];
        off = _udpOff[k]; len = _udpLen[k]; from = new Ipv4Address(_udpFrom[k]); fromPort = _udpFromPort[k];
        _pool.Return(_udpBuf[k]);
        _udpBuf[k] = PacketBuffer.None;
        _udpHead[i] = (_udpHead[i] + 1) % _udpQ;
        _udpCount[i]--;
    }

    /// <summary>Sends one datagram (at most MTU − 28 bytes: no fragmentation).</summary>
    public int UdpSend(UdpHandle s, Ipv4Address to, ushort port, ReadOnlySpan<byte> payload)
    {
        if (!UdpValid(s)) return NetError.InvalidHandle;
        if (payload.Length > MaxIpPayload - Udp.HeaderLength) return NetError.MessageTooLong;
        if (port == 0 || to.IsAny) return NetError.InvalidArgument;
        if (!HasRoute(to)) { Counters.Add(Counter.IpNoRoute); return NetError.NoRoute; }
        if (!TryRentTx(out var b)) return NetError.NoResources;
        var dgram = _pool.SlotSpan(b.Slot).Slice(IpPayloadOffset, Udp.HeaderLength + payload.Length);
        payload.CopyTo(dgram.Slice(Udp.HeaderLength));
        Udp.WriteHeader(dgram, _cfg.Address, to, _udpPort[s.Index], port);
        SendIp(b, to, Ipv4.ProtoUdp, dgram.Length, dontFragment: false);
        return payload.Length;
    }

    private bool UdpInput(PacketBuffer b, in Ipv4Header ip, bool broadcast, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> packet)
    {
        var r = Udp.TryParse(payload, ip.Source, ip.Destination, out var u);
        if (r == UdpParse.BadChecksum) { Counters.Add(Counter.UdpBadChecksum); return false; }
        if (r != UdpParse.Ok) { Counters.Add(Counter.UdpMalformed); return false; }
        int sock = -1;
        for (int i = 0; i < _udpUsed.Length; i++)
            if (_udpUsed[i] && _udpPort[i] == u.DestinationPort) { sock = i; break; }
        if (sock < 0)
        {
            Counters.Add(Counter.UdpNoSocket);
            if (!broadcast && !ip.Source.IsAny) SendPortUnreachable(ip, packet);
            return false;
        }
        if (_udpCount[sock] == _udpQ || _pool.Available <= _rxReserve) { Counters.Add(Counter.UdpQueueFull); return false; }
        int k = sock * _udpQ + (_udpHead[sock] + _udpCount[sock]) % _udpQ;
        _udpBuf[k] = b;
        // Payload position inside the slot: frame offset + Ethernet + IP header + UDP header.
        _udpOff[k] = b.Offset + Ethernet.HeaderLength + ip.HeaderLength + Udp.HeaderLength;
        _udpLen[k] = u.Length - Udp.HeaderLength;
        _udpFrom[k] = ip.Source.Value; _udpFromPort[k] = u.SourcePort;
        _udpCount[sock]++;
        Counters.Add(Counter.UdpDelivered);
        return true;
    }
}
