using System.Runtime.InteropServices;
using Tender.Host.Interop;

namespace Tender.ProcessPlatform.Sandbox;

/// <summary>
/// The sandbox child could not be started, traced, set up or locked down: the message names the
/// step and, for a failed system call, the errno and its text.
/// </summary>
public sealed class SandboxException : Exception
{
    public SandboxException(string message) : base(message) { }

    public SandboxException(string step, int errno)
        : base($"{step}: {LibC.ErrorText(errno)} (errno {errno})") => Errno = errno;

    /// <summary>The errno of the failed call, or 0 when the failure was not a system call's.</summary>
    public int Errno { get; }

    internal static SandboxException FromLastError(string step) => new(step, Marshal.GetLastSystemError());
}
