using System.Text.Json.Serialization;

namespace Tender.Oci.Spec;

/// <summary>
/// The state `state` prints (runtime.md "State"), plus what containerd's go-runc reads from it
/// (rootfs, created).
/// </summary>
public sealed record ContainerState
{
    [JsonPropertyName("ociVersion")] public string OciVersion { get; init; } = OciVersions.Current;
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("status")] public required string Status { get; init; }
    [JsonPropertyName("pid")] public int Pid { get; init; }
    [JsonPropertyName("bundle")] public required string Bundle { get; init; }
    [JsonPropertyName("rootfs")] public string? Rootfs { get; init; }
    [JsonPropertyName("created")] public DateTime Created { get; init; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; init; }
}

/// <summary>The status values of runtime.md.</summary>
public static class ContainerStatus
{
    public const string Creating = "creating";
    public const string Created = "created";
    public const string Running = "running";
    public const string Stopped = "stopped";
}

public static class OciVersions
{
    /// <summary>The runtime-spec version this runtime follows.</summary>
    public const string Current = "1.0.2";
}

/// <summary>
/// What `create` records in the container's state directory for the later commands: the init
/// process (its pid and its start time in clock ticks, so that a recycled pid is not taken for
/// it), the bundle, and what `delete` must undo.
/// </summary>
public sealed record ContainerRecord
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("bundle")] public required string Bundle { get; init; }
    [JsonPropertyName("rootfs")] public required string Rootfs { get; init; }
    [JsonPropertyName("pid")] public int Pid { get; init; }
    [JsonPropertyName("pidStartTime")] public ulong PidStartTime { get; init; }
    [JsonPropertyName("created")] public DateTime Created { get; init; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; init; }
    /// <summary>The cgroup directory `create` made (absolute), removed by `delete`; null: none.</summary>
    [JsonPropertyName("cgroupDirectory")] public string? CgroupDirectory { get; init; }
    [JsonPropertyName("cgroupCreated")] public bool CgroupCreated { get; init; }
    [JsonPropertyName("networkNamespace")] public string? NetworkNamespace { get; init; }
    [JsonPropertyName("network")] public AttachedNetwork? Network { get; init; }
}

/// <summary>What the networking library attached in the container's network namespace (see Networking/ContainerNetworking).</summary>
public sealed record AttachedNetwork
{
    [JsonPropertyName("tap")] public required string TapName { get; init; }
    [JsonPropertyName("interface")] public required string Interface { get; init; }
    [JsonPropertyName("ipv4")] public required string Ipv4Cidr { get; init; }
    [JsonPropertyName("gateway")] public string? Gateway { get; init; }
    [JsonPropertyName("mac")] public required string Mac { get; init; }
}

/// <summary>`features` (features.md): what this runtime accepts.</summary>
public sealed record RuntimeFeatures
{
    [JsonPropertyName("ociVersionMin")] public string OciVersionMin { get; init; } = "1.0.0";
    [JsonPropertyName("ociVersionMax")] public string OciVersionMax { get; init; } = OciVersions.Current;
    [JsonPropertyName("hooks")] public List<string> Hooks { get; init; } = [];
    [JsonPropertyName("mountOptions")] public List<string> MountOptions { get; init; } = [];
    [JsonPropertyName("linux")] public LinuxFeatures Linux { get; init; } = new();
    [JsonPropertyName("annotations")] public Dictionary<string, string> Annotations { get; init; } = [];
}

public sealed record LinuxFeatures
{
    [JsonPropertyName("namespaces")] public List<string> Namespaces { get; init; } = [];
    [JsonPropertyName("capabilities")] public List<string> Capabilities { get; init; } = [];
    [JsonPropertyName("cgroup")] public CgroupFeatures Cgroup { get; init; } = new();
}

public sealed record CgroupFeatures
{
    [JsonPropertyName("v1")] public bool V1 { get; init; }
    [JsonPropertyName("v2")] public bool V2 { get; init; } = true;
    [JsonPropertyName("systemd")] public bool Systemd { get; init; }
    [JsonPropertyName("systemdUser")] public bool SystemdUser { get; init; }
}
