using Tender.TestSupport;
using Xunit.Abstractions;

namespace Guest.Stack.Tests;

/// <summary>
/// Guest.Stack is linked into NativeAOT guests against a tiny core library. This test reads the
/// compiled assembly's metadata and fails if it references any type outside the short list that
/// core library promises (so a stray List&lt;T&gt;, LINQ call, string.Format or delegate cannot slip in).
/// </summary>
public class ApiSurfaceTests
{
    readonly ITestOutputHelper _out;
    public ApiSurfaceTests(ITestOutputHelper o) => _out = o;

    static readonly HashSet<string> AllowedTypes = new()
    {
        "System.Object", "System.ValueType", "System.Enum", "System.Void", "System.Boolean", "System.Byte", "System.Char",
        "System.UInt16", "System.Int32", "System.UInt32", "System.Int64", "System.UInt64", "System.String",
        "System.Span`1", "System.ReadOnlySpan`1", "System.Math",
        "System.ArgumentException", "System.InvalidOperationException",
        "System.Buffers.Binary.BinaryPrimitives", "System.Runtime.InteropServices.MemoryMarshal",
        // ReadOnlySpan<T>'s indexer returns `ref readonly T`, spelled modreq(InAttribute) in signatures.
        "System.Runtime.InteropServices.InAttribute",
    };

    [Fact]
    public void Guest_stack_references_only_the_core_library_subset()
    {
        string path = typeof(Guest.Stack.PacketPool).Assembly.Location;
        var seen = GuestApiSurface.ReferencedTypes(path);
        var members = GuestApiSurface.ReferencedMembers(path);
        _out.WriteLine("types: " + string.Join(", ", seen));
        _out.WriteLine("members: " + string.Join(", ", members));
        var bad = seen.Where(n => !AllowedTypes.Contains(n) && !GuestApiSurface.CompilerEmitted.Contains(n)).ToList();
        // Strings exist only as literal exception messages: no concatenation, formatting or comparison.
        bad.AddRange(members.Where(m => m.StartsWith("System.String::") && m != "System.String::get_Chars" && m != "System.String::get_Length"));
        bad.AddRange(members.Where(m => m.StartsWith("System.Object::") && m != "System.Object::.ctor"));
        Assert.True(bad.Count == 0, "Guest.Stack references types outside the guest core library: " + string.Join(", ", bad));
    }
}
