using System.Buffers.Binary;
using Guest.Stack;
using Guest.Stack.Tests.Support;

namespace Guest.Stack.Tests;

public class Ipv4Tests
{
    const uint Peer = StackHarness.PeerIp, Us = StackHarness.StackIp;

    [Fact]
    public void Header_round_trips_with_a_valid_checksum()
    {
        var buf = new byte[28];
        Ipv4.Write(buf, new Ipv4Address(Peer), new Ipv4Address(Us), Ipv4.ProtoUdp, 8, 0xBEEF, 17, true);
        Assert.Equal(0, Frames.Sum(buf.AsSpan(0, 20)));
        Assert.Equal(Ipv4Parse.Ok, Ipv4.TryParse(buf, out var h));
        Assert.Equal(20, h.HeaderLength); Assert.Equal(28, h.TotalLength);
        Assert.Equal(0xBEEF, h.Identification); Assert.True(h.DontFragment); Assert.False(h.IsFragment);
        Assert.Equal(17, h.Ttl); Assert.Equal(Ipv4.ProtoUdp, h.Protocol);
        Assert.Equal(Peer, h.Source.Value); Assert.Equal(Us, h.Destination.Value);
        // Our builder and the independent test builder agree byte for byte (same id/flags/ttl).
        var mine = Frames.Ip(Peer, Us, 17, new byte[8], 17, 0x4000);
        BinaryPrimitives.WriteUInt16BigEndian(mine.AsSpan(4), 0xBEEF);
        mine[10] = 0; mine[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(mine.AsSpan(10), Frames.Sum(mine.AsSpan(0, 20)));
        Assert.Equal(mine.AsSpan(0, 20).ToArray(), buf.AsSpan(0, 20).ToArray());
    }

    [Theory]
    [InlineData("version")]
    [InlineData("ihl-small")]
    [InlineData("ihl-beyond")]
    [InlineData("total-beyond")]
    [InlineData("total-below-ihl")]
    [InlineData("checksum")]
    public void Malformed_headers_are_rejected(string what)
    {
        var p = Frames.Ip(Peer, Us, 17, new byte[8]);
        switch (what)
        {
            case "version": p[0] = 0x65; break;
            case "ihl-small": p[0] = 0x44; break;
            case "ihl-beyond": p = p[..20]; p[0] = 0x46; break;
            case "total-beyond": BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 29); break;
            case "total-below-ihl": BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 19); break;
            case "checksum": p[8] ^= 1; break;
        }
        if (what != "checksum" && what != "ihl-beyond")
        {
            p[10] = 0; p[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), Frames.Sum(p.AsSpan(0, Math.Max(20, Math.Min(p.Length, (p[0] & 15) * 4)))));
        }
        var r = Ipv4.TryParse(p, out _);
        Assert.Equal(what == "checksum" ? Ipv4Parse.BadChecksum : Ipv4Parse.Malformed, r);
    }

    [Fact]
    public void Stack_counts_bad_checksums_fragments_and_foreign_destinations()
    {
        var h = new StackHarness().Started();
        var echo = Frames.IcmpEcho(8, 1, 1, new byte[4]);
        var bad = Frames.Ip(Peer, Us, 1, echo); bad[8] ^= 0x10;
        h.Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0800, bad));
        h.Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0800, Frames.Ip(Peer, Us, 1, echo, flagsFrag: 0x2000)));   // MF
        h.Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0800, Frames.Ip(Peer, Us, 1, echo, flagsFrag: 0x0010)));   // offset
        h.Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0800, Frames.Ip(Peer, 0x0A000009, 1, echo)));
        h.Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0800, Frames.Ip(Peer, Us, 99, echo)));
        h.Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0800, Frames.Ip(Us, Us, 1, echo)));            // land
        h.Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0800, Frames.Ip(0xFFFFFFFF, Us, 1, echo)));
        Assert.Empty(h.Poll());
        Assert.Equal(2UL, h.Counters[Counter.IpBadSource]);
        Assert.Equal(1UL, h.Counters[Counter.IpBadChecksum]);
        Assert.Equal(2UL, h.Counters[Counter.IpFragmentDropped]);
        Assert.Equal(1UL, h.Counters[Counter.IpNotForUs]);
        Assert.Equal(1UL, h.Counters[Counter.IpUnknownProtocol]);
    }

    [Fact]
    public void Options_are_skipped_and_ethernet_padding_ignored()
    {
        var h = new StackHarness().Started();
        var opts = new byte[] { 1, 1, 1, 0 }; // NOP NOP NOP EOL
        var ip = Frames.Ip(Peer, Us, 1, Frames.IcmpEcho(8, 7, 9, new byte[] { 1, 2 }), options: opts);
        var padded = new byte[ip.Length + 10];
        ip.CopyTo(padded, 0);
        h.Deliver(Frames.Eth(Frames.StackMac, Frames.PeerMac, 0x0800, padded));
        var f = Assert.Single(h.Poll());
        Assert.Equal(1UL, h.Counters[Counter.IpOptionsSkipped]);
        Assert.Equal(Ipv4Parse.Ok, Ipv4.TryParse(f.AsSpan(14), out var r));
        Assert.Equal(Icmp.TypeEchoReply, f[14 + r.HeaderLength]);
    }
}

public class IcmpTests
{
    const uint Peer = StackHarness.PeerIp, Us = StackHarness.StackIp;

    [Fact]
    public void Echo_request_gets_a_reply_with_the_same_identifier_sequence_and_data_in_the_same_buffer()
    {
        var h = new StackHarness().Started();
        int before = h.Wire.Pool.Available;
        var data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        h.DeliverIp(1, Frames.IcmpEcho(8, 0x1234, 42, data));
        var f = Assert.Single(h.Poll());
        Assert.Equal(Frames.PeerMac, f[..6]);
        var ip = f.AsSpan(14);
        Assert.Equal(0, Frames.Sum(ip.Slice(0, 20)));
        Assert.Equal(Us, BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(12)));
        Assert.Equal(Peer, BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(16)));
        var icmp = ip.Slice(20, BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2)) - 20);
        Assert.Equal(0, icmp[0]);
        Assert.Equal(0, Frames.Sum(icmp));
        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16BigEndian(icmp.Slice(4)));
        Assert.Equal(42, BinaryPrimitives.ReadUInt16BigEndian(icmp.Slice(6)));
        Assert.Equal(data, icmp.Slice(8).ToArray());
        Assert.Equal(before, h.Wire.Pool.Available);
        Assert.Equal(1UL, h.Counters[Counter.IcmpEchoReplies]);
    }

    [Fact]
    public void Bad_checksums_broadcast_pings_and_other_types_get_no_reply()
    {
        var h = new StackHarness().Started();
        var bad = Frames.IcmpEcho(8, 1, 1, new byte[4]); bad[9] ^= 1;
        h.DeliverIp(1, bad);
        h.DeliverIp(1, Frames.IcmpEcho(8, 1, 1, new byte[4]), dst: 0x0A0000FF);
        h.DeliverIp(1, Frames.IcmpEcho(13, 1, 1, new byte[4]));
        h.DeliverIp(1, new byte[3]);
        Assert.Empty(h.Poll());
        Assert.Equal(1UL, h.Counters[Counter.IcmpBadChecksum]);
        Assert.Equal(1UL, h.Counters[Counter.IcmpOtherTypes]);
        Assert.Equal(1UL, h.Counters[Counter.IcmpMalformed]);
        Assert.Equal(1UL, h.Counters[Counter.IcmpEchoRequests]);
    }

    [Fact]
    public void Closed_udp_port_gets_port_unreachable_quoting_the_datagram_rate_limited()
    {
        var h = new StackHarness().Started();
        var dgram = Frames.UdpPayload(Peer, Us, 1111, 2222, new byte[] { 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 });
        var original = Frames.Ip(Peer, Us, 17, dgram);
        h.DeliverIp(17, dgram);
        var f = Assert.Single(h.Poll());
        var ip = f.AsSpan(14);
        var icmp = ip.Slice(20, BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2)) - 20);
        Assert.Equal(3, icmp[0]); Assert.Equal(3, icmp[1]);
        Assert.Equal(0, Frames.Sum(icmp));
        Assert.Equal(original.AsSpan(0, 28).ToArray(), icmp.Slice(8).ToArray()); // IP header + 8 bytes
        for (int i = 0; i < 30; i++) h.DeliverIp(17, dgram);
        Assert.Equal(9, h.Poll().Count); // burst of 10 tokens, one already used
        Assert.Equal(21UL, h.Counters[Counter.IcmpUnreachableRateLimited]);
        for (int i = 0; i < 30; i++) h.DeliverIp(17, dgram);
        Assert.Equal(5, h.Poll(500_000_000).Count); // 100 ms per token
    }
}

public class UdpTests
{
    const uint Peer = StackHarness.PeerIp, Us = StackHarness.StackIp;

    [Fact]
    public void Parser_checks_length_and_checksum_and_accepts_zero_checksum()
    {
        var d = Frames.UdpPayload(Peer, Us, 10, 20, new byte[] { 1, 2, 3 });
        Assert.Equal(UdpParse.Ok, Udp.TryParse(d, new Ipv4Address(Peer), new Ipv4Address(Us), out var u));
        Assert.Equal(10, u.SourcePort); Assert.Equal(20, u.DestinationPort); Assert.Equal(11, u.Length);
        Assert.Equal(UdpParse.BadChecksum, Udp.TryParse(d, new Ipv4Address(Peer), new Ipv4Address(Us + 1), out _));
        d[6] = 0; d[7] = 0;
        Assert.Equal(UdpParse.Ok, Udp.TryParse(d, new Ipv4Address(Peer), new Ipv4Address(Us + 1), out _));
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(4), 12);
        Assert.Equal(UdpParse.Malformed, Udp.TryParse(d, default, default, out _));
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(4), 7);
        Assert.Equal(UdpParse.Malformed, Udp.TryParse(d, default, default, out _));
    }

    [Fact]
    public void Bind_receive_and_send()
    {
        var h = new StackHarness().Started();
        Assert.Equal(NetError.Ok, h.Stack.UdpBind(7, out var u));
        Assert.Equal(NetError.AddressInUse, h.Stack.UdpBind(7, out _));
        h.DeliverIp(17, Frames.UdpPayload(Peer, Us, 3333, 7, "hello"u8));
        Assert.Empty(h.Poll());
        Assert.Equal(1, h.Stack.UdpPending(u));
        var buf = new byte[64];
        int n = h.Stack.UdpReceive(u, buf, out var from, out var fromPort);
        Assert.Equal(5, n);
        Assert.Equal("hello"u8.ToArray(), buf[..5]);
        Assert.Equal(Peer, from.Value); Assert.Equal(3333, fromPort);
        Assert.Equal(0, h.Stack.UdpReceive(u, buf, out _, out _));

        Assert.Equal(3, h.Stack.UdpSend(u, from, fromPort, "abc"u8));
        var f = Assert.Single(h.Poll());
        var ip = f.AsSpan(14);
        var dg = ip.Slice(20, BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2)) - 20);
        Assert.Equal(0, Frames.Sum(dg, Frames.Pseudo(Us, Peer, 17, dg.Length)));
        Assert.Equal(7, BinaryPrimitives.ReadUInt16BigEndian(dg));
        Assert.Equal(3333, BinaryPrimitives.ReadUInt16BigEndian(dg.Slice(2)));
        Assert.Equal("abc"u8.ToArray(), dg.Slice(8).ToArray());
        Assert.Equal(NetError.MessageTooLong, h.Stack.UdpSend(u, from, 1, new byte[1473]));
        Assert.Equal(1472, h.Stack.UdpSend(u, from, 1, new byte[1472]));
        Assert.Equal(NetError.Ok, h.Stack.UdpClose(u));
        Assert.Equal(NetError.InvalidHandle, h.Stack.UdpSend(u, from, 1, new byte[1]));
    }

    [Fact]
    public void Receive_queue_is_bounded_and_buffers_return_to_the_pool()
    {
        var h = new StackHarness(c => c.UdpQueuePerSocket = 4).Started();
        int free = h.Wire.Pool.Available;
        h.Stack.UdpBind(7, out var u);
        for (int i = 0; i < 10; i++) h.DeliverIp(17, Frames.UdpPayload(Peer, Us, 1, 7, new[] { (byte)i }));
        h.Poll();
        Assert.Equal(4, h.Stack.UdpPending(u));
        Assert.Equal(6UL, h.Counters[Counter.UdpQueueFull]);
        Assert.Equal(free - 4, h.Wire.Pool.Available);
        var b = new byte[4];
        for (int i = 0; i < 4; i++) { Assert.Equal(1, h.Stack.UdpReceive(u, b, out _, out _)); Assert.Equal(i, b[0]); }
        Assert.Equal(free, h.Wire.Pool.Available);
    }
}

public class ConfigTests
{
    [Theory]
    [InlineData("--ipv4=10.0.0.2/24 --ipv4-gateway=10.0.0.1", ConfigError.None, 0x0A000002u, 24, 0x0A000001u)]
    [InlineData("app --ipv4=192.168.1.200/16 other", ConfigError.None, 0xC0A801C8u, 16, 0u)]
    [InlineData("--ipv4=10.0.0.2", ConfigError.None, 0x0A000002u, 24, 0u)]
    [InlineData("--ipv4=10.0.0.256/24", ConfigError.BadAddress, 0u, 24, 0u)]
    [InlineData("--ipv4=10.0.0/24", ConfigError.BadAddress, 0u, 24, 0u)]
    [InlineData("--ipv4=10.0.0.2/33", ConfigError.BadPrefix, 0u, 24, 0u)]
    [InlineData("--ipv4=10.0.0.2/", ConfigError.BadPrefix, 0u, 24, 0u)]
    [InlineData("--ipv4=10.0.0.2/x", ConfigError.BadPrefix, 0u, 24, 0u)]
    [InlineData("--ipv4=010.0.0.2/8", ConfigError.BadAddress, 0u, 24, 0u)]
    [InlineData("--ipv4=224.0.0.1/8", ConfigError.BadAddress, 0u, 24, 0u)]
    [InlineData("--ipv4=10.0.0.2/24 --ipv4-gateway=10.1.0.1", ConfigError.GatewayOutsideSubnet, 0x0A000002u, 24, 0x0A010001u)]
    [InlineData("--ipv4-gateway=10.0.0.1", ConfigError.MissingAddress, 0u, 24, 0x0A000001u)]
    [InlineData("", ConfigError.MissingAddress, 0u, 24, 0u)]
    public void Command_line_parser(string cmdline, ConfigError expected, uint addr, int prefix, uint gw)
    {
        var c = new StackConfig();
        Assert.Equal(expected, c.ApplyCommandLine(cmdline));
        Assert.Equal(addr, c.Address.Value);
        Assert.Equal(prefix, c.PrefixLength);
        Assert.Equal(gw, c.Gateway.Value);
    }

    [Fact]
    public void Address_formats_without_allocation_round_trip()
    {
        Span<char> buf = stackalloc char[16];
        foreach (var s in new[] { "0.0.0.0", "10.0.0.2", "255.255.255.255", "192.168.100.9" })
        {
            Assert.True(Ipv4Address.TryParse(s, out var a));
            int n = a.Format(buf);
            Assert.Equal(s, buf[..n].ToString());
        }
    }
}
