namespace Tender.Cli;

/// <summary>
/// The part of `tender run`'s command line that System.CommandLine cannot express, split off
/// before it parses the rest:
/// <list type="bullet">
/// <item>solo5-hvt's device flags, whose option name carries the device name after a colon
///   (<c>--net:service=tap0</c>, <c>--block-sector-size:disk=4096</c>);</item>
/// <item><c>--trace</c> alone (trace to stderr) versus <c>--trace=FILE</c>, and <c>--dumpcore</c>
///   versus <c>--dumpcore=DIR</c>: an optional value must be attached with '=', or
///   <c>--trace kernel.elf</c> would take the kernel as the file;</item>
/// <item>the kernel and the guest's arguments: the first operand is the kernel, and everything
///   after it belongs to the guest, even tokens that look like options (one leading <c>--</c> is
///   dropped); a <c>--</c> before the kernel (solo5-hvt's spelling) is accepted too.</item>
/// </list>
/// </summary>
internal sealed class RunArguments
{
    /// <summary>Options whose value may be the next token (so that token is not the kernel).</summary>
    private static readonly HashSet<string> OptionsWithValue =
        ["--manifest", "--mem", "--timeout", "--trace-format", "--log-level", "--platform", "--sandbox"];

    /// <summary>Every other option `run` has (System.CommandLine would take an unknown one for the
    /// kernel, so unknown options are refused here).</summary>
    private static readonly HashSet<string> KnownOptions =
        [.. OptionsWithValue, "--quiet", "-q", "--help", "-h", "-?"];

    public static IReadOnlyList<string> DeviceOptions => Tender.Devices.DeviceOption.Names;

    public List<string> Tokens { get; } = [];
    public List<Devices.DeviceOption> Devices { get; } = [];
    /// <summary>--pci:NAME=VALUE options (issue 6), checked against the manifest by PciAttachment.</summary>
    public List<PciSupport.PciOption> PciDevices { get; } = [];
    public bool Trace { get; private set; }
    public string? TracePath { get; private set; }
    /// <summary>--gdb, --gdb=PORT, --gdb=ADDRESS:PORT (and solo5-hvt's --gdb-port=PORT); null without.</summary>
    public System.Net.IPEndPoint? GdbEndpoint { get; private set; }
    private int? _gdbPort;
    private bool _gdb;

    /// <summary>solo5-hvt's default --gdb-port.</summary>
    public const int DefaultGdbPort = 1234;

    /// <summary>--dumpcore (".") or --dumpcore=DIR; null without either.</summary>
    public string? DumpCoreDirectory { get; private set; }
    public string? Kernel { get; private set; }
    public List<string> GuestArguments { get; } = [];

    public static RunArguments Split(IReadOnlyList<string> args)
    {
        var result = new RunArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string token = args[i];
            if (result.Kernel is not null)
            {
                if (token == "--" && result.GuestArguments.Count == 0 && !result._droppedSeparator)
                {
                    result._droppedSeparator = true;
                    continue;
                }
                result.GuestArguments.Add(token);
                continue;
            }
            if (token == "--")
            {
                if (i + 1 < args.Count)
                {
                    result.Kernel = args[++i];
                    result._droppedSeparator = true; // the guest's arguments follow directly
                }
                continue;
            }
            if (token == "--trace")
            {
                result.Trace = true;
                continue;
            }
            if (token.StartsWith("--trace=", StringComparison.Ordinal))
            {
                string path = token["--trace=".Length..];
                if (path.Length == 0) throw new TenderException("--trace=: the file name is empty (use --trace alone for stderr)");
                result.Trace = true;
                result.TracePath = path;
                continue;
            }
            if (token == "--gdb")
            {
                result._gdb = true;
                continue;
            }
            if (token.StartsWith("--gdb=", StringComparison.Ordinal))
            {
                result._gdb = true;
                result.GdbEndpoint = ParseGdbEndpoint(token["--gdb=".Length..], token);
                continue;
            }
            if (token.StartsWith("--gdb-port=", StringComparison.Ordinal))
            {
                result._gdbPort = ParsePort(token["--gdb-port=".Length..], token);
                continue;
            }
            if (token == "--dumpcore")
            {
                result.DumpCoreDirectory = ".";
                continue;
            }
            if (token.StartsWith("--dumpcore=", StringComparison.Ordinal))
            {
                string directory = token["--dumpcore=".Length..];
                if (directory.Length == 0) throw new TenderException("--dumpcore=: the directory name is empty (use --dumpcore alone for the current directory)");
                result.DumpCoreDirectory = directory;
                continue;
            }
            if (token.StartsWith("--pci:", StringComparison.Ordinal))
            {
                string rest = token["--pci:".Length..];
                int equals = rest.IndexOf('=');
                if (equals <= 0 || equals == rest.Length - 1)
                    throw new TenderException($"{token}: expected --pci:NAME=emulated-ixgbe[,tap=IF|,cable=NAME][,mac=MAC][,trace] or --pci:NAME=0000:BB:DD.F");
                result.PciDevices.Add(new PciSupport.PciOption(rest[..equals], rest[(equals + 1)..]));
                continue;
            }
            if (TryDevice(token, out var device))
            {
                result.Devices.Add(device);
                continue;
            }
            if (token.StartsWith('-') && token.Length > 1)
            {
                string name = token.Split('=', 2)[0];
                if (!KnownOptions.Contains(name))
                    throw new TenderException($"run: unknown option {name} (see 'tender run --help')");
                result.Tokens.Add(token);
                if (OptionsWithValue.Contains(token) && i + 1 < args.Count) result.Tokens.Add(args[++i]);
                continue;
            }
            result.Kernel = token;
        }
        if (result.Kernel is not null) result.Tokens.Add(result.Kernel);
        if (result._gdbPort is int port)
        {
            if (result.GdbEndpoint is not null) throw new TenderException("--gdb-port: the port is already given by --gdb=…");
            result._gdb = true; // solo5-hvt needs --gdb as well; the port alone says enough
            result.GdbEndpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port);
        }
        if (result._gdb && result.GdbEndpoint is null) result.GdbEndpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, DefaultGdbPort);
        return result;
    }

    /// <summary>PORT (on 127.0.0.1: never another address unless one is given) or ADDRESS:PORT.</summary>
    private static System.Net.IPEndPoint ParseGdbEndpoint(string value, string token)
    {
        int colon = value.LastIndexOf(':');
        if (colon < 0) return new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, ParsePort(value, token));
        string host = value[..colon].Trim('[', ']');
        if (!System.Net.IPAddress.TryParse(host, out var address))
            throw new TenderException($"{token}: expected --gdb=PORT or --gdb=ADDRESS:PORT with a numeric IP address, not \"{host}\"");
        return new System.Net.IPEndPoint(address, ParsePort(value[(colon + 1)..], token));
    }

    private static int ParsePort(string text, string token)
    {
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new TenderException($"{token}: the port must be a number from 1 to 65535");
        return port;
    }

    private bool _droppedSeparator;

    private static bool TryDevice(string token, out Devices.DeviceOption device)
    {
        device = null!;
        foreach (var option in DeviceOptions)
        {
            string prefix = "--" + option + ":";
            if (!token.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string rest = token[prefix.Length..];
            int equals = rest.IndexOf('=');
            if (equals <= 0 || equals == rest.Length - 1)
                throw new TenderException($"{token}: expected --{option}:NAME={ValueName(option)}");
            device = new Devices.DeviceOption(option, rest[..equals], rest[(equals + 1)..]);
            return true;
        }
        if (token.StartsWith("--net=", StringComparison.Ordinal) || token.StartsWith("--block=", StringComparison.Ordinal))
            throw new TenderException($"{token}: name the device: --net:NAME=IFACE or --block:NAME=PATH (solo5-hvt's spelling)");
        return false;
    }

    private static string ValueName(string option) => option switch
    {
        "net" => "IFACE",
        "net-mac" => "MAC",
        "block" or "block-ro" => "PATH",
        _ => "BYTES",
    };
}
