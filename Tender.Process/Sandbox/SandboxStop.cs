namespace Tender.ProcessPlatform.Sandbox;

/// <summary>Why <see cref="SandboxProcess.Resume"/> returned.</summary>
public enum SandboxStopKind
{
    /// <summary>A signal is about to be delivered to the child (a fault, a trapped system call, a kick): the child is stopped and can be inspected and resumed.</summary>
    Signal,
    /// <summary>The child exited (<see cref="SandboxStop.ExitStatus"/>). The sandbox is gone.</summary>
    Exited,
    /// <summary>A signal killed the child (<see cref="SandboxStop.Signal"/>). The sandbox is gone.</summary>
    Killed,
}

/// <summary>
/// One stop of the sandbox child. For <see cref="SandboxStopKind.Signal"/> the fields are the
/// signal's siginfo: <see cref="SiCode"/> (SI_KERNEL = 0x80 for a #GP such as <c>out</c> at
/// CPL 3; SEGV_MAPERR = 1 / SEGV_ACCERR = 2 for page faults), <see cref="SiAddr"/> (the faulting
/// address of SIGSEGV/SIGBUS, the instruction of SIGILL/SIGFPE; for SIGSYS the address after the
/// system call instruction), <see cref="SiErrno"/> (for SIGSYS the seccomp filter's data:
/// 0 = a 64-bit <c>syscall</c>, 1 = <c>int 0x80</c> or another 32-bit entry), and for SIGSYS
/// <see cref="SyscallNumber"/> and <see cref="SyscallArch"/> (AUDIT_ARCH_X86_64 = 0xC000003E,
/// AUDIT_ARCH_I386 = 0x40000003). <see cref="ExitStatus"/> is set for <see cref="SandboxStopKind.Exited"/> only.
/// </summary>
public readonly record struct SandboxStop(
    SandboxStopKind Kind,
    int Signal,
    int SiCode,
    ulong SiAddr,
    int SiErrno,
    int SyscallNumber,
    uint SyscallArch,
    int ExitStatus);
