using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
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
        "System.Reflection.DefaultMemberAttribute", "System.Runtime.CompilerServices.ExtensionAttribute",
        "System.Runtime.CompilerServices.IsUnmanagedAttribute", "System.Runtime.CompilerServices.EmbeddedAttribute",
        "System.AttributeUsageAttribute", "System.AttributeTargets", "System.Attribute",
        "System.Runtime.CompilerServices.ParamCollectionAttribute",
    };

    [Fact]
    public void Guest_stack_references_only_the_core_library_subset()
    {
        string path = typeof(Guest.Stack.PacketPool).Assembly.Location;
        using var pe = new PEReader(File.OpenRead(path));
        var md = pe.GetMetadataReader();
        var seen = new SortedSet<string>();
        foreach (var h in md.TypeReferences)
        {
            var t = md.GetTypeReference(h);
            string name = md.GetString(t.Namespace) is { Length: > 0 } ns ? ns + "." + md.GetString(t.Name) : md.GetString(t.Name);
            if (t.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                var outer = md.GetTypeReference((TypeReferenceHandle)t.ResolutionScope);
                name = md.GetString(outer.Namespace) + "." + md.GetString(outer.Name) + "/" + md.GetString(t.Name);
            }
            seen.Add(name);
        }
        var members = new SortedSet<string>();
        foreach (var h in md.MemberReferences)
        {
            var m = md.GetMemberReference(h);
            if (m.Parent.Kind == HandleKind.TypeReference)
            {
                var t = md.GetTypeReference((TypeReferenceHandle)m.Parent);
                members.Add(md.GetString(t.Namespace) + "." + md.GetString(t.Name) + "::" + md.GetString(m.Name));
            }
            else if (m.Parent.Kind == HandleKind.TypeSpecification) members.Add("(generic instance)::" + md.GetString(m.Name));
        }
        _out.WriteLine("types: " + string.Join(", ", seen));
        _out.WriteLine("members: " + string.Join(", ", members));
        var bad = seen.Where(n => !AllowedTypes.Contains(n)).ToList();
        // Strings exist only as literal exception messages: no concatenation, formatting or comparison.
        bad.AddRange(members.Where(m => m.StartsWith("System.String::") && m != "System.String::get_Chars" && m != "System.String::get_Length"));
        bad.AddRange(members.Where(m => m.StartsWith("System.Object::") && m != "System.Object::.ctor"));
        Assert.True(bad.Count == 0, "Guest.Stack references types outside the guest core library: " + string.Join(", ", bad));
    }
}
