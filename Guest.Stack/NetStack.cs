using System;
using System.Buffers.Binary;

namespace Guest.Stack;

/// <summary>
/// The whole stack for one interface: Ethernet, ARP, IPv4, ICMP, UDP and TCP over a device
/// <typeparamref name="TNic"/>. One event loop drives it, with no threads: call
/// <see cref="Poll"/> with the current time; it takes received batches from the device, runs
/// timers and hands transmit batches back. <see cref="NextDeadline"/> says when the next timer
/// is due, so the guest can sleep until then or until a packet arrives.
/// Socket calls (Connect, Write, Close, UdpSend…) take effect at the time of the last Poll and
/// queue their packets; the next Poll sends them.
/// </summary>
public sealed partial class NetStack<TNic> where TNic : struct, INetDevice
{
    private TNic _nic;
    private readonly PacketPool _pool;
    private readonly StackConfig _cfg;
    private readonly MacAddress _mac;
    private readonly int _mtu;
    private readonly PacketBuffer[] _rx;
    private readonly PacketBuffer[] _tx;
    private int _txCount;
    private readonly int _rxReserve;
    private ulong _now;
    private bool _started;
    private ushort _ipId;
    private XorShift _rng;
    private readonly ulong _secret;
    private int _icmpTokens;
    private ulong _icmpRefill;

    private readonly StackCounters _counters = new StackCounters();
    public StackCounters Counters => _counters;
    public StackConfig Config => _cfg;
    public MacAddress Mac => _mac;
    public Ipv4Address Address => _cfg.Address;
    public PacketPool Pool => _pool;
    /// <summary>The device, by reference (it is a struct held inside the stack).</summary>
    public ref TNic Device => ref _nic;
    /// <summary>Time of the last <see cref="Poll"/>, in ns.</summary>
    public ulong Now => _now;

    public NetStack(TNic nic, PacketPool pool, StackConfig config)
    {
        if (config.Validate() != ConfigError.None) throw new ArgumentException("stack configuration is invalid (address or gateway)");
        _nic = nic; _pool = pool; _cfg = config;
        _mac = nic.Mac;
        _mtu = nic.Mtu;
        if (_mtu < 576 || _mtu + Ethernet.HeaderLength > pool.SlotSize) throw new ArgumentException("device MTU does not fit the pool's slots");
        _rx = new PacketBuffer[Math.Max(1, config.RxBatchSize)];
        _tx = new PacketBuffer[Math.Max(1, config.TxQueueSize)];
        // Keep enough free buffers for the device to go on receiving (ACKs!) while TCP fills the transmit queue.
        _rxReserve = Math.Min(pool.Capacity / 4, 2 * _rx.Length);
        _rng = new XorShift(config.Seed);
        _secret = _rng.Next();
        _ipId = (ushort)_rng.Next();
        _icmpTokens = config.IcmpUnreachableBurst;
        InitArp();
        InitUdp();
        InitTcp();
    }

    /// <summary>
    /// Runs the stack once at time <paramref name="nowNanos"/> (monotonic): receives and processes
    /// what the device has (a batch at a time), fires due timers, sends what is ready.
    /// Returns the number of frames received.
    /// </summary>
    public int Poll(ulong nowNanos)
    {
        if (!_started)
        {
            // Calls made before the first Poll (Connect, UdpSend) armed timers at time 0: move
            // them to the clock the caller uses.
            RebaseTimers(nowNanos);
            _now = nowNanos;
            _started = true;
            SendGratuitousArp();
        }
        if (nowNanos > _now) _now = nowNanos;
        int received = 0;
        // A bounded number of batches per call keeps timers and transmissions from starving.
        for (int round = 0; round < 8; round++)
        {
            if (_pool.Available == 0 && _txCount > 0) Flush();
            int n = _nic.ReceiveBatch(_rx);
            if (n <= 0) break;
            if (n > _rx.Length) throw new InvalidOperationException("device returned more frames than asked for");
            Counters.Add(Counter.RxBatches);
            Counters.Add(Counter.RxFrames, n);
            for (int i = 0; i < n; i++)
            {
                var b = _rx[i];
                _rx[i] = PacketBuffer.None;
                if (!HandleFrame(b)) _pool.Return(b);
            }
            received += n;
            // ACKs for this batch go out together: one per connection, not one per segment.
            TcpOutputAll();
            if (n < _rx.Length) break;
        }
        ArpTimers();
        TcpTimers();
        TcpOutputAll();
        Flush();
        return received;
    }

    /// <summary>
    /// When Poll must next run even if no packet arrives: 0 when work is pending now,
    /// ulong.MaxValue when no timer is armed.
    /// </summary>
    public ulong NextDeadline
    {
        get
        {
            if (!_started || _txCount > 0) return 0;
            ulong d = ulong.MaxValue;
            ArpDeadline(ref d);
            TcpDeadline(ref d);
            return d;
        }
    }

    private void RebaseTimers(ulong delta)
    {
        for (int i = 0; i < _arpTime.Length; i++) if (_arpState[i] != ArpFree) _arpTime[i] += delta;
        for (int i = 0; i < _conns.Length; i++)
        {
            var c = _conns[i];
            if (!c.InUse) continue;
            if (c.RtoDeadline != 0) c.RtoDeadline += delta;
            if (c.RttTiming) c.RttStart += delta;
        }
    }

    // ---- transmit path ----------------------------------------------------------------------

    /// <summary>Room for one more outgoing packet without starving reception.</summary>
    internal bool CanTransmit => _pool.Available > _rxReserve && (_txCount < _tx.Length || FlushHasRoom());

    private bool FlushHasRoom()
    {
        Flush();
        return _txCount < _tx.Length;
    }

    /// <summary>Queues a finished frame; owns it from now on.</summary>
    private void Transmit(PacketBuffer b)
    {
        if (b.Length < 60 && b.Offset + 60 <= _pool.SlotSize)
        {
            // Pad to the Ethernet minimum ourselves: some devices (TAP) do not.
            _pool.SlotSpan(b.Slot).Slice(b.Offset + b.Length, 60 - b.Length).Clear();
            b.Length = 60;
        }
        if (_txCount == _tx.Length) Flush();
        if (_txCount == _tx.Length)
        {
            Counters.Add(Counter.TxQueueFull);
            _pool.Return(b);
            return;
        }
        _tx[_txCount++] = b;
    }

    /// <summary>Hands the transmit queue to the device; what it does not take stays queued, in order.</summary>
    private void Flush()
    {
        if (_txCount == 0) return;
        int n = _nic.SendBatch(new ReadOnlySpan<PacketBuffer>(_tx, 0, _txCount));
        if (n < 0 || n > _txCount) throw new InvalidOperationException("device accepted a bad number of frames");
        if (n > 0)
        {
            Counters.Add(Counter.TxBatches);
            Counters.Add(Counter.TxFrames, n);
        }
        if (n < _txCount) Counters.Add(Counter.TxDeviceBusy);
        for (int i = n; i < _txCount; i++) _tx[i - n] = _tx[i];
        _txCount -= n;
    }

    /// <summary>Rents a buffer for an outgoing IPv4 packet; the payload goes at <see cref="IpPayloadOffset"/>.</summary>
    private bool TryRentTx(out PacketBuffer b)
    {
        if (!_pool.TryRent(out b)) { Counters.Add(Counter.NoBuffers); return false; }
        return true;
    }

    internal const int IpPayloadOffset = Ethernet.HeaderLength + Ipv4.MinHeaderLength;

    /// <summary>Max payload of one IPv4 packet on this device.</summary>
    internal int MaxIpPayload => _mtu - Ipv4.MinHeaderLength;

    /// <summary>
    /// Completes an IPv4 packet whose payload (payloadLength bytes) is already at IpPayloadOffset:
    /// writes the IP and Ethernet headers and sends it or parks it until ARP resolves the next hop.
    /// Takes ownership of <paramref name="b"/> in every case.
    /// </summary>
    private void SendIp(PacketBuffer b, Ipv4Address dst, byte protocol, int payloadLength, bool dontFragment = true)
    {
        var slot = _pool.SlotSpan(b.Slot);
        b.Offset = 0;
        b.Length = IpPayloadOffset + payloadLength;
        Ipv4.Write(slot.Slice(Ethernet.HeaderLength), _cfg.Address, dst, protocol, payloadLength, _ipId++, 64, dontFragment);
        Ethernet.Write(slot, MacAddress.Broadcast, _mac, Ethernet.TypeIpv4);
        if (IsBroadcastAddress(dst))
        {
            Transmit(b);
            return;
        }
        Ipv4Address nextHop = dst;
        if (!_cfg.IsOnLink(dst))
        {
            if (_cfg.Gateway.IsAny) { Counters.Add(Counter.IpNoRoute); _pool.Return(b); return; }
            nextHop = _cfg.Gateway;
        }
        ResolveAndSend(b, nextHop);
    }

    /// <summary>255.255.255.255 or this subnet's directed broadcast (not for /31 and /32).</summary>
    internal bool IsBroadcastAddress(Ipv4Address a)
        => a.IsBroadcast || (_cfg.PrefixLength <= 30 && a.Value == (_cfg.Address.Value | ~_cfg.Netmask));

    internal bool HasRoute(Ipv4Address dst) => dst.IsBroadcast || _cfg.IsOnLink(dst) || !_cfg.Gateway.IsAny;

    // ---- receive path -----------------------------------------------------------------------

    /// <summary>Processes one frame; true if the frame's buffer was kept or reused (so not returned).</summary>
    private bool HandleFrame(PacketBuffer b)
    {
        var frame = _pool.Data(b);
        if (!Ethernet.TryParse(frame, out var eth)) { Counters.Add(Counter.EthTooShort); return false; }
        if (eth.Destination != _mac && !eth.Destination.IsBroadcast) { Counters.Add(Counter.EthNotForUs); return false; }
        switch (eth.EtherType)
        {
            case Ethernet.TypeArp: return ArpInput(b, frame.Slice(Ethernet.HeaderLength));
            case Ethernet.TypeIpv4: return IpInput(b, eth, frame.Slice(Ethernet.HeaderLength));
            case Ethernet.TypeVlan:
            case Ethernet.TypeQinQ:
                // Policy: this stack is one untagged interface. Tagged frames are dropped and counted.
                Counters.Add(Counter.EthVlanTagged); return false;
            default: Counters.Add(Counter.EthUnknownType); return false;
        }
    }

    private bool IpInput(PacketBuffer b, in EthernetHeader eth, ReadOnlySpan<byte> packet)
    {
        var r = Ipv4.TryParse(packet, out var ip);
        if (r == Ipv4Parse.BadChecksum) { Counters.Add(Counter.IpBadChecksum); return false; }
        if (r != Ipv4Parse.Ok) { Counters.Add(Counter.IpMalformed); return false; }
        bool broadcast = IsBroadcastAddress(ip.Destination);
        if (ip.Destination != _cfg.Address && !broadcast) { Counters.Add(Counter.IpNotForUs); return false; }
        // No reply can go to a broadcast, multicast or unspecified source, and a packet claiming to
        // come from our own address is spoofed (the "land" attack): drop them all.
        if (ip.Source.IsBroadcast || ip.Source.IsMulticast || ip.Source.IsAny || ip.Source == _cfg.Address)
        {
            Counters.Add(Counter.IpBadSource); return false;
        }
        // Policy: no reassembly. Fragments are dropped and counted; TCP never needs them (we send
        // MSS-sized segments with DF), and UDP senders must keep datagrams within the MTU.
        if (ip.IsFragment) { Counters.Add(Counter.IpFragmentDropped); return false; }
        if (ip.HeaderLength > Ipv4.MinHeaderLength) Counters.Add(Counter.IpOptionsSkipped);
        var payload = packet.Slice(ip.HeaderLength, ip.TotalLength - ip.HeaderLength);
        switch (ip.Protocol)
        {
            case Ipv4.ProtoIcmp: return IcmpInput(b, ip, broadcast, packet.Slice(0, ip.TotalLength));
            case Ipv4.ProtoUdp: return UdpInput(b, ip, broadcast, payload, packet.Slice(0, ip.TotalLength));
            case Ipv4.ProtoTcp:
                if (broadcast) { Counters.Add(Counter.IpNotForUs); return false; }
                TcpInput(ip, payload);
                return false;
            default: Counters.Add(Counter.IpUnknownProtocol); return false;
        }
    }

    // ---- ICMP ---------------------------------------------------------------------------------

    private bool IcmpInput(PacketBuffer b, in Ipv4Header ip, bool broadcast, ReadOnlySpan<byte> packet)
    {
        var icmp = packet.Slice(ip.HeaderLength);
        if (icmp.Length < Icmp.HeaderLength) { Counters.Add(Counter.IcmpMalformed); return false; }
        if (Checksum.Compute(icmp) != 0) { Counters.Add(Counter.IcmpBadChecksum); return false; }
        if (icmp[0] != Icmp.TypeEchoRequest || icmp[1] != 0) { Counters.Add(Counter.IcmpOtherTypes); return false; }
        Counters.Add(Counter.IcmpEchoRequests);
        if (broadcast) return false; // no replies to broadcast pings (smurf amplification)
        // Reply in place: the request's buffer becomes the reply, no copy (only headers change).
        var frame = _pool.Data(b);
        MacAddress requester = MacAddress.Read(frame.Slice(6));
        Ethernet.Write(frame, requester, _mac, Ethernet.TypeIpv4);
        var iph = frame.Slice(Ethernet.HeaderLength, ip.TotalLength);
        ip.Source.Write(iph.Slice(16));
        _cfg.Address.Write(iph.Slice(12));
        iph[8] = 64;
        iph[10] = 0; iph[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(iph.Slice(10), Checksum.Compute(iph.Slice(0, ip.HeaderLength)));
        var reply = iph.Slice(ip.HeaderLength);
        reply[0] = Icmp.TypeEchoReply;
        reply[2] = 0; reply[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(reply.Slice(2), Checksum.Compute(reply));
        b.Length = Ethernet.HeaderLength + ip.TotalLength;
        Counters.Add(Counter.IcmpEchoReplies);
        Transmit(b);
        return true;
    }

    /// <summary>Destination unreachable / port unreachable for a UDP datagram, token-bucket rate limited.</summary>
    private void SendPortUnreachable(in Ipv4Header ip, ReadOnlySpan<byte> offending)
    {
        if (_icmpRefill == 0) _icmpRefill = _now;
        while (_icmpRefill + _cfg.IcmpUnreachableInterval <= _now && _icmpTokens < _cfg.IcmpUnreachableBurst)
        {
            _icmpTokens++;
            _icmpRefill += _cfg.IcmpUnreachableInterval;
        }
        if (_icmpTokens >= _cfg.IcmpUnreachableBurst) _icmpRefill = _now;
        if (_icmpTokens == 0) { Counters.Add(Counter.IcmpUnreachableRateLimited); return; }
        if (!TryRentTx(out var b)) return;
        _icmpTokens--;
        // RFC 792: the offending IP header plus the first 8 bytes of its payload.
        int quote = Math.Min(offending.Length, ip.HeaderLength + 8);
        var msg = _pool.SlotSpan(b.Slot).Slice(IpPayloadOffset, Icmp.HeaderLength + quote);
        msg[0] = Icmp.TypeDestinationUnreachable; msg[1] = Icmp.CodePortUnreachable;
        msg[2] = 0; msg[3] = 0; msg[4] = 0; msg[5] = 0; msg[6] = 0; msg[7] = 0;
        offending.Slice(0, quote).CopyTo(msg.Slice(Icmp.HeaderLength));
        BinaryPrimitives.WriteUInt16BigEndian(msg.Slice(2), Checksum.Compute(msg));
        Counters.Add(Counter.IcmpUnreachableSent);
        SendIp(b, ip.Source, Ipv4.ProtoIcmp, msg.Length, dontFragment: false);
    }
}
