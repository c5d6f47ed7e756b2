using Tender.Host.Interop;
using Tender.Kvm.Interop;

namespace Tender.Kvm;

/// <summary>A KVM or libc call failed. The message names the call and the OS error.</summary>
public sealed class KvmException : Exception
{
    public KvmException(string message) : base(message) { }

    public KvmException(string operation, int errno)
        : base($"{operation} failed: {LibC.ErrorText(errno)} (errno {errno})")
    {
        Errno = errno;
    }

    public int Errno { get; }

    internal static KvmException FromLastError(string operation) =>
        new(operation, System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
}
