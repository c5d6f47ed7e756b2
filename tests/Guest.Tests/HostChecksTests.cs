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

    [Fact]
    public void Megamorphic_dispatch_check_passes_on_the_host() => Assert.Null(global::Dispatch.Check());
}
