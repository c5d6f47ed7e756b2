using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Tender.Host;
using Tender.Host.Interop;
using Tender.ProcessPlatform.Sandbox;

namespace Tender.ProcessPlatform;

/// <summary>
/// The process platform behind the seam (design decision 9, docs/platforms.md): guest memory is
/// one memfd, mapped here for the tender and, at the guest's own addresses, in a sandboxed child
/// that <see cref="ProcessVcpu"/> traces. Guest-physical addresses are offsets the tender chooses
/// (each <see cref="AddMemory"/> takes the next range of the file), so the boot modes' layouts
/// work unchanged; only the guest-virtual address space their page tables describe reaches the child.
/// </summary>
public sealed class ProcessMachine : IMachine
{
    private readonly FileDescriptor _memfd;
    private readonly List<GuestMemory> _memories = [];
    private readonly List<ulong> _offsets = []; // memfd offset of each memory, same order
    private readonly ProcessVcpu _vcpu;
    private ulong _fileSize;
    private CpuidEntry[]? _cpuid;

    private ProcessMachine(FileDescriptor memfd)
    {
        _memfd = memfd;
        _vcpu = new ProcessVcpu(this);
    }

    /// <summary>Creates the guest memfd; the child is spawned when the vCPU starts.</summary>
    public static ProcessMachine Create()
    {
        int fd = LibC.MemfdCreate("tender-guest", LibC.MFD_CLOEXEC);
        if (fd < 0) throw new PlatformException($"memfd_create: {LibC.ErrorText(Marshal.GetLastSystemError())}");
        return new ProcessMachine(new FileDescriptor(fd));
    }

    public string PlatformName => "process";

    public IVcpu Vcpu => _vcpu;

    internal int MemoryFd => _memfd.Fd;

    public IReadOnlyList<GuestMemory> Memories => _memories;

    public GuestMemory AddMemory(string name, ulong guestPhysicalAddress, ulong size)
    {
        if (size == 0 || (size & 0xFFF) != 0 || (guestPhysicalAddress & 0xFFF) != 0 || size - 1 > ulong.MaxValue - guestPhysicalAddress)
            throw new ArgumentException($"{name}: bad guest-physical range 0x{guestPhysicalAddress:x} + 0x{size:x}");
        foreach (var existing in _memories)
            if (guestPhysicalAddress < existing.End && existing.GuestPhysicalAddress < guestPhysicalAddress + size)
                throw new ArgumentException($"{name} [0x{guestPhysicalAddress:x}, +0x{size:x}) overlaps {existing.Name}");
        ulong offset = _fileSize;
        // The file grows sparse: pages nobody touches cost nothing, as KVM's anonymous slots.
        if (LibC.Ftruncate(_memfd.Fd, (long)(offset + size)) != 0)
            throw new PlatformException($"growing the guest memory file to {(offset + size) >> 20} MiB for {name}: {LibC.ErrorText(Marshal.GetLastSystemError())}");
        MappedRegion region;
        try
        {
            region = MappedRegion.SharedFile(_memfd.Fd, offset, size, name);
        }
        catch (HostException e)
        {
            throw new PlatformException(e.Message);
        }
        var memory = new GuestMemory(name, guestPhysicalAddress, size, region);
        _fileSize = offset + size;
        _memories.Add(memory);
        _offsets.Add(offset);
        return memory;
    }

    public GuestMemory AddExternalMemory(string name, ulong guestPhysicalAddress, nint hostAddress, ulong size) =>
        throw new PlatformException($"{name}: host memory such as a VFIO BAR or an IOMMU-mapped DMA area cannot be given to a guest on the process platform; host PCI devices need --platform=kvm");

    /// <summary>The memory and memfd offset behind guest-physical [address, address + length), or null.</summary>
    internal (GuestMemory Memory, ulong FileOffset)? Locate(ulong address, ulong length)
    {
        for (int i = 0; i < _memories.Count; i++)
            if (_memories[i].Contains(address, length))
                return (_memories[i], _offsets[i] + (address - _memories[i].GuestPhysicalAddress));
        return null;
    }

    public ulong TscFrequencyHz => TscFrequency.Hz;

    /// <summary>The host's own CPUID (the process platform cannot change what CPUID reports:
    /// ARCH_SET_CPUID fails with ENODEV on these hosts), leaves 0..max and 0x80000000..max, subleaf 0.</summary>
    public CpuidEntry[] SupportedCpuid => _cpuid ??= HostCpuid();

    /// <summary>The host's CPUID as the process platform's guests see it (for tests and tools).</summary>
    public static CpuidEntry[] HostCpuid()
    {
        var entries = new List<CpuidEntry>();
        foreach (uint start in new[] { 0u, 0x8000_0000u })
        {
            uint max = (uint)X86Base.CpuId((int)start, 0).Eax;
            if (max < start || max - start > 0x100) max = start;
            for (uint leaf = start; leaf <= max; leaf++)
            {
                var (eax, ebx, ecx, edx) = X86Base.CpuId((int)leaf, 0);
                entries.Add(new CpuidEntry { Function = leaf, Eax = (uint)eax, Ebx = (uint)ebx, Ecx = (uint)ecx, Edx = (uint)edx });
            }
        }
        return [.. entries];
    }

    /// <summary>
    /// The state a boot mode starts from: what a reset x86 CPU has (real mode, CR0 = 0x60000010),
    /// as KVM reports it for a new vCPU. Boot modes overwrite what they use.
    /// </summary>
    public SpecialRegisters ResetSpecialRegisters => new()
    {
        Cs = new SegmentRegister { Base = 0xFFFF0000, Limit = 0xFFFF, Selector = 0xF000, Type = 11, Present = 1, S = 1 },
        Ds = DataReset, Es = DataReset, Fs = DataReset, Gs = DataReset, Ss = DataReset,
        Tr = new SegmentRegister { Limit = 0xFFFF, Type = 11, Present = 1 },
        Ldt = new SegmentRegister { Limit = 0xFFFF, Type = 2, Present = 1 },
        Gdt = new DescriptorTableRegister { Limit = 0xFFFF },
        Idt = new DescriptorTableRegister { Limit = 0xFFFF },
        Cr0 = 0x6000_0010,
    };

    private static SegmentRegister DataReset => new() { Limit = 0xFFFF, Type = 3, Present = 1, S = 1 };

    public void Dispose()
    {
        _vcpu.Dispose(); // the child first: it maps the memory
        foreach (var memory in _memories) memory.Dispose();
        _memories.Clear();
        _memfd.Dispose();
    }
}
