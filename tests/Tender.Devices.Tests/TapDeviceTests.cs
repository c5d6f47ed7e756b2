using System.Diagnostics;
using Tender.Host;

namespace Tender.Devices.Tests;

/// <summary>TAP devices in a network namespace made for each test, with a packet socket as the Linux-side peer.</summary>
public sealed class TapDeviceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);

    /// <summary>Reads frames from the TAP until a test frame arrives or the time is up (bounded).</summary>
    internal static byte[]? ReadTestFrame(TapDevice tap, TimeSpan timeout)
    {
        var buffer = new byte[tap.MaxFrameSize];
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < timeout)
        {
            var r = tap.Read(buffer, out int length);
            if (r == DeviceResult.Ok)
            {
                if (Frames.IsTestFrame(buffer.AsSpan(0, length))) return buffer[..length];
                continue; // something of the kernel's own: not ours
            }
            Assert.Equal(DeviceResult.Again, r);
            Thread.Sleep(1);
        }
        return null;
    }

    [RootFact]
    public void Frames_cross_the_tap_in_both_directions_intact()
    {
        using var ns = new TestNamespace("tdv");
        ns.AddTap("tdv0");
        var guestMac = MacAddress.Parse("02:00:00:00:00:42");
        var (tap, peer) = ns.Run(() => (TapDevice.Open("tdv0", guestMac), new PacketSocket("tdv0")));
        using (tap)
        using (peer)
        {
            Assert.Equal("tdv0", tap.InterfaceName);
            Assert.Equal(guestMac, tap.GuestMac);
            Assert.Equal(1500, tap.Mtu);

            // Guest → Linux: written to the TAP, seen by the packet socket on the interface.
            foreach (int length in new[] { 14, 60, 1514 })
            {
                var frame = Frames.Make(peer.InterfaceMac, guestMac.ToArray(), length, length);
                Assert.Equal(DeviceResult.Ok, tap.Write(frame));
                var seen = peer.Receive(Wait);
                Assert.NotNull(seen);
                Assert.Equal(frame, seen);
            }

            // Linux → guest: sent by the packet socket, read from the TAP.
            foreach (int length in new[] { 60, 1000, 1514 })
            {
                var frame = Frames.Make(guestMac.ToArray(), peer.InterfaceMac, length, length + 1);
                peer.Send(frame);
                Assert.Equal(frame, ReadTestFrame(tap, Wait));
            }
        }
    }

    [RootFact]
    public void Nothing_waiting_reads_as_again_and_small_buffers_are_refused()
    {
        using var ns = new TestNamespace("tdv");
        ns.AddTap("tdv0");
        using var tap = ns.Run(() => TapDevice.Open("tdv0"));
        var buffer = new byte[tap.MaxFrameSize];
        // IPv6 is off in the namespace, so the kernel has nothing of its own to send.
        Assert.Equal(DeviceResult.Again, tap.Read(buffer, out int length));
        Assert.Equal(0, length);
        Assert.Equal(DeviceResult.InvalidArgument, tap.Read(new byte[tap.MaxFrameSize - 1], out _));
    }

    [RootFact]
    public void Mtu_9000_is_read_from_the_interface_and_jumbo_frames_pass()
    {
        using var ns = new TestNamespace("tdv");
        ns.AddTap("tdvj", mtu: 9000);
        var (tap, peer) = ns.Run(() => (TapDevice.Open("tdvj"), new PacketSocket("tdvj")));
        using (tap)
        using (peer)
        {
            Assert.Equal(9000, tap.Mtu);
            Assert.Equal(9014, tap.MaxFrameSize);
            var mac = tap.GuestMac.ToArray();

            var outbound = Frames.Make(peer.InterfaceMac, mac, 9014, 1);
            Assert.Equal(DeviceResult.Ok, tap.Write(outbound));
            Assert.Equal(outbound, peer.Receive(Wait));

            var inbound = Frames.Make(mac, peer.InterfaceMac, 9014, 2);
            peer.Send(inbound);
            Assert.Equal(inbound, ReadTestFrame(tap, Wait));

            Assert.Equal(DeviceResult.InvalidArgument, tap.Write(new byte[9015]));
        }
    }

    [RootFact]
    public void Oversize_and_runt_frames_are_refused_and_never_reach_linux()
    {
        using var ns = new TestNamespace("tdv");
        ns.AddTap("tdv0");
        var (tap, peer) = ns.Run(() => (TapDevice.Open("tdv0"), new PacketSocket("tdv0")));
        using (tap)
        using (peer)
        {
            var mac = tap.GuestMac.ToArray();
            Assert.Equal(DeviceResult.InvalidArgument, tap.Write(Frames.Make(peer.InterfaceMac, mac, 1515, 1)));
            Assert.Equal(DeviceResult.InvalidArgument, tap.Write(Frames.Make(peer.InterfaceMac, mac, 14, 2).AsSpan(0, 13)));
            Assert.Equal(DeviceResult.InvalidArgument, tap.Write(ReadOnlySpan<byte>.Empty));
            // A good frame after the refused ones is the first (and only) one Linux sees.
            var good = Frames.Make(peer.InterfaceMac, mac, 100, 3);
            Assert.Equal(DeviceResult.Ok, tap.Write(good));
            Assert.Equal(good, peer.Receive(Wait));
            Assert.Null(peer.Receive(TimeSpan.FromMilliseconds(100)));
        }
    }

    [RootFact]
    public void Batches_move_bursts_both_ways()
    {
        using var ns = new TestNamespace("tdv");
        ns.AddTap("tdv0");
        var (tap, peer) = ns.Run(() => (TapDevice.Open("tdv0"), new PacketSocket("tdv0")));
        using (tap)
        using (peer)
        {
            var mac = tap.GuestMac.ToArray();
            const int burst = 32;
            var outbound = Enumerable.Range(0, burst).Select(i => Frames.Make(peer.InterfaceMac, mac, 60 + i * 40, i)).ToArray();
            var frames = outbound.Select(f => (ReadOnlyMemory<byte>)f).ToArray();
            frames[5] = new byte[2000]; // too long: refused, the rest still go
            var results = new DeviceResult[burst];
            Assert.Equal(burst - 1, tap.WriteBatch(frames, results));
            Assert.Equal(DeviceResult.InvalidArgument, results[5]);
            for (int i = 0; i < burst; i++)
            {
                if (i == 5) continue;
                Assert.Equal(outbound[i], peer.Receive(Wait));
            }

            var inbound = Enumerable.Range(0, burst).Select(i => Frames.Make(mac, peer.InterfaceMac, 60 + i * 40, 100 + i)).ToArray();
            foreach (var f in inbound) peer.Send(f);
            var buffers = Enumerable.Range(0, 64).Select(_ => (Memory<byte>)new byte[tap.MaxFrameSize]).ToArray();
            var lengths = new int[64];
            var received = new List<byte[]>();
            long start = Stopwatch.GetTimestamp();
            while (received.Count < burst && Stopwatch.GetElapsedTime(start) < Wait)
            {
                int n = tap.ReadBatch(buffers, lengths, out var stop);
                Assert.True(n == 64 || stop == DeviceResult.Again, $"stopped with {stop}");
                for (int i = 0; i < n; i++)
                    if (Frames.IsTestFrame(buffers[i].Span[..lengths[i]])) received.Add(buffers[i].Span[..lengths[i]].ToArray());
                if (n == 0) Thread.Sleep(1);
            }
            // On a mismatch, say which frames came and what the kernel counted on the interface.
            string Seeds(IEnumerable<byte[]> fs) => string.Join(',', fs.Select(f => f.Length < 18 ? -1 : System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(f.AsSpan(14))));
            Assert.True(inbound.Length == received.Count && inbound.Zip(received).All(p => p.First.AsSpan().SequenceEqual(p.Second)),
                $"sent seeds {Seeds(inbound)}; received {Seeds(received)}; {ns.Ip("-s", "link", "show", "dev", "tdv0")}");
        }
    }

    [RootFact]
    public void A_new_interface_is_created_and_goes_away_with_the_device()
    {
        using var ns = new TestNamespace("tdv");
        var tap = ns.Run(() => TapDevice.Open("tdvnew", createIfMissing: true));
        using (tap)
        {
            Assert.Equal("tdvnew", tap.InterfaceName);
            Assert.Contains("tdvnew", ns.Ip("link", "show", "dev", "tdvnew"));
        }
        var (code, output) = Command.TryRun("ip", "-n", ns.Name, "link", "show", "dev", "tdvnew");
        Assert.NotEqual(0, code);
        Assert.Contains("does not exist", output);
    }

    [RootFact]
    public void Interfaces_that_cannot_back_a_nic_are_refused_with_the_name()
    {
        using var ns = new TestNamespace("tdv");
        ns.AddTap("tdvbusy");
        ns.Ip("tuntap", "add", "dev", "tdvtun", "mode", "tun");
        ns.Ip("link", "set", "dev", "tdvtun", "up");
        ns.Ip("tuntap", "add", "dev", "tdvdown", "mode", "tap");
        using var first = ns.Run(() => TapDevice.Open("tdvbusy"));

        var busy = Assert.Throws<DeviceException>(() => ns.Run(() => TapDevice.Open("tdvbusy")));
        Assert.Contains("'tdvbusy'", busy.Message);
        Assert.Contains("in use", busy.Message);

        var tun = Assert.Throws<DeviceException>(() => ns.Run(() => TapDevice.Open("tdvtun")));
        Assert.Contains("'tdvtun'", tun.Message);
        Assert.Contains("not a TAP", tun.Message);

        var missing = Assert.Throws<DeviceException>(() => ns.Run(() => TapDevice.Open("tdvnone")));
        Assert.Contains("'tdvnone' does not exist", missing.Message);
        Assert.Contains("does not exist", Command.TryRun("ip", "-n", ns.Name, "link", "show", "dev", "tdvnone").Output); // not created
        var down = Assert.Throws<DeviceException>(() => ns.Run(() => TapDevice.Open("tdvdown")));
        Assert.Contains("'tdvdown' is down", down.Message);

        var name = Assert.Throws<DeviceException>(() => TapDevice.Open("a-name-too-long-for-linux"));
        Assert.Contains("not a valid interface name", name.Message);
        Assert.Throws<DeviceException>(() => TapDevice.Open("bad/name"));
        var mac = Assert.Throws<DeviceException>(() => TapDevice.Open("tdvx", default(MacAddress)));
        Assert.Contains("not a unicast address", mac.Message);
    }
}
