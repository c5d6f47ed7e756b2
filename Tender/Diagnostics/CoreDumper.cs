using Microsoft.Win32.SafeHandles;
using Tender.Host;
using Tender.Host.Interop;
using Tender.Paging;

namespace Tender.Diagnostics;

/// <summary>
/// `--dumpcore[=DIR]`: when the guest crashes or aborts, an ELF core of it (<see cref="CoreFile"/>)
/// named <c>core.tender.PID</c> in DIR. The directory is opened at set-up, before the sandbox,
/// and the file is created in it with openat(2) and fixed flags (<see cref="CreateFlags"/>: a new
/// file, never through a symbolic link, never over an existing one) — the only open the sandbox
/// lets through. Nothing in the path comes from the guest.
/// </summary>
internal sealed class CoreDumper : IDisposable
{
    public const int CreateFlags = LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW | LibC.O_CLOEXEC;
    private const uint CreateMode = 0x180; // 0600: a core holds everything the guest had in memory

    private readonly FileDescriptor _directory;
    private readonly string _directoryName;

    private CoreDumper(FileDescriptor directory, string directoryName)
    {
        _directory = directory;
        _directoryName = directoryName;
    }

    /// <summary>The open directory, for the sandbox's openat rule.</summary>
    public int DirectoryFd => _directory.Fd;

    public static CoreDumper Open(string directory)
    {
        try
        {
            return new CoreDumper(FileDescriptor.Open(directory, LibC.O_RDONLY | LibC.O_DIRECTORY), directory);
        }
        catch (HostException e)
        {
            throw new TenderException($"--dumpcore={directory}: {e.Message}");
        }
    }

    /// <summary>What to dump: the guest's address space and where its memory is mapped in the tender.</summary>
    public sealed record Guest(IReadOnlyList<Region> AddressSpace, GuestMemory Ram, string Name, string CommandLine);

    /// <summary>
    /// Writes the core; returns the line for the crash report (where it went, or why it did not).
    /// Never throws for a failed write: the run's outcome stays the crash.
    /// </summary>
    public unsafe string Dump(Guest guest, IVcpu vcpu, GuestFault? fault, int signal, string crash)
    {
        string name = $"core.tender.{Environment.ProcessId}";
        string path = Path.Combine(_directoryName, name);
        ulong[] registers;
        try
        {
            registers = Registers(vcpu, fault);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"no core dump: the registers cannot be read ({e.Message})";
        }
        int fd = LibC.Openat(_directory.Fd, name, CreateFlags, CreateMode);
        if (fd < 0) return $"no core dump: {HostException.FromLastError($"creating {path}").Message}";
        using var file = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var segments = new List<CoreFile.Segment>();
            foreach (var region in guest.AddressSpace)
            {
                // Guest RAM only: device BARs are not memory (a read can have side effects), and
                // the tender's system area is not the guest's.
                if (!guest.Ram.Contains(region.PhysicalAddress, region.Length)) continue;
                uint flags = CoreFile.PF_R | ((region.Flags & PageFlags.Writable) != 0 ? CoreFile.PF_W : 0)
                             | ((region.Flags & PageFlags.Executable) != 0 ? CoreFile.PF_X : 0);
                segments.Add(new CoreFile.Segment(region.VirtualAddress, region.Length, flags,
                    (nint)(guest.Ram.UnsafeHostPointer + (region.PhysicalAddress - guest.Ram.GuestPhysicalAddress))));
            }
            var contents = new CoreFile.Contents(signal, registers, Environment.ProcessId, guest.Name, guest.CommandLine, crash);
            long size = CoreFile.Write(contents, segments, (offset, bytes) => RandomAccess.Write(file, bytes, offset));
            return $"core dumped: {path} ({size:#,0} bytes)";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            return $"no core dump: writing {path}: {e.Message}";
        }
    }

    /// <summary>struct user_regs_struct from the vCPU; where a fault stub reported the fault, the
    /// RIP, RSP, RFLAGS, CS and SS the CPU saved (the others are still the guest's).</summary>
    private static ulong[] Registers(IVcpu vcpu, GuestFault? fault)
    {
        var r = vcpu.GetRegisters();
        var s = vcpu.GetSpecialRegisters();
        var v = new ulong[(int)CoreFile.UserRegs.Count];
        void Set(CoreFile.UserRegs reg, ulong value) => v[(int)reg] = value;
        Set(CoreFile.UserRegs.R15, r.R15); Set(CoreFile.UserRegs.R14, r.R14); Set(CoreFile.UserRegs.R13, r.R13);
        Set(CoreFile.UserRegs.R12, r.R12); Set(CoreFile.UserRegs.Rbp, r.Rbp); Set(CoreFile.UserRegs.Rbx, r.Rbx);
        Set(CoreFile.UserRegs.R11, r.R11); Set(CoreFile.UserRegs.R10, r.R10); Set(CoreFile.UserRegs.R9, r.R9);
        Set(CoreFile.UserRegs.R8, r.R8); Set(CoreFile.UserRegs.Rax, r.Rax); Set(CoreFile.UserRegs.Rcx, r.Rcx);
        Set(CoreFile.UserRegs.Rdx, r.Rdx); Set(CoreFile.UserRegs.Rsi, r.Rsi); Set(CoreFile.UserRegs.Rdi, r.Rdi);
        Set(CoreFile.UserRegs.OrigRax, ulong.MaxValue); // not in a system call
        Set(CoreFile.UserRegs.Rip, fault?.Rip ?? r.Rip);
        Set(CoreFile.UserRegs.Cs, fault?.Cs ?? s.Cs.Selector);
        Set(CoreFile.UserRegs.Eflags, fault?.Rflags ?? r.Rflags);
        Set(CoreFile.UserRegs.Rsp, fault?.Rsp ?? r.Rsp);
        Set(CoreFile.UserRegs.Ss, fault?.Ss ?? s.Ss.Selector);
        Set(CoreFile.UserRegs.FsBase, s.Fs.Base);
        Set(CoreFile.UserRegs.GsBase, s.Gs.Base);
        Set(CoreFile.UserRegs.Ds, s.Ds.Selector); Set(CoreFile.UserRegs.Es, s.Es.Selector);
        Set(CoreFile.UserRegs.Fs, s.Fs.Selector); Set(CoreFile.UserRegs.Gs, s.Gs.Selector);
        return v;
    }

    /// <summary>The signal a process would have died of for this CPU exception (as Linux maps them).</summary>
    public static int SignalFor(GuestFault? fault) => fault?.Vector switch
    {
        null => 6,                  // SIGABRT: an abort or a crash that was not a CPU exception
        0 or 16 or 19 => 8,         // #DE, #MF, #XM: SIGFPE
        1 or 3 => 5,                // #DB, #BP: SIGTRAP
        6 => 4,                     // #UD: SIGILL
        17 => 7,                    // #AC: SIGBUS
        _ => 11,                    // #PF, #GP, #SS, #NP and the rest: SIGSEGV
    };

    public void Dispose() => _directory.Dispose();
}
