namespace Tender;

/// <summary>
/// A problem the user can fix (bad command line, ELF, manifest, device, KVM set-up): reported as
/// one line "tender: MESSAGE" and exit code 1, never a stack trace.
/// </summary>
public sealed class TenderException(string message) : Exception(message);
