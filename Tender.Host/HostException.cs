using System.Runtime.InteropServices;
using Tender.Host.Interop;

namespace Tender.Host;

/// <summary>A failed host system call: what was attempted, and the errno with its text.</summary>
public sealed class HostException : IOException
{
    public HostException(string operation, int errno)
        : base($"{operation}: {LibC.ErrorText(errno)} (errno {errno})")
    {
        Operation = operation;
        Errno = errno;
    }

    public string Operation { get; }
    public int Errno { get; }

    /// <summary>An exception for the errno the last [LibraryImport] call with SetLastError left.</summary>
    public static HostException FromLastError(string operation) =>
        new(operation, Marshal.GetLastSystemError());
}
