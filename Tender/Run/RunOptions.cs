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
    public IReadOnlyList<Devices.DeviceOption> Devices { get; init; } = [];
    public IReadOnlyList<PciSupport.PciOption> PciDevices { get; init; } = [];
    /// <summary>--platform (or TENDER_PLATFORM): kvm, process or auto.</summary>
    public PlatformChoice Platform { get; init; } = PlatformChoice.Auto;
    /// <summary>
    /// --sandbox: the tender's own seccomp sandbox after set-up (docs/security.md). The command
    /// line turns it on unless told otherwise; a caller running guests inside its own process (the
    /// tests' in-process runs) must ask for it, since it confines that whole process for good.
    /// </summary>
    public bool Sandbox { get; init; }
    /// <summary>--dumpcore[=DIR]: where a crashed or aborted guest's core file goes; null: none.</summary>
    public string? DumpCoreDirectory { get; init; }
    /// <summary>
    /// Attaches a debugger at set-up, before the sandbox and before the guest's first instruction
    /// (--gdb: waits for gdb to connect); null: none.
    /// </summary>
    public Func<Debugging.GuestDebugAccess, Debugging.IGuestDebugger>? AttachDebugger { get; init; }
    /// <summary>--gdb: where the gdb stub listens (when <see cref="AttachDebugger"/> is not given).</summary>
    public System.Net.IPEndPoint? GdbEndpoint { get; init; }

    /// <summary>solo5-hvt's default.</summary>
    public const ulong DefaultMemoryMiB = 512;
}

