using System.Diagnostics;
using Tender.Host;

namespace Tender.Devices.Tests;

public sealed class DevicePollerTests
{
    private const ulong Ms = 1_000_000;

    [Fact]
    public void Nothing_ready_times_out_after_the_timeout()
    {
        using var poller = new DevicePoller();
        using var signal = new EventSignal();
        poller.Add(7, signal);
        var sw = Stopwatch.StartNew();
        var r = poller.Poll(80 * Ms);
        sw.Stop();
        Assert.True(r.TimedOut);
        Assert.Equal(0ul, r.ReadySet);
        Assert.InRange(sw.Elapsed.TotalMilliseconds, 79, 2000);
    }

    [Fact]
    public void Zero_timeout_only_looks()
    {
        using var poller = new DevicePoller();
        var sw = Stopwatch.StartNew();
        Assert.True(poller.Poll(0).TimedOut);
        Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(500), $"took {sw.Elapsed}");
    }

    [Fact]
    public void Sub_millisecond_timeouts_are_not_rounded_to_zero_or_up_to_a_millisecond_of_spinning()
    {
        using var poller = new DevicePoller();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 20; i++) Assert.True(poller.Poll(300_000).TimedOut);
        // 20 waits of 0.3 ms: at least 6 ms in total, and far less than 20 × 1 s.
        Assert.InRange(sw.Elapsed.TotalMilliseconds, 6, 2000);
    }

    [Fact]
    public void A_signal_sets_its_handle_bit_once()
    {
        using var poller = new DevicePoller();
        using var a = new EventSignal();
        using var b = new EventSignal();
        poller.Add(0, a);
        poller.Add(63, b);
        b.Set();
        b.Set(); // twice before it is seen: one notice
        var r = poller.Poll(5_000 * Ms);
        Assert.Equal(1ul << 63, r.ReadySet);
        Assert.False(r.Woken);
        Assert.Equal(1, r.ReadyCount);
        Assert.True(poller.Poll(10 * Ms).TimedOut); // consumed
        a.Set();
        b.Set();
        Assert.Equal(1ul | (1ul << 63), poller.Poll(5_000 * Ms).ReadySet);
    }

    [Fact]
    public void Wake_from_another_thread_ends_a_long_wait()
    {
        using var poller = new DevicePoller();
        var sw = Stopwatch.StartNew();
        var waker = new Thread(() => { Thread.Sleep(50); poller.Wake(); });
        waker.Start();
        var r = poller.Poll(30_000 * Ms);
        waker.Join();
        Assert.True(r.Woken);
        Assert.Equal(0ul, r.ReadySet);
        Assert.False(r.TimedOut);
        Assert.InRange(sw.Elapsed.TotalMilliseconds, 45, 10_000);
    }

    [Fact]
    public void A_wake_before_the_poll_is_not_lost()
    {
        using var poller = new DevicePoller();
        poller.Wake();
        var sw = Stopwatch.StartNew();
        Assert.True(poller.Poll(30_000 * Ms).Woken);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
        Assert.True(poller.Poll(1 * Ms).TimedOut); // and it was consumed
    }

    [Fact]
    public void Handles_outside_0_to_63_and_duplicates_are_refused()
    {
        using var poller = new DevicePoller();
        using var s = new EventSignal();
        Assert.Throws<ArgumentOutOfRangeException>(() => poller.Add(64, s));
        Assert.Throws<ArgumentOutOfRangeException>(() => poller.Add(-1, s));
        poller.Add(3, s);
        using var t = new EventSignal();
        Assert.Throws<ArgumentException>(() => poller.Add(3, t));
        Assert.Equal(1ul << 3, poller.Handles);
        poller.Remove(3);
        Assert.Equal(0ul, poller.Handles);
        Assert.Throws<ArgumentException>(() => poller.Remove(3));
    }

    [RootFact]
    public void A_tap_with_a_waiting_frame_is_reported_under_its_handle()
    {
        using var ns = new TestNamespace("tdv");
        ns.AddTap("tdv0");
        ns.AddTap("tdv1");
        var (tap0, tap1, peer1) = ns.Run(() => (TapDevice.Open("tdv0"), TapDevice.Open("tdv1"), new PacketSocket("tdv1")));
        using (tap0)
        using (tap1)
        using (peer1)
        using (var poller = new DevicePoller())
        {
            poller.Add(2, tap0.Descriptor);
            poller.Add(5, tap1.Descriptor);
            Assert.True(poller.Poll(50 * Ms).TimedOut);

            var frame = Frames.Make(tap1.GuestMac.ToArray(), peer1.InterfaceMac, 60, 1);
            peer1.Send(frame);
            var r = poller.Poll(5_000 * Ms);
            Assert.Equal(1ul << 5, r.ReadySet);
            // Level-triggered, as Solo5's POLL: still ready until the frame is read.
            Assert.Equal(1ul << 5, poller.Poll(0).ReadySet);
            Assert.Equal(frame, TapDeviceTests.ReadTestFrame(tap1, TimeSpan.FromSeconds(3)));
            Assert.True(poller.Poll(50 * Ms).TimedOut);
        }
    }
}
