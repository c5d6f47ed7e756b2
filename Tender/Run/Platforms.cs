using Serilog;
using Tender.Kvm;
using Tender.ProcessPlatform;

namespace Tender.Run;

/// <summary>--platform's values.</summary>
internal enum PlatformChoice { Auto, Kvm, Process }

/// <summary>
/// Chooses and opens the platform the guest runs on (design decision 9, docs/platforms.md):
/// KVM when asked, the process platform when asked, and for <c>auto</c> KVM when /dev/kvm opens,
/// else the process platform, saying which and why in one log line.
/// </summary>
internal static class Platforms
{
    /// <summary>The environment variable that gives --platform's default (CI runners, test suites).</summary>
    public const string EnvironmentVariable = "TENDER_PLATFORM";

    public static PlatformChoice? Parse(string text) => text switch
    {
        "auto" => PlatformChoice.Auto,
        "kvm" => PlatformChoice.Kvm,
        "process" => PlatformChoice.Process,
        _ => null,
    };

    public static IMachine Open(PlatformChoice choice)
    {
        switch (choice)
        {
            case PlatformChoice.Kvm:
                try
                {
                    var kvm = KvmMachine.Open();
                    Log.Information("platform: kvm (--platform=kvm)");
                    return kvm;
                }
                catch (KvmException e)
                {
                    throw new TenderException($"{e.Message}; --platform=process runs the guest without KVM");
                }
            case PlatformChoice.Process:
                Log.Information("platform: process (--platform=process)");
                return OpenProcess();
            default:
                try
                {
                    var kvm = KvmMachine.Open();
                    Log.Information("platform: kvm (auto: /dev/kvm opened)");
                    return kvm;
                }
                catch (KvmException e)
                {
                    Log.Information("platform: process (auto: {Reason})", e.Message);
                    return OpenProcess();
                }
        }
    }

    private static IMachine OpenProcess()
    {
        try
        {
            return ProcessMachine.Create();
        }
        catch (PlatformException e)
        {
            throw new TenderException($"process platform: {e.Message}");
        }
    }
}
