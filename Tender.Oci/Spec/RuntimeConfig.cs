using System.Text.Json.Serialization;

namespace Tender.Oci.Spec;

// The part of the OCI runtime specification's config.json (config.md, config-linux.md) this
// runtime reads. Unknown members are skipped: a bundle written for runc carries mounts, seccomp,
// capabilities and more that mean nothing to a unikernel (docs/containers.md, "What is ignored").

public sealed record RuntimeConfig
{
    [JsonPropertyName("ociVersion")] public string? OciVersion { get; init; }
    [JsonPropertyName("process")] public ProcessConfig? Process { get; init; }
    [JsonPropertyName("root")] public RootConfig? Root { get; init; }
    [JsonPropertyName("hostname")] public string? Hostname { get; init; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; init; }
    [JsonPropertyName("hooks")] public HooksConfig? Hooks { get; init; }
    [JsonPropertyName("linux")] public LinuxConfig? Linux { get; init; }
}

public sealed record ProcessConfig
{
    [JsonPropertyName("terminal")] public bool Terminal { get; init; }
    [JsonPropertyName("args")] public List<string>? Args { get; init; }
    [JsonPropertyName("env")] public List<string>? Env { get; init; }
    [JsonPropertyName("cwd")] public string? Cwd { get; init; }
}

public sealed record RootConfig
{
    [JsonPropertyName("path")] public string? Path { get; init; }
    [JsonPropertyName("readonly")] public bool Readonly { get; init; }
}

public sealed record HooksConfig
{
    [JsonPropertyName("prestart")] public List<HookConfig>? Prestart { get; init; }
    [JsonPropertyName("createRuntime")] public List<HookConfig>? CreateRuntime { get; init; }
    [JsonPropertyName("createContainer")] public List<HookConfig>? CreateContainer { get; init; }
    [JsonPropertyName("startContainer")] public List<HookConfig>? StartContainer { get; init; }
    [JsonPropertyName("poststart")] public List<HookConfig>? Poststart { get; init; }
    [JsonPropertyName("poststop")] public List<HookConfig>? Poststop { get; init; }
}

public sealed record HookConfig
{
    [JsonPropertyName("path")] public string Path { get; init; } = "";
    [JsonPropertyName("args")] public List<string>? Args { get; init; }
    [JsonPropertyName("env")] public List<string>? Env { get; init; }
    [JsonPropertyName("timeout")] public int? Timeout { get; init; }
}

public sealed record LinuxConfig
{
    [JsonPropertyName("namespaces")] public List<NamespaceConfig>? Namespaces { get; init; }
    [JsonPropertyName("cgroupsPath")] public string? CgroupsPath { get; init; }
    [JsonPropertyName("resources")] public ResourcesConfig? Resources { get; init; }
}

public sealed record NamespaceConfig
{
    [JsonPropertyName("type")] public string Type { get; init; } = "";
    [JsonPropertyName("path")] public string? Path { get; init; }
}

public sealed record ResourcesConfig
{
    [JsonPropertyName("memory")] public MemoryConfig? Memory { get; init; }
}

public sealed record MemoryConfig
{
    [JsonPropertyName("limit")] public long? Limit { get; init; }
}
