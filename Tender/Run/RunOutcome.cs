namespace Tender.Run;

/// <summary>How a run ended, and the tender's exit code for it (docs/abi.md "Exit codes").</summary>
internal sealed record RunOutcome(int ExitCode, string Description)
{
    public const int TenderError = 1;
    public const int Abort = 255;
    public const int Timeout = 124;
    public const int Crash = 125;
    public const int Sigint = 130;
    public const int Sigterm = 143;
    /// <summary>gdb's `kill` (128 + SIGKILL, as a shell shows a killed process).</summary>
    public const int KilledByDebugger = 137;

    public static RunOutcome Halted(int status) => new(status, $"guest halted with status {status}");
    public static RunOutcome Aborted(string? message) => new(Abort, message is null ? "guest aborted" : $"guest aborted: {message}")
    {
        AbortMessage = message,
    };
    public static RunOutcome Crashed(string summary) => new(Crash, summary);

    public string? AbortMessage { get; init; }
}
