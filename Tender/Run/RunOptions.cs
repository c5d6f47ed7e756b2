using Tender.Diagnostics;

namespace Tender.Run;

/// <summary>Everything `tender run` was asked to do, after command-line parsing.</summary>
internal sealed record RunOptions
{
    public required string KernelPath { get; init; }
    public IReadOnlyList<string> GuestArguments { get; init; } = [];
    public string? ManifestPath { get; init; }
    /// <summary>Guest memory in MiB (solo5-hvt's --mem unit).</summary>
    public ulong MemoryMiB { get; init; } = DefaultMemoryMiB;
    public bool Trace { get; init; }
    /// <summary>Trace file; null = stderr.</summary>
    public string? TracePath { get; init; }
    public TraceFormat TraceFormat { get; init; } = TraceFormat.Text;
    public TimeSpan? Timeout { get; init; }
    public string? TimeoutText { get; init; }
    public IReadOnlyList<DeviceFlag> Devices { get; init; } = [];

    /// <summary>solo5-hvt's default.</summary>
    public const ulong DefaultMemoryMiB = 512;
}

/// <summary>A solo5-hvt device flag as given: --net:NAME=IF, --block:NAME=PATH, …</summary>
internal sealed record DeviceFlag(string Option, string Name, string Value)
{
    public override string ToString() => $"--{Option}:{Name}={Value}";
}
