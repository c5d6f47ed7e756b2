using Xunit.Abstractions;

namespace Guest.Ixgbe.Tests;

/// <summary>
/// Guest.Ixgbe is compiled into NativeAOT guests against the project's tiny core library. This
/// reads the compiled assembly's metadata and fails on any referenced type outside what that core
/// library provides (so a List&lt;T&gt;, LINQ, string formatting, a delegate or Stopwatch cannot slip in).
/// </summary>
public class ApiSurfaceTests(ITestOutputHelper output)
{
    private static readonly HashSet<string> Allowed =
    [
        "System.Object", "System.ValueType", "System.Enum", "System.Void", "System.Boolean", "System.Byte",
        "System.UInt16", "System.Int32", "System.UInt32", "System.Int64", "System.UInt64", "System.String",
        "System.Span`1", "System.ReadOnlySpan`1", "System.Math",
        "System.ArgumentException", "System.InvalidOperationException",
        "System.Buffers.Binary.BinaryPrimitives", "System.Threading.Volatile",
        "System.Runtime.InteropServices.InAttribute",
        // Guest.Stack (itself checked against the same list by its own tests).
        "Guest.Stack.INetDevice", "Guest.Stack.PacketBuffer", "Guest.Stack.PacketPool", "Guest.Stack.MacAddress",
    ];

    [Fact]
    public void Driver_references_only_the_guest_core_library_subset()
    {
        var seen = GuestApiSurface.ReferencedTypes(typeof(DmaPacketPool).Assembly.Location);
        output.WriteLine("types: " + string.Join(", ", seen));
        var bad = seen.Where(n => !Allowed.Contains(n) && !GuestApiSurface.CompilerEmitted.Contains(n)).ToList();
        Assert.True(bad.Count == 0, "Guest.Ixgbe references types outside the guest core library: " + string.Join(", ", bad));
        Assert.Contains("System.Threading.Volatile", seen); // register and descriptor accesses are volatile
    }
}
