using System.Diagnostics;
using Tender.Host.Interop;
using Tender.ProcessPlatform.Sandbox;
using Xunit.Abstractions;

namespace Tender.ProcessPlatform.Tests;

/// <summary>The sandbox child with real processes: start, injection, mapping, lockdown, and what each kind of guest trap looks like to the tracer.</summary>
public sealed class SandboxProcessTests(ITestOutputHelper output)
{
    private const int SI_KERNEL = 0x80;
    private const int SEGV_MAPERR = 1;
    private const int FPE_INTDIV = 1;
    private const int SYS_SECCOMP = 1;
    private const uint AUDIT_ARCH_X86_64 = 0xC000003E;
    private const uint AUDIT_ARCH_I386 = 0x40000003;

    [Fact]
    public void Spawn_StopsAtTheHelpersFirstInt3()
    {
        using var guest = new SandboxGuest();
        UserRegs regs = guest.Sandbox.GetRegisters();
        Assert.Equal(HelperImage.GadgetAddress, regs.Rip);
        Assert.True(Directory.Exists($"/proc/{guest.Sandbox.Pid}"));
        Assert.Equal("tender-sandbox", File.ReadAllText($"/proc/{guest.Sandbox.Pid}/cmdline").TrimEnd('\0'));
        Span<byte> gadget = stackalloc byte[3];
        Assert.Equal(3, guest.Sandbox.ReadMemory(HelperImage.GadgetAddress, gadget));
        Assert.Equal(new byte[] { 0x0F, 0x05, 0xCC }, gadget.ToArray());   // syscall; int3
    }

    [Fact]
    public void Spawn_OwnProcessGroup_DefaultSignals_NoEnvironment_DescriptorsInPlace()
    {
        using var guest = new SandboxGuest();
        int pid = guest.Sandbox.Pid;
        // /proc/PID/stat: "pid (comm) state ppid pgrp …"; comm has no spaces here.
        string[] stat = File.ReadAllText($"/proc/{pid}/stat").Split(' ');
        Assert.Equal(pid.ToString(), stat[4]);
        string status = File.ReadAllText($"/proc/{pid}/status");
        Assert.Contains("SigBlk:\t0000000000000000", status);
        // Nothing ignored but glibc's two internal signals (32, 33), which its posix_spawn sets
        // to SIG_IGN in the child whatever the attributes say.
        Assert.Contains("SigIgn:\t0000000180000000", status);
        Assert.Contains("Name:\ttender-sandbox", status);
        Assert.Empty(File.ReadAllBytes($"/proc/{pid}/environ"));
        Assert.Equal(["0", "1", "2", "3"], Directory.GetFileSystemEntries($"/proc/{pid}/fd").Select(f => Path.GetFileName(f)!).Order().ToArray());
        Assert.Equal("/dev/null", new FileInfo($"/proc/{pid}/fd/1").LinkTarget);
        Assert.StartsWith("/memfd:sandbox-test-guest", new FileInfo($"/proc/{pid}/fd/3").LinkTarget);
    }

    [Fact]
    public void Spawn_BadGuestFd_ThrowsNamingTheStep()
    {
        var e = Assert.Throws<SandboxException>(() => SandboxProcess.Spawn(100_000));
        Assert.Equal(LibC.EBADF, e.Errno);
        Assert.Contains("guest memory fd 100000", e.Message);
    }

    [Fact]
    public void SpawnMapLockdown_Measured()
    {
        // Warm up (JIT, the helper's memfd), then time what a guest boot pays.
        new SandboxGuest().Dispose();
        var spawn = new Stopwatch();
        var lockdown = new Stopwatch();
        const int rounds = 20;
        for (int i = 0; i < rounds; i++)
        {
            spawn.Start();
            var guest = new SandboxGuest();
            spawn.Stop();
            lockdown.Start();
            guest.Sandbox.Lockdown();
            lockdown.Stop();
            guest.Dispose();
        }
        output.WriteLine($"spawn + 2 maps: {spawn.Elapsed.TotalMilliseconds / rounds:F2} ms; lockdown: {lockdown.Elapsed.TotalMilliseconds / rounds:F2} ms (averages of {rounds})");
    }

    [Fact]
    public void Syscall_Getpid_ReturnsTheChildsPid_AndKeepsRegisters()
    {
        using var guest = new SandboxGuest();
        UserRegs before = guest.Sandbox.GetRegisters();
        Assert.Equal(guest.Sandbox.Pid, guest.Sandbox.Syscall(39));
        UserRegs after = guest.Sandbox.GetRegisters();
        Assert.Equal(before, after);
    }

    [Fact]
    public void Syscall_FailingCall_ReturnsNegativeErrno()
    {
        using var guest = new SandboxGuest();
        Assert.Equal(-LibC.EBADF, guest.Sandbox.Syscall(3 /* close */, 1000));
    }

    [Fact]
    public void WriteScratch_ArgumentsReachInjectedCalls()
    {
        using var guest = new SandboxGuest();
        // uname(2) into the scratch page, then read the struct back.
        Assert.Equal(0, guest.Sandbox.Syscall(63, HelperImage.ScratchAddress));
        Span<byte> sysname = stackalloc byte[5];
        Assert.Equal(5, guest.Sandbox.ReadMemory(HelperImage.ScratchAddress, sysname));
        Assert.Equal("Linux"u8.ToArray(), sysname.ToArray());

        guest.Sandbox.WriteScratch(100, "hello"u8);
        Span<byte> back = stackalloc byte[5];
        guest.Sandbox.ReadMemory(HelperImage.ScratchAddress + 100, back);
        Assert.Equal("hello"u8.ToArray(), back.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => guest.Sandbox.WriteScratch(4094, "abc"u8));
    }

    [Fact]
    public void Map_MemorySharedWithTheTender()
    {
        using var guest = new SandboxGuest();
        guest.Data[8] = 0x5A;
        Span<byte> one = stackalloc byte[1];
        Assert.Equal(1, guest.Sandbox.ReadMemory(SandboxGuest.DataAddress + 8, one));
        Assert.Equal(0x5A, one[0]);
        Assert.Equal(1, guest.Sandbox.WriteMemory(SandboxGuest.DataAddress + 9, [0xA5]));
        Assert.Equal(0xA5, guest.Data[9]);
        // process_vm_writev honours protections: the code page is not writable.
        Assert.Equal(0, guest.Sandbox.WriteMemory(SandboxGuest.CodeAddress, [0x90]));
        // Nothing mapped there.
        Assert.Equal(0, guest.Sandbox.ReadMemory(0x300000, one));
    }

    [Fact]
    public void Map_Collision_SaysWhichRangeAndWhy()
    {
        using var guest = new SandboxGuest();
        var e = Assert.Throws<SandboxException>(() => guest.Sandbox.Map(HelperImage.LoadAddress, 4096, LibC.PROT_READ, 0));
        Assert.Equal(LibC.EEXIST, e.Errno);
        Assert.Contains("0x5f0000000000", e.Message);
        Assert.Contains("overlaps", e.Message);
        var again = Assert.Throws<SandboxException>(() => guest.Sandbox.Map(SandboxGuest.CodeAddress, 4096, LibC.PROT_READ, 0));
        Assert.Equal(LibC.EEXIST, again.Errno);
    }

    [Fact]
    public void Map_AtGuestWindowAddresses()
    {
        using var guest = new SandboxGuest();
        // The BAR window (2^39) and the DMA window (2^40) are ordinary addresses for the child.
        guest.Sandbox.Map(1UL << 39, 4096, LibC.PROT_READ | LibC.PROT_WRITE, 0);
        guest.Sandbox.Map(1UL << 40, 4096, LibC.PROT_READ | LibC.PROT_WRITE, 4096);
        guest.Data[0] = 42;
        Span<byte> one = stackalloc byte[1];
        guest.Sandbox.ReadMemory(1UL << 40, one);
        Assert.Equal(42, one[0]);
    }

    [Fact]
    public void Lockdown_NoFds_NoNewPrivs_SeccompFilter_NoVdso()
    {
        using var guest = new SandboxGuest();
        int pid = guest.Sandbox.Pid;
        Assert.Contains("[vdso]", File.ReadAllText($"/proc/{pid}/maps"));
        guest.Sandbox.Lockdown();

        Assert.Empty(Directory.GetFileSystemEntries($"/proc/{pid}/fd"));
        string status = File.ReadAllText($"/proc/{pid}/status");
        Assert.Contains("NoNewPrivs:\t1", status);
        Assert.Contains("Seccomp:\t2", status);
        string maps = File.ReadAllText($"/proc/{pid}/maps");
        output.WriteLine(maps);
        Assert.DoesNotContain("[vdso]", maps);
        Assert.DoesNotContain("[vvar", maps);
        // The guest's two pages and nothing else: the helper unmapped its stack and, as its last
        // act, its own two segments ([vsyscall] lives in the kernel's half and cannot be unmapped).
        Assert.Contains("00100000-00101000 r-xs", maps);
        Assert.Contains("00101000-00102000 rw-s", maps);
        Assert.DoesNotContain("5f000000", maps);
        Assert.DoesNotContain("[stack]", maps);
        string[] lines = maps.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.True(
            l.StartsWith("00100000-") || l.StartsWith("00101000-") || l.EndsWith("[vsyscall]"),
            $"unexpected mapping: {l}"));

        foreach ((string name, string limit) in new[] { ("Max open files", "0"), ("Max file size", "0"), ("Max core file size", "0"), ("Max processes", "0") })
            Assert.Matches($@"{name}\s+{limit}\s+{limit}\s", File.ReadAllText($"/proc/{pid}/limits"));

        if (Environment.IsPrivilegedProcess)
        {
            foreach (string ns in new[] { "net", "ipc", "uts" })
                Assert.NotEqual(new FileInfo($"/proc/self/ns/{ns}").LinkTarget, new FileInfo($"/proc/{pid}/ns/{ns}").LinkTarget);
        }

        Assert.Throws<InvalidOperationException>(() => guest.Sandbox.Syscall(39));
        Assert.Throws<InvalidOperationException>(() => guest.Sandbox.Map(0x400000, 4096, LibC.PROT_READ, 0));
    }

    [Fact]
    public void Out_GivesSigsegvSiKernel_AtTheOut()
    {
        using var guest = new SandboxGuest();
        guest.Load([0xBA, 0x01, 0x05, 0x00, 0x00,   // mov edx, 0x501
                    0xEF]);                        // out dx, eax
        SandboxStop stop = guest.Sandbox.Resume();
        Assert.Equal(SandboxStopKind.Signal, stop.Kind);
        Assert.Equal(LibC.SIGSEGV, stop.Signal);
        Assert.Equal(SI_KERNEL, stop.SiCode);
        UserRegs regs = guest.Sandbox.GetRegisters();
        Assert.Equal(SandboxGuest.CodeAddress + 5, regs.Rip);
        Assert.Equal(0x501UL, regs.Rdx);
    }

    [Fact]
    public void StoreToUnmappedAddress_GivesSigsegvWithThatAddress()
    {
        using var guest = new SandboxGuest();
        guest.Load([0x48, 0xC7, 0xC0, 0x00, 0x00, 0x20, 0x00,   // mov rax, 0x200000
                    0x48, 0x89, 0x00]);                         // mov [rax], rax
        SandboxStop stop = guest.Sandbox.Resume();
        Assert.Equal(LibC.SIGSEGV, stop.Signal);
        Assert.Equal(SEGV_MAPERR, stop.SiCode);
        Assert.Equal(0x200000UL, stop.SiAddr);
        Assert.Equal(SandboxGuest.CodeAddress + 7, guest.Sandbox.GetRegisters().Rip);
    }

    [Fact]
    public void Syscall64_GivesSigsys_WithNumberAndArch()
    {
        using var guest = new SandboxGuest();
        guest.Load([0xB8, 0x27, 0x00, 0x00, 0x00,   // mov eax, 39 (getpid)
                    0x0F, 0x05]);                  // syscall
        SandboxStop stop = guest.Sandbox.Resume();
        Assert.Equal(LibC.SIGSYS, stop.Signal);
        Assert.Equal(SYS_SECCOMP, stop.SiCode);
        Assert.Equal(39, stop.SyscallNumber);
        Assert.Equal(AUDIT_ARCH_X86_64, stop.SyscallArch);
        Assert.Equal(0, stop.SiErrno);
        UserRegs regs = guest.Sandbox.GetRegisters();
        Assert.Equal(SandboxGuest.CodeAddress + 7, regs.Rip);   // past the syscall instruction
        Assert.Equal(39UL, regs.OrigRax);
    }

    [Fact]
    public void Int80_GivesSigsys_WithSiErrno1()
    {
        using var guest = new SandboxGuest();
        guest.Load([0xB8, 0x14, 0x00, 0x00, 0x00,   // mov eax, 20 (i386 getpid)
                    0xCD, 0x80]);                  // int 0x80
        SandboxStop stop = guest.Sandbox.Resume();
        if (stop.Signal == LibC.SIGSEGV)
        {
            // A kernel without IA-32 emulation (ia32_emulation=0) refuses int 0x80 with #GP.
            output.WriteLine("SKIPPED: this kernel has no IA-32 emulation; int 0x80 is a #GP here");
            return;
        }
        Assert.Equal(LibC.SIGSYS, stop.Signal);
        Assert.Equal(1, stop.SiErrno);
        Assert.Equal(20, stop.SyscallNumber);
        Assert.Equal(AUDIT_ARCH_I386, stop.SyscallArch);
    }

    [Fact]
    public void Ud2_GivesSigill()
    {
        using var guest = new SandboxGuest();
        guest.Load([0x0F, 0x0B]);
        SandboxStop stop = guest.Sandbox.Resume();
        Assert.Equal(LibC.SIGILL, stop.Signal);
        Assert.Equal(SandboxGuest.CodeAddress, stop.SiAddr);
        Assert.Equal(SandboxGuest.CodeAddress, guest.Sandbox.GetRegisters().Rip);
    }

    [Fact]
    public void Int3_GivesSigtrap_AfterTheInt3()
    {
        using var guest = new SandboxGuest();
        guest.Load([0x90, 0xCC]);
        SandboxStop stop = guest.Sandbox.Resume();
        Assert.Equal(LibC.SIGTRAP, stop.Signal);
        Assert.Equal(SI_KERNEL, stop.SiCode);
        Assert.Equal(SandboxGuest.CodeAddress + 2, guest.Sandbox.GetRegisters().Rip);
    }

    [Fact]
    public void DivideByZero_GivesSigfpe()
    {
        using var guest = new SandboxGuest();
        guest.Load([0x31, 0xC9,    // xor ecx, ecx
                    0xF7, 0xF1]);  // div ecx
        SandboxStop stop = guest.Sandbox.Resume();
        Assert.Equal(LibC.SIGFPE, stop.Signal);
        Assert.Equal(FPE_INTDIV, stop.SiCode);
        Assert.Equal(SandboxGuest.CodeAddress + 2, stop.SiAddr);
    }

    [Fact]
    public void Resume_AfterOutTrap_RunsOn()
    {
        using var guest = new SandboxGuest();
        guest.Load([0xBA, 0x01, 0x05, 0x00, 0x00,   // mov edx, 0x501
                    0xEF,                          // out dx, eax
                    0x0F, 0x0B]);                  // ud2
        Assert.Equal(LibC.SIGSEGV, guest.Sandbox.Resume().Signal);
        UserRegs regs = guest.Sandbox.GetRegisters();
        regs.Rip += 1;
        guest.Sandbox.SetRegisters(regs);
        SandboxStop stop = guest.Sandbox.Resume();
        Assert.Equal(LibC.SIGILL, stop.Signal);
        Assert.Equal(SandboxGuest.CodeAddress + 6, stop.SiAddr);
    }

    [Fact]
    public void Kick_FromAnotherThread_InterruptsASpinningGuest()
    {
        using var guest = new SandboxGuest();
        guest.Load([0xEB, 0xFE]);   // jmp .
        var kicker = new Thread(() =>
        {
            Thread.Sleep(50);
            guest.Sandbox.Kick();
        });
        var watch = Stopwatch.StartNew();
        kicker.Start();
        SandboxStop stop = guest.Sandbox.Resume();
        kicker.Join();
        Assert.Equal(SandboxStopKind.Signal, stop.Kind);
        Assert.Equal(SandboxProcess.KickSignal, stop.Signal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Equal(SandboxGuest.CodeAddress, guest.Sandbox.GetRegisters().Rip);

        // Resumed with 0 the kick is gone and the guest spins on; a second kick stops it again.
        guest.Sandbox.Kick();
        stop = guest.Sandbox.Resume();
        Assert.Equal(SandboxProcess.KickSignal, stop.Signal);
    }

    [Fact]
    public void Kick_DuringInjection_IsReportedByTheNextResume()
    {
        using var guest = new SandboxGuest();
        guest.Sandbox.Kick();
        Assert.Equal(guest.Sandbox.Pid, guest.Sandbox.Syscall(39));
        guest.Load([0x0F, 0x0B]);   // ud2
        SandboxStop kick = guest.Sandbox.Resume();
        Assert.Equal(SandboxProcess.KickSignal, kick.Signal);
        Assert.Equal(SandboxStopKind.Signal, guest.Sandbox.Resume().Kind);
        Assert.Equal(SandboxGuest.CodeAddress, guest.Sandbox.GetRegisters().Rip);
    }

    [Fact]
    public void ExitThroughTheGadget_IsReportedAsExited_ThenTheObjectIsDead()
    {
        using var guest = new SandboxGuest();
        UserRegs regs = guest.Sandbox.GetRegisters();
        regs.Rip = HelperImage.GadgetAddress;
        regs.Rax = 60;   // exit
        regs.Rdi = 7;
        regs.OrigRax = ulong.MaxValue;
        guest.Sandbox.SetRegisters(regs);
        SandboxStop stop = guest.Sandbox.Resume();
        Assert.Equal(SandboxStopKind.Exited, stop.Kind);
        Assert.Equal(7, stop.ExitStatus);
        Assert.Throws<InvalidOperationException>(() => guest.Sandbox.GetRegisters());
        guest.Sandbox.Kick();   // harmless
    }

    [Fact]
    public void KilledFromOutside_IsReportedAsKilled()
    {
        using var guest = new SandboxGuest();
        guest.Load([0xEB, 0xFE]);
        LibC.Kill(guest.Sandbox.Pid, LibC.SIGKILL);
        SandboxStop stop = guest.Sandbox.Resume();
        Assert.Equal(SandboxStopKind.Killed, stop.Kind);
        Assert.Equal(LibC.SIGKILL, stop.Signal);
    }

    [Fact]
    public void GroupStop_IsContinuedTransparently()
    {
        using var guest = new SandboxGuest();
        guest.Load([0xEB, 0xFE]);
        LibC.Kill(guest.Sandbox.Pid, LibC.SIGSTOP);
        // SIGSTOP's own delivery-stop is reported; resuming with it enters the group-stop,
        // which Resume continues by itself, so the next thing seen is the kick.
        SandboxStop stop = guest.Sandbox.Resume();
        Assert.Equal(LibC.SIGSTOP, stop.Signal);
        var kicker = new Thread(() => { Thread.Sleep(50); guest.Sandbox.Kick(); });
        kicker.Start();
        stop = guest.Sandbox.Resume(LibC.SIGSTOP);
        kicker.Join();
        Assert.Equal(SandboxProcess.KickSignal, stop.Signal);
    }

    [Fact]
    public void Dispose_KillsAndReaps_Idempotent()
    {
        var guest = new SandboxGuest();
        int pid = guest.Sandbox.Pid;
        guest.Dispose();
        Assert.False(Directory.Exists($"/proc/{pid}"));
        guest.Sandbox.Dispose();
        guest.Sandbox.Kick();
        Assert.Throws<ObjectDisposedException>(() => guest.Sandbox.GetRegisters());
    }

    [Fact]
    public void Dispose_FromAnotherThread_WhileResumeWaits()
    {
        using var guest = new SandboxGuest();
        guest.Load([0xEB, 0xFE]);
        int pid = guest.Sandbox.Pid;
        var disposer = new Thread(() => { Thread.Sleep(50); guest.Sandbox.Dispose(); });
        disposer.Start();
        SandboxStop stop = guest.Sandbox.Resume();
        disposer.Join();
        Assert.Equal(SandboxStopKind.Killed, stop.Kind);
        Assert.False(Directory.Exists($"/proc/{pid}"));
    }

    [Fact]
    public void OtherThreads_AreRefused()
    {
        using var guest = new SandboxGuest();
        Exception? caught = null;
        var other = new Thread(() => caught = Record.Exception(() => guest.Sandbox.GetRegisters()));
        other.Start();
        other.Join();
        Assert.IsType<InvalidOperationException>(caught);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrapRoundTrip_OutSigsegvGetregsSetregsCont_Measured(bool shareCpu)
    {
        const int iterations = 20_000;
        using var guest = new SandboxGuest();
        if (shareCpu) output.WriteLine($"tracer and child on CPU {guest.Sandbox.ShareCpuWithTracer()}");
        try
        {
            MeasureOutTraps(guest, iterations, shareCpu);
        }
        finally
        {
            if (shareCpu) UnpinThisThread();
        }
    }

    private void MeasureOutTraps(SandboxGuest guest, int iterations, bool shareCpu)
    {
        guest.Load([0xB9, .. BitConverter.GetBytes(iterations),   // mov ecx, iterations
                    0xBA, 0x01, 0x05, 0x00, 0x00,                  // l: mov edx, 0x501
                    0xEF,                                          // out dx, eax
                    0xFF, 0xC9,                                    // dec ecx
                    0x75, 0xF6,                                    // jnz l
                    0x0F, 0x0B]);                                  // ud2
        int traps = 0;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            SandboxStop stop = guest.Sandbox.Resume();
            if (stop.Signal != LibC.SIGSEGV) { Assert.Equal(LibC.SIGILL, stop.Signal); break; }
            UserRegs regs = guest.Sandbox.GetRegisters();
            regs.Rip += 1;
            guest.Sandbox.SetRegisters(regs);
            traps++;
        }
        watch.Stop();
        Assert.Equal(iterations, traps);
        output.WriteLine($"trap round trip (out -> SIGSEGV stop -> GETSIGINFO -> GETREGS -> RIP+1 -> SETREGS -> CONT){(shareCpu ? " sharing a CPU" : "")}: {watch.Elapsed.TotalMicroseconds / iterations:F2} us each over {iterations}");
    }

    /// <summary>Gives the test thread every CPU back (the kernel keeps only those the cpuset allows).</summary>
    private static unsafe void UnpinThisThread()
    {
        ulong* all = stackalloc ulong[16];
        new Span<ulong>(all, 16).Fill(ulong.MaxValue);
        LibC.SchedSetAffinity(0, 128, all);
    }
}
