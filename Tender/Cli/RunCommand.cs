using System.CommandLine;
using Serilog.Events;
using Tender.Diagnostics;
using Tender.Run;

namespace Tender.Cli;

/// <summary>`tender run`: its options, help text, and the hand-off to <see cref="GuestRunner"/>.</summary>
internal static class RunCommand
{
    private static readonly Option<string?> Manifest = new("--manifest")
    {
        Description = "Application manifest (JSON); overrides a manifest note in the ELF",
        HelpName = "FILE",
    };

    private static readonly Option<string> Memory = new("--mem")
    {
        Description = $"Guest memory in MiB (default {RunOptions.DefaultMemoryMiB}, as solo5-hvt)",
        HelpName = "MiB",
    };

    // Declared for --help only: RunArguments takes --trace and --trace=FILE off the command line
    // before parsing (an optional value must be attached with '=').
    private static readonly Option<string?> Trace = new("--trace")
    {
        Description = "Print every hypercall (time, vCPU, name, arguments, result, duration) to stderr, or to FILE with --trace=FILE",
        HelpName = "FILE",
        Arity = ArgumentArity.ZeroOrOne,
    };

    // Declared for --help only, like --trace: RunArguments takes --dumpcore and --dumpcore=DIR.
    private static readonly Option<string?> DumpCore = new("--dumpcore")
    {
        Description = "When the guest crashes or aborts, write an ELF core file core.tender.PID (gdb guest.elf core) into the current directory, or into DIR with --dumpcore=DIR",
        HelpName = "DIR",
        Arity = ArgumentArity.ZeroOrOne,
    };

    // Declared for --help only: RunArguments takes --gdb, --gdb=… and --gdb-port=….
    private static readonly Option<string?> Gdb = new("--gdb")
    {
        Description = "Wait for gdb before the guest's first instruction and serve the GDB remote protocol on 127.0.0.1:1234, or on PORT / ADDRESS:PORT with --gdb=… (docs/debugging.md)",
        HelpName = "[ADDRESS:]PORT",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private static readonly Option<string?> GdbPort = new("--gdb-port")
    {
        Description = "solo5-hvt's spelling: the port for --gdb on 127.0.0.1",
        HelpName = "PORT",
    };

    private static readonly Option<string> TraceFormatOption = new("--trace-format")
    {
        Description = "Trace format: text (default) or json (one JSON object per line)",
        HelpName = "text|json",
    };

    private static readonly Option<string?> TimeoutOption = new("--timeout")
    {
        Description = "Stop the guest after DUR (500ms, 5s, 2m, 1h) and exit with 124",
        HelpName = "DUR",
    };

    private static readonly Option<string?> PlatformOption = new("--platform")
    {
        Description = "Where the guest runs: kvm, process (a sandboxed, traced child process; no /dev/kvm needed) or auto (default: kvm when /dev/kvm opens, else process). Default from TENDER_PLATFORM when set",
        HelpName = "kvm|process|auto",
    };

    private static readonly Option<string?> SandboxOption = new("--sandbox")
    {
        Description = "The tender's own seccomp sandbox after set-up (docs/security.md): on (default) or off (for debugging; a system call outside its list kills the tender with SIGSYS, exit status 159)",
        HelpName = "on|off",
    };

    private static readonly Option<bool> Quiet = new("--quiet", "-q")
    {
        Description = "Show only the guest's output and errors",
    };

    private static readonly Option<string?> LogLevel = new("--log-level")
    {
        Description = "Tender log level on stderr: error, warning (default), info, debug, verbose",
        HelpName = "LEVEL",
    };

    private static readonly Argument<string> Kernel = new("kernel.elf")
    {
        Description = "The guest: an ELF with a Tender deprivileged note or Solo5's hvt ABI note",
        Arity = ArgumentArity.ZeroOrOne, // a missing kernel gets the tender's own message
    };

    private static readonly Argument<string[]> GuestArguments = new("args")
    {
        Description = "Arguments for the guest (its command line); everything after the kernel, an optional -- first",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static Command Create()
    {
        var command = new Command("run", """
            Boot a guest ELF under /dev/kvm (or, without it, in a sandboxed process) and service its hypercalls.

            Devices, in solo5-hvt's spelling; NAME is a device the manifest declares, and every
            declared block or network device must be attached:
              --block:NAME=PATH  --block-ro:NAME=PATH  --block-sector-size:NAME=BYTES
              --net:NAME=TAP     --net-mac:NAME=MAC
            PCI devices (deprivileged guests; every PCI_BASIC device must be attached):
              --pci:NAME=emulated-ixgbe[,tap=TAP|,cable=NAME][,mac=MAC][,trace]
              --pci:NAME=0000:BB:DD.F   (a host function through VFIO; needs an IOMMU)

            Exit codes: the guest's HALT status (0-254); 255 guest aborted; 1 tender error;
            124 --timeout expired; 125 guest crashed (CPU exception, triple fault, bad hypercall);
            130/143 stopped by SIGINT/SIGTERM.
            """);
        command.Options.Add(Manifest);
        command.Options.Add(Memory);
        command.Options.Add(Trace);
        command.Options.Add(TraceFormatOption);
        command.Options.Add(DumpCore);
        command.Options.Add(Gdb);
        command.Options.Add(GdbPort);
        command.Options.Add(TimeoutOption);
        command.Options.Add(PlatformOption);
        command.Options.Add(SandboxOption);
        command.Options.Add(Quiet);
        command.Options.Add(LogLevel);
        command.Arguments.Add(Kernel);
        command.Arguments.Add(GuestArguments);
        return command;
    }

    /// <summary>Builds the run's options from a parse of the pre-split tokens.</summary>
    public static RunOptions ToOptions(ParseResult parse, RunArguments split)
    {
        // RunArguments hands the parser only known options and the kernel: nothing is left over.
        if (parse.GetValue(GuestArguments) is { Length: > 0 } extra)
            throw new TenderException($"run: unexpected argument {extra[0]}");
        ulong memoryMiB = RunOptions.DefaultMemoryMiB;
        if (parse.GetValue(Memory) is string mem)
        {
            if (!ulong.TryParse(mem, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out memoryMiB) || memoryMiB == 0)
                throw new TenderException($"--mem={mem}: expected a positive whole number of MiB");
        }
        var format = TraceFormat.Text;
        if (parse.GetValue(TraceFormatOption) is string f)
        {
            format = f switch
            {
                "text" => TraceFormat.Text,
                "json" => TraceFormat.Json,
                _ => throw new TenderException($"--trace-format={f}: expected text or json"),
            };
            if (!split.Trace) throw new TenderException("--trace-format needs --trace or --trace=FILE");
        }
        TimeSpan? timeout = null;
        string? timeoutText = parse.GetValue(TimeoutOption);
        if (timeoutText is not null)
        {
            if (!DurationParser.TryParse(timeoutText, out var duration, out var error))
                throw new TenderException($"--timeout: {error}");
            timeout = duration;
        }
        string platformText = parse.GetValue(PlatformOption) ?? Environment.GetEnvironmentVariable(Platforms.EnvironmentVariable) ?? "auto";
        var platform = Platforms.Parse(platformText) ?? throw new TenderException(
            parse.GetValue(PlatformOption) is null
                ? $"{Platforms.EnvironmentVariable}={platformText}: expected kvm, process or auto"
                : $"--platform={platformText}: expected kvm, process or auto");
        bool sandbox = parse.GetValue(SandboxOption) switch
        {
            null or "on" => true,
            "off" => false,
            string other => throw new TenderException($"--sandbox={other}: expected on or off"),
        };
        return new RunOptions
        {
            Platform = platform,
            Sandbox = sandbox,
            KernelPath = split.Kernel ?? throw new TenderException("run: missing the kernel ELF (usage: tender run [options] kernel.elf [--] [args])"),
            GuestArguments = split.GuestArguments,
            ManifestPath = parse.GetValue(Manifest),
            MemoryMiB = memoryMiB,
            Trace = split.Trace,
            TracePath = split.TracePath,
            TraceFormat = format,
            DumpCoreDirectory = split.DumpCoreDirectory,
            GdbEndpoint = split.GdbEndpoint,
            Timeout = timeout,
            TimeoutText = timeoutText,
            Devices = split.Devices,
            PciDevices = split.PciDevices,
        };
    }

    public static LogEventLevel LogLevelOf(ParseResult parse)
    {
        if (parse.GetValue(LogLevel) is string level)
        {
            return level.ToLowerInvariant() switch
            {
                "error" => LogEventLevel.Error,
                "warning" or "warn" => LogEventLevel.Warning,
                "info" or "information" => LogEventLevel.Information,
                "debug" => LogEventLevel.Debug,
                "verbose" or "trace" => LogEventLevel.Verbose,
                _ => throw new TenderException($"--log-level={level}: expected error, warning, info, debug or verbose"),
            };
        }
        return parse.GetValue(Quiet) ? LogEventLevel.Error : LogEventLevel.Warning;
    }
}
