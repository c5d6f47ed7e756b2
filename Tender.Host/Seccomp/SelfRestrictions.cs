using System.Runtime.InteropServices;
using Tender.Host.Interop;

namespace Tender.Host.Seccomp;

/// <summary>
/// What a process does to itself to give up privileges for good: no new privileges, no
/// capabilities, a seccomp filter on every thread. Each step is irreversible.
/// </summary>
public static unsafe class SelfRestrictions
{
    /// <summary>prctl(PR_SET_NO_NEW_PRIVS): no execve can ever grant privileges again (and seccomp needs it without CAP_SYS_ADMIN).</summary>
    public static void SetNoNewPrivileges()
    {
        if (LibC.Prctl(LibC.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            throw new HostException("prctl(PR_SET_NO_NEW_PRIVS)", Marshal.GetLastSystemError());
    }

    /// <summary>
    /// Drops every capability of the calling thread: the bounding set first (PR_CAPBSET_DROP
    /// needs CAP_SETPCAP, which the last step gives up), the ambient set, then effective,
    /// permitted and inheritable with capset. Returns the effective set it had (a bit per capability).
    /// </summary>
    public static ulong DropCapabilities()
    {
        var header = new LibC.CapHeader { Version = LibC.LINUX_CAPABILITY_VERSION_3, Pid = 0 };
        var data = stackalloc LibC.CapData[2];
        if (LibC.CapGet(&header, data) != 0) throw new HostException("capget", Marshal.GetLastSystemError());
        ulong had = data[0].Effective | ((ulong)data[1].Effective << 32);

        // The kernel's highest capability number is not known here: drop until it says EINVAL.
        for (int cap = 0; cap < 64; cap++)
        {
            if (LibC.Prctl(LibC.PR_CAPBSET_DROP, (nuint)cap, 0, 0, 0) == 0) continue;
            int errno = Marshal.GetLastSystemError();
            if (errno == LibC.EINVAL) break;
            // EPERM: no CAP_SETPCAP (an unprivileged tender); its bounding set stays, but with no
            // capabilities and no new privileges nothing can be gained from it.
            if (errno == LibC.EPERM) break;
            throw new HostException($"prctl(PR_CAPBSET_DROP, {cap})", errno);
        }
        if (LibC.Prctl(LibC.PR_CAP_AMBIENT, LibC.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
            throw new HostException("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", Marshal.GetLastSystemError());

        header = new LibC.CapHeader { Version = LibC.LINUX_CAPABILITY_VERSION_3, Pid = 0 };
        data[0] = default;
        data[1] = default;
        if (LibC.CapSet(&header, data) != 0) throw new HostException("capset (all sets empty)", Marshal.GetLastSystemError());
        return had;
    }

    /// <summary>
    /// Installs a seccomp filter (classic BPF, <see cref="SyscallFilter.Build"/>) on every thread of
    /// the process at once (SECCOMP_FILTER_FLAG_TSYNC). Needs no-new-privileges or CAP_SYS_ADMIN.
    /// </summary>
    public static void InstallFilterOnAllThreads(byte[] program)
    {
        fixed (byte* filter = program)
        {
            var fprog = new LibC.SockFprog { Length = (ushort)(program.Length / 8), Filter = filter };
            long result = LibC.Syscall3(LibC.SYS_seccomp, LibC.SECCOMP_SET_MODE_FILTER, LibC.SECCOMP_FILTER_FLAG_TSYNC, &fprog);
            // With TSYNC a positive result is the id of a thread that could not be synchronised.
            if (result > 0) throw new HostException($"seccomp(SECCOMP_SET_MODE_FILTER, TSYNC): thread {result} cannot take the filter", LibC.EPERM);
            if (result < 0) throw new HostException("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)", Marshal.GetLastSystemError());
        }
    }
}
