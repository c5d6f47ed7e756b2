namespace Tender.TestSupport;

/// <summary>What a test needs from the machine beyond a plain process.</summary>
[Flags]
public enum HostNeeds
{
    None = 0,
    /// <summary>Running as root (network namespaces, TAP and loop devices).</summary>
    Root = 1,
    /// <summary>/dev/kvm (booting a guest).</summary>
    Kvm = 2,
    /// <summary>/dev/net/tun (TAP interfaces).</summary>
    Tun = 4,
}

/// <summary>
/// The project's one rule for tests that need the host: when something is missing the test is
/// skipped and says what, except under CI=true, where the machine is known to have everything,
/// so a missing piece is a fault of the machine and the test fails instead.
/// </summary>
public static class HostRequirements
{
    /// <summary>True when the environment variable CI is "true" (any case).</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>What of needs this machine lacks, as one sentence, or null if it has all of it. Ignores CI.</summary>
    public static string? Missing(HostNeeds needs)
    {
        var missing = new List<string>();
        if (needs.HasFlag(HostNeeds.Root) && !Environment.IsPrivilegedProcess)
            missing.Add("not running as root (needed for network namespaces, TAP and loop devices)");
        if (needs.HasFlag(HostNeeds.Kvm) && !File.Exists("/dev/kvm"))
            missing.Add("/dev/kvm is missing (needed to boot a guest under KVM)");
        if (needs.HasFlag(HostNeeds.Tun) && !File.Exists("/dev/net/tun"))
            missing.Add("/dev/net/tun is missing (needed for TAP interfaces)");
        return missing.Count == 0 ? null : string.Join("; ", missing);
    }

    /// <summary>
    /// The skip reason for a test attribute: what is missing, or null when nothing is or when
    /// CI=true (then the test runs, and <see cref="Ensure"/> or the host itself makes it fail).
    /// </summary>
    public static string? SkipReason(HostNeeds needs) => IsCi ? null : Missing(needs) is string m ? m + " (under CI=true this fails instead)" : null;

    /// <summary>Throws, naming what is missing, if the machine lacks any of needs; whatever CI says.</summary>
    public static void Ensure(HostNeeds needs)
    {
        if (Missing(needs) is string m)
            throw new InvalidOperationException($"this test cannot run here: {m}");
    }

    /// <summary>
    /// For a check inside a test body: returns null when the machine has everything; otherwise
    /// prints "SKIPPED: reason" to output (when given) and returns the reason, so the test can
    /// return; under CI=true it throws instead, so the test fails.
    /// </summary>
    public static string? Check(HostNeeds needs, Xunit.Abstractions.ITestOutputHelper? output = null)
    {
        if (Missing(needs) is not string m) return null;
        if (IsCi) throw new InvalidOperationException($"CI=true but this machine lacks what the test needs: {m}");
        output?.WriteLine("SKIPPED: " + m);
        return m;
    }
}

/// <summary>A fact skipped (saying why) when the host lacks what it needs, never under CI=true.</summary>
public sealed class HostFactAttribute : FactAttribute
{
    public HostFactAttribute(HostNeeds needs) => Skip = HostRequirements.SkipReason(needs);
}

/// <summary>The <see cref="HostFactAttribute"/> rule for theories.</summary>
public sealed class HostTheoryAttribute : TheoryAttribute
{
    public HostTheoryAttribute(HostNeeds needs) => Skip = HostRequirements.SkipReason(needs);
}

/// <summary>A test that needs root and /dev/net/tun (network namespaces, TAP and loop devices).</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute() => Skip = HostRequirements.SkipReason(HostNeeds.Root | HostNeeds.Tun);
}

/// <summary>The <see cref="RootFactAttribute"/> rule for theories.</summary>
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute() => Skip = HostRequirements.SkipReason(HostNeeds.Root | HostNeeds.Tun);
}

/// <summary>
/// A test of KVM itself (it uses Tender.Kvm's objects, so no other platform can run it): skipped
/// exactly where /dev/kvm is missing, also under CI=true, with the reason scripts/test counts
/// (<see cref="TestPlatform.KvmMissing"/>). Tests that boot a guest use <see cref="GuestFactAttribute"/>.
/// </summary>
public sealed class KvmFactAttribute : FactAttribute
{
    public KvmFactAttribute(HostNeeds needs = HostNeeds.None) =>
        Skip = TestPlatform.SkipReason("kvm", TestPlatform.KvmPresent) ?? HostRequirements.SkipReason(needs & ~HostNeeds.Kvm);
}
