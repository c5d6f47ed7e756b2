using Tender.Cli;

namespace Tender.Tests.Oci;

/// <summary>runc's command line as containerd's shim (go-runc) writes it (no KVM needed).</summary>
public sealed class OciArgumentsTests
{
    [Fact]
    public void Global_flags_come_before_the_command()
    {
        var a = OciArguments.Parse(["--root", "/run/r", "--log", "/b/log.json", "--log-format", "json", "--systemd-cgroup",
            "create", "--bundle", "/b", "--pid-file=/b/init.pid", "--no-pivot", "id1"]);
        Assert.Equal("/run/r", a.GlobalValue("--root"));
        Assert.Equal("json", a.GlobalValue("--log-format"));
        Assert.Contains("--systemd-cgroup", a.GlobalFlags);
        Assert.Equal("create", a.Command);
        Assert.Equal("/b", a.Value("--bundle", "-b"));
        Assert.Equal("/b/init.pid", a.Value("--pid-file"));
        Assert.True(a.Has("--no-pivot"));
        Assert.Equal(["id1"], a.Operands);
    }

    [Fact]
    public void Kill_takes_the_id_and_a_signal()
    {
        var a = OciArguments.Parse(["kill", "--all", "id1", "9"]);
        Assert.True(a.Has("--all", "-a"));
        Assert.Equal(["id1", "9"], a.Operands);
        Assert.Equal(9, OciSignals.Parse("9"));
        Assert.Equal(15, OciSignals.Parse("SIGTERM"));
        Assert.Equal(15, OciSignals.Parse("term"));
        Assert.Equal(9, OciSignals.Parse("KILL"));
    }

    [Theory]
    [InlineData("unknown global flag --frob", "--frob", "state", "x")]
    [InlineData("unknown command \"run\"", "run", "x")]
    [InlineData("missing the container id", "start")]
    [InlineData("unknown flag --bundel", "create", "--bundel", "/b", "x")]
    [InlineData("unexpected \"y\"", "state", "x", "y")]
    [InlineData("--root needs a value", "--root")]
    public void Bad_command_lines_name_what_is_wrong(string expected, params string[] args)
    {
        Assert.Contains(expected, Assert.Throws<TenderException>(() => OciArguments.Parse(args)).Message);
    }

    [Theory]
    [InlineData("SIGFROB", "unknown signal")]
    [InlineData("0", "out of range")]
    [InlineData("65", "out of range")]
    public void Bad_signals_are_refused(string signal, string expected)
    {
        Assert.Contains(expected, Assert.Throws<TenderException>(() => OciSignals.Parse(signal)).Message);
    }
}
