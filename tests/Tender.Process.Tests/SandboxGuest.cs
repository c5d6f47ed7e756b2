using Tender.Host.Interop;
using Tender.ProcessPlatform.Sandbox;

namespace Tender.ProcessPlatform.Tests;

/// <summary>
/// A sandbox with a two-page guest: a memfd whose first page is mapped at
/// <see cref="CodeAddress"/> read+execute and whose second page at <see cref="DataAddress"/>
/// read+write, both in the child and (writable) in the test, so the test writes the guest's
/// code the way the tender writes guest memory: through its own mapping of the memfd.
/// Create it on the thread that will drive it (that thread is the tracer).
/// </summary>
internal sealed unsafe class SandboxGuest : IDisposable
{
    public const ulong CodeAddress = 0x100000;
    public const ulong DataAddress = 0x101000;
    private const int Size = 2 * 4096;

    private readonly int _memfd;
    private readonly byte* _memory;

    public SandboxGuest()
    {
        _memfd = LibC.MemfdCreate("sandbox-test-guest", LibC.MFD_CLOEXEC);
        if (_memfd < 0) throw new InvalidOperationException("memfd_create failed");
        if (LibC.FTruncate(_memfd, Size) != 0) throw new InvalidOperationException("ftruncate failed");
        nint mapped = LibC.Mmap(0, Size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, _memfd, 0);
        if (mapped == LibC.MAP_FAILED) throw new InvalidOperationException("mmap of the test's memfd failed");
        _memory = (byte*)mapped;
        Sandbox = SandboxProcess.Spawn(_memfd);
        Sandbox.Map(CodeAddress, 4096, LibC.PROT_READ | LibC.PROT_EXEC, 0);
        Sandbox.Map(DataAddress, 4096, LibC.PROT_READ | LibC.PROT_WRITE, 4096);
    }

    public SandboxProcess Sandbox { get; }

    public Span<byte> Code => new(_memory, 4096);
    public Span<byte> Data => new(_memory + 4096, 4096);

    /// <summary>Writes code at the start of the code page, locks the sandbox down and points RIP at the code (RSP at the top of the data page).</summary>
    public void Load(ReadOnlySpan<byte> code, bool lockdown = true)
    {
        code.CopyTo(Code);
        if (lockdown) Sandbox.Lockdown();
        UserRegs regs = Sandbox.GetRegisters();
        regs.Rip = CodeAddress;
        regs.Rsp = DataAddress + 4096;
        Sandbox.SetRegisters(regs);
    }

    public void Dispose()
    {
        Sandbox.Dispose();
        LibC.Munmap((nint)_memory, Size);
        LibC.Close(_memfd);
    }
}
