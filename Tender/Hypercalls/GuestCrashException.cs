namespace Tender.Hypercalls;

/// <summary>
/// The guest did something that ends it as a crash (exit code 125) without a CPU fault: a bad
/// hypercall argument, an unknown port. The message is the first line of the report.
/// </summary>
internal sealed class GuestCrashException(string message) : Exception(message);
