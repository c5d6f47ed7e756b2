using Serilog;
using Tender.Host;
using Tender.Host.Seccomp;

namespace Tender.Run;

/// <summary>
/// The tender's own sandbox, installed when set-up ends (every file is open, every thread that
/// serves the guest started): no new privileges, no capabilities, and a seccomp allow-list on
/// every thread of the process whose default action kills the process (SIGSYS). What a guest
/// that took over the tender could still do is then only what the run loop itself does. The
/// list and how it was derived: docs/security.md, "The tender's own sandbox";
/// scripts/sandbox-syscalls regenerates it.
/// </summary>
internal static class TenderSandbox
{
    /// <summary>The debug line written at the sandbox point; scripts/sandbox-syscalls cuts its strace logs there.</summary>
    public const string SetUpEndMarker = "set-up ends";

    /// <summary>x86-64 system call numbers (asm/unistd_64.h).</summary>
    private static class Nr
    {
        public const int Read = 0, Write = 1, Close = 3, Fstat = 5, Poll = 7, Lseek = 8, Mmap = 9, Mprotect = 10, Munmap = 11,
            Brk = 12, RtSigaction = 13, RtSigprocmask = 14, RtSigreturn = 15, Ioctl = 16, Pread64 = 17, Pwrite64 = 18,
            Readv = 19, Writev = 20, SchedYield = 24, Mremap = 25, Madvise = 28, Nanosleep = 35, RestartSyscall = 219, Getpid = 39,
            Clone = 56, Exit = 60, Wait4 = 61, Kill = 62, Fcntl = 72, Flock = 73, Getrusage = 98, Fsync = 74, Fdatasync = 75, Getuid = 102, Sigaltstack = 131,
            Prctl = 157, Gettid = 186, Futex = 202, SchedGetaffinity = 204, ClockGettime = 228, ClockNanosleep = 230,
            ExitGroup = 231, EpollWait = 232, EpollCtl = 233, Tgkill = 234, Waitid = 247, Ppoll = 271,
            Recvfrom = 45, Sendto = 44, Sendmsg = 46, Recvmsg = 47, Shutdown = 48, Setsockopt = 54, Getsockopt = 55, SetRobustList = 273, EpollPwait = 281, ProcessVmReadv = 310, ProcessVmWritev = 311, Getrandom = 318, Open = 2, Openat = 257, Sysinfo = 99, Getrlimit = 97, Prlimit64 = 302,
            Membarrier = 324, Rseq = 334, PidfdSendSignal = 424, Clone3 = 435, EpollPwait2 = 441, Ptrace = 101;
    }

    private const ulong CLONE_THREAD = 0x10000;
    private const ulong PROT_EXEC = 0x4;
    private const int ENOSYS = 38, EACCES = 13;
    private const uint TCGETS = 0x5401;

    /// <summary>
    /// Installs the sandbox on the whole process. Called once, on the run loop's thread, right
    /// before the loop. On failure the run stops: a tender that was asked to sandbox itself does
    /// not run unsandboxed.
    /// </summary>
    /// <param name="coreDirectoryFd">--dumpcore's directory: the one openat allowed (<see cref="Diagnostics.CoreDumper.CreateFlags"/> in it)</param>
    /// <param name="gdbSocketFd">--gdb's connection: the one socket the tender then receives from and sends to</param>
    public static void Install(int? coreDirectoryFd = null, int? gdbSocketFd = null)
    {
        WarmUpLazyState();
        var fds = FdKinds.OfThisProcess();
        int[] children = FdKinds.ChildrenOfThisProcess();
        var filter = AllowList(fds, Environment.ProcessId, children, coreDirectoryFd, gdbSocketFd);
        byte[] program = filter.Build(SyscallFilter.SECCOMP_RET_KILL_PROCESS);
        try
        {
            SelfRestrictions.SetNoNewPrivileges();
            ulong had = SelfRestrictions.DropCapabilities();
            SelfRestrictions.InstallFilterOnAllThreads(program);
            Log.Debug("sandbox: no new privileges; capabilities dropped (effective set was 0x{Caps:x16}, now none); seccomp allow-list of {Rules} system calls ({Instructions} BPF instructions) on every thread; ioctl on fds {Ioctl}, signals to pid {Pid} and children [{Children}]",
                had, filter.Rules.Count, program.Length / 8, string.Join(',', fds.IoctlFds), Environment.ProcessId, string.Join(',', children));
        }
        catch (HostException e)
        {
            throw new TenderException($"installing the tender's sandbox: {e.Message} (--sandbox=off runs without it)");
        }
    }

    /// <summary>
    /// What the runtime loads lazily from files, loaded now while files can still be opened: the
    /// local time zone (/etc/localtime: lstat, stat, openat, readlink), which the console log's
    /// timestamps first need when a stop (--timeout, SIGINT, SIGTERM) is logged after set-up.
    /// </summary>
    private static void WarmUpLazyState()
    {
        _ = TimeZoneInfo.Local.BaseUtcOffset;
        _ = DateTimeOffset.Now;
    }

    /// <summary>
    /// The allow-list: what the run loop, the device threads (network ring I/O, PCI pump, stop
    /// timer) and the .NET runtime call after set-up, measured with scripts/sandbox-syscalls.
    /// Most frequent first: the filter tests the rules in order.
    /// </summary>
    internal static SyscallFilter AllowList(FdKinds fds, int ownPid, IReadOnlyList<int> children, int? coreDirectoryFd = null, int? gdbSocketFd = null)
    {
        ArgMatch[][] OnFds(IEnumerable<int> list) => [.. list.Select(fd => new[] { ArgMatch.Equal32(0, (uint)fd) })];
        ArgMatch[][] signalTargets = [[ArgMatch.Equal32(0, (uint)ownPid)],
            .. children.Select(pid => new[] { ArgMatch.Equal32(0, (uint)pid) }),
            .. children.Select(pid => new[] { ArgMatch.Equal32(0, unchecked((uint)-pid)) })];
        var noExec = new[] { ArgMatch.Clear(2, PROT_EXEC) };
        var filter = new SyscallFilter();
        // The guest's exits and hypercalls.
        // .NET's console asks whether stdin is a terminal (TCGETS) when it first writes: the
        // one request allowed on fds 0-2, reading terminal attributes, never setting them.
        ArgMatch[][] terminalQueries = [.. Enumerable.Range(0, 3).Select(fd => new[] { ArgMatch.Equal32(0, (uint)fd), ArgMatch.Equal32(1, TCGETS) })];
        filter.Allow("ioctl", Nr.Ioctl, [.. OnFds(fds.IoctlFds), .. terminalQueries]);
        if (children.Count > 0)
        {
            // The process platform's tracer: only requests on the attached child, never an attach.
            ArgMatch[][] requests = [.. new ulong[] { 7 /* CONT */, 9 /* SINGLESTEP: a debugger's step */, 3 /* PEEKUSER */, 6 /* POKEUSER: a debugger's DR0-DR7 */, 12 /* GETREGS */, 13 /* SETREGS */, 0x4202 /* GETSIGINFO */, 0x4207 /* INTERRUPT */ }
                .SelectMany(request => children.Select(pid => new[] { ArgMatch.Equal(0, request), ArgMatch.Equal32(1, (uint)pid) }))];
            filter.Allow("ptrace", Nr.Ptrace, requests)
                .Allow("wait4", Nr.Wait4)
                .Allow("waitid", Nr.Waitid)
                .Allow("process_vm_readv", Nr.ProcessVmReadv, OnChildren(children))
                .Allow("process_vm_writev", Nr.ProcessVmWritev, OnChildren(children));
            if (fds.PidFds.Count > 0) filter.Allow("pidfd_send_signal", Nr.PidfdSendSignal, OnFds(fds.PidFds));
        }
        filter.Allow("read", Nr.Read)
            .Allow("write", Nr.Write)
            .Allow("pread64", Nr.Pread64)
            .Allow("pwrite64", Nr.Pwrite64)
            .Allow("readv", Nr.Readv)
            .Allow("writev", Nr.Writev)
            .Allow("fsync", Nr.Fsync)
            .Allow("fdatasync", Nr.Fdatasync)
            .Allow("epoll_wait", Nr.EpollWait)
            .Allow("epoll_pwait", Nr.EpollPwait)
            .Allow("epoll_pwait2", Nr.EpollPwait2)
            .Allow("epoll_ctl", Nr.EpollCtl)
            .Allow("poll", Nr.Poll)
            .Allow("ppoll", Nr.Ppoll)
            .Allow("clock_gettime", Nr.ClockGettime)
            .Allow("clock_nanosleep", Nr.ClockNanosleep)
            .Allow("nanosleep", Nr.Nanosleep)
            // A sleep or wait interrupted by a stop (SIGSTOP, a debugger) or a handled signal
            // (SIGTERM, SIGINT) resumes through restart_syscall.
            .Allow("restart_syscall", Nr.RestartSyscall)
            // The .NET runtime: locks, memory, signals (its GC suspends threads with a signal),
            // threads (the thread pool and timers may start threads after set-up).
            .Allow("futex", Nr.Futex)
            .Allow("sched_yield", Nr.SchedYield)
            .Allow("mmap", Nr.Mmap, noExec)
            .Allow("mprotect", Nr.Mprotect, noExec)
            .Allow("munmap", Nr.Munmap)
            .Allow("madvise", Nr.Madvise)
            .Allow("mremap", Nr.Mremap)
            .Allow("brk", Nr.Brk)
            .Allow("membarrier", Nr.Membarrier)
            .Allow("rt_sigprocmask", Nr.RtSigprocmask)
            .Allow("rt_sigreturn", Nr.RtSigreturn)
            .Allow("rt_sigaction", Nr.RtSigaction)
            .Allow("sigaltstack", Nr.Sigaltstack)
            .Allow("tgkill", Nr.Tgkill, [ArgMatch.Equal32(0, (uint)ownPid)])
            .Allow("kill", Nr.Kill, signalTargets)
            .Allow("getpid", Nr.Getpid)
            .Allow("gettid", Nr.Gettid)
            .Allow("clone", Nr.Clone, [ArgMatch.Set(0, CLONE_THREAD)])
            // glibc tries clone3 first and falls back to clone on ENOSYS; clone3's flags are in
            // memory, out of the filter's reach, so only clone (flags in a register) is allowed.
            .Fail("clone3", Nr.Clone3, ENOSYS)
            // Nothing is opened after set-up, but the runtime probes files lazily: the GC reads
            // /proc/meminfo for the memory load when it collects (found by the hostile guest).
            // Such a probe is answered EACCES rather than killing the run: the GC then stops
            // reading the file and asks sysinfo, and a compromised tender still opens nothing.
            .Fail("open", Nr.Open, EACCES)
            .Allow("sysinfo", Nr.Sysinfo)
            // ... and its address-space limit: read only (pid 0, no new limit), never set.
            .Allow("prlimit64", Nr.Prlimit64, [ArgMatch.Equal32(0, 0), ArgMatch.Equal(2, 0)])
            .Allow("getrlimit", Nr.Getrlimit)
            .Allow("set_robust_list", Nr.SetRobustList)
            .Allow("rseq", Nr.Rseq)
            .Allow("prctl", Nr.Prctl, [ArgMatch.Equal32(0, 15 /* PR_SET_NAME */)], [ArgMatch.Equal32(0, 16 /* PR_GET_NAME */)])
            .Allow("sched_getaffinity", Nr.SchedGetaffinity)
            .Allow("getrandom", Nr.Getrandom)
            .Allow("fcntl", Nr.Fcntl)
            // .NET's FileStream (the --trace file) takes and releases an advisory lock.
            .Allow("flock", Nr.Flock)
            // The runtime reads its own usage (RUSAGE_SELF or RUSAGE_THREAD) when it ends.
            .Allow("getrusage", Nr.Getrusage, [ArgMatch.Equal32(0, 0)], [ArgMatch.Equal32(0, 1)])
            .Allow("fstat", Nr.Fstat)
            .Allow("lseek", Nr.Lseek)
            .Allow("close", Nr.Close)
            .Allow("exit", Nr.Exit)
            .Allow("exit_group", Nr.ExitGroup);
        if (gdbSocketFd is int gdb)
        {
            // --gdb: .NET's socket reads and writes (recvmsg, sendto; recvfrom and sendmsg on other
            // paths) on the one connection accepted at set-up; no new socket, no accept, no connect.
            // Closing it while the session's reader thread is blocked in a receive makes .NET read
            // SO_TYPE (getsockopt) and shut the socket down first, and an abortive close sets
            // SO_LINGER (setsockopt): a fresh-clone CI run died of SIGSYS there, after gdb had
            // already been told the guest's exit.
            filter.Allow("recvmsg", Nr.Recvmsg, [ArgMatch.Equal32(0, (uint)gdb)])
                .Allow("recvfrom", Nr.Recvfrom, [ArgMatch.Equal32(0, (uint)gdb)])
                .Allow("sendto", Nr.Sendto, [ArgMatch.Equal32(0, (uint)gdb)])
                .Allow("sendmsg", Nr.Sendmsg, [ArgMatch.Equal32(0, (uint)gdb)])
                .Allow("shutdown", Nr.Shutdown, [ArgMatch.Equal32(0, (uint)gdb)])
                .Allow("getsockopt", Nr.Getsockopt, [ArgMatch.Equal32(0, (uint)gdb)])
                .Allow("setsockopt", Nr.Setsockopt, [ArgMatch.Equal32(0, (uint)gdb)]);
        }
        if (coreDirectoryFd is int dir)
            // --dumpcore: a new file in the directory opened at set-up, with CoreDumper's flags only.
            filter.AllowOrFail("openat", Nr.Openat, EACCES, [ArgMatch.Equal32(0, (uint)dir), ArgMatch.Equal32(2, (uint)Diagnostics.CoreDumper.CreateFlags)]);
        else
            filter.Fail("openat", Nr.Openat, EACCES);
        return filter;

        static ArgMatch[][] OnChildren(IReadOnlyList<int> children) => [.. children.Select(pid => new[] { ArgMatch.Equal32(0, (uint)pid) })];
    }
}
