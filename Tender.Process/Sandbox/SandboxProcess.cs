using System.Runtime.InteropServices;
using Tender.Host;
using Tender.Host.Interop;
using Tender.Host.Seccomp;

namespace Tender.ProcessPlatform.Sandbox;

/// <summary>
/// The process platform's sandbox: a child process, traced with ptrace by the thread that
/// spawned it, whose address space holds only the guest's memory (mapped from the guest memfd
/// at the guest's own addresses), the tiny helper image (<see cref="HelperImage"/>) and a stack.
/// After <see cref="Lockdown"/> it has no file descriptors, no vDSO, no new privileges, fresh
/// IPC/UTS/network namespaces and a seccomp filter that traps every system call; the guest's
/// code then runs natively and everything it cannot do by itself (port I/O, emulated MMIO,
/// faults, system calls) stops the child and is reported by <see cref="Resume"/>.
/// </summary>
/// <remarks>
/// ptrace's tracer is a thread, not a process: every member except <see cref="Pid"/>,
/// <see cref="Kick"/> and <see cref="Dispose"/> must be called on the thread that called
/// <see cref="Spawn"/>, and that thread must outlive the object (the child is traced with
/// PTRACE_O_EXITKILL, so it is killed when the tracing thread or the tender exits).
/// </remarks>
public sealed unsafe class SandboxProcess : IDisposable
{
    /// <summary>
    /// The signal <see cref="Kick"/> sends. It stops the child like any signal (a
    /// signal-delivery-stop with SI_USER), and the caller resumes with signal 0, which discards it;
    /// the guest never sees it. SIGUSR1 is free: the helper has no handlers, and after Lockdown
    /// nothing in the child could send or use one.
    /// </summary>
    public const int KickSignal = LibC.SIGUSR1;

    /// <summary>The guest memfd's descriptor number in the child (until Lockdown closes it).</summary>
    private const int GuestMemoryFdInChild = 3;

    private const int MAP_FIXED_NOREPLACE = 0x100000;

    // x86-64 system call numbers (asm/unistd_64.h) the tender injects.
    private static class Nr
    {
        public const long Mmap = 9, Munmap = 11, Capset = 126, Prctl = 157, Unshare = 272, Seccomp = 317, CloseRange = 436;
    }

    private readonly int _pid;
    private readonly FileDescriptor _pidFd;
    private readonly int _tracerThread;
    private bool _lockedDown;
    /// <summary>Set once the child is known to be gone (reaped, or reaped by a concurrent Dispose).</summary>
    private volatile bool _ended;
    private int _disposed;
    /// <summary>A stop that arrived during an injected system call, returned by the next Resume.</summary>
    private SandboxStop? _pendingStop;
    /// <summary>The signal the caller asked to deliver at the real stop while a pending stop was returned instead.</summary>
    private int _deferredSignal;

    private SandboxProcess(int pid, FileDescriptor pidFd)
    {
        _pid = pid;
        _pidFd = pidFd;
        _tracerThread = Environment.CurrentManagedThreadId;
    }

    /// <summary>The child's process id.</summary>
    public int Pid => _pid;

    /// <summary>
    /// Starts the helper in a new process group with default signal dispositions, an empty signal
    /// mask and environment, the guest memfd at fd 3, a pipe at fd 0 and /dev/null at fds 1 and 2;
    /// seizes it with ptrace from the calling thread (which becomes the tracer) and waits for it
    /// to stop at its first int3. On any failure no child is left behind.
    /// </summary>
    public static SandboxProcess Spawn(int guestMemoryFd)
    {
        if (sizeof(UserRegs) != 216 || sizeof(LibC.SigInfo) != 128)
            throw new InvalidOperationException("interop layout bug: user_regs_struct must be 216 bytes and siginfo_t 128");
        int helperFd = HelperImage.Fd;

        int guestSource = -1, pipeRead = -1, pipeWrite = -1, pid = -1;
        FileDescriptor? pidFd = null;
        SandboxProcess? sandbox = null;
        try
        {
            // The file actions move descriptors onto 0..4; a source among 0..4 could be overwritten
            // before it is moved (or, as dup2 onto itself, keep its close-on-exec flag): every
            // source is a copy above 4.
            guestSource = LibC.Fcntl(guestMemoryFd, LibC.F_DUPFD_CLOEXEC, HelperImage.FdInChild + 1);
            if (guestSource < 0) throw SandboxException.FromLastError($"duplicating the guest memory fd {guestMemoryFd}");

            int* fds = stackalloc int[2];
            if (LibC.Pipe2(fds, LibC.O_CLOEXEC) != 0) throw SandboxException.FromLastError("pipe2 for the sandbox's start signal");
            pipeWrite = fds[1];
            pipeRead = MoveAboveChildFds(fds[0], "the start pipe");   // closes fds[0] either way

            pid = PosixSpawn(helperFd, guestSource, pipeRead);
            LibC.Close(pipeRead); pipeRead = -1;
            LibC.Close(guestSource); guestSource = -1;

            if (LibC.Ptrace(LibC.PTRACE_SEIZE, pid, 0, LibC.PTRACE_O_EXITKILL) != 0)
                throw SandboxException.FromLastError($"PTRACE_SEIZE of the sandbox process {pid}");
            int pfd = LibC.PidFdOpen(pid, 0);
            if (pfd < 0) throw SandboxException.FromLastError($"pidfd_open of the sandbox process {pid}");
            pidFd = new FileDescriptor(pfd);

            // Only now may the helper pass its read: the int3 after it must find a tracer.
            byte go = 1;
            if (LibC.Write(pipeWrite, &go, 1) != 1) throw SandboxException.FromLastError("writing the sandbox's start byte");
            LibC.Close(pipeWrite); pipeWrite = -1;

            sandbox = new SandboxProcess(pid, pidFd);
            sandbox.WaitForFirstStop();
            sandbox.SetName();
            return sandbox;
        }
        catch
        {
            if (pid > 0 && sandbox?._ended != true)
            {
                // Not reaped yet, so the pid cannot have been reused.
                LibC.Kill(pid, LibC.SIGKILL);
                int status;
                while (LibC.WaitPid(pid, &status, LibC.__WALL) < 0 && Marshal.GetLastSystemError() == LibC.EINTR) { }
            }
            pidFd?.Dispose();
            if (guestSource >= 0) LibC.Close(guestSource);
            if (pipeRead >= 0) LibC.Close(pipeRead);
            if (pipeWrite >= 0) LibC.Close(pipeWrite);
            throw;
        }
    }

    /// <summary>Returns fd if it is above every descriptor the spawn fills in the child (0 to 4), else a close-on-exec copy above them (closing fd).</summary>
    internal static int MoveAboveChildFds(int fd, string what)
    {
        if (fd > HelperImage.FdInChild) return fd;
        int copy = LibC.Fcntl(fd, LibC.F_DUPFD_CLOEXEC, HelperImage.FdInChild + 1);
        int errno = Marshal.GetLastSystemError();
        LibC.Close(fd);
        if (copy < 0) throw new SandboxException($"moving {what} above fd {HelperImage.FdInChild}", errno);
        return copy;
    }

    private static int PosixSpawn(int helperFd, int guestSource, int pipeRead)
    {
        byte* attributes = stackalloc byte[LibC.SpawnAttrSize];
        byte* actions = stackalloc byte[LibC.SpawnFileActionsSize];
        byte* emptySet = stackalloc byte[LibC.SigSetSize];
        byte* fullSet = stackalloc byte[LibC.SigSetSize];
        int error = LibC.PosixSpawnAttrInit(attributes);
        if (error != 0) throw new SandboxException("posix_spawnattr_init", error);
        try
        {
            error = LibC.PosixSpawnFileActionsInit(actions);
            if (error != 0) throw new SandboxException("posix_spawn_file_actions_init", error);
            try
            {
                LibC.SigEmptySet(emptySet);
                LibC.SigFillSet(fullSet);
                // Own process group: a terminal's Ctrl-C (sent to the foreground group) reaches the
                // tender, which decides; default dispositions and an empty mask: nothing the .NET
                // runtime ignored or blocked carries over into the sandbox.
                Check(LibC.PosixSpawnAttrSetFlags(attributes, LibC.POSIX_SPAWN_SETPGROUP | LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF), "posix_spawnattr_setflags");
                Check(LibC.PosixSpawnAttrSetPgroup(attributes, 0), "posix_spawnattr_setpgroup");
                Check(LibC.PosixSpawnAttrSetSigMask(attributes, emptySet), "posix_spawnattr_setsigmask");
                Check(LibC.PosixSpawnAttrSetSigDefault(attributes, fullSet), "posix_spawnattr_setsigdefault");

                Check(LibC.PosixSpawnFileActionsAddDup2(actions, guestSource, GuestMemoryFdInChild), "posix_spawn_file_actions_adddup2 (guest memory)");
                Check(LibC.PosixSpawnFileActionsAddDup2(actions, pipeRead, 0), "posix_spawn_file_actions_adddup2 (start pipe)");
                fixed (byte* devNull = "/dev/null\0"u8)
                {
                    Check(LibC.PosixSpawnFileActionsAddOpen(actions, 1, devNull, LibC.O_WRONLY, 0), "posix_spawn_file_actions_addopen (stdout)");
                    Check(LibC.PosixSpawnFileActionsAddOpen(actions, 2, devNull, LibC.O_WRONLY, 0), "posix_spawn_file_actions_addopen (stderr)");
                }
                Check(LibC.PosixSpawnFileActionsAddDup2(actions, helperFd, HelperImage.FdInChild), "posix_spawn_file_actions_adddup2 (helper image)");
                // Descriptors that reached this process without close-on-exec (a test host's
                // pipes, say) would otherwise reach the helper.
                Check(LibC.PosixSpawnFileActionsAddCloseFrom(actions, HelperImage.FdInChild + 1), "posix_spawn_file_actions_addclosefrom_np");

                int pid;
                fixed (byte* pathBytes = "/proc/self/fd/4\0"u8)
                fixed (byte* name = "tender-sandbox\0"u8)
                {
                    byte** argv = stackalloc byte*[2] { name, null };
                    byte** envp = stackalloc byte*[1] { null };
                    error = LibC.PosixSpawn(&pid, pathBytes, actions, attributes, argv, envp);
                }
                if (error != 0) throw new SandboxException("posix_spawn of the sandbox helper", error);
                return pid;
            }
            finally
            {
                LibC.PosixSpawnFileActionsDestroy(actions);
            }
        }
        finally
        {
            LibC.PosixSpawnAttrDestroy(attributes);
        }

        static void Check(int error, string step)
        {
            if (error != 0) throw new SandboxException(step, error);
        }
    }

    private void WaitForFirstStop()
    {
        while (true)
        {
            int status = WaitForChange();
            if (status < 0 || !IsStopped(status))
            {
                _ended = true;
                throw new SandboxException($"the sandbox helper ended before its first stop ({DescribeEnd(status)})");
            }
            if (EventOf(status) != 0 || StopSignalOf(status) != LibC.SIGTRAP)
            {
                // A group-stop, or a signal from outside before the helper's int3 (none is
                // expected: the helper is in its own process group): discard and go on.
                Continue(0);
                continue;
            }
            UserRegs regs = GetRegisters();
            if (regs.Rip != HelperImage.GadgetAddress)
                throw new SandboxException($"the sandbox helper stopped with SIGTRAP at 0x{regs.Rip:x}, not at its first int3 (0x{HelperImage.GadgetAddress:x})");
            return;
        }
    }

    /// <summary>
    /// The kernel names a process after its executable's file name, here the "N" of
    /// /proc/self/fd/N; ps and top should show what it is instead.
    /// </summary>
    private void SetName()
    {
        const ulong PR_SET_NAME = 15;
        WriteScratch(0, "tender-sandbox\0"u8);
        long result = Syscall(Nr.Prctl, PR_SET_NAME, HelperImage.ScratchAddress);
        if (result < 0) throw new SandboxException("prctl(PR_SET_NAME) in the sandbox", (int)-result);
    }

    /// <summary>
    /// Optional, not needed for correctness: binds the calling (tracer) thread and the child to
    /// the CPU the tracer runs on now, and returns that CPU. Tracer and child run strictly in
    /// turn, so sharing a CPU costs no parallelism, and each trap's wake-up then stays on one
    /// CPU: on this nested host a trap round trip drops from ≈ 55–90 µs to ≈ 13–17 µs (cross-CPU
    /// wake-ups are slow under a hypervisor). The cost: the tracer thread stays on that CPU for
    /// good (other threads of the tender are not affected).
    /// </summary>
    public int ShareCpuWithTracer()
    {
        EnsureUsable();
        int cpu = LibC.SchedGetCpu();
        if (cpu < 0) throw SandboxException.FromLastError("sched_getcpu");
        const int maskWords = 16;   // 1024 CPUs, glibc's cpu_set_t
        if (cpu >= maskWords * 64) throw new SandboxException($"CPU {cpu} is beyond a 1024-CPU affinity mask");
        ulong* mask = stackalloc ulong[maskWords];
        new Span<ulong>(mask, maskWords).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        if (LibC.SchedSetAffinity(0, maskWords * 8, mask) != 0) throw SandboxException.FromLastError($"binding the tracer thread to CPU {cpu}");
        if (LibC.SchedSetAffinity(_pid, maskWords * 8, mask) != 0) throw SandboxException.FromLastError($"binding the sandbox process {_pid} to CPU {cpu}");
        return cpu;
    }

    /// <summary>
    /// Injects one system call: the child executes <c>syscall</c> at the helper's gadget with
    /// these arguments and stops at the int3 after it. The child's registers are saved before and
    /// restored after, so the injection is invisible to whatever stop the child was in. Returns
    /// the kernel's raw result (a negative errno on failure). Only before <see cref="Lockdown"/>.
    /// </summary>
    public long Syscall(long number, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, ulong a4 = 0, ulong a5 = 0)
    {
        EnsureUsable();
        if (_lockedDown) throw new InvalidOperationException("the sandbox is locked down: its seccomp filter traps every system call, none can be injected");

        UserRegs saved = GetRegisters();
        UserRegs call = saved;
        call.Rip = HelperImage.GadgetAddress;
        call.Rax = (ulong)number;
        call.Rdi = a0; call.Rsi = a1; call.Rdx = a2; call.R10 = a3; call.R8 = a4; call.R9 = a5;
        // orig_rax = -1: the stop the child is in is not a system call's, so when it resumes the
        // kernel must not apply its restart logic (which would move RIP back by two bytes if
        // RAX happened to hold an -ERESTART* code).
        call.OrigRax = ulong.MaxValue;
        SetRegisters(call);

        while (true)
        {
            int signal = ContinueToSignalStop($"injected system call {number}");
            if (signal == LibC.SIGTRAP)
            {
                UserRegs after = GetRegisters();
                if (after.Rip == HelperImage.GadgetReturnAddress)
                {
                    SetRegisters(saved);
                    return (long)after.Rax;
                }
                SetRegisters(saved);
                throw new SandboxException($"injected system call {number}: the child stopped with SIGTRAP at 0x{after.Rip:x}, not after the gadget");
            }
            if (signal is LibC.SIGSEGV or LibC.SIGBUS or LibC.SIGILL or LibC.SIGFPE or LibC.SIGSYS)
            {
                // A fault at the gadget itself (the helper's code unmapped, a seccomp filter
                // already installed): resuming would only repeat it.
                SetRegisters(saved);
                throw new SandboxException($"injected system call {number}: the child got signal {signal} at the gadget");
            }
            // A signal from outside during the injection, typically a kick: the kernel has not
            // delivered it yet, so keep it for the next Resume and let the call go on (the kernel
            // restarts the call if the signal interrupted it: orig_rax is the call's number now).
            if (_pendingStop is null && TryGetSigInfo(out LibC.SigInfo info))
                _pendingStop = ToStop(signal, info);
        }
    }

    /// <summary>Writes bytes into the helper's scratch page, for structs and strings that injected system calls take by address.</summary>
    public void WriteScratch(int offset, ReadOnlySpan<byte> bytes)
    {
        EnsureUsable();
        if (offset < 0 || offset > HelperImage.ScratchSize - bytes.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{bytes.Length} bytes at offset {offset} do not fit the {HelperImage.ScratchSize}-byte scratch page");
        int written = WriteMemory(HelperImage.ScratchAddress + (ulong)offset, bytes);
        if (written != bytes.Length)
            throw new SandboxException($"writing the sandbox's scratch page: {written} of {bytes.Length} bytes written");
    }

    /// <summary>
    /// Maps [memfdOffset, memfdOffset + length) of the guest memfd at address in the child, shared
    /// (the tender sees every store the guest makes), with prot (PROT_* flags), never replacing an
    /// existing mapping. Throws naming the range and the reason when the kernel refuses.
    /// </summary>
    public void Map(ulong address, ulong length, int prot, ulong memfdOffset)
    {
        EnsureUsable();
        string range = $"guest range 0x{address:x}-0x{address + length:x} (memfd offset 0x{memfdOffset:x}, prot {prot})";
        if ((address | length | memfdOffset) % 4096 != 0 || length == 0)
            throw new ArgumentException($"{range}: address, length and offset must be non-zero multiples of 4096");
        long result = Syscall(Nr.Mmap, address, length, (ulong)prot, LibC.MAP_SHARED | MAP_FIXED_NOREPLACE, GuestMemoryFdInChild, memfdOffset);
        if (result < 0 && result > -4096)
        {
            int errno = (int)-result;
            string why = errno switch
            {
                LibC.EPERM => $"below vm.mmap_min_addr ({ReadMmapMinAddr()}) the kernel needs CAP_SYS_RAWIO, or the memfd is sealed against this access",
                LibC.EEXIST => "it overlaps a mapping already in the sandbox (another guest range, the helper at 0x" + HelperImage.LoadAddress.ToString("x") + ", its stack or vDSO)",
                LibC.EACCES => "the memfd does not allow this protection (a write-sealed or no-exec memfd?)",
                LibC.ENODEV => "the guest memory fd cannot be mapped",
                LibC.EBADF => "fd 3 in the sandbox is not the guest memory (after Lockdown nothing can be mapped)",
                LibC.EINVAL => "the kernel rejected the arguments (beyond the user address space?)",
                12 => "out of memory or too many mappings (vm.max_map_count)",
                _ => "mmap failed",
            };
            throw new SandboxException($"mapping {range} in the sandbox: {why}", errno);
        }
        if ((ulong)result != address)
        {
            // A kernel older than 4.17 treats MAP_FIXED_NOREPLACE as a hint: undo and refuse.
            Syscall(Nr.Munmap, (ulong)result, length);
            throw new SandboxException($"mapping {range} in the sandbox: the kernel placed it at 0x{(ulong)result:x} (MAP_FIXED_NOREPLACE unsupported before Linux 4.17)");
        }
    }

    private static string ReadMmapMinAddr()
    {
        try { return File.ReadAllText("/proc/sys/vm/mmap_min_addr").Trim(); }
        catch (IOException) { return "unknown"; }
    }

    /// <summary>
    /// Locks the child down for the guest, in this order: resource limits, no_new_privs, every
    /// file descriptor closed, fresh IPC/UTS/network namespaces (when privileged), the vDSO and
    /// vvar pages unmapped, no capabilities, and finally a seccomp filter that makes every system call trap
    /// (SIGSYS; data 0 for the 64-bit <c>syscall</c>, 1 for a 32-bit entry such as <c>int 0x80</c>).
    /// After this <see cref="Syscall"/> and <see cref="Map"/> throw.
    /// </summary>
    public void Lockdown()
    {
        EnsureUsable();
        if (_lockedDown) return;

        // Limits that cost nothing: the guest makes no system call once the filter is in, so
        // these are a second wall only. Set from here with prlimit: each injected call costs a
        // round trip into the child (≈ 60 µs here), prlimit does not.
        var zero = new LibC.RLimit();
        foreach (int resource in (ReadOnlySpan<int>)[LibC.RLIMIT_FSIZE, LibC.RLIMIT_CORE, LibC.RLIMIT_NPROC, LibC.RLIMIT_NOFILE, LibC.RLIMIT_MEMLOCK, LibC.RLIMIT_MSGQUEUE])
        {
            if (LibC.PrLimit(_pid, resource, &zero, null) != 0)
                throw SandboxException.FromLastError($"locking the sandbox down: prlimit({_pid}, {resource}, 0)");
        }

        const int PR_SET_NO_NEW_PRIVS = 38;
        Expect(Syscall(Nr.Prctl, PR_SET_NO_NEW_PRIVS, 1), "prctl(PR_SET_NO_NEW_PRIVS)");

        Expect(Syscall(Nr.CloseRange, 0, uint.MaxValue, 0), "close_range(0, ~0U)");

        // Fresh namespaces. Measured on this host (2 vCPUs, nested, shared with other load):
        // unshare(2) in a fresh C process: IPC+UTS ≈ 40 µs, NET ≈ 0.4 ms average (0.7 ms worst of
        // 20); injected here: IPC+UTS 44 µs, NET 0.36 ms average of 20 on a quiet machine, 1.4 ms
        // when the machine was busy (everything was 3-5x slower then). Below the ~1 ms bar in the
        // usual case, so the network namespace is taken too: a guest that escaped the filter would
        // find no interface but an unconfigured loopback. Needs CAP_SYS_ADMIN; an unprivileged
        // tender goes without (EPERM), the filter being the wall that matters.
        const ulong CLONE_NEWIPC = 0x08000000, CLONE_NEWUTS = 0x04000000, CLONE_NEWNET = 0x40000000;
        long unshared = Syscall(Nr.Unshare, CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET);
        if (unshared != -LibC.EPERM && unshared != -LibC.EINVAL)   // EINVAL: a kernel without these namespaces
            Expect(unshared, "unshare(CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET)");

        // The vDSO and its data pages ([vvar], and [vvar_vclock] since Linux 6.13) and the
        // helper's stack (its environment and auxiliary vector): the guest must see only its own
        // pages, and the helper never uses them again (the gadget needs no stack).
        foreach ((ulong start, ulong end, string name) in ReadSpecialMappings())
            Expect(Syscall(Nr.Munmap, start, end - start), $"munmap of {name} at 0x{start:x}-0x{end:x}");

        DropCapabilities();
        InstallSeccompFilter();
        _lockedDown = true;
        UnmapHelper();
    }

    /// <summary>
    /// Continues the child and waits for its next signal-delivery-stop, continuing through event
    /// stops (group-stops); the child's end during <paramref name="what"/> is an error. Returns the signal.
    /// </summary>
    private int ContinueToSignalStop(string what)
    {
        while (true)
        {
            Continue(0);
            int status = WaitForChange();
            if (status < 0 || !IsStopped(status))
            {
                End(status);
                throw new SandboxException($"the sandbox process ended during {what} ({DescribeEnd(status)})");
            }
            if (EventOf(status) == 0) return StopSignalOf(status);
        }
    }

    /// <summary>
    /// The helper's last act: munmap of its own code and scratch pages, through the gadget (the
    /// one system call the filter lets through, from that address with exactly these arguments).
    /// The call returns into the unmapped gadget, so the child stops with SIGSEGV there; from then
    /// on the child holds nothing but the guest's mappings (and the kernel's vsyscall page).
    /// </summary>
    private void UnmapHelper()
    {
        UserRegs call = GetRegisters();
        call.Rip = HelperImage.GadgetAddress;
        call.Rax = Nr.Munmap;
        call.Rdi = HelperImage.LoadAddress;
        call.Rsi = HelperImage.MappedSize;
        call.OrigRax = ulong.MaxValue;
        SetRegisters(call);
        while (true)
        {
            int signal = ContinueToSignalStop("the unmapping of its helper");
            if (!TryGetSigInfo(out LibC.SigInfo info)) continue;
            var stop = ToStop(signal, info);
            if (signal == LibC.SIGSEGV && stop.SiAddr == HelperImage.GadgetAddress + 2) return;
            if (signal is LibC.SIGSEGV or LibC.SIGBUS or LibC.SIGILL or LibC.SIGFPE or LibC.SIGSYS or LibC.SIGTRAP)
                throw new SandboxException($"unmapping the sandbox's helper: the child stopped with signal {signal} at 0x{stop.SiAddr:x}, not at the unmapped gadget");
            _pendingStop ??= stop; // a kick meanwhile: the next Resume reports it
        }
    }

    private List<(ulong Start, ulong End, string Name)> ReadSpecialMappings()
    {
        var found = new List<(ulong, ulong, string)>();
        foreach (string line in File.ReadAllLines($"/proc/{_pid}/maps"))
        {
            // "start-end perms offset dev inode   name"
            string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6) continue;
            string name = fields[5].Trim();
            if (!name.StartsWith("[vdso", StringComparison.Ordinal) && !name.StartsWith("[vvar", StringComparison.Ordinal) && name != "[stack]") continue;
            int dash = fields[0].IndexOf('-');
            found.Add((Convert.ToUInt64(fields[0][..dash], 16), Convert.ToUInt64(fields[0][(dash + 1)..], 16), name));
        }
        return found;
    }

    /// <summary>
    /// The filter, classic BPF over struct seccomp_data (nr at 0, arch at 4, instruction_pointer
    /// at 8, args at 16 + 8·i; 64-bit values read as two 32-bit words):
    /// <code>
    ///   ld  [4]                          ; arch
    ///   jeq #AUDIT_ARCH_X86_64, 0, →i386
    ///   ld  [0]; jeq #munmap, 0, →trap  ; the helper's own munmap of itself, only from the
    ///   ld  [8], [12]: ip == gadget + 2   ;   gadget and with exactly its address and length
    ///   ld  [16], [20]: arg0 == helper; ld [24], [28]: arg1 == its length
    ///   ret #SECCOMP_RET_ALLOW
    ///   trap: ret #SECCOMP_RET_TRAP | 0  ; any other 64-bit system call
    ///   i386: ret #SECCOMP_RET_TRAP | 1  ; int 0x80 (AUDIT_ARCH_I386) or any other entry
    /// </code>
    /// The low 16 bits of RET_TRAP arrive as the SIGSYS siginfo's si_errno. The one allowed call
    /// unmaps the gadget it is made from, so no guest instruction can ever match it.
    /// </summary>
    /// <summary>
    /// Empties the child's capability sets (capset; after unshare, which needed CAP_SYS_ADMIN).
    /// The guest has no use for them, and the tender needs it: once the tender drops its own
    /// capabilities (its self-sandbox, docs/security.md), the kernel lets it read the child's
    /// memory (process_vm_readv) only if the child's permitted set is a subset of its own.
    /// The bounding set can stay: with no_new_privs and no execve it can never grant anything.
    /// </summary>
    private void DropCapabilities()
    {
        // struct __user_cap_header_struct { u32 version; int pid; } then two
        // struct __user_cap_data_struct { u32 effective, permitted, inheritable; }, all zero.
        Span<byte> caps = stackalloc byte[8 + 2 * 12];
        caps.Clear();
        BitConverter.TryWriteBytes(caps, LibC.LINUX_CAPABILITY_VERSION_3);
        WriteScratch(0, caps);
        Expect(Syscall(Nr.Capset, HelperImage.ScratchAddress, HelperImage.ScratchAddress + 8), "capset (all sets empty)");
    }

    private void InstallSeccompFilter()
    {
        const uint SECCOMP_RET_TRAP = SyscallFilter.SECCOMP_RET_TRAP;
        const int filterOffset = 16;
        var bpf = new BpfAssembler();
        var i386 = bpf.NewLabel();
        var trap = bpf.NewLabel();
        bpf.Load(SyscallFilter.OffsetArch);
        bpf.JumpIfEqual(SyscallFilter.AUDIT_ARCH_X86_64, null, i386);
        bpf.Load(SyscallFilter.OffsetNr);
        bpf.JumpIfEqual((uint)Nr.Munmap, null, trap);
        ulong ip = HelperImage.GadgetAddress + 2, helper = HelperImage.LoadAddress, length = HelperImage.MappedSize;
        foreach (var (offset, value) in (ReadOnlySpan<(uint, ulong)>)[(SyscallFilter.OffsetIp, ip), (SyscallFilter.OffsetArgs, helper), (SyscallFilter.OffsetArgs + 8, length)])
        {
            bpf.Load(offset);
            bpf.JumpIfEqual((uint)value, null, trap);
            bpf.Load(offset + 4);
            bpf.JumpIfEqual((uint)(value >> 32), null, trap);
        }
        bpf.Return(SyscallFilter.SECCOMP_RET_ALLOW);
        bpf.Mark(trap);
        bpf.Return(SECCOMP_RET_TRAP | 0);
        bpf.Mark(i386);
        bpf.Return(SECCOMP_RET_TRAP | 1);
        byte[] filter = bpf.Assemble();
        WriteScratch(filterOffset, filter);

        // struct sock_fprog { unsigned short len; (6 bytes padding) struct sock_filter *filter; }
        Span<byte> program = stackalloc byte[16];
        BitConverter.TryWriteBytes(program[0..], (ushort)(filter.Length / 8));
        BitConverter.TryWriteBytes(program[8..], HelperImage.ScratchAddress + filterOffset);
        WriteScratch(0, program);

        Expect(Syscall(Nr.Seccomp, LibC.SECCOMP_SET_MODE_FILTER, 0, HelperImage.ScratchAddress), "seccomp(SECCOMP_SET_MODE_FILTER)");
    }

    private static void Expect(long result, string call)
    {
        if (result < 0) throw new SandboxException($"locking the sandbox down: {call}", (int)-result);
    }

    /// <summary>The child's general registers (PTRACE_GETREGS), including orig_rax, fs_base and gs_base.</summary>
    public UserRegs GetRegisters()
    {
        EnsureUsable();
        UserRegs regs;
        if (LibC.Ptrace(LibC.PTRACE_GETREGS, _pid, 0, (nint)(&regs)) != 0)
            throw SandboxException.FromLastError($"PTRACE_GETREGS of the sandbox process {_pid}");
        return regs;
    }

    /// <summary>
    /// Sets one of the child's debug registers (PTRACE_POKEUSER into struct user's u_debugreg):
    /// DR0-DR3 addresses, DR7 control; the kernel checks the values (no kernel addresses).
    /// </summary>
    public void SetDebugRegister(int index, ulong value)
    {
        EnsureUsable();
        if (LibC.Ptrace(LibC.PTRACE_POKEUSER, _pid, LibC.UserDebugRegistersOffset + 8 * index, (nint)value) != 0)
            throw SandboxException.FromLastError($"PTRACE_POKEUSER of DR{index} of the sandbox process {_pid}");
    }

    /// <summary>The child's debug register DR<paramref name="index"/> (PTRACE_PEEKUSER; DR6 says which breakpoint fired).</summary>
    public ulong GetDebugRegister(int index)
    {
        EnsureUsable();
        Marshal.SetLastSystemError(0);
        long value = LibC.Ptrace(LibC.PTRACE_PEEKUSER, _pid, LibC.UserDebugRegistersOffset + 8 * index, 0);
        if (value == -1 && Marshal.GetLastSystemError() != 0)
            throw SandboxException.FromLastError($"PTRACE_PEEKUSER of DR{index} of the sandbox process {_pid}");
        return (ulong)value;
    }

    /// <summary>Sets the child's general registers (PTRACE_SETREGS). The kernel refuses non-canonical fs/gs bases and invalid selectors.</summary>
    public void SetRegisters(in UserRegs regs)
    {
        EnsureUsable();
        fixed (UserRegs* r = &regs)
        {
            if (LibC.Ptrace(LibC.PTRACE_SETREGS, _pid, 0, (nint)r) != 0)
                throw SandboxException.FromLastError($"PTRACE_SETREGS of the sandbox process {_pid}");
        }
    }

    /// <summary>
    /// Reads the child's memory (process_vm_readv, which honours the child's page protections).
    /// Returns the number of bytes read: fewer than asked when the range runs into an unmapped
    /// or unreadable page, 0 when it starts in one.
    /// </summary>
    public int ReadMemory(ulong address, Span<byte> into)
    {
        EnsureUsable();
        if (into.IsEmpty) return 0;
        fixed (byte* local = into)
        {
            var localVector = new LibC.IoVec { Base = local, Length = (nuint)into.Length };
            var remoteVector = new LibC.IoVec { Base = (void*)address, Length = (nuint)into.Length };
            nint done = LibC.ProcessVmReadV(_pid, &localVector, 1, &remoteVector, 1, 0);
            return CheckTransfer(done, "process_vm_readv", address);
        }
    }

    /// <summary>
    /// Writes the child's memory (process_vm_writev, which honours the child's page protections:
    /// a read-only or execute-only page is not written). Returns the number of bytes written.
    /// </summary>
    public int WriteMemory(ulong address, ReadOnlySpan<byte> bytes)
    {
        EnsureUsable();
        if (bytes.IsEmpty) return 0;
        fixed (byte* local = bytes)
        {
            var localVector = new LibC.IoVec { Base = local, Length = (nuint)bytes.Length };
            var remoteVector = new LibC.IoVec { Base = (void*)address, Length = (nuint)bytes.Length };
            nint done = LibC.ProcessVmWriteV(_pid, &localVector, 1, &remoteVector, 1, 0);
            return CheckTransfer(done, "process_vm_writev", address);
        }
    }

    private int CheckTransfer(nint done, string call, ulong address)
    {
        if (done >= 0) return (int)done;
        int errno = Marshal.GetLastSystemError();
        if (errno == LibC.EFAULT) return 0;
        throw new SandboxException($"{call} at 0x{address:x} in the sandbox process {_pid}", errno);
    }

    /// <summary>
    /// Continues the child (delivering signal; 0, the usual, discards the signal of the stop it
    /// is in) and waits for its next stop or its end. Group-stops (SIGSTOP and friends under
    /// PTRACE_SEIZE) are continued without being reported. After an Exited or Killed stop the
    /// object is dead: every member but Kick and Dispose throws.
    /// </summary>
    public SandboxStop Resume(int signal = 0) => Resume(signal, out _, registers: false);

    /// <summary>
    /// As <see cref="Resume(int)"/>, but at a signal stop reads the child's registers instead of
    /// the stop's siginfo: the caller needs them at every trap, and it asks for the siginfo
    /// (<see cref="SignalInfo"/>) only when the registers and the instruction do not already say
    /// what happened — one system call less on a hypercall's round trip. The stop returned has
    /// <see cref="SandboxStop.Signal"/> and zero siginfo fields.
    /// </summary>
    public SandboxStop ResumeForRegisters(out UserRegs regs, int signal = 0) => Resume(signal, out regs, registers: true);

    /// <summary>The siginfo of the signal stop the child is in (a stop from <see cref="ResumeForRegisters"/>).</summary>
    public SandboxStop SignalInfo(in SandboxStop stop)
    {
        EnsureUsable();
        if (stop.Kind != SandboxStopKind.Signal) return stop;
        return TryGetSigInfo(out LibC.SigInfo info) ? ToStop(stop.Signal, info) : stop;
    }

    private SandboxStop Resume(int signal, out UserRegs regs, bool registers)
    {
        EnsureUsable();
        regs = default;
        if (_pendingStop is SandboxStop pending)
        {
            // A stop that arrived during an injected call: report it now; the child is still in
            // the stop it was in before, and a signal given here is meant for that one.
            _pendingStop = null;
            if (signal != 0) _deferredSignal = signal;
            if (registers) regs = GetRegisters();
            return pending;
        }
        if (signal == 0) signal = _deferredSignal;
        _deferredSignal = 0;

        Continue(signal);
        while (true)
        {
            int status = WaitForChange();
            if (status < 0 || !IsStopped(status))
                return End(status);
            if (EventOf(status) != 0)
            {
                // PTRACE_EVENT_STOP: a group-stop (SIGSTOP, SIGTSTP, … from outside) or an
                // interrupt. The sandbox is not job-controlled: run on.
                Continue(0);
                continue;
            }
            int stopSignal = StopSignalOf(status);
            if (registers)
            {
                if (!TryGetRegisters(out regs)) continue; // killed meanwhile: the next wait reports the end
                return new SandboxStop(SandboxStopKind.Signal, stopSignal, 0, 0, 0, 0, 0, 0);
            }
            if (!TryGetSigInfo(out LibC.SigInfo info))
                continue;   // killed meanwhile: the next wait reports the end
            return ToStop(stopSignal, info);
        }
    }

    /// <summary>
    /// Makes a <see cref="Resume"/> in progress (or the next one) return soon with a
    /// <see cref="SandboxStopKind.Signal"/> stop of <see cref="KickSignal"/>. Callable from any
    /// thread, any time; does nothing once the child is gone. Kicks that arrive before the child
    /// takes the first may merge into one stop.
    /// </summary>
    public void Kick()
    {
        bool added = false;
        try
        {
            _pidFd.DangerousAddRef(ref added);
            // Through the pidfd: never a signal to some later process that reused the pid.
            LibC.PidFdSendSignal((int)_pidFd.DangerousGetHandle(), KickSignal, null, 0);
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently: nothing left to kick.
        }
        finally
        {
            if (added) _pidFd.DangerousRelease();
        }
    }

    /// <summary>Kills the child (SIGKILL) and reaps it. Idempotent; safe when it has already ended; callable from any thread.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (!_ended)
        {
            int fd = (int)_pidFd.DangerousGetHandle();
            LibC.PidFdSendSignal(fd, LibC.SIGKILL, null, 0);
            // Reap by pidfd: if the tracer thread reaped the child concurrently, this finds no
            // child (ECHILD) instead of reaping another one that reused the pid.
            LibC.SigInfo info;
            while (LibC.WaitId(LibC.P_PIDFD, fd, &info, LibC.WEXITED | LibC.__WALL) < 0 &&
                   Marshal.GetLastSystemError() == LibC.EINTR) { }
            _ended = true;
        }
        _pidFd.Dispose();
    }

    private void EnsureUsable()
    {
        if (Environment.CurrentManagedThreadId != _tracerThread)
            throw new InvalidOperationException("a SandboxProcess is traced by the thread that spawned it: call it from that thread (only Pid, Kick and Dispose are free-threaded)");
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_ended) throw new InvalidOperationException($"the sandbox process {_pid} has ended");
    }

    /// <summary>The next resume runs one instruction (PTRACE_SINGLESTEP: a SIGTRAP with TRAP_TRACE after it) — for a debugger.</summary>
    public bool SingleStep { get; set; }

    private void Continue(int signal)
    {
        if (LibC.Ptrace(SingleStep ? LibC.PTRACE_SINGLESTEP : LibC.PTRACE_CONT, _pid, 0, signal) != 0)
        {
            int errno = Marshal.GetLastSystemError();
            // ESRCH: no longer in a stop, because it was killed (SIGKILL ends any stop); the wait
            // that follows reports the end.
            if (errno != LibC.ESRCH) throw new SandboxException($"PTRACE_CONT of the sandbox process {_pid}", errno);
        }
    }

    /// <summary>The next waitpid status of the child, or -1 when it is no longer our child (reaped by a concurrent Dispose).</summary>
    private int WaitForChange()
    {
        int status;
        while (true)
        {
            int result = LibC.WaitPid(_pid, &status, LibC.__WALL);
            if (result == _pid) return status;
            int errno = Marshal.GetLastSystemError();
            if (errno == LibC.EINTR) continue;
            if (errno == LibC.ECHILD) return -1;
            throw new SandboxException($"waitpid for the sandbox process {_pid}", errno);
        }
    }

    private static bool IsStopped(int status) => (status & 0xFF) == 0x7F;
    private static int StopSignalOf(int status) => (status >> 8) & 0xFF;
    private static int EventOf(int status) => (status >> 16) & 0xFFFF;

    private SandboxStop End(int status)
    {
        _ended = true;
        if (status < 0) return new SandboxStop(SandboxStopKind.Killed, LibC.SIGKILL, 0, 0, 0, 0, 0, 0);
        int termination = status & 0x7F;
        return termination == 0
            ? new SandboxStop(SandboxStopKind.Exited, 0, 0, 0, 0, 0, 0, (status >> 8) & 0xFF)
            : new SandboxStop(SandboxStopKind.Killed, termination, 0, 0, 0, 0, 0, 0);
    }

    private static string DescribeEnd(int status) => status switch
    {
        < 0 => "reaped elsewhere",
        _ when (status & 0x7F) == 0 => $"exit status {(status >> 8) & 0xFF}",
        _ => $"killed by signal {status & 0x7F}",
    };

    private bool TryGetRegisters(out UserRegs regs)
    {
        UserRegs result;
        if (LibC.Ptrace(LibC.PTRACE_GETREGS, _pid, 0, (nint)(&result)) != 0)
        {
            int errno = Marshal.GetLastSystemError();
            if (errno != LibC.ESRCH) throw new SandboxException($"PTRACE_GETREGS of the sandbox process {_pid}", errno);
            regs = default;
            return false;
        }
        regs = result;
        return true;
    }

    private bool TryGetSigInfo(out LibC.SigInfo info)
    {
        LibC.SigInfo result;
        if (LibC.Ptrace(LibC.PTRACE_GETSIGINFO, _pid, 0, (nint)(&result)) != 0)
        {
            int errno = Marshal.GetLastSystemError();
            if (errno != LibC.ESRCH) throw new SandboxException($"PTRACE_GETSIGINFO of the sandbox process {_pid}", errno);
            info = default;
            return false;
        }
        info = result;
        return true;
    }

    private static SandboxStop ToStop(int signal, in LibC.SigInfo info)
    {
        bool isSys = signal == LibC.SIGSYS;
        return new SandboxStop(SandboxStopKind.Signal, signal, info.Code, info.Address, info.Errno,
            isSys ? info.Syscall : 0, isSys ? info.Arch : 0, 0);
    }
}
