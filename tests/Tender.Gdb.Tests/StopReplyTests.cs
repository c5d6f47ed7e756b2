using Tender.Gdb;

namespace Tender.Gdb.Tests;

/// <summary>Stop replies for each reason, without a client.</summary>
public class StopReplyTests
{
    [Theory]
    [InlineData(StopReason.Initial, 0, "T05thread:01;")]
    [InlineData(StopReason.SingleStep, 5, "T05thread:01;")]
    [InlineData(StopReason.Interrupt, 0, "T02thread:01;")]
    [InlineData(StopReason.Interrupt, 2, "T02thread:01;")]
    [InlineData(StopReason.Signal, 11, "T0bthread:01;")]
    [InlineData(StopReason.Signal, 8, "T08thread:01;")]
    [InlineData(StopReason.Signal, 4, "T04thread:01;")]
    [InlineData(StopReason.Signal, 0, "T0bthread:01;")]
    public void Signals_are_linux_numbers_in_hex(StopReason reason, int signal, string expected)
    {
        using var session = new GdbSession(new MemoryStream(), new FakeTarget());
        Assert.Equal(expected, session.StopReply(new StopEvent(reason, signal)));
    }

    [Theory]
    [InlineData("watch", "T05watch:402000;thread:01;")]
    [InlineData("rwatch", "T05rwatch:402000;thread:01;")]
    [InlineData("awatch", "T05awatch:402000;thread:01;")]
    [InlineData(null, "T05watch:402000;thread:01;")]
    public void Watchpoint_stops_name_the_kind_and_address(string? kind, string expected)
    {
        using var session = new GdbSession(new MemoryStream(), new FakeTarget());
        Assert.Equal(expected, session.StopReply(new StopEvent(StopReason.Watchpoint, 5, 0x402000, kind)));
    }
}
