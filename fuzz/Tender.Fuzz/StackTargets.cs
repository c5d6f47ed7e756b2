using System.Buffers.Binary;
using Guest.Stack;

namespace Tender.Fuzz;

/// <summary>
/// Guest.Stack's parsers on the host, each reached two ways: the layer's own TryParse on the
/// bytes, and the whole receive path of a running stack (10.0.0.2/24, a TCP listener on port 80,
/// a UDP socket on port 7, the peer 10.0.0.1 already in its ARP cache) fed frames built around the
/// input, with time moving on so timers fire. The stack throws only on programming errors, so no
/// exception is clean; its own invariant check runs after every poll.
/// <para>Input: frames, each a u16 BE length and that many bytes (the last one cut to what is
/// left). Per target a frame's bytes are the layer's: ethernet the whole frame; arp the ARP
/// payload; ipv4 the IP packet; icmp/udp/tcp the message after a valid IPv4 header from the peer,
/// with its checksum filled in (so mutations reach past the checksum test). For tcp the ACK field
/// is relative to the stack's initial sequence number (the seq of the last SYN it sent), so a
/// seed can complete a handshake and carry data whatever the stack's ISN.</para>
/// </summary>
internal static class StackTargets
{
    // Properties, not static fields: instrumented constructors must not run before the fork server.
    public static Ipv4Address StackIp => new(10, 0, 0, 2);
    public static Ipv4Address PeerIp => new(10, 0, 0, 1);
    public static MacAddress StackMac => new(0x02_00_00_00_00_02);
    public static MacAddress PeerMac => new(0x02_00_00_00_00_01);
    public const ushort TcpPort = 80, UdpPort = 7;
    public const int MaxFrames = 64;
    private static readonly string[] s_assemblies = ["Guest.Stack.dll"];

    public static readonly FuzzTarget Ethernet = new("ethernet",
        "Guest.Stack Ethernet.TryParse and the stack's frame dispatch (whole frames from the input)", s_assemblies,
        input => _ = RunFrames(input, Layer.Ethernet));
    public static readonly FuzzTarget Arp = new("arp",
        "Guest.Stack Arp.TryParse and the ARP cache/reply path (ARP payloads in valid Ethernet frames)", s_assemblies,
        input => _ = RunFrames(input, Layer.Arp));
    public static readonly FuzzTarget Ipv4 = new("ipv4",
        "Guest.Stack Ipv4.TryParse (header, options, lengths, checksum, fragments) and protocol dispatch", s_assemblies,
        input => _ = RunFrames(input, Layer.Ipv4));
    public static readonly FuzzTarget Icmp = new("icmp",
        "Guest.Stack ICMP input (echo, unreachable) behind a valid IPv4 header, checksum filled in", s_assemblies,
        input => _ = RunFrames(input, Layer.Icmp));
    public static readonly FuzzTarget Udp = new("udp",
        "Guest.Stack Udp.TryParse and UDP delivery/port-unreachable behind a valid IPv4 header, checksum filled in", s_assemblies,
        input => _ = RunFrames(input, Layer.Udp));
    public static readonly FuzzTarget Tcp = new("tcp",
        "Guest.Stack Tcp.TryParse/ParseOptions and the TCP state machine (listener, handshake, data, FIN/RST, out-of-order) behind a valid IPv4 header", s_assemblies,
        input => _ = RunFrames(input, Layer.Tcp));

    private enum Layer { Ethernet, Arp, Ipv4, Icmp, Udp, Tcp }

    /// <summary>The wire between the harness and the stack: frames to deliver, the ISN of the last SYN sent.</summary>
    private sealed class Wire(PacketPool pool)
    {
        public readonly PacketPool Pool = pool;
        public readonly Queue<byte[]> Inbound = new();
        public uint Isn;
    }

    private struct Nic(Wire wire) : INetDevice
    {
        public readonly MacAddress Mac => StackMac;
        public readonly int Mtu => 1500;

        public readonly int ReceiveBatch(Span<PacketBuffer> into)
        {
            int n = 0;
            while (n < into.Length && wire.Inbound.Count > 0 && wire.Pool.TryRent(out var b))
            {
                var frame = wire.Inbound.Dequeue();
                b.Length = Math.Min(frame.Length, b.Length);
                frame.AsSpan(0, b.Length).CopyTo(wire.Pool.Data(b));
                into[n++] = b;
            }
            return n;
        }

        public readonly int SendBatch(ReadOnlySpan<PacketBuffer> frames)
        {
            foreach (var b in frames)
            {
                var f = wire.Pool.Data(b);
                // Remember the stack's ISN (its SYN or SYN-ACK) so the input's ACKs can be relative to it.
                if (f.Length >= 54 && BinaryPrimitives.ReadUInt16BigEndian(f[12..]) == Guest.Stack.Ethernet.TypeIpv4
                    && f[23] == Guest.Stack.Ipv4.ProtoTcp)
                {
                    int tcp = 14 + (f[14] & 0xF) * 4;
                    if (f.Length >= tcp + 20 && (f[tcp + 13] & (byte)TcpFlags.Syn) != 0)
                        wire.Isn = BinaryPrimitives.ReadUInt32BigEndian(f[(tcp + 4)..]);
                }
                wire.Pool.Return(b);
            }
            return frames.Length;
        }
    }

    /// <summary>Runs target's input and returns the stack's counters (for tests that check a seed
    /// reaches what it is meant to: a handshake, an echo).</summary>
    internal static StackCounters Counters(string target, ReadOnlySpan<byte> input) =>
        RunFrames(input, Enum.Parse<Layer>(target, ignoreCase: true));

    private static StackCounters RunFrames(ReadOnlySpan<byte> input, Layer layer)
    {
        var config = new StackConfig();
        if (config.ApplyCommandLine("--ipv4=10.0.0.2/24 --ipv4-gateway=10.0.0.1") != ConfigError.None)
            throw new InvalidOperationException("the harness's stack configuration is invalid");
        var wire = new Wire(new PacketPool(128));
        var stack = new NetStack<Nic>(new Nic(wire), wire.Pool, config);
        stack.Listen(TcpPort, 4, out var listener);
        stack.UdpBind(UdpPort, out var udp);
        ulong now = 1_000_000_000;
        var open = new List<TcpHandle>();
        // The peer announces itself, so replies go out at once instead of waiting for ARP.
        wire.Inbound.Enqueue(ArpFrame(Guest.Stack.Arp.OpRequest, PeerMac, PeerIp, default, StackIp));
        Poll(stack, ref now, 0, listener, udp, open);

        int at = 0;
        for (int n = 0; n < MaxFrames && at < input.Length; n++)
        {
            int length = at + 2 <= input.Length ? BinaryPrimitives.ReadUInt16BigEndian(input[at..]) : 0;
            at = Math.Min(input.Length, at + 2);
            var chunk = input.Slice(at, Math.Min(length, input.Length - at));
            at += chunk.Length;
            Parse(chunk, layer);
            wire.Inbound.Enqueue(Frame(chunk, layer, wire.Isn));
            Poll(stack, ref now, 10_000_000, listener, udp, open);
        }
        // Let the timers run: delayed ACK, retransmission, ARP expiry, TIME-WAIT.
        Poll(stack, ref now, 2_000_000_000, listener, udp, open);
        Poll(stack, ref now, 70_000_000_000, listener, udp, open);
        return stack.Counters;
    }

    /// <summary>One poll, then what an echo server does: accept, echo what was read, close on a
    /// 'q' or once the peer has closed; answer UDP.</summary>
    private static void Poll(NetStack<Nic> stack, ref ulong now, ulong advance, ListenerHandle listener, UdpHandle udp, List<TcpHandle> open)
    {
        now += advance;
        stack.Poll(now);
        stack.CheckInvariants();
        Span<byte> buffer = stackalloc byte[2048];
        while (stack.TryAccept(listener, out var accepted)) open.Add(accepted);
        for (int i = open.Count - 1; i >= 0; i--)
        {
            var c = open[i];
            int read = stack.Read(c, buffer);
            if (read > 0) stack.Write(c, buffer[..read]);
            // A closed handle is invalid from then on (its slot may serve a new connection).
            if ((read > 0 && buffer[0] == (byte)'q') || stack.GetState(c) is TcpState.CloseWait or TcpState.Closed)
            {
                stack.Close(c);
                open.RemoveAt(i);
            }
        }
        while (stack.UdpPending(udp) > 0)
        {
            int got = stack.UdpReceive(udp, buffer, out var from, out ushort port);
            if (got >= 0) stack.UdpSend(udp, from, port, buffer[..got]);
        }
        stack.Poll(now);
        stack.CheckInvariants();
    }

    /// <summary>The layer's own parser on the bytes as they are.</summary>
    private static void Parse(ReadOnlySpan<byte> chunk, Layer layer)
    {
        switch (layer)
        {
            case Layer.Ethernet: Guest.Stack.Ethernet.TryParse(chunk, out _); break;
            case Layer.Arp: Guest.Stack.Arp.TryParse(chunk, out _); break;
            case Layer.Ipv4: Guest.Stack.Ipv4.TryParse(chunk, out _); break;
            case Layer.Udp: Guest.Stack.Udp.TryParse(chunk, PeerIp, StackIp, out _); break;
            case Layer.Tcp:
                Guest.Stack.Tcp.TryParse(chunk, PeerIp, StackIp, out _);
                var h = new TcpHeader { WindowScale = -1 };
                Guest.Stack.Tcp.ParseOptions(chunk.Length > 20 ? chunk[20..] : default, ref h);
                break;
        }
    }

    /// <summary>The Ethernet frame that carries chunk as the layer's bytes.</summary>
    private static byte[] Frame(ReadOnlySpan<byte> chunk, Layer layer, uint isn)
    {
        if (layer == Layer.Ethernet) return chunk.ToArray();
        if (layer == Layer.Arp) return EthernetFrame(chunk, Guest.Stack.Ethernet.TypeArp, broadcast: true);
        if (layer == Layer.Ipv4) return EthernetFrame(chunk, Guest.Stack.Ethernet.TypeIpv4, broadcast: false);
        var frame = new byte[14 + 20 + chunk.Length];
        Guest.Stack.Ethernet.Write(frame, StackMac, PeerMac, Guest.Stack.Ethernet.TypeIpv4);
        byte protocol = layer switch { Layer.Icmp => Guest.Stack.Ipv4.ProtoIcmp, Layer.Udp => Guest.Stack.Ipv4.ProtoUdp, _ => Guest.Stack.Ipv4.ProtoTcp };
        Guest.Stack.Ipv4.Write(frame.AsSpan(14), PeerIp, StackIp, protocol, chunk.Length, id: 1, ttl: 64, dontFragment: true);
        var message = frame.AsSpan(34);
        chunk.CopyTo(message);
        switch (layer)
        {
            case Layer.Icmp when message.Length >= 4:
                message[2] = message[3] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(message[2..], Checksum.Compute(message));
                break;
            case Layer.Udp when message.Length >= 8:
                // Over the datagram's own length field, as the receiver sums (when it fits).
                int length = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
                if (length < 8 || length > message.Length) length = message.Length;
                message[6] = message[7] = 0;
                ushort sum = Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(PeerIp, StackIp, Guest.Stack.Ipv4.ProtoUdp, length), message[..length]));
                BinaryPrimitives.WriteUInt16BigEndian(message[6..], sum == 0 ? (ushort)0xFFFF : sum);
                break;
            case Layer.Tcp when message.Length >= 20:
                BinaryPrimitives.WriteUInt32BigEndian(message[8..], BinaryPrimitives.ReadUInt32BigEndian(message[8..]) + isn);
                message[16] = message[17] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(message[16..],
                    Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(PeerIp, StackIp, Guest.Stack.Ipv4.ProtoTcp, message.Length), message)));
                break;
        }
        return frame;
    }

    private static byte[] EthernetFrame(ReadOnlySpan<byte> payload, ushort etherType, bool broadcast)
    {
        var frame = new byte[14 + payload.Length];
        Guest.Stack.Ethernet.Write(frame, broadcast ? new MacAddress(0xFFFF_FFFF_FFFFUL) : StackMac, PeerMac, etherType);
        payload.CopyTo(frame.AsSpan(14));
        return frame;
    }

    public static byte[] ArpFrame(ushort operation, MacAddress senderMac, Ipv4Address senderIp, MacAddress targetMac, Ipv4Address targetIp)
    {
        var payload = new byte[Guest.Stack.Arp.Length];
        Guest.Stack.Arp.Write(payload, new ArpPacket { Operation = operation, SenderMac = senderMac, SenderIp = senderIp, TargetMac = targetMac, TargetIp = targetIp });
        return EthernetFrame(payload, Guest.Stack.Ethernet.TypeArp, broadcast: true);
    }
}
