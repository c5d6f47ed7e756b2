namespace Tender.Cli;

/// <summary>
/// `tender oci`'s command line, in runc's shape: global flags first, then the command, its flags
/// and its operands — what containerd's runc shim (go-runc) passes, e.g.
/// <c>--root R --log L --log-format json create --bundle B --pid-file P ID</c>. Flags take their
/// value as the next token or after '='. Parsed by hand: the shape is fixed by runc, and an
/// unknown flag must be an error naming it, not a guess.
/// </summary>
internal sealed class OciArguments
{
    /// <summary>Global flags with a value, and those without (runc's; --systemd-cgroup etc. are accepted, see OciCommand).</summary>
    private static readonly HashSet<string> GlobalWithValue = ["--root", "--log", "--log-format", "--criu", "--rootless"];
    private static readonly HashSet<string> GlobalSwitches = ["--systemd-cgroup", "--debug"];

    private static readonly Dictionary<string, (HashSet<string> WithValue, HashSet<string> Switches, int Operands)> Commands = new()
    {
        ["create"] = (["--bundle", "-b", "--pid-file", "--console-socket", "--preserve-fds"], ["--no-pivot", "--no-new-keyring"], 1),
        ["start"] = ([], [], 1),
        ["state"] = ([], [], 1),
        ["kill"] = ([], ["--all", "-a"], 2),
        ["delete"] = ([], ["--force", "-f"], 1),
        ["features"] = ([], [], 0),
        // The container's own process, started by `create` (not for users).
        ["init"] = (["--bundle", "--console", "--netns"], [], 1),
    };

    public Dictionary<string, string> Global { get; } = [];
    public HashSet<string> GlobalFlags { get; } = [];
    public string Command { get; private set; } = "";
    public Dictionary<string, string> Values { get; } = [];
    public HashSet<string> Flags { get; } = [];
    public List<string> Operands { get; } = [];

    public string? GlobalValue(string name) => Global.GetValueOrDefault(name);
    public string? Value(params string[] names) => names.Select(n => Values.GetValueOrDefault(n)).FirstOrDefault(v => v is not null);
    public bool Has(params string[] names) => names.Any(Flags.Contains);

    public static OciArguments Parse(IReadOnlyList<string> args)
    {
        var result = new OciArguments();
        int i = 0;
        for (; i < args.Count; i++)
        {
            string token = args[i];
            if (!token.StartsWith('-')) break;
            var (name, inline) = SplitInline(token);
            if (GlobalSwitches.Contains(name))
            {
                if (inline is not null && inline is not ("true" or "false"))
                    throw new TenderException($"oci: {name} takes no value");
                if (inline != "false") result.GlobalFlags.Add(name);
            }
            else if (GlobalWithValue.Contains(name))
                result.Global[name] = inline ?? NextValue(args, ref i, name);
            else
                throw new TenderException($"oci: unknown global flag {name} (see 'tender oci --help')");
        }
        if (i == args.Count) throw new TenderException("oci: missing the command (create, start, state, kill, delete, features)");
        result.Command = args[i++];
        if (!Commands.TryGetValue(result.Command, out var spec))
            throw new TenderException($"oci: unknown command \"{result.Command}\" (create, start, state, kill, delete, features)");
        for (; i < args.Count; i++)
        {
            string token = args[i];
            if (token.StartsWith('-') && token.Length > 1 && !IsNumber(token))
            {
                var (name, inline) = SplitInline(token);
                if (spec.Switches.Contains(name))
                {
                    if (inline is not null && inline is not ("true" or "false"))
                        throw new TenderException($"oci {result.Command}: {name} takes no value");
                    if (inline != "false") result.Flags.Add(name);
                }
                else if (spec.WithValue.Contains(name))
                    result.Values[name] = inline ?? NextValue(args, ref i, name);
                else
                    throw new TenderException($"oci {result.Command}: unknown flag {name}");
                continue;
            }
            result.Operands.Add(token);
        }
        int needed = result.Command == "kill" ? 1 : spec.Operands;
        if (result.Operands.Count < needed)
            throw new TenderException($"oci {result.Command}: missing the container id");
        if (result.Operands.Count > spec.Operands)
            throw new TenderException($"oci {result.Command}: unexpected \"{result.Operands[spec.Operands]}\"");
        return result;
    }

    private static (string Name, string? Inline) SplitInline(string token)
    {
        int equals = token.IndexOf('=');
        return equals < 0 ? (token, null) : (token[..equals], token[(equals + 1)..]);
    }

    private static string NextValue(IReadOnlyList<string> args, ref int i, string name)
    {
        if (i + 1 >= args.Count) throw new TenderException($"oci: {name} needs a value");
        return args[++i];
    }

    private static bool IsNumber(string token) => token.Length > 1 && token[1..].All(char.IsAsciiDigit);
}
