namespace Tender.Devices.Tests;

/// <summary>
/// A test that needs root (network namespaces, TAP devices, loop devices) and /dev/net/tun.
/// Without them it is skipped, saying why, except under CI=true, where it runs (and fails)
/// because CI machines run as root with /dev/net/tun.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CI") is string ci && ci.Equals("true", StringComparison.OrdinalIgnoreCase)) return;
        if (!Environment.IsPrivilegedProcess)
            Skip = "not running as root: this test creates network namespaces and TAP (or loop) devices";
        else if (!File.Exists("/dev/net/tun"))
            Skip = "/dev/net/tun is missing: this test needs TUN/TAP support";
    }
}

/// <summary>The <see cref="RootFactAttribute"/> rule for theories.</summary>
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        Skip = new RootFactAttribute().Skip;
    }
}
