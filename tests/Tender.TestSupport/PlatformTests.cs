using Xunit.Abstractions;
using Xunit.Sdk;

namespace Tender.TestSupport;

/// <summary>
/// The platform a guest-booting test case runs on (docs/platforms.md): "kvm" or "process", set
/// while a <see cref="GuestFactAttribute"/>/<see cref="GuestTheoryAttribute"/> case runs (it flows
/// into the threads and tasks the test starts); null in other tests.
/// </summary>
public static class TestPlatform
{
    /// <summary>Every platform a guest test is expanded into, on every host.</summary>
    public static readonly IReadOnlyList<string> All = ["kvm", "process"];

    /// <summary>The skip reason of a KVM case on a host without /dev/kvm; scripts/test counts it by its prefix.</summary>
    public const string KvmMissing = "kvm platform: /dev/kvm missing";

    private static readonly AsyncLocal<string?> s_current = new();

    public static string? Current => s_current.Value;

    internal static void Set(string? platform) => s_current.Value = platform;

    /// <summary>The environment variable that tells the tender its default --platform.</summary>
    public const string EnvironmentVariable = "TENDER_PLATFORM";

    /// <summary>Gives a tender (or scripts/tender) started by the test the case's platform.</summary>
    public static void Apply(System.Diagnostics.ProcessStartInfo info)
    {
        if (Current is string platform) info.Environment[EnvironmentVariable] = platform;
    }

    /// <summary>The skip reason of a case on <paramref name="platform"/> here, or null: only a KVM
    /// case skips, and only where /dev/kvm is missing — also under CI=true (the process case of
    /// the same test runs instead, so nothing goes untested).</summary>
    public static string? SkipReason(string platform, bool kvmPresent) =>
        platform == "kvm" && !kvmPresent ? KvmMissing : null;

    /// <summary>
    /// Whether this host offers KVM to the tests: /dev/kvm exists, unless TENDER_TEST_WITHOUT_KVM=1
    /// asks the suite to behave as on a host without it (every KVM case skipped and counted, the
    /// process cases run), so a machine with KVM can check what CI on one without would do.
    /// </summary>
    public static bool KvmPresent => File.Exists("/dev/kvm") && Environment.GetEnvironmentVariable("TENDER_TEST_WITHOUT_KVM") != "1";
}

/// <summary>
/// A test that boots a guest: it runs once per platform (<see cref="TestPlatform.All"/>), named
/// "… [kvm]" and "… [process]". The KVM case skips only where /dev/kvm is missing. Other needs
/// (root, TAP) follow <see cref="HostRequirements"/>'s rule.
/// </summary>
[XunitTestCaseDiscoverer("Tender.TestSupport.GuestFactDiscoverer", "Tender.TestSupport")]
public sealed class GuestFactAttribute : FactAttribute
{
    public GuestFactAttribute(HostNeeds needs = HostNeeds.None) => Skip = HostRequirements.SkipReason(needs & ~HostNeeds.Kvm);
}

/// <summary>The <see cref="GuestFactAttribute"/> rule for theories: each data row once per platform.</summary>
[XunitTestCaseDiscoverer("Tender.TestSupport.GuestTheoryDiscoverer", "Tender.TestSupport")]
public sealed class GuestTheoryAttribute : TheoryAttribute
{
    public GuestTheoryAttribute(HostNeeds needs = HostNeeds.None) => Skip = HostRequirements.SkipReason(needs & ~HostNeeds.Kvm);
}

public sealed class GuestFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        TestPlatform.All.Select(platform => (IXunitTestCase)new PlatformTestCase(diagnosticMessageSink,
            discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, platform));
}

public sealed class GuestTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    protected override IEnumerable<IXunitTestCase> CreateTestCasesForDataRow(ITestFrameworkDiscoveryOptions discoveryOptions,
        ITestMethod testMethod, IAttributeInfo theoryAttribute, object[] dataRow) =>
        TestPlatform.All.Select(platform => (IXunitTestCase)new PlatformTestCase(DiagnosticMessageSink,
            discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, platform, dataRow));

    protected override IEnumerable<IXunitTestCase> CreateTestCasesForSkippedDataRow(ITestFrameworkDiscoveryOptions discoveryOptions,
        ITestMethod testMethod, IAttributeInfo theoryAttribute, object[] dataRow, string skipReason) =>
        CreateTestCasesForDataRow(discoveryOptions, testMethod, theoryAttribute, dataRow);

    protected override IEnumerable<IXunitTestCase> CreateTestCasesForSkip(ITestFrameworkDiscoveryOptions discoveryOptions,
        ITestMethod testMethod, IAttributeInfo theoryAttribute, string skipReason) =>
        TestPlatform.All.Select(platform => (IXunitTestCase)new PlatformTestCase(DiagnosticMessageSink,
            discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, platform));

    protected override IEnumerable<IXunitTestCase> CreateTestCasesForTheory(ITestFrameworkDiscoveryOptions discoveryOptions,
        ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        TestPlatform.All.Select(platform => (IXunitTestCase)new PlatformTheoryTestCase(DiagnosticMessageSink,
            discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, platform));
}

/// <summary>
/// What the two case types share (they derive from xunit's two base classes, so they cannot share
/// a base of their own): the platform in the name, the ID, the skip rule and serialization.
/// </summary>
internal static class PlatformCase
{
    public static string DisplayName(string baseName, string platform) => $"{baseName} [{platform}]";
    public static string UniqueId(string baseId, string platform) => baseId + "@" + platform;
    public static string? SkipReason(string platform) => TestPlatform.SkipReason(platform, TestPlatform.KvmPresent);
    public static void Serialize(IXunitSerializationInfo data, string platform) => data.AddValue("Platform", platform);
    public static string Deserialize(IXunitSerializationInfo data) => data.GetValue<string>("Platform");
}

/// <summary>One test (or one data row) on one platform.</summary>
public sealed class PlatformTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public PlatformTestCase() { }

    public PlatformTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay defaultMethodDisplay, TestMethodDisplayOptions defaultMethodDisplayOptions,
        ITestMethod testMethod, string platform, object[]? testMethodArguments = null)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod, testMethodArguments)
    {
        Platform = platform;
    }

    public string Platform { get; private set; } = "";

    protected override string GetDisplayName(IAttributeInfo factAttribute, string displayName) =>
        PlatformCase.DisplayName(base.GetDisplayName(factAttribute, displayName), Platform);

    protected override string GetUniqueID() => PlatformCase.UniqueId(base.GetUniqueID(), Platform);

    protected override string GetSkipReason(IAttributeInfo factAttribute) =>
        PlatformCase.SkipReason(Platform) ?? base.GetSkipReason(factAttribute);

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        PlatformCase.Serialize(data, Platform);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        Platform = PlatformCase.Deserialize(data);
        base.Deserialize(data);
    }

    public override Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments,
        ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    {
        TestPlatform.Set(Platform);
        return base.RunAsync(diagnosticMessageSink, messageBus, constructorArguments, aggregator, cancellationTokenSource);
    }
}

/// <summary>A theory whose data is enumerated only when it runs, on one platform.</summary>
public sealed class PlatformTheoryTestCase : XunitTheoryTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public PlatformTheoryTestCase() { }

    public PlatformTheoryTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay defaultMethodDisplay, TestMethodDisplayOptions defaultMethodDisplayOptions,
        ITestMethod testMethod, string platform)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod)
    {
        Platform = platform;
    }

    public string Platform { get; private set; } = "";

    protected override string GetDisplayName(IAttributeInfo factAttribute, string displayName) =>
        PlatformCase.DisplayName(base.GetDisplayName(factAttribute, displayName), Platform);

    protected override string GetUniqueID() => PlatformCase.UniqueId(base.GetUniqueID(), Platform);

    protected override string GetSkipReason(IAttributeInfo factAttribute) =>
        PlatformCase.SkipReason(Platform) ?? base.GetSkipReason(factAttribute);

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        PlatformCase.Serialize(data, Platform);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        Platform = PlatformCase.Deserialize(data);
        base.Deserialize(data);
    }

    public override Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments,
        ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    {
        TestPlatform.Set(Platform);
        return base.RunAsync(diagnosticMessageSink, messageBus, constructorArguments, aggregator, cancellationTokenSource);
    }
}
