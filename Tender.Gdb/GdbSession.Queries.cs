namespace Tender.Gdb;

/// <summary>The q, Q and v packets: features, the target description, threads, no-ack mode, vCont, vKill.</summary>
public sealed partial class GdbSession
{
    /// <summary>What we announce in qSupported.</summary>
    internal static readonly string Supported =
        $"PacketSize={PacketChannel.MaxPayload:x};qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+";

    private void Query(ReadOnlySpan<byte> q)
    {
        if (q.StartsWith("Supported"u8))
        {
            // gdb lists what it understands: the stop reasons swbreak/hwbreak only go to a gdb that said so.
            foreach (var feature in Ascii(q).Split([':', ';']))
            {
                if (feature == "swbreak+") clientSwbreak = true;
                if (feature == "hwbreak+") clientHwbreak = true;
            }
            Text(Supported);
        }
        else if (q.StartsWith("Xfer:features:read:"u8)) Features(q["Xfer:features:read:".Length..]);
        else if (q.SequenceEqual("Attached"u8) || q.StartsWith("Attached:"u8)) Text("1"); // attached: gdb detaches, not kills, when it quits
        else if (q.SequenceEqual("C"u8)) Text("QC01");
        else if (q.SequenceEqual("fThreadInfo"u8)) Text("m01");
        else if (q.SequenceEqual("sThreadInfo"u8)) Text("l");
        // everything else: the empty reply (not supported)
    }

    /// <summary>qXfer:features:read:ANNEX:OFFSET,LENGTH: 'm' and a chunk while more follows, 'l' with the last.</summary>
    private void Features(ReadOnlySpan<byte> args)
    {
        int colon = args.IndexOf((byte)':');
        if (colon < 0 || !TryAddressLength(args[(colon + 1)..], ulong.MaxValue >> 1, out ulong offset, out _))
        {
            Text("E01");
            return;
        }
        if (!args[..colon].SequenceEqual("target.xml"u8))
        {
            Text("E00");
            return;
        }
        int comma = args.IndexOf((byte)',');
        Hex.TryParse(args[(comma + 1)..], out ulong asked);
        var xml = RegisterLayout.TargetXml;
        if (offset >= (ulong)xml.Length)
        {
            Text("l");
            return;
        }
        // Escaping can double a byte: half the packet size always fits.
        int length = (int)Math.Min(Math.Min(asked, (ulong)(PacketChannel.MaxPayload / 2 - 8)), (ulong)xml.Length - offset);
        bool last = offset + (ulong)length >= (ulong)xml.Length;
        reply.Add(last ? (byte)'l' : (byte)'m');
        Escape(xml.AsSpan((int)offset, length));
    }

    /// <summary>Binary reply data: '#', '$', '}' and '*' (run-length marker) go as '}' and the byte xor 0x20.</summary>
    private void Escape(ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            if (b is (byte)'#' or (byte)'$' or (byte)'}' or (byte)'*')
            {
                reply.Add((byte)'}');
                reply.Add((byte)(b ^ 0x20));
            }
            else reply.Add(b);
        }
    }

    private Outcome Set(ReadOnlySpan<byte> q)
    {
        if (q.SequenceEqual("StartNoAckMode"u8))
        {
            // The OK still goes out (and is acked) under the old rules; no acks after it.
            Text("OK");
            return new Outcome(Answer.Reply, ThenNoAck: true);
        }
        return Replied;
    }

    private Outcome Verbose(ReadOnlySpan<byte> v)
    {
        if (v.SequenceEqual("Cont?"u8))
        {
            Text("vCont;c;C;s;S");
            return Replied;
        }
        if (v.StartsWith("Cont;"u8)) return VCont(v[4..]);
        if (v.StartsWith("Kill"u8))
        {
            Text("OK");
            return new Outcome(Answer.Resume, new Resume(ResumeKind.Kill));
        }
        return Replied; // vMustReplyEmpty and everything else: the empty reply
    }
}
