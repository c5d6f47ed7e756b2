using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Guest.Tests;

/// <summary>
/// The core library's rule: it exposes only API that .NET has, with the same meaning. Mechanically:
/// every public type of the built Guest.CoreLib (System.Private.CoreLib.dll) exists in .NET 10's
/// reference assemblies with the same kind, and every public or protected method, constructor and
/// field exists there on that type with the same signature.
/// </summary>
public class CoreLibApiTests
{
    [Fact]
    public void Every_public_type_and_member_exists_in_dotnet_with_the_same_signature()
    {
        GuestBuilds.BuildProject("Guest.CoreLib/Guest.CoreLib.csproj");
        string coreLib = Path.Combine(Repo.Root, "Guest.CoreLib", "bin", "Release", "System.Private.CoreLib.dll");
        Assert.True(File.Exists(coreLib), coreLib);

        Dictionary<string, ApiType> reference = new();
        foreach (string dll in ReferenceAssemblies())
            foreach (ApiType t in ApiReader.Read(dll))
                if (!reference.TryGetValue(t.Name, out ApiType? existing)) reference[t.Name] = t;
                else existing.Members.UnionWith(t.Members);

        List<ApiType> ours = ApiReader.Read(coreLib);
        Assert.True(ours.Count > 50, "suspiciously few public types: " + ours.Count);
        var problems = new List<string>();
        foreach (ApiType t in ours)
        {
            if (!reference.TryGetValue(t.Name, out ApiType? r))
            {
                problems.Add($"type {t.Name} does not exist in .NET");
                continue;
            }
            if (r.Kind != t.Kind) problems.Add($"type {t.Name} is a {t.Kind} here but a {r.Kind} in .NET");
            foreach (string m in t.Members)
                if (!r.Members.Contains(m)) problems.Add($"{t.Name}: {m} does not exist in .NET");
        }
        Assert.True(problems.Count == 0, $"{problems.Count} API differences:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void The_comparison_catches_an_invented_member()
    {
        // The check above must be able to fail: a .NET type with a member .NET lacks is reported.
        string dll = ReferenceAssemblies().First(p => Path.GetFileName(p) == "System.Runtime.dll");
        ApiType str = ApiReader.Read(dll).Single(t => t.Name == "System.String");
        Assert.Contains("static method Concat(System.String,System.String) -> System.String", str.Members);
        Assert.DoesNotContain("static method Concat(System.String,System.Int32) -> System.String", str.Members);
        Assert.Contains("field Empty: System.String", str.Members);
        Assert.Contains("method get_Length() -> System.Int32", str.Members);
    }

    private static IEnumerable<string> ReferenceAssemblies()
    {
        string packs = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", "..", "packs", "Microsoft.NETCore.App.Ref");
        if (!Directory.Exists(packs)) packs = "/usr/share/dotnet/packs/Microsoft.NETCore.App.Ref";
        string version = Directory.GetDirectories(packs).Select(Path.GetFileName).Where(v => v!.StartsWith("10.0.", StringComparison.Ordinal))
            .OrderBy(v => v, StringComparer.Ordinal).Last()!;
        string dir = Path.Combine(packs, version, "ref", "net10.0");
        return Directory.GetFiles(dir, "*.dll");
    }
}

public sealed class ApiType(string name, string kind)
{
    public string Name { get; } = name;
    public string Kind { get; } = kind;
    public HashSet<string> Members { get; } = new(StringComparer.Ordinal);
}

/// <summary>Public API of an assembly as comparable strings (System.Reflection.Metadata, no loading).</summary>
public static class ApiReader
{
    public static List<ApiType> Read(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        MetadataReader md = pe.GetMetadataReader();
        var provider = new SignatureNames(md);
        var types = new List<ApiType>();
        foreach (TypeDefinitionHandle h in md.TypeDefinitions)
        {
            TypeDefinition td = md.GetTypeDefinition(h);
            if (!IsVisible(md, td)) continue;
            var t = new ApiType(provider.FullName(h), Kind(md, td));
            foreach (MethodDefinitionHandle mh in td.GetMethods())
            {
                MethodDefinition m = md.GetMethodDefinition(mh);
                MethodAttributes access = m.Attributes & MethodAttributes.MemberAccessMask;
                if (access != MethodAttributes.Public && access != MethodAttributes.Family && access != MethodAttributes.FamORAssem) continue;
                MethodSignature<string> sig = m.DecodeSignature(provider, null);
                string generic = sig.GenericParameterCount > 0 ? "`" + sig.GenericParameterCount : "";
                string stat = (m.Attributes & MethodAttributes.Static) != 0 ? "static " : "";
                t.Members.Add($"{stat}method {md.GetString(m.Name)}{generic}({string.Join(",", sig.ParameterTypes)}) -> {sig.ReturnType}");
            }
            foreach (FieldDefinitionHandle fh in td.GetFields())
            {
                FieldDefinition f = md.GetFieldDefinition(fh);
                FieldAttributes access = f.Attributes & FieldAttributes.FieldAccessMask;
                if (access != FieldAttributes.Public && access != FieldAttributes.Family && access != FieldAttributes.FamORAssem) continue;
                if (md.GetString(f.Name) == "value__") continue;
                t.Members.Add($"field {md.GetString(f.Name)}: {f.DecodeSignature(provider, null)}");
            }
            types.Add(t);
        }
        return types;
    }

    private static bool IsVisible(MetadataReader md, TypeDefinition td)
    {
        TypeAttributes v = td.Attributes & TypeAttributes.VisibilityMask;
        if (v == TypeAttributes.Public) return true;
        if (v == TypeAttributes.NestedPublic || v == TypeAttributes.NestedFamily || v == TypeAttributes.NestedFamORAssem)
            return IsVisible(md, md.GetTypeDefinition(td.GetDeclaringType()));
        return false;
    }

    private static string Kind(MetadataReader md, TypeDefinition td)
    {
        if ((td.Attributes & TypeAttributes.Interface) != 0) return "interface";
        string baseName = td.BaseType.IsNil ? "" : BaseName(md, td.BaseType);
        return baseName switch
        {
            "System.ValueType" => "struct",
            "System.Enum" => "enum",
            "System.MulticastDelegate" => "delegate",
            _ => "class",
        };
    }

    private static string BaseName(MetadataReader md, EntityHandle h) => h.Kind switch
    {
        HandleKind.TypeReference => md.GetString(md.GetTypeReference((TypeReferenceHandle)h).Namespace) + "." + md.GetString(md.GetTypeReference((TypeReferenceHandle)h).Name),
        HandleKind.TypeDefinition => md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)h).Namespace) + "." + md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)h).Name),
        _ => "",
    };
}

/// <summary>Type names for signatures, independent of which assembly defines a type. Custom modifiers
/// (modreq/modopt) are left out: they are encoding details (in, init, volatile), not API shape.</summary>
public sealed class SignatureNames(MetadataReader md) : ISignatureTypeProvider<string, object?>
{
    public string FullName(TypeDefinitionHandle h)
    {
        TypeDefinition td = md.GetTypeDefinition(h);
        string name = md.GetString(td.Name);
        if (td.IsNested) return FullName(td.GetDeclaringType()) + "+" + name;
        string ns = md.GetString(td.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => FullName(handle);

    public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
    {
        TypeReference tr = reader.GetTypeReference(handle);
        string name = reader.GetString(tr.Name);
        if (tr.ResolutionScope.Kind == HandleKind.TypeReference)
            return GetTypeFromReference(reader, (TypeReferenceHandle)tr.ResolutionScope, rawTypeKind) + "+" + name;
        string ns = reader.GetString(tr.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
    {
        PrimitiveTypeCode.Void => "System.Void",
        PrimitiveTypeCode.Boolean => "System.Boolean",
        PrimitiveTypeCode.Char => "System.Char",
        PrimitiveTypeCode.SByte => "System.SByte",
        PrimitiveTypeCode.Byte => "System.Byte",
        PrimitiveTypeCode.Int16 => "System.Int16",
        PrimitiveTypeCode.UInt16 => "System.UInt16",
        PrimitiveTypeCode.Int32 => "System.Int32",
        PrimitiveTypeCode.UInt32 => "System.UInt32",
        PrimitiveTypeCode.Int64 => "System.Int64",
        PrimitiveTypeCode.UInt64 => "System.UInt64",
        PrimitiveTypeCode.Single => "System.Single",
        PrimitiveTypeCode.Double => "System.Double",
        PrimitiveTypeCode.String => "System.String",
        PrimitiveTypeCode.IntPtr => "System.IntPtr",
        PrimitiveTypeCode.UIntPtr => "System.UIntPtr",
        PrimitiveTypeCode.Object => "System.Object",
        PrimitiveTypeCode.TypedReference => "System.TypedReference",
        _ => typeCode.ToString(),
    };

    public string GetSZArrayType(string elementType) => elementType + "[]";
    public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[" + new string(',', shape.Rank - 1) + "]";
    public string GetByReferenceType(string elementType) => elementType + "&";
    public string GetPointerType(string elementType) => elementType + "*";
    public string GetPinnedType(string elementType) => elementType;
    public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
    public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => genericType + "<" + string.Join(",", typeArguments) + ">";
    public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
    public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
    public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr(" + string.Join(",", signature.ParameterTypes) + ")->" + signature.ReturnType;
    public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
        reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
}
