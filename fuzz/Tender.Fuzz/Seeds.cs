using System.Buffers.Binary;
using Guest.Stack;
using Tender.Manifest;

namespace Tender.Fuzz;

/// <summary>
/// Generated seeds for the targets whose input is the harness's own encoding (hypercalls, ring,
/// ixgbe, the stack layers): well-formed requests a real guest or peer makes, so the fuzzer starts
/// from the deep paths. ELF and manifest seeds are real files (fuzz/corpus/*/, see scripts/fuzz).
/// </summary>
public static class Seeds
{
    public static IEnumerable<(string Name, byte[] Bytes)> For(string target) => target switch
    {
        "manifest-note" => ManifestNotes(),
        "hypercalls" => Hypercalls(),
        "ring" => Ring(),
        "ixgbe" => Ixgbe(),
        "gdb" => Gdb(),
        "ethernet" or "arp" or "ipv4" or "icmp" or "udp" or "tcp" => Stack(target),
        _ => [],
    };

    private static IEnumerable<(string, byte[])> ManifestNotes()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Corpus.RepositoryRoot, "manifests"), "*.json")
                     .Concat(Directory.GetFiles(Path.Combine(Corpus.RepositoryRoot, "samples"), "manifest.json", SearchOption.AllDirectories)))
        {
            AppManifest m;
            try { m = ManifestJson.Parse(File.ReadAllText(file)); }
            catch (ManifestFormatException) { continue; }
            string name = Path.GetFileName(file) == "manifest.json" ? Path.GetFileName(Path.GetDirectoryName(file)!) : Path.GetFileNameWithoutExtension(file);
            yield return ($"{name}.mft", Solo5Mft.Encode(m));
        }
    }

    private static byte[] Calls(ReadOnlySpan<(byte N, uint Arg)> calls, byte[] image)
    {
        var b = new byte[1 + calls.Length * HypercallTarget.CallSize + image.Length];
        b[0] = (byte)(calls.Length - 1);
        for (int i = 0; i < calls.Length; i++)
        {
            b[1 + i * 5] = calls[i].N;
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(2 + i * 5), calls[i].Arg);
        }
        image.CopyTo(b, 1 + calls.Length * HypercallTarget.CallSize);
        return b;
    }

    /// <summary>A memory image at 0x1000: argument structs at 0x1000 + 64·k, data at 0x1800.</summary>
    private static byte[] Image(params ulong[][] structs)
    {
        var image = new byte[0x900];
        for (int k = 0; k < structs.Length; k++)
            for (int f = 0; f < structs[k].Length; f++)
                BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(64 * k + 8 * f), structs[k][f]);
        "hello from the fuzz seed\n"u8.CopyTo(image.AsSpan(0x800));
        return image;
    }

    private static IEnumerable<(string, byte[])> Hypercalls()
    {
        const ulong data = 0x1800;
        yield return ("walltime", Calls([(1, 0x1000)], Image([0])));
        yield return ("puts", Calls([(2, 0x1000)], Image([data, 25])));
        yield return ("poll", Calls([(3, 0x1000)], Image([1000, 0, 0])));
        yield return ("blkwrite-blkread", Calls([(4, 0x1000), (5, 0x1040)], Image([1, 0, data, 512, 0], [1, 512, data, 512, 0])));
        yield return ("netwrite-netread", Calls([(6, 0x1000), (7, 0x1040)], Image([2, data, 60, 0], [2, 0x2000 + 0x20000, 1514, 0])));
        yield return ("halt", Calls([(2, 0x1000), (8, 0x1040)], Image([data, 25], [0, 3])));
        yield return ("halt-cookie", Calls([(8, 0x1000)], Image([data, 1])));
        yield return ("bad-number", Calls([(9, 0x1000)], Image([0])));
    }

    private static byte[] RingInput(byte flags, ReadOnlySpan<(uint Op, uint Handle, ulong Data, uint Length, uint Id)> entries, byte[] image)
    {
        var b = new byte[2 + entries.Length * RingTarget.EntryBytes + image.Length];
        b[0] = flags;
        b[1] = (byte)entries.Length;
        for (int i = 0; i < entries.Length; i++)
        {
            var e = b.AsSpan(2 + i * RingTarget.EntryBytes);
            BinaryPrimitives.WriteUInt32LittleEndian(e, entries[i].Op);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], entries[i].Handle);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], entries[i].Data);
            BinaryPrimitives.WriteUInt32LittleEndian(e[16..], entries[i].Length);
            BinaryPrimitives.WriteUInt32LittleEndian(e[20..], entries[i].Id);
        }
        image.CopyTo(b, 2 + entries.Length * RingTarget.EntryBytes);
        return b;
    }

    private static IEnumerable<(string, byte[])> Ring()
    {
        var frame = new byte[64];
        frame.AsSpan(0, 6).Fill(0xFF);
        frame[12] = 0x08; frame[13] = 0x06;
        yield return ("write", RingInput(0, [(1, 2, 0x1000, 60, 1)], frame));
        yield return ("read", RingInput(1, [(2, 2, 0x20000, 2048, 7)], []));
        yield return ("write-read-mixed", RingInput(2, [(1, 2, 0x1000, 60, 1), (2, 2, 0x20000, 2048, 2), (2, 2, 0x20800, 2048, 3), (2, 1, 0x21000, 2048, 4), (3, 2, 0x1000, 60, 5)], frame));
        yield return ("bad-buffer", RingInput(0, [(1, 2, 0x10000, 60, 1)], frame));
    }

    private static IEnumerable<(string, byte[])> Ixgbe()
    {
        var ops = new List<byte>();
        void Mmio(bool write, uint offset, uint value)
        {
            ops.Add((byte)((write ? 0 : 1) | 2 << 2)); // size 4
            ops.Add((byte)offset); ops.Add((byte)(offset >> 8)); ops.Add((byte)(offset >> 16));
            if (write) ops.AddRange(BitConverter.GetBytes(value));
        }
        void Dma(int offset, ReadOnlySpan<byte> bytes)
        {
            ops.Add(3); ops.Add((byte)offset); ops.Add((byte)(offset >> 8)); ops.Add((byte)bytes.Length);
            ops.AddRange(bytes.ToArray());
        }
        const uint ringRx = 0x0000, ringTx = 0x1000, bufRx = 0x2000, bufTx = 0x8000;
        ulong b = IxgbeTarget.DmaBase;
        // What a driver does (ixy's order): mask interrupts, reset, wait, link, RX queue 0, TX queue 0.
        Mmio(true, 0x888, 0x7FFFFFFF);
        Mmio(true, 0x0, 0x04000008);
        for (int i = 0; i < 4; i++) Mmio(false, 0x0, 0);
        Mmio(false, 0x10010, 0);
        Mmio(false, 0x2F00, 0);
        Mmio(true, 0x42A0, 0x3 << 13 | 0x1000);
        Mmio(true, 0x3C00, 0x20000);
        Mmio(true, 0x4240, 0x403);
        Mmio(true, 0x2F00, 0x2);
        Mmio(true, 0x5080, 0x700);
        Mmio(true, 0x2100, 0x02000002);
        Mmio(true, 0x1000, (uint)(b + ringRx)); Mmio(true, 0x1004, (uint)((b + ringRx) >> 32));
        Mmio(true, 0x1008, 8 * 16); Mmio(true, 0x1010, 0); Mmio(true, 0x1018, 0);
        var desc = new byte[16];
        for (int i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(desc, b + bufRx + (ulong)i * 2048);
            Dma((int)ringRx + 16 * i, desc);
        }
        Mmio(true, 0x3000, 1);
        Mmio(true, 0x1028, 0x02000000); Mmio(false, 0x1028, 0);
        Mmio(true, 0x1018, 7);
        Mmio(true, 0x4A80, 1);
        Mmio(true, 0x6000, (uint)(b + ringTx)); Mmio(true, 0x6004, (uint)((b + ringTx) >> 32));
        Mmio(true, 0x6008, 8 * 16); Mmio(true, 0x6010, 0); Mmio(true, 0x6018, 0);
        Mmio(true, 0x6028, 0x02000000 | 36 | 8 << 8 | 4 << 16);
        for (int i = 0; i < 8; i++) Mmio(false, 0x42A4, 0); // LINKS until up
        var init = ops.ToArray();
        yield return ("init", init);
        // A frame arrives.
        var frame = new byte[60];
        frame.AsSpan(0, 6).Fill(0xFF);
        frame[12] = 0x08; frame[13] = 0x06;
        ops.Add(2); ops.Add(60); ops.Add(0); ops.AddRange(frame);
        Mmio(false, 0x1010, 0);
        yield return ("init-receive", ops.ToArray());
        // A frame sent: buffer, advanced data descriptor, TDT.
        ops.Clear(); ops.AddRange(init);
        Dma((int)bufTx, frame);
        BinaryPrimitives.WriteUInt64LittleEndian(desc, b + bufTx);
        BinaryPrimitives.WriteUInt32LittleEndian(desc.AsSpan(8), 0x01000000 | 0x02000000 | 0x08000000 | 0x20000000 | 0x00300000 | 60);
        BinaryPrimitives.WriteUInt32LittleEndian(desc.AsSpan(12), 60u << 14);
        Dma((int)ringTx, desc);
        Mmio(true, 0x6018, 1);
        Mmio(false, 0x6010, 0);
        Mmio(false, 0x4080, 0);
        yield return ("init-transmit", ops.ToArray());
    }

    private static byte[] Chunks(params byte[][] chunks)
    {
        var b = new List<byte>();
        foreach (var c in chunks) { b.Add((byte)(c.Length >> 8)); b.Add((byte)c.Length); b.AddRange(c); }
        return b.ToArray();
    }

    private static byte[] Tcp(uint seq, uint relativeAck, TcpFlags flags, byte[] payload, bool synOptions = false)
    {
        int hl = 20 + (synOptions ? Guest.Stack.Tcp.OptionsLength(1460, 7, true, true) : 0);
        var s = new byte[hl + payload.Length];
        payload.CopyTo(s, hl);
        Guest.Stack.Tcp.WriteHeader(s, StackTargets.PeerIp, StackTargets.StackIp, 40000, StackTargets.TcpPort, seq, relativeAck, flags, 65535,
            synOptions ? 1460 : 0, synOptions ? 7 : -1, synOptions, 1, 0, synOptions, ReadOnlySpan<uint>.Empty);
        return s;
    }

    private static byte[] Ip(byte protocol, byte[] payload)
    {
        var p = new byte[20 + payload.Length];
        payload.CopyTo(p, 20);
        Guest.Stack.Ipv4.Write(p, StackTargets.PeerIp, StackTargets.StackIp, protocol, payload.Length, 7, 64, true);
        return p;
    }

    private static byte[] Udp(ushort port, byte[] payload)
    {
        var d = new byte[8 + payload.Length];
        payload.CopyTo(d, 8);
        Guest.Stack.Udp.WriteHeader(d, StackTargets.PeerIp, StackTargets.StackIp, 5000, port);
        return d;
    }

    private static byte[] Echo(byte type, int length)
    {
        var m = new byte[8 + length];
        m[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(6), 1);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), Checksum.Compute(m));
        return m;
    }

    private static IEnumerable<(string, byte[])> Stack(string target)
    {
        var hello = "hello"u8.ToArray();
        const TcpFlags ack = TcpFlags.Ack;
        var syn = Tcp(1000, 0, TcpFlags.Syn, [], synOptions: true);
        var handshake = new[] { syn, Tcp(1001, 1, ack, []) };
        var tcpSessions = new (string, byte[][])[]
        {
            ("syn", [syn]),
            ("handshake-data-fin", [.. handshake, Tcp(1001, 1, ack | TcpFlags.Psh, hello), Tcp(1006, 6, ack | TcpFlags.Fin, [])]),
            ("handshake-out-of-order", [.. handshake, Tcp(1006, 1, ack, hello), Tcp(1001, 1, ack, hello), Tcp(1011, 6, TcpFlags.Rst, [])]),
            ("handshake-quit", [.. handshake, Tcp(1001, 1, ack | TcpFlags.Psh, "quit"u8.ToArray()), Tcp(1005, 6, ack, []), Tcp(1005, 7, ack | TcpFlags.Fin, [])]),
            ("stray-ack", [Tcp(5, 5, ack, hello)]),
        };
        var udp = new (string, byte[][])[] { ("echo", [Udp(StackTargets.UdpPort, hello)]), ("closed-port", [Udp(9999, hello)]) };
        var icmp = new (string, byte[][])[] { ("echo-request", [Echo(8, 32)]), ("echo-reply", [Echo(0, 8)]), ("unreachable", [Echo(3, 28)]) };
        switch (target)
        {
            case "tcp":
                foreach (var (n, c) in tcpSessions) yield return (n, Chunks(c));
                break;
            case "udp":
                foreach (var (n, c) in udp) yield return (n, Chunks(c));
                break;
            case "icmp":
                foreach (var (n, c) in icmp) yield return (n, Chunks(c));
                break;
            case "ipv4":
                yield return ("icmp-echo", Chunks(Ip(1, Echo(8, 32))));
                yield return ("udp", Chunks(Ip(17, ChecksummedUdp())));
                yield return ("tcp-syn", Chunks(Ip(6, PseudoSummed(syn))));
                yield return ("options", Chunks(IpWithOptions()));
                break;
            case "arp":
                yield return ("request", Chunks(StackTargets.ArpFrame(1, StackTargets.PeerMac, new Ipv4Address(10, 0, 0, 9), default, StackTargets.StackIp)[14..]));
                yield return ("reply", Chunks(StackTargets.ArpFrame(2, StackTargets.PeerMac, StackTargets.PeerIp, StackTargets.StackMac, StackTargets.StackIp)[14..]));
                break;
            case "ethernet":
                yield return ("arp-request", Chunks(StackTargets.ArpFrame(1, StackTargets.PeerMac, new Ipv4Address(10, 0, 0, 9), default, StackTargets.StackIp)));
                yield return ("ipv4-icmp", Chunks(EthernetIp(Ip(1, Echo(8, 16)))));
                yield return ("ipv4-tcp-syn", Chunks(EthernetIp(Ip(6, PseudoSummed(syn)))));
                break;
        }
    }

    private static byte[] ChecksummedUdp() => Udp(StackTargets.UdpPort, "hello"u8.ToArray());

    /// <summary>A TCP segment with its absolute checksum (the ipv4 target passes the packet unchanged).</summary>
    private static byte[] PseudoSummed(byte[] segment) => segment;

    private static byte[] IpWithOptions()
    {
        var payload = Echo(8, 8);
        var p = new byte[24 + payload.Length];
        payload.CopyTo(p, 24);
        p[0] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[8] = 64; p[9] = 1;
        StackTargets.PeerIp.Write(p.AsSpan(12));
        StackTargets.StackIp.Write(p.AsSpan(16));
        p[20] = 1; p[21] = 1; p[22] = 1; p[23] = 0; // NOPs and end of options
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), Checksum.Compute(p.AsSpan(0, 24)));
        return p;
    }

    private static byte[] EthernetIp(byte[] packet)
    {
        var f = new byte[14 + packet.Length];
        Guest.Stack.Ethernet.Write(f, StackTargets.StackMac, StackTargets.PeerMac, Guest.Stack.Ethernet.TypeIpv4);
        packet.CopyTo(f, 14);
        return f;
    }

    /// <summary>A gdb session's bytes: packets framed with their checksums, each acked reply acked back.</summary>
    private static byte[] GdbBytes(params string[] packets)
    {
        var b = new System.Text.StringBuilder("+");
        foreach (var p in packets)
        {
            if (p == "\x03") { b.Append('\x03'); continue; }
            byte sum = 0;
            foreach (char c in p) sum += (byte)c;
            b.Append($"${p}#{sum:x2}+");
        }
        return System.Text.Encoding.Latin1.GetBytes(b.ToString());
    }

    private static readonly string[] GdbHandshake =
    [
        "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+",
        "vMustReplyEmpty", "Hg0", "qXfer:features:read:target.xml:0,ffb", "qXfer:features:read:target.xml:ffb,ffb",
        "qTStatus", "?", "qfThreadInfo", "qsThreadInfo", "qAttached", "Hc-1", "qC", "qOffsets", "g",
    ];

    private static IEnumerable<(string, byte[])> Gdb()
    {
        yield return ("handshake", GdbBytes(GdbHandshake));
        yield return ("registers", GdbBytes([.. GdbHandshake, "p10", "P0=0500000000000000", "P11=46020000", "p38", "P3a=0010000000000000", "g"]));
        yield return ("memory", GdbBytes([.. GdbHandshake, "m11000,8", "M11000,4:01020304", "X11004,3:}\x03}\x04}]", "m11000,7", "m12000,10", "m11ff8,100", "X11000,0:"]));
        yield return ("break-continue-step", GdbBytes([.. GdbHandshake, "Z0,11040,1", "vCont;c:p1.-1", "g", "z0,11040,1", "vCont;s:1", "Z0,11040,1", "c", "s11100", "C0b", "S05;11000"]));
        yield return ("watch", GdbBytes([.. GdbHandshake, "Z2,11800,4", "Z3,11808,8", "Z4,11810,2", "Z1,11020,1", "vCont;c", "c", "c", "z2,11800,4", "D"]));
        yield return ("interrupt", GdbBytes([.. GdbHandshake, "vCont;c", "\x03", "?", "k"]));
        yield return ("no-ack", GdbBytes(["qSupported:swbreak+", "QStartNoAckMode", "g", "m11000,40", "vKill;1"]));
    }
}
