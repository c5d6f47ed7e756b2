namespace Tender.Tests.Support;

/// <summary>
/// A test that boots a guest under /dev/kvm. Without /dev/kvm it is skipped with the reason, except
/// when CI=true: there the machine must have KVM, so the test runs and fails.
/// </summary>
public sealed class KvmFactAttribute : FactAttribute
{
    public KvmFactAttribute()
    {
        if (!File.Exists("/dev/kvm") && !IsCi)
            Skip = "/dev/kvm is missing on this machine: KVM integration tests cannot run (under CI=true they fail instead)";
    }

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
