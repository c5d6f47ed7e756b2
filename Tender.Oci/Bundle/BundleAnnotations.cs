using System.Globalization;

namespace Tender.Oci.Bundle;

/// <summary>A block device the bundle gives the guest: the manifest's device name and a file in the rootfs.</summary>
public sealed record BlockFile(string Name, string RootfsPath);

/// <summary>
/// The annotations that say what process.args cannot (docs/containers.md, "Annotations"): this
/// project's own, under <see cref="Prefix"/>, and urunc's <c>com.urunc.unikernel.*</c> where they
/// mean the same. Every value is untrusted (urunc's advisory GHSA-crxr-jm9v-349c: argument
/// injection through annotations), so each becomes a typed value here — a path, a name, a number,
/// a platform — and never part of a command line: a value shaped like a flag is refused outright,
/// and so is an unknown key under either prefix (a misspelt key must not be silently dropped).
/// Annotations under other prefixes (Kubernetes', containerd's) are not this runtime's and are left alone.
/// </summary>
public sealed record BundleAnnotations
{
    public const string Prefix = "org.tender.";
    public const string ManifestKey = Prefix + "manifest";
    public const string PlatformKey = Prefix + "platform";
    public const string MemoryKey = Prefix + "memory-mib";
    public const string BlockKeyPrefix = Prefix + "block.";

    public const string UruncPrefix = "com.urunc.unikernel.";
    public const string UruncBinaryKey = UruncPrefix + "binary";
    public const string UruncCmdlineKey = UruncPrefix + "cmdline";
    public const string UruncTypeKey = UruncPrefix + "unikernelType";
    public const string UruncHypervisorKey = UruncPrefix + "hypervisor";
    public const string UruncVersionKey = UruncPrefix + "unikernelVersion";

    /// <summary>The keys `features` lists, with what each holds.</summary>
    public static IReadOnlyDictionary<string, string> Described { get; } = new Dictionary<string, string>
    {
        [ManifestKey] = "path of the guest's manifest (JSON) in the rootfs",
        [PlatformKey] = "kvm, process or auto",
        [MemoryKey] = "guest memory in MiB",
        [BlockKeyPrefix + "NAME"] = "file in the rootfs backing the manifest's block device NAME",
        [UruncBinaryKey] = "path of the guest ELF in the rootfs (instead of process.args[0])",
        [UruncCmdlineKey] = "the guest's arguments, separated by spaces (instead of process.args[1:])",
        [UruncTypeKey] = "solo5 or mirage (Solo5 hvt ABI guests) only",
        [UruncHypervisorKey] = "hvt (the kvm platform) or spt (the process platform)",
        [UruncVersionKey] = "informational, ignored",
    };

    /// <summary>Path of the manifest inside the rootfs; null: the one embedded in the ELF.</summary>
    public string? ManifestPath { get; init; }
    /// <summary>kvm, process or auto; null: not said.</summary>
    public string? Platform { get; init; }
    public ulong? MemoryMiB { get; init; }
    public IReadOnlyList<BlockFile> BlockFiles { get; init; } = [];
    public string? Binary { get; init; }
    public IReadOnlyList<string>? Cmdline { get; init; }

    /// <summary>Upper bound for <see cref="MemoryKey"/> (64 GiB): a typo must not ask for a terabyte.</summary>
    public const ulong MaxMemoryMiB = 64 * 1024;

    public static BundleAnnotations Parse(IReadOnlyDictionary<string, string>? annotations)
    {
        var result = new BundleAnnotations();
        if (annotations is null) return result;
        var blocks = new List<BlockFile>();
        string? uruncPlatform = null;
        foreach (var (key, value) in annotations.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            bool ours = key.StartsWith(Prefix, StringComparison.Ordinal);
            bool urunc = key.StartsWith(UruncPrefix, StringComparison.Ordinal);
            if (!ours && !urunc) continue;
            CheckValue(key, value);
            switch (key)
            {
                case ManifestKey:
                    result = result with { ManifestPath = value };
                    break;
                case PlatformKey:
                    if (value is not ("kvm" or "process" or "auto"))
                        throw new OciException($"annotation {key}=\"{value}\": expected kvm, process or auto");
                    result = result with { Platform = value };
                    break;
                case MemoryKey:
                    if (!ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong mib) || mib == 0 || mib > MaxMemoryMiB)
                        throw new OciException($"annotation {key}=\"{value}\": expected a whole number of MiB from 1 to {MaxMemoryMiB}");
                    result = result with { MemoryMiB = mib };
                    break;
                case UruncBinaryKey:
                    result = result with { Binary = value };
                    break;
                case UruncCmdlineKey:
                    result = result with { Cmdline = value.Split(' ', StringSplitOptions.RemoveEmptyEntries) };
                    break;
                case UruncTypeKey:
                    if (value is not ("solo5" or "mirage"))
                        throw new OciException($"annotation {key}=\"{value}\": this runtime boots Solo5 hvt ABI guests (solo5 or mirage), not {value}");
                    break;
                case UruncHypervisorKey:
                    uruncPlatform = value switch
                    {
                        "hvt" => "kvm",
                        "spt" => "process",
                        _ => throw new OciException($"annotation {key}=\"{value}\": expected hvt (kvm platform) or spt (process platform)"),
                    };
                    break;
                case UruncVersionKey:
                    break;
                default:
                    if (key.StartsWith(BlockKeyPrefix, StringComparison.Ordinal))
                    {
                        string name = key[BlockKeyPrefix.Length..];
                        if (!IsDeviceName(name))
                            throw new OciException($"annotation {key}: the device name \"{name}\" must be letters, digits, '_' or '-', not starting with '-', at most 64 characters");
                        blocks.Add(new BlockFile(name, value));
                        break;
                    }
                    throw new OciException(ours
                        ? $"annotation {key}: unknown (this runtime knows {string.Join(", ", Described.Keys.Where(k => k.StartsWith(Prefix, StringComparison.Ordinal)))})"
                        : $"annotation {key}: not supported by this runtime (it reads {UruncBinaryKey}, {UruncCmdlineKey}, {UruncTypeKey}, {UruncHypervisorKey} and {UruncVersionKey})");
            }
        }
        if (uruncPlatform is not null)
        {
            if (result.Platform is not null && result.Platform != uruncPlatform)
                throw new OciException($"annotations {PlatformKey}=\"{result.Platform}\" and {UruncHypervisorKey} disagree (it means {uruncPlatform})");
            result = result with { Platform = uruncPlatform };
        }
        return result with { BlockFiles = blocks };
    }

    /// <summary>
    /// Refuses what no legitimate value looks like: a leading '-' (a flag, the shape of argument
    /// injection), control characters (a NUL or newline would cut or forge a line), an empty value.
    /// </summary>
    private static void CheckValue(string key, string value)
    {
        if (value.Length == 0) throw new OciException($"annotation {key}: the value is empty");
        if (value.StartsWith('-')) throw new OciException($"annotation {key}=\"{value}\": a value shaped like a flag is refused");
        if (value.Any(char.IsControl)) throw new OciException($"annotation {key}: the value contains control characters");
    }

    private static bool IsDeviceName(string name) =>
        name.Length is > 0 and <= 64 && name[0] != '-' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}
