using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
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
        // Attributes the compiler emits (no run-time behaviour).
        "System.Runtime.CompilerServices.CompilerGeneratedAttribute",
        "System.Runtime.CompilerServices.NullableAttribute", "System.Runtime.CompilerServices.NullableContextAttribute",
        "System.Runtime.CompilerServices.IsReadOnlyAttribute", "System.Runtime.CompilerServices.ScopedRefAttribute",
        "System.Runtime.CompilerServices.RefSafetyRulesAttribute", "System.Runtime.CompilerServices.IsByRefLikeAttribute",
        "System.Runtime.CompilerServices.InternalsVisibleToAttribute", "System.Runtime.CompilerServices.CompilationRelaxationsAttribute",
        "System.Runtime.CompilerServices.RuntimeCompatibilityAttribute", "System.Diagnostics.DebuggableAttribute",
        "System.Diagnostics.DebuggableAttribute/DebuggingModes", "System.Runtime.Versioning.TargetFrameworkAttribute",
        "System.Reflection.AssemblyCompanyAttribute", "System.Reflection.AssemblyConfigurationAttribute",
        "System.Reflection.AssemblyFileVersionAttribute", "System.Reflection.AssemblyInformationalVersionAttribute",
        "System.Reflection.AssemblyProductAttribute", "System.Reflection.AssemblyTitleAttribute",
        "System.Reflection.AssemblyVersionAttribute", "System.Security.UnverifiableCodeAttribute",
        "System.Security.Permissions.SecurityPermissionAttribute", "System.Security.Permissions.SecurityAction",
        "System.Reflection.DefaultMemberAttribute", "System.Runtime.CompilerServices.IsUnmanagedAttribute",
        "System.Runtime.CompilerServices.EmbeddedAttribute", "System.AttributeUsageAttribute", "System.AttributeTargets",
        "System.Attribute",
    ];

    [Fact]
    public void Driver_references_only_the_guest_core_library_subset()
    {
        string path = typeof(DmaPacketPool).Assembly.Location;
        using var pe = new PEReader(File.OpenRead(path));
        MetadataReader md = pe.GetMetadataReader();
        var seen = new SortedSet<string>();
        foreach (TypeReferenceHandle h in md.TypeReferences)
        {
            TypeReference t = md.GetTypeReference(h);
            string name = md.GetString(t.Namespace) is { Length: > 0 } ns ? ns + "." + md.GetString(t.Name) : md.GetString(t.Name);
            if (t.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                TypeReference outer = md.GetTypeReference((TypeReferenceHandle)t.ResolutionScope);
                name = md.GetString(outer.Namespace) + "." + md.GetString(outer.Name) + "/" + md.GetString(t.Name);
            }
            seen.Add(name);
        }
        output.WriteLine("types: " + string.Join(", ", seen));
        var bad = seen.Where(n => !Allowed.Contains(n)).ToList();
        Assert.True(bad.Count == 0, "Guest.Ixgbe references types outside the guest core library: " + string.Join(", ", bad));
        Assert.Contains("System.Threading.Volatile", seen); // register and descriptor accesses are volatile
    }
}
