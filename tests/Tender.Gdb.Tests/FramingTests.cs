using System.Text;
using Tender.Gdb;

namespace Tender.Gdb.Tests;

/// <summary>Packet framing: checksums, acks and nacks, no-ack mode, escapes, noise between packets.</summary>
public sealed class FramingTests : IDisposable
{
    private readonly Wire wire = new();
    private readonly Runner runner;

    public FramingTests() => runner = new Runner(wire.Server);

    public void Dispose()
    {
        wire.Dispose();
        runner.Dispose();
        Assert.Null(runner.Failure);
    }

    [Fact]
    public void A_reply_is_acked_framed_and_checksummed()
    {
        wire.Send("qAttached");
        string reply = wire.Receive(out string before);
        Assert.Equal("+", before);
        Assert.Equal("1", reply);
    }

    [Fact]
    public void A_bad_checksum_is_nacked_and_the_resent_packet_answered()
    {
        wire.SendRaw("$qAttached#00");
        Assert.Equal('-', wire.ReadByte());
        Assert.Equal("1", wire.Ask("qAttached"));
    }

    [Fact]
    public void A_non_hex_checksum_is_nacked()
    {
        wire.SendRaw("$qC#zz");
        Assert.Equal('-', wire.ReadByte());
        Assert.Equal("QC01", wire.Ask("qC"));
    }

    [Fact]
    public void A_nack_gets_the_last_reply_again()
    {
        Assert.Equal("QC01", wire.Ask("qC"));
        wire.SendRaw("-");
        Assert.Equal("QC01", wire.Receive(out string before));
        Assert.Equal("", before);
    }

    [Fact]
    public void In_no_ack_mode_nothing_is_acked()
    {
        Assert.Equal("OK", wire.Ask("QStartNoAckMode"));
        wire.Send("qC");
        Assert.Equal("QC01", wire.Receive(out string before, ack: false));
        Assert.Equal("", before);
        // A nack means nothing any more; the next packet's reply comes without a resend before it.
        wire.SendRaw("-");
        wire.Send("qAttached");
        Assert.Equal("1", wire.Receive(out before, ack: false));
        Assert.Equal("", before);
    }

    [Fact]
    public void Noise_and_ctrl_c_between_packets_are_skipped_while_stopped()
    {
        wire.SendRaw("+++garbage\x03\x00\xff");
        Assert.Equal("QC01", wire.Ask("qC"));
    }

    [Fact]
    public void A_dollar_inside_a_packet_starts_a_new_one()
    {
        wire.SendRaw("$qAtt" + Wire.Frame("qC"));
        Assert.Equal("QC01", wire.Receive(out string before));
        Assert.Equal("+", before);
    }

    [Fact]
    public void An_oversized_packet_is_refused_with_an_error_and_the_session_goes_on()
    {
        wire.Send("M401000,1:" + new string('0', PacketChannel.MaxPayload + 10));
        Assert.Equal("E01", wire.Receive(out string before));
        Assert.Equal("+", before);
        Assert.Equal("QC01", wire.Ask("qC"));
        Assert.Equal(0x90, runner.Target.At(0x401000));
    }

    [Fact]
    public void Binary_write_unescapes_brace_escapes()
    {
        // Data bytes: '#' (0x23), '$' (0x24), '}' (0x7d), '*' (0x2a), 0x00, each but the last escaped.
        byte[] packet = [.. Encoding.ASCII.GetBytes("X401000,5:"), (byte)'}', 0x03, (byte)'}', 0x04, (byte)'}', 0x5d, (byte)'}', 0x0a, 0x00];
        byte sum = 0;
        foreach (byte b in packet) sum += b;
        wire.SendRaw([(byte)'$', .. packet, (byte)'#', .. Encoding.ASCII.GetBytes($"{sum:x2}")]);
        Assert.Equal("OK", wire.Receive());
        Assert.Equal(new byte[] { 0x23, 0x24, 0x7d, 0x2a, 0x00 }, runner.Target.Memory.AsSpan(0x1000, 5).ToArray());
    }

    [Fact]
    public void The_target_description_is_served_in_escaped_chunks_ending_with_l()
    {
        var xml = new StringBuilder();
        for (int offset = 0; ; )
        {
            string reply = wire.Ask($"qXfer:features:read:target.xml:{offset:x},100");
            Assert.True(reply[0] is 'm' or 'l', reply);
            string chunk = reply[1..];
            Assert.DoesNotContain('$', chunk);
            Assert.DoesNotContain('#', chunk);
            xml.Append(chunk);
            offset += chunk.Length; // the XML has nothing to escape
            if (reply[0] == 'l') break;
        }
        Assert.Equal(Encoding.ASCII.GetString(RegisterLayout.TargetXml), xml.ToString());
        Assert.Contains("<architecture>i386:x86-64</architecture>", xml.ToString());
        Assert.Equal("l", wire.Ask("qXfer:features:read:target.xml:fffff,100"));
        Assert.Equal("E00", wire.Ask("qXfer:features:read:other.xml:0,100"));
        Assert.Equal("E01", wire.Ask("qXfer:features:read:target.xml:zz"));
    }
}
