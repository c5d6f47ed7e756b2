using System.Buffers.Binary;
using Guest.Stack;
using Guest.Stack.Tests.Support;

namespace Guest.Stack.Tests;

public class EthernetTests
{
    [Fact]
    public void Header_round_trips_and_short_frames_are_rejected()
    {
        var buf = new byte[14];
        Ethernet.Write(buf, new MacAddress(0x0A0B0C0D0E0F), new MacAddress(0x010203040506), 0x0800);
        Assert.Equal(new byte[] { 10, 11, 12, 13, 14, 15, 1, 2, 3, 4, 5, 6, 8, 0 }, buf);
        Assert.True(Ethernet.TryParse(buf, out var h));
        Assert.Equal(0x0A0B0C0D0E0FUL, h.Destination.Value);
        Assert.Equal(0x010203040506UL, h.Source.Value);
        Assert.Equal(0x0800, h.EtherType);
        Assert.False(Ethernet.TryParse(buf.AsSpan(0, 13), out _));
    }

    [Fact]
    public void Frames_for_other_macs_vlan_tags_and_unknown_types_are_dropped_and_counted()
    {
        var h = new StackHarness().Started();
        byte[] other = { 0x02, 9, 9, 9, 9, 9 };
        h.Deliver(Frames.Eth(other, Frames.PeerMac, 0x0800, Frames.Ip(StackHarness.PeerIp, StackHarness.StackIp, 1, Frames.IcmpEcho(8, 1, 1, new byte[4]))));
        // 802.1Q tag: TPID 0x8100, TCI, then the real type.
        h.Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x8100, new byte[] { 0, 5, 0x08, 0x00, 0x45, 0, 0, 20 }));
        h.Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x86DD, new byte[40]));
        h.Deliver(new byte[10]);
        Assert.Empty(h.Poll());
        Assert.Equal(1UL, h.Counters[Counter.EthNotForUs]);
        Assert.Equal(1UL, h.Counters[Counter.EthVlanTagged]);
        Assert.Equal(1UL, h.Counters[Counter.EthUnknownType]);
        Assert.Equal(1UL, h.Counters[Counter.EthTooShort]);
    }

    [Fact]
    public void A_busy_device_keeps_frames_queued_in_order_until_it_takes_them()
    {
        var h = new StackHarness().Started();
        h.Wire.MaxSendPerBatch = 1;
        h.Stack.UdpBind(9, out var u);
        for (int i = 0; i < 5; i++) h.Stack.UdpSend(u, new Ipv4Address(StackHarness.PeerIp), 9, new[] { (byte)i });
        Assert.Single(h.Poll());
        Assert.Equal(0UL, h.Stack.NextDeadline);       // more to send: poll again at once
        Assert.True(h.Counters[Counter.TxDeviceBusy] > 0);
        var rest = new List<byte[]>();
        for (int i = 0; i < 4; i++) rest.AddRange(h.Poll());
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, rest.Select(f => f[14 + 20 + 8]));
        Assert.Equal(ulong.MaxValue, h.Stack.NextDeadline);
    }

    [Fact]
    public void Short_frames_are_padded_to_the_ethernet_minimum()
    {
        var h = new StackHarness();
        var sent = h.Poll();
        Assert.Single(sent);
        Assert.Equal(60, sent[0].Length); // gratuitous ARP: 42 bytes of content, padded
    }
}

public class ArpTests
{
    [Fact]
    public void Packet_round_trips_and_unsupported_hardware_is_refused()
    {
        var a = new ArpPacket { Operation = 1, SenderMac = new MacAddress(1), SenderIp = new Ipv4Address(10, 0, 0, 1), TargetMac = MacAddress.Zero, TargetIp = new Ipv4Address(10, 0, 0, 2) };
        var buf = new byte[28];
        Arp.Write(buf, a);
        Assert.Equal(Frames.ArpPayload(1, new byte[] { 0, 0, 0, 0, 0, 1 }, 0x0A000001, new byte[6], 0x0A000002), buf);
        Assert.Equal(ArpParse.Ok, Arp.TryParse(buf, out var b));
        Assert.Equal(a.SenderIp, b.SenderIp); Assert.Equal(a.TargetIp, b.TargetIp); Assert.Equal(a.SenderMac, b.SenderMac);
        buf[1] = 6; // hardware type 6 (IEEE 802)
        Assert.Equal(ArpParse.Unsupported, Arp.TryParse(buf, out _));
        Assert.Equal(ArpParse.Malformed, Arp.TryParse(buf.AsSpan(0, 5), out _));
        buf[1] = 1;
        Assert.Equal(ArpParse.Malformed, Arp.TryParse(buf.AsSpan(0, 20), out _));
    }

    [Fact]
    public void First_poll_announces_our_address_with_a_gratuitous_arp()
    {
        var h = new StackHarness();
        var f = Assert.Single(h.Poll());
        Assert.Equal(Frames.BroadcastMac, f[..6]);
        Assert.Equal((ushort)0x0806, StackHarness.EtherType(f));
        Assert.Equal(ArpParse.Ok, Arp.TryParse(f.AsSpan(14), out var a));
        Assert.Equal(Arp.OpRequest, a.Operation);
        Assert.Equal(StackHarness.StackIp, a.SenderIp.Value);
        Assert.Equal(StackHarness.StackIp, a.TargetIp.Value);
    }

    [Fact]
    public void Request_for_our_address_is_answered_and_the_sender_is_cached()
    {
        var h = new StackHarness();
        h.Poll();
        h.Deliver(Frames.Eth(Frames.BroadcastMac, Frames.PeerMac, 0x0806, Frames.ArpPayload(1, Frames.PeerMac, StackHarness.PeerIp, new byte[6], StackHarness.StackIp)));
        var f = Assert.Single(h.Poll());
        Assert.Equal(Frames.PeerMac, f[..6]);
        Assert.Equal(ArpParse.Ok, Arp.TryParse(f.AsSpan(14), out var a));
        Assert.Equal(Arp.OpReply, a.Operation);
        Assert.Equal(h.Stack.Mac, a.SenderMac);
        Assert.Equal(StackHarness.StackIp, a.SenderIp.Value);
        Assert.Equal(0x020000000001UL, a.TargetMac.Value);
        Assert.Equal(StackHarness.PeerIp, a.TargetIp.Value);
        Assert.True(h.Stack.TryGetArpEntry(new Ipv4Address(StackHarness.PeerIp), out var mac));
        Assert.Equal(0x020000000001UL, mac.Value);
    }

    [Fact]
    public void Address_probes_for_our_address_are_answered_without_learning()
    {
        var h = new StackHarness();
        h.Poll();
        h.Deliver(Frames.Eth(Frames.BroadcastMac, Frames.PeerMac, 0x0806, Frames.ArpPayload(1, Frames.PeerMac, 0, new byte[6], StackHarness.StackIp)));
        var f = Assert.Single(h.Poll());
        Assert.Equal(Frames.PeerMac, f[..6]);
        Assert.Equal(ArpParse.Ok, Arp.TryParse(f.AsSpan(14), out var a));
        Assert.Equal(Arp.OpReply, a.Operation);
        Assert.Equal(StackHarness.StackIp, a.SenderIp.Value);
        Assert.False(h.Stack.TryGetArpEntry(Ipv4Address.Any, out _));
    }

    [Fact]
    public void Request_for_another_address_is_ignored_and_not_cached()
    {
        var h = new StackHarness();
        h.Poll();
        h.Deliver(Frames.Eth(Frames.BroadcastMac, Frames.PeerMac, 0x0806, Frames.ArpPayload(1, Frames.PeerMac, StackHarness.PeerIp, new byte[6], 0x0A000063)));
        Assert.Empty(h.Poll());
        Assert.False(h.Stack.TryGetArpEntry(new Ipv4Address(StackHarness.PeerIp), out _));
    }

    [Fact]
    public void Packets_wait_for_resolution_and_leave_in_order_once_the_reply_comes()
    {
        var h = new StackHarness();
        h.Poll();
        Assert.Equal(NetError.Ok, h.Stack.UdpBind(5000, out var u));
        Assert.Equal(1, h.Stack.UdpSend(u, new Ipv4Address(10, 0, 0, 7), 9, new byte[] { 1 }));
        Assert.Equal(1, h.Stack.UdpSend(u, new Ipv4Address(10, 0, 0, 7), 9, new byte[] { 2 }));
        var req = Assert.Single(h.Poll());
        Assert.Equal(ArpParse.Ok, Arp.TryParse(req.AsSpan(14), out var a));
        Assert.Equal(0x0A000007U, a.TargetIp.Value);
        byte[] mac7 = { 2, 0, 0, 0, 0, 7 };
        h.Deliver(Frames.Eth(Frames.StackMac, mac7, 0x0806, Frames.ArpPayload(2, mac7, 0x0A000007, Frames.StackMac, StackHarness.StackIp)));
        var sent = h.Poll();
        Assert.Equal(2, sent.Count);
        Assert.Equal(mac7, sent[0][..6]);
        Assert.Equal(1, sent[0][14 + 20 + 8]);
        Assert.Equal(2, sent[1][14 + 20 + 8]);
    }

    [Fact]
    public void Requests_are_retried_then_waiting_packets_are_dropped_and_counted()
    {
        var h = new StackHarness();
        h.Poll();
        h.Stack.UdpBind(5000, out var u);
        h.Stack.UdpSend(u, new Ipv4Address(10, 0, 0, 7), 9, new byte[] { 1 });
        Assert.Single(h.Poll());
        Assert.Equal(h.Now + 1_000_000_000, h.Stack.NextDeadline);
        Assert.Empty(h.Poll(999_000_000));
        for (int i = 0; i < 3; i++) Assert.Single(h.Poll(1_000_000_000)); // three retries, a second apart
        Assert.Empty(h.Poll(1_000_000_000));
        Assert.Equal(1UL, h.Counters[Counter.ArpResolutionFailed]);
        Assert.Equal(5UL, h.Counters[Counter.ArpRequestsSent]); // gratuitous + first + 3 retries
        Assert.Equal(ulong.MaxValue, h.Stack.NextDeadline);
    }

    [Fact]
    public void The_resolution_queue_is_bounded()
    {
        var h = new StackHarness(c => c.ArpQueueSize = 4);
        h.Poll();
        h.Stack.UdpBind(5000, out var u);
        for (int i = 0; i < 10; i++) h.Stack.UdpSend(u, new Ipv4Address(10, 0, 0, 7), 9, new byte[] { (byte)i });
        h.Poll();
        Assert.Equal(6UL, h.Counters[Counter.ArpQueueFull]);
        Assert.Equal(512 - 4, h.Wire.Pool.Available); // the 6 dropped buffers went back to the pool
    }

    [Fact]
    public void Entries_expire_and_are_resolved_again()
    {
        var h = new StackHarness().Started();
        Assert.True(h.Stack.TryGetArpEntry(new Ipv4Address(StackHarness.PeerIp), out _));
        h.Poll(61_000_000_000);
        Assert.False(h.Stack.TryGetArpEntry(new Ipv4Address(StackHarness.PeerIp), out _));
        h.Stack.UdpBind(5000, out var u);
        h.Stack.UdpSend(u, new Ipv4Address(StackHarness.PeerIp), 9, new byte[] { 1 });
        var f = Assert.Single(h.Poll());
        Assert.Equal((ushort)0x0806, StackHarness.EtherType(f));
    }

    [Fact]
    public void Entries_in_use_are_refreshed_by_unicast_before_they_expire()
    {
        var h = new StackHarness().Started();
        h.Stack.UdpBind(5000, out var u);
        h.Poll(51_000_000_000);                                  // 9 s of life left (< 60 s / 6)
        h.Stack.UdpSend(u, new Ipv4Address(StackHarness.PeerIp), 9, new byte[] { 1 });
        var sent = h.Poll();
        Assert.Equal(2, sent.Count);
        var req = sent.Single(f => StackHarness.EtherType(f) == 0x0806);
        Assert.Equal(Frames.PeerMac, req[..6]);                  // unicast to the known MAC
        Assert.Contains(sent, f => StackHarness.EtherType(f) == 0x0800);   // and the datagram went out at once
        h.Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0806, Frames.ArpPayload(2, Frames.PeerMac, StackHarness.PeerIp, Frames.StackMac, StackHarness.StackIp)));
        h.Poll(20_000_000_000);                                  // past the old expiry
        Assert.True(h.Stack.TryGetArpEntry(new Ipv4Address(StackHarness.PeerIp), out _));
        h.Stack.UdpSend(u, new Ipv4Address(StackHarness.PeerIp), 9, new byte[] { 2 });
        Assert.Equal((ushort)0x0800, StackHarness.EtherType(Assert.Single(h.Poll())));
    }

    [Fact]
    public void Off_link_destinations_go_through_the_gateway()
    {
        var h = new StackHarness().Started(); // the peer 10.0.0.1 is also the gateway
        h.Stack.UdpBind(5000, out var u);
        h.Stack.UdpSend(u, new Ipv4Address(8, 8, 8, 8), 53, new byte[] { 1 });
        var f = Assert.Single(h.Poll());
        Assert.Equal(Frames.PeerMac, f[..6]);
        Assert.Equal(0x08080808U, BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(14 + 16)));
    }
}
