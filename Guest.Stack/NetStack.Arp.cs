using System;

namespace Guest.Stack;

// ARP (RFC 826): a small cache with expiry, requests with retries, replies, a bounded queue of
// packets waiting for resolution, and a gratuitous ARP when the stack starts.
public sealed partial class NetStack<TNic>
{
    private const byte ArpFree = 0, ArpPending = 1, ArpResolved = 2;

    private uint[] _arpIp = null!;
    private ulong[] _arpMac = null!;
    private byte[] _arpState = null!;
    private ulong[] _arpTime = null!;      // Resolved: expiry; Pending: next retry
    private int[] _arpTries = null!;
    private PacketBuffer[] _arpQ = null!;  // packets waiting for resolution, oldest first
    private uint[] _arpQHop = null!;
    private int _arpQCount;

    private void InitArp()
    {
        int n = Math.Max(1, _cfg.ArpCacheSize);
        _arpIp = new uint[n]; _arpMac = new ulong[n]; _arpState = new byte[n]; _arpTime = new ulong[n]; _arpTries = new int[n];
        _arpQ = new PacketBuffer[Math.Max(1, _cfg.ArpQueueSize)];
        _arpQHop = new uint[_arpQ.Length];
    }

    private int ArpFind(Ipv4Address ip)
    {
        for (int i = 0; i < _arpIp.Length; i++)
            if (_arpState[i] != ArpFree && _arpIp[i] == ip.Value) return i;
        return -1;
    }

    /// <summary>A slot for a new entry: a free one, else the resolved entry expiring first. -1 if all are pending.</summary>
    private int ArpAllocate()
    {
        int best = -1;
        for (int i = 0; i < _arpIp.Length; i++)
        {
            if (_arpState[i] == ArpFree) return i;
            if (_arpState[i] == ArpResolved && (best < 0 || _arpTime[i] < _arpTime[best])) best = i;
        }
        return best;
    }

    /// <summary>Looks up a resolved, unexpired entry (for tests and diagnostics).</summary>
    public bool TryGetArpEntry(Ipv4Address ip, out MacAddress mac)
    {
        int i = ArpFind(ip);
        if (i >= 0 && _arpState[i] == ArpResolved && _arpTime[i] > _now) { mac = new MacAddress(_arpMac[i]); return true; }
        mac = MacAddress.Zero;
        return false;
    }

    private void ResolveAndSend(PacketBuffer b, Ipv4Address nextHop)
    {
        int e = ArpFind(nextHop);
        if (e >= 0 && _arpState[e] == ArpResolved && _arpTime[e] > _now)
        {
            // In the entry's last sixth of life, ask the neighbour directly (unicast) while still
            // using the entry, so an active flow never stalls on an expiry.
            if (_arpTries[e] == 0 && _arpTime[e] - _now < _cfg.ArpEntryLifetime / 6)
            {
                _arpTries[e] = 1;
                SendArp(Arp.OpRequest, new MacAddress(_arpMac[e]), new MacAddress(_arpMac[e]), nextHop);
            }
            new MacAddress(_arpMac[e]).Write(_pool.SlotSpan(b.Slot));
            Transmit(b);
            return;
        }
        if (_arpQCount == _arpQ.Length) { Counters.Add(Counter.ArpQueueFull); _pool.Return(b); return; }
        if (e < 0 || _arpState[e] == ArpResolved)
        {
            // Unknown or expired: start resolving.
            if (e < 0) e = ArpAllocate();
            if (e < 0) { Counters.Add(Counter.ArpCacheFull); _pool.Return(b); return; }
            _arpIp[e] = nextHop.Value; _arpState[e] = ArpPending; _arpTries[e] = 0;
            _arpTime[e] = _now + _cfg.ArpRetryInterval;
            SendArp(Arp.OpRequest, MacAddress.Broadcast, MacAddress.Zero, nextHop);
        }
        _arpQ[_arpQCount] = b;
        _arpQHop[_arpQCount] = nextHop.Value;
        _arpQCount++;
    }

    /// <summary>Sends (in order) or drops every queued packet for <paramref name="hop"/>.</summary>
    private void ArpReleaseQueue(uint hop, bool send, ulong mac)
    {
        int w = 0;
        for (int r = 0; r < _arpQCount; r++)
        {
            if (_arpQHop[r] == hop)
            {
                var b = _arpQ[r];
                if (send) { new MacAddress(mac).Write(_pool.SlotSpan(b.Slot)); Transmit(b); }
                else { Counters.Add(Counter.ArpResolutionFailed); _pool.Return(b); }
            }
            else
            {
                _arpQ[w] = _arpQ[r]; _arpQHop[w] = _arpQHop[r]; w++;
            }
        }
        for (int i = w; i < _arpQCount; i++) _arpQ[i] = PacketBuffer.None;
        _arpQCount = w;
    }

    private void ArpLearn(int e, Ipv4Address ip, MacAddress mac)
    {
        bool wasPending = _arpState[e] == ArpPending;
        _arpIp[e] = ip.Value; _arpMac[e] = mac.Value; _arpState[e] = ArpResolved;
        _arpTime[e] = _now + _cfg.ArpEntryLifetime; _arpTries[e] = 0;
        if (wasPending || _arpQCount > 0) ArpReleaseQueue(ip.Value, true, mac.Value);
    }

    private bool ArpInput(PacketBuffer b, ReadOnlySpan<byte> body)
    {
        var r = Arp.TryParse(body, out var a);
        if (r == ArpParse.Malformed) { Counters.Add(Counter.ArpMalformed); return false; }
        if (r != ArpParse.Ok) { Counters.Add(Counter.ArpUnsupported); return false; }
        Counters.Add(a.Operation == Arp.OpRequest ? Counter.ArpRequestsReceived : Counter.ArpRepliesReceived);
        bool forUs = a.TargetIp == _cfg.Address;
        if (a.SenderMac.IsMulticast || a.SenderIp.IsBroadcast || a.SenderIp == _cfg.Address) return false;
        if (a.SenderIp.IsAny)
        {
            // An address probe (RFC 5227): someone checks whether our address is taken. Answer
            // so it finds the conflict, but learn nothing from a sender without an address.
            if (!forUs || a.Operation != Arp.OpRequest) return false;
            return ReplyInPlace(b, a);
        }
        // RFC 826: update an existing entry for the sender; add one only if the packet is for us.
        int e = ArpFind(a.SenderIp);
        if (e >= 0) ArpLearn(e, a.SenderIp, a.SenderMac);
        else if (forUs)
        {
            e = ArpAllocate();
            if (e >= 0) ArpLearn(e, a.SenderIp, a.SenderMac);
            else Counters.Add(Counter.ArpCacheFull);
        }
        if (!forUs || a.Operation != Arp.OpRequest) return false;
        return ReplyInPlace(b, a);
    }

    /// <summary>Turns the request in <paramref name="b"/> into our reply (no copy) and sends it.</summary>
    private bool ReplyInPlace(PacketBuffer b, in ArpPacket a)
    {
        var frame = _pool.SlotSpan(b.Slot).Slice(b.Offset);
        var reply = new ArpPacket
        {
            Operation = Arp.OpReply, SenderMac = _mac, SenderIp = _cfg.Address,
            TargetMac = a.SenderMac, TargetIp = a.SenderIp,
        };
        Ethernet.Write(frame, a.SenderMac, _mac, Ethernet.TypeArp);
        Arp.Write(frame.Slice(Ethernet.HeaderLength), reply);
        b.Length = Ethernet.HeaderLength + Arp.Length;
        Counters.Add(Counter.ArpRepliesSent);
        Transmit(b);
        return true;
    }

    private void SendArp(ushort op, MacAddress ethDst, MacAddress targetMac, Ipv4Address targetIp)
    {
        if (!TryRentTx(out var b)) return;
        var frame = _pool.SlotSpan(b.Slot);
        Ethernet.Write(frame, ethDst, _mac, Ethernet.TypeArp);
        var p = new ArpPacket { Operation = op, SenderMac = _mac, SenderIp = _cfg.Address, TargetMac = targetMac, TargetIp = targetIp };
        Arp.Write(frame.Slice(Ethernet.HeaderLength), p);
        b.Offset = 0; b.Length = Ethernet.HeaderLength + Arp.Length;
        if (op == Arp.OpRequest) Counters.Add(Counter.ArpRequestsSent); else Counters.Add(Counter.ArpRepliesSent);
        Transmit(b);
    }

    /// <summary>Announces our address (a request for ourselves) so neighbours update their caches.</summary>
    private void SendGratuitousArp() => SendArp(Arp.OpRequest, MacAddress.Broadcast, MacAddress.Zero, _cfg.Address);

    private void ArpTimers()
    {
        for (int i = 0; i < _arpIp.Length; i++)
        {
            if (_arpState[i] != ArpPending || _arpTime[i] > _now) continue;
            if (_arpTries[i] >= _cfg.ArpRetries)
            {
                _arpState[i] = ArpFree;
                ArpReleaseQueue(_arpIp[i], false, 0);
                continue;
            }
            _arpTries[i]++;
            _arpTime[i] = _now + _cfg.ArpRetryInterval;
            SendArp(Arp.OpRequest, MacAddress.Broadcast, MacAddress.Zero, new Ipv4Address(_arpIp[i]));
        }
    }

    private void ArpDeadline(ref ulong d)
    {
        for (int i = 0; i < _arpIp.Length; i++)
            if (_arpState[i] == ArpPending && _arpTime[i] < d) d = _arpTime[i];
    }
}
