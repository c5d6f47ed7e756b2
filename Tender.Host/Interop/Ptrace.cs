using System.Runtime.InteropServices;

namespace Tender.Host.Interop;

/// <summary>
/// Tracing a child process: ptrace, waitpid, cross-process memory access and signals by pidfd.
/// The process platform's sandbox (Tender.Process) is the user. Numbers are x86-64 Linux uapi
/// (<c>linux/ptrace.h</c>, <c>asm/unistd_64.h</c>, <c>bits/waitflags.h</c>).
/// </summary>
internal static unsafe partial class LibC
{
    // ptrace requests.
    public const int PTRACE_CONT = 7;
    public const int PTRACE_SINGLESTEP = 9;
    public const int PTRACE_PEEKUSER = 3;
    public const int PTRACE_POKEUSER = 6;
    /// <summary>offsetof(struct user, u_debugreg) on x86-64: DR0..DR7 follow, 8 bytes each.</summary>
    public const int UserDebugRegistersOffset = 848;
    public const int PTRACE_GETREGS = 12;
    public const int PTRACE_SETREGS = 13;
    public const int PTRACE_GETSIGINFO = 0x4202;
    public const int PTRACE_SEIZE = 0x4206;
    public const int PTRACE_INTERRUPT = 0x4207;

    // PTRACE_SEIZE options and events.
    /// <summary>The tracee gets SIGKILL when its tracer exits (the sandbox never outlives the tender).</summary>
    public const int PTRACE_O_EXITKILL = 0x100000;
    /// <summary>status &gt;&gt; 16 of a group-stop (or interrupt) under PTRACE_SEIZE.</summary>
    public const int PTRACE_EVENT_STOP = 128;

    // waitpid options.
    public const int WNOHANG = 1;
    /// <summary>__WALL: wait for any child, whether it reports with SIGCHLD or not.</summary>
    public const int __WALL = 0x40000000;

    // Signals (x86-64 numbering).
    public const int SIGILL = 4;
    public const int SIGTRAP = 5;
    public const int SIGABRT = 6;
    public const int SIGBUS = 7;
    public const int SIGFPE = 8;
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGSEGV = 11;
    public const int SIGUSR2 = 12;
    public const int SIGSTOP = 19;
    public const int SIGSYS = 31;

    public const int ESRCH = 3;
    public const int ECHILD = 10;
    public const int EEXIST = 17;

    /// <summary>
    /// glibc's ptrace is variadic (<c>long ptrace(enum __ptrace_request, ...)</c>) but reads exactly
    /// these four integer-class arguments; on x86-64 such a call passes them in the same registers
    /// as a fixed-argument call, so this declaration is exact. The glibc wrapper only differs from
    /// the raw system call for PEEK requests, which the tender does not use.
    /// </summary>
    [LibraryImport(Lib, EntryPoint = "ptrace", SetLastError = true)]
    public static partial long Ptrace(int request, int pid, nint address, nint data);

    [LibraryImport(Lib, EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, int* status, int options);

    // waitid: wait for the process behind a pidfd (never a later process with the same pid).
    public const int P_PIDFD = 3;
    public const int WEXITED = 4;

    [LibraryImport(Lib, EntryPoint = "waitid", SetLastError = true)]
    public static partial int WaitId(int idType, int id, SigInfo* info, int options);

    [LibraryImport(Lib, EntryPoint = "process_vm_readv", SetLastError = true)]
    public static partial nint ProcessVmReadV(int pid, IoVec* local, nuint localCount, IoVec* remote, nuint remoteCount, nuint flags);

    [LibraryImport(Lib, EntryPoint = "process_vm_writev", SetLastError = true)]
    public static partial nint ProcessVmWriteV(int pid, IoVec* local, nuint localCount, IoVec* remote, nuint remoteCount, nuint flags);

    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    /// <summary>A descriptor that names the process itself, not its pid: signals through it cannot reach a later process that reused the pid.</summary>
    [LibraryImport(Lib, EntryPoint = "pidfd_open", SetLastError = true)]
    public static partial int PidFdOpen(int pid, uint flags);

    [LibraryImport(Lib, EntryPoint = "pidfd_send_signal", SetLastError = true)]
    public static partial int PidFdSendSignal(int pidFd, int signal, void* info, uint flags);

    /// <summary>
    /// The kernel's x86-64 <c>siginfo_t</c> (128 bytes) as far as the tender reads it: signo,
    /// errno, code, then (after 4 bytes of padding) the union at offset 16. For faults the union
    /// starts with si_addr; for SIGSYS (seccomp) with si_call_addr, then si_syscall (int) at 24
    /// and si_arch (unsigned int) at 28.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    public struct SigInfo
    {
        [FieldOffset(0)] public int Signo;
        [FieldOffset(4)] public int Errno;
        [FieldOffset(8)] public int Code;
        [FieldOffset(16)] public ulong Address;
        [FieldOffset(24)] public int Syscall;
        [FieldOffset(28)] public uint Arch;
    }
}
