namespace Tender.Tests.Support;

/// <summary><see cref="KvmFactAttribute"/>'s rule for theories.</summary>
public sealed class KvmTheoryAttribute : TheoryAttribute
{
    public KvmTheoryAttribute() => Skip = new KvmFactAttribute().Skip;
}

/// <summary>
/// A test that boots a guest under /dev/kvm with a TAP in a network namespace it creates: it needs
/// /dev/kvm, root and /dev/net/tun. Skipped, saying which is missing, except under CI=true, where
/// the machine has all three and the test runs (and fails if one is missing).
/// </summary>
public sealed class KvmRootFactAttribute : FactAttribute
{
    public KvmRootFactAttribute() => Skip = Reason();

    internal static string? Reason()
    {
        if (KvmFactAttribute.IsCi) return null;
        if (!File.Exists("/dev/kvm")) return "/dev/kvm is missing on this machine: KVM integration tests cannot run";
        if (!Environment.IsPrivilegedProcess) return "not running as root: this test creates a network namespace and a TAP";
        if (!File.Exists("/dev/net/tun")) return "/dev/net/tun is missing: this test needs TUN/TAP support";
        return null;
    }
}

/// <summary><see cref="KvmRootFactAttribute"/>'s rule for theories.</summary>
public sealed class KvmRootTheoryAttribute : TheoryAttribute
{
    public KvmRootTheoryAttribute() => Skip = KvmRootFactAttribute.Reason();
}
