using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Tender.TestSupport;

/// <summary>
/// Reads what a compiled library references from other assemblies, for the tests that keep guest
/// libraries (Guest.Stack, Guest.Ixgbe) inside the subset the guest core library provides.
/// </summary>
public static class GuestApiSurface
{
    /// <summary>
    /// Attribute and metadata types the C# compiler and SDK emit on their own; they have no run-time
    /// behaviour in a guest, so every surface check allows them.
    /// </summary>
    public static readonly IReadOnlySet<string> CompilerEmitted = new HashSet<string>
    {
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

    /// <summary>Every type the assembly references, as "Namespace.Name" or "Namespace.Outer/Nested".</summary>
    public static SortedSet<string> ReferencedTypes(string assemblyPath)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
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
        return seen;
    }

    /// <summary>Every member the assembly references, as "Namespace.Type::Member" ("(generic instance)::Member" on generic instances).</summary>
    public static SortedSet<string> ReferencedMembers(string assemblyPath)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        MetadataReader md = pe.GetMetadataReader();
        var members = new SortedSet<string>();
        foreach (MemberReferenceHandle h in md.MemberReferences)
        {
            MemberReference m = md.GetMemberReference(h);
            if (m.Parent.Kind == HandleKind.TypeReference)
            {
                TypeReference t = md.GetTypeReference((TypeReferenceHandle)m.Parent);
                members.Add(md.GetString(t.Namespace) + "." + md.GetString(t.Name) + "::" + md.GetString(m.Name));
            }
            else if (m.Parent.Kind == HandleKind.TypeSpecification) members.Add("(generic instance)::" + md.GetString(m.Name));
        }
        return members;
    }
}
