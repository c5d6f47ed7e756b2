using System.Diagnostics;
using System.Text;
using Tender.Gdb;

namespace Tender.Gdb.Tests;

/// <summary>
/// Clients that send garbage, lie about checksums and lengths, flood, or vanish: the session
/// answers errors or detaches; it never throws, never hangs (every wait here is bounded), never
/// leaves an int3 in the guest.
/// </summary>
public sealed class HostileClientTests : IDisposable
{
    private readonly Wire wire = new();
    private readonly Runner runner;

    public HostileClientTests() => runner = new Runner(wire.Server);

    public void Dispose()
    {
        wire.Dispose();
        runner.Dispose();
        Assert.Null(runner.Failure);
    }

    private void AssertDetachedWithin(int seconds)
    {
        Assert.True(runner.Join(TimeSpan.FromSeconds(seconds)), "the session did not end");
        Assert.Null(runner.Failure);
        Assert.Equal(new Resume(ResumeKind.Detach), runner.Final);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_bytes_then_a_good_packet_still_get_an_answer(int seed)
    {
        var random = new Random(seed);
        var garbage = new byte[20_000];
        random.NextBytes(garbage);
        // Whatever the garbage opened is closed by a full frame of its own, then a clean packet follows.
        wire.SendRaw(garbage);
        wire.SendRaw("#00#00");
        wire.Send("qC");
        // Everything the garbage provoked comes first; the last reply is ours.
        var deadline = Stopwatch.StartNew();
        string reply;
        do reply = wire.Receive();
        while (reply != "QC01" && deadline.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Equal("QC01", reply);
    }

    [Fact]
    public void Well_framed_random_commands_get_replies_and_no_exception()
    {
        var random = new Random(13);
        const string alphabet = "gGpPmMXzZcsCSvHTqQ?D0123456789abcdef,:;=-}#$*\x03\xff";
        wire.Ask("QStartNoAckMode");
        for (int i = 0; i < 300; i++)
        {
            var cmd = new StringBuilder();
            cmd.Append("gpPmMXzZqQvHT?"[random.Next(14)]);
            int n = random.Next(0, 40);
            for (int j = 0; j < n; j++) cmd.Append(alphabet[random.Next(alphabet.Length)]);
            string payload = cmd.ToString().Replace("$", "").Replace("#", "");
            wire.SendRaw(Encoding.Latin1.GetBytes(Wire.Frame(payload)));
            wire.Receive(out _, ack: false);
        }
        Assert.Equal("QC01", wire.Ask2NoAck("qC"));
        Assert.Null(runner.Failure);
    }

    [Fact]
    public void A_disconnect_in_the_middle_of_a_packet_is_a_detach()
    {
        Assert.Equal("OK", wire.Ask("Z0,401040,1"));
        wire.SendRaw("$m401000,");
        wire.Client.Close();
        AssertDetachedWithin(10);
        Assert.Equal(0x90, runner.Target.At(0x401040));
    }

    [Fact]
    public void A_disconnect_while_the_guest_runs_stops_it_and_detaches_with_the_breakpoints_out()
    {
        Assert.Equal("OK", wire.Ask("Z0,401040,1"));
        Assert.Equal("OK", wire.Ask("Z2,402000,4"));
        runner.Target.Hardware.Clear(); // the fake "runs" forever now: nothing to hit
        Assert.Equal("OK", wire.Ask("z0,401040,1"));
        Assert.Equal("OK", wire.Ask("Z0,4000f0,1")); // behind RIP: never reached
        wire.Send("c");
        Assert.Equal('+', wire.ReadByte());
        Thread.Sleep(100);
        wire.Client.Close();
        AssertDetachedWithin(10);
        Assert.Equal(0x90, runner.Target.At(0x4000f0));
        Assert.Contains(new Resume(ResumeKind.Continue), runner.Resumes);
    }

    [Fact]
    public void A_flood_without_an_end_does_not_hang_the_session_once_the_client_goes()
    {
        wire.SendRaw("$");
        var junk = Encoding.ASCII.GetBytes(new string('a', 64 * 1024));
        for (int i = 0; i < 64; i++) wire.SendRaw(junk); // 4 MiB in one "packet"
        wire.SendRaw("#01");                            // 4 MiB of 'a' sum to 0 mod 256
        Assert.Equal('-', wire.ReadByte());             // its checksum is wrong
        wire.SendRaw("$" + new string('b', 100_000) + "#" + $"{unchecked((byte)(100_000 * (byte)'b')):x2}");
        Assert.Equal("E01", wire.Receive());             // right checksum, too long
        wire.Client.Close();
        AssertDetachedWithin(10);
    }

    [Fact]
    public void Hostile_lengths_and_addresses_are_errors()
    {
        Assert.Equal("E01", wire.Ask("m10000000000000000,1"));   // 17 digits
        Assert.Equal("E01", wire.Ask("M401000,ffffffff:00"));      // longer than a packet
        Assert.Equal("E01", wire.Ask("Mffffffffffffffff,2:0000")); // wraps
        Assert.Equal("E01", wire.Ask("X401000,2:}"));              // escape at the end
        Assert.Equal("E14", wire.Ask("m408800,100"));
        Assert.Equal("E01", wire.Ask("Z0,-1,1"));
        Assert.Equal("E01", wire.Ask("p-1"));
        Assert.Equal("E01", wire.Ask("qXfer:features:read:target.xml:0"));
        Assert.Equal(0, runner.Target.RefusedWrites);
    }

    [Fact]
    public void Too_many_software_breakpoints_are_refused()
    {
        wire.Ask("QStartNoAckMode");
        for (int i = 0; i < 4096; i++)
        {
            wire.Send($"Z0,{0x400000 + i:x},1");
        }
        for (int i = 0; i < 4096; i++) Assert.Equal("OK", wire.Receive(out _, ack: false));
        Assert.Equal("E14", wire.Ask2NoAck("Z0,402000,1"));
    }

    [Fact]
    public void Wait_for_interrupt_times_out_while_stopped_and_sees_ctrl_c_only_while_running()
    {
        var clock = Stopwatch.StartNew();
        wire.SendRaw("\x03");
        Assert.False(runner.Session.WaitForInterrupt(200)); // stopped: the session, not the watcher, owns the input
        Assert.InRange(clock.ElapsedMilliseconds, 150, 5000);
        Assert.Equal("QC01", wire.Ask("qC"));
    }
}

internal static class WireExtensions
{
    public static string Ask2NoAck(this Wire wire, string payload)
    {
        wire.Send(payload);
        return wire.Receive(out _, ack: false);
    }
}
