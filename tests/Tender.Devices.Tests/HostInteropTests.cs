using System.Diagnostics;
using Tender.Host;
using Tender.Host.Interop;

namespace Tender.Devices.Tests;

/// <summary>Tender.Host's wrappers: struct layouts, eventfd signals, epoll waits, namespace entry.</summary>
public sealed class HostInteropTests
{
    [Fact]
    public unsafe void Struct_layouts_match_the_x86_64_abi()
    {
        LayoutChecks.Verify(); // throws naming the struct if any size or offset is wrong
        Assert.Equal(12, sizeof(LibC.EpollEvent));
        Assert.Equal(40, sizeof(LibC.IfReq));
        Assert.Equal(144, sizeof(LibC.Stat));
    }

    [Fact]
    public void Interface_names_are_checked_before_any_ioctl()
    {
        Assert.True(LibC.IfReq.TryCreate("tap0", out var ifr));
        Assert.Equal("tap0", ifr.GetName());
        Assert.True(LibC.IfReq.TryCreate(new string('x', 15), out _));
        Assert.False(LibC.IfReq.TryCreate(new string('x', 16), out _)); // no room for the NUL
        Assert.False(LibC.IfReq.TryCreate("", out _));
        Assert.False(LibC.IfReq.TryCreate("a b", out _));
        Assert.False(LibC.IfReq.TryCreate("a/b", out _));
        Assert.False(LibC.IfReq.TryCreate("tap\u00e9", out _));
    }

    [Fact]
    public void Event_signal_is_set_once_and_consumed_once()
    {
        using var s = new EventSignal();
        Assert.False(s.Consume());
        s.Set();
        s.Set();
        Assert.True(s.Consume());
        Assert.False(s.Consume());
    }

    [Fact]
    public void Epoll_reports_the_tag_of_the_ready_descriptor_and_honours_its_timeout()
    {
        using var epoll = new Epoll();
        using var a = new EventSignal();
        using var b = new EventSignal();
        epoll.Add(a.Descriptor, 11);
        epoll.Add(b.Descriptor, 22);
        Span<ulong> tags = stackalloc ulong[4];
        var sw = Stopwatch.StartNew();
        Assert.Equal(0, epoll.Wait(tags, 20_000_000));
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(19), $"returned after {sw.Elapsed}");
        b.Set();
        Assert.Equal(1, epoll.Wait(tags, 1_000_000_000));
        Assert.Equal(22ul, tags[0]);
        epoll.Modify(b.Descriptor, 22, input: false); // no longer watched for input
        Assert.Equal(0, epoll.Wait(tags, 0));
    }

    [Fact]
    public void A_missing_or_malformed_namespace_is_an_error_naming_it()
    {
        var e = Assert.Throws<HostException>(() => NetworkNamespace.Run("tdv-does-not-exist", () => 1));
        Assert.Contains("/var/run/netns/tdv-does-not-exist", e.Message);
        Assert.Equal(LibC.ENOENT, e.Errno);
        Assert.Throws<ArgumentException>(() => NetworkNamespace.Run("../etc", () => 1));
    }

    [RootFact]
    public void Code_run_in_a_namespace_sees_its_interfaces_and_the_caller_does_not()
    {
        using var ns = new TestNamespace("tdv");
        ns.AddTap("tdvns0", mtu: 1400);
        Assert.Equal(1400, ns.Run(() => NetworkInterface.GetMtu("tdvns0")));
        var e = Assert.Throws<HostException>(() => NetworkInterface.GetMtu("tdvns0"));
        Assert.Contains("tdvns0", e.Message);
    }
}
