using Tender.Run;

namespace Tender.Tests;

/// <summary>The suite's platform rule (docs/platforms.md) and the tender's --platform choice.</summary>
public class PlatformCaseTests
{
    [Fact]
    public void Only_a_kvm_case_skips_and_only_without_dev_kvm_whatever_CI_says()
    {
        Assert.Equal("kvm platform: /dev/kvm missing", TestPlatform.SkipReason("kvm", kvmPresent: false));
        Assert.Null(TestPlatform.SkipReason("kvm", kvmPresent: true));
        Assert.Null(TestPlatform.SkipReason("process", kvmPresent: false));
        Assert.Null(TestPlatform.SkipReason("process", kvmPresent: true));
    }

    [GuestFact]
    public void A_guest_case_knows_its_platform_on_its_own_threads_too()
    {
        string? current = TestPlatform.Current;
        Assert.Contains(current, TestPlatform.All);
        string? seen = null;
        var thread = new Thread(() => seen = TestPlatform.Current);
        thread.Start();
        thread.Join();
        Assert.Equal(current, seen);
        var info = new System.Diagnostics.ProcessStartInfo("true");
        TestPlatform.Apply(info);
        Assert.Equal(current, info.Environment["TENDER_PLATFORM"]);
    }

    [Fact]
    public void A_plain_test_has_no_platform() => Assert.Null(TestPlatform.Current);

    [Fact]
    public void Platform_names_parse_exactly()
    {
        Assert.Equal(PlatformChoice.Auto, Platforms.Parse("auto"));
        Assert.Equal(PlatformChoice.Kvm, Platforms.Parse("kvm"));
        Assert.Equal(PlatformChoice.Process, Platforms.Parse("process"));
        Assert.Null(Platforms.Parse("KVM"));
        Assert.Null(Platforms.Parse(""));
    }

    [Fact]
    public void A_bad_platform_is_refused_naming_the_flag_or_the_variable()
    {
        var flag = Support.TenderProcess.Run("run", "--platform=vm", "x.elf");
        Assert.Equal(1, flag.ExitCode);
        Assert.Contains("--platform=vm: expected kvm, process or auto", flag.Stderr);
    }
}
