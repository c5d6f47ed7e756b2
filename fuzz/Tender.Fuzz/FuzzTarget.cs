namespace Tender.Fuzz;

/// <summary>One parser's fuzz body: consumes the input, throws only to reject it or on a finding.</summary>
public delegate void FuzzBody(ReadOnlySpan<byte> input);

/// <summary>How one input ended.</summary>
public enum FuzzOutcome
{
    /// <summary>The parser took the input (or ignored it, as a NIC ignores a bad frame).</summary>
    Accepted,
    /// <summary>The parser refused it with its documented bad-input exception and a message.</summary>
    Rejected,
}

/// <summary>
/// A fuzz target: a parser of untrusted bytes, the exceptions that count as its clean rejection,
/// and the assemblies scripts/fuzz instruments for it (the code under test, not the harness).
/// Any other exception escapes <see cref="Run"/>: under afl-fuzz that is a crash, in the replay
/// tests a failure naming the input file. Targets touch the code under test only inside the body:
/// instrumented code that runs before SharpFuzz's fork server starts (a static initialiser) finds
/// no coverage map and the process dies.
/// </summary>
public sealed class FuzzTarget(string name, string reaches, string[] assemblies, FuzzBody body, params Type[] rejections)
{
    public string Name { get; } = name;
    /// <summary>What the target drives, one line (for --list and docs/security.md).</summary>
    public string Reaches { get; } = reaches;
    /// <summary>File names (in the harness's output directory) to instrument.</summary>
    public IReadOnlyList<string> Assemblies { get; } = assemblies;
    /// <summary>The exception types that are a clean rejection (empty: the parser never throws on input).</summary>
    public IReadOnlyList<Type> Rejections { get; } = rejections;

    public FuzzOutcome Run(ReadOnlySpan<byte> input)
    {
        try
        {
            body(input);
            return FuzzOutcome.Accepted;
        }
        catch (Exception e) when (IsCleanRejection(e))
        {
            return FuzzOutcome.Rejected;
        }
    }

    /// <summary>A documented bad-input exception, of exactly a listed type, that says what is wrong.</summary>
    public bool IsCleanRejection(Exception e) =>
        Rejections.Contains(e.GetType()) && !string.IsNullOrWhiteSpace(e.Message);
}
