using System.Runtime.InteropServices;

namespace Tender.Host.Interop;

/// <summary>
/// <c>struct user_regs_struct</c> (x86-64, <c>sys/user.h</c>): what PTRACE_GETREGS/SETREGS move,
/// 27 quadwords in the kernel's order.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct UserRegs
{
    public ulong R15, R14, R13, R12, Rbp, Rbx, R11, R10, R9, R8;
    public ulong Rax, Rcx, Rdx, Rsi, Rdi, OrigRax;
    public ulong Rip, Cs, Eflags, Rsp, Ss;
    public ulong FsBase, GsBase, Ds, Es, Fs, Gs;
}
