namespace Guest.Tests;

/// <summary>
/// The guest's core-library check table, compiled against real .NET and run on the host JIT: the
/// checks encode .NET's behaviour, so the guest passing them means it behaves as .NET does. (This also
/// proves the checks and GuestBindings compile against .NET unchanged.)
/// </summary>
public class HostChecksTests
{
    public static TheoryData<string> Checks() =>
    [
        "Strings", "StringFormat", "Spans", "SpanBounds", "Arrays", "GenericsOverStructs", "GenericsOverClasses",
        "InterfaceDispatch", "VirtualCalls", "Casts", "StaticConstructors", "StaticReadonly", "ThreadStatics", "Delegates", "Lists", "Dictionaries", "Time", "CheckedOverflow",
        "InterlockedVolatile", "BinaryPrimitivesCheck", "MemoryMarshalCheck", "UnsafeCheck", "MathBits", "Allocation",
        "Boxing", "StructEquality", "Interpolation",
    ];

    [Theory]
    [MemberData(nameof(Checks))]
    public void Check_passes_on_the_host(string name)
    {
        var method = typeof(global::Checks).GetMethod(name) ?? throw new InvalidOperationException("no check " + name);
        string? failure = (string?)method.Invoke(null, null);
        Assert.Null(failure);
    }

    // The library checks compare against .NET's output for the invariant culture, the guest's only one
    // (the test project also runs with InvariantGlobalization).
    private static readonly string[] s_libraryChecks =
    [
        "HashSets", "Queues", "Stacks", "StringBuilders", "Interpolation", "CompositeFormat", "DoubleFormatting", "DoubleRoundTrip",
        "NumberParsing", "SpanTryFormat", "RandomSequences", "DatesAndTimes", "ArrayPools",
    ];

    public static TheoryData<string> LibraryChecks() => new(s_libraryChecks);

    [Theory]
    [MemberData(nameof(LibraryChecks))]
    public void Library_check_passes_on_the_host(string name)
    {
        var method = typeof(global::LibraryChecks).GetMethod(name) ?? throw new InvalidOperationException("no library check " + name);
        string? failure = (string?)method.Invoke(null, null);
        Assert.Null(failure);
    }

    [Fact]
    public void Every_library_check_is_run_on_the_host()
    {
        var declared = typeof(global::LibraryChecks).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(m => m.ReturnType == typeof(string)).Select(m => m.Name).OrderBy(n => n, StringComparer.Ordinal);
        var listed = s_libraryChecks.OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(declared, listed);
    }

    [Fact]
    public void Megamorphic_dispatch_check_passes_on_the_host() => Assert.Null(global::Dispatch.Check());
}
