using Tender.Paging;

namespace Tender.Platform;

/// <summary>
/// One way of running a guest (design decision 9, docs/platforms.md): a KVM virtual machine, or a
/// sandboxed, traced child process. Above this seam the tender does not know which one runs.
/// A machine owns its guest memory and its one vCPU; disposing it ends the guest.
/// </summary>
public interface IMachine : IDisposable
{
    /// <summary>"kvm" or "process": for logs, traces and crash reports.</summary>
    string PlatformName { get; }

    /// <summary>
    /// Adds zeroed guest-physical memory [<paramref name="guestPhysicalAddress"/>, + size): a KVM
    /// memory slot, or a range of the process platform's guest memfd. The tender reads and writes
    /// it through the returned <see cref="GuestMemory"/>; the guest sees it only where the boot
    /// state's address space (<see cref="VcpuStartState.AddressSpace"/>) maps it.
    /// </summary>
    GuestMemory AddMemory(string name, ulong guestPhysicalAddress, ulong size);

    /// <summary>
    /// Registers host memory the caller owns (a VFIO BAR, an IOMMU-mapped DMA area) as guest
    /// memory. Only KVM can (the process platform's guest memory is one memfd); others throw
    /// <see cref="PlatformException"/> saying so.
    /// </summary>
    GuestMemory AddExternalMemory(string name, ulong guestPhysicalAddress, nint hostAddress, ulong size);

    /// <summary>The memory added so far, in order.</summary>
    IReadOnlyList<GuestMemory> Memories { get; }

    /// <summary>The guest TSC's frequency in Hz (the boot info's cpu_cycle_freq).</summary>
    ulong TscFrequencyHz { get; }

    /// <summary>The CPUID leaves the guest will see (KVM: what it supports; the process platform:
    /// the host's own, which it cannot change).</summary>
    CpuidEntry[] SupportedCpuid { get; }

    /// <summary>The special registers a vCPU starts from before a boot mode changes them.</summary>
    SpecialRegisters ResetSpecialRegisters { get; }

    /// <summary>The guest's one vCPU (created with the machine).</summary>
    IVcpu Vcpu { get; }

    /// <summary>The memory that holds [address, address + length), or null.</summary>
    GuestMemory? FindMemory(ulong address, ulong length)
    {
        foreach (var memory in Memories)
            if (memory.Contains(address, length)) return memory;
        return null;
    }
}

/// <summary>A platform cannot do what was asked (a user-facing sentence).</summary>
public sealed class PlatformException(string message) : Exception(message);

/// <summary>
/// The state a vCPU starts in: what a boot mode prepared. KVM loads the registers and runs; the
/// process platform maps <see cref="AddressSpace"/> in the child with the same rights and
/// runs the guest's code natively there.
/// </summary>
public sealed class VcpuStartState
{
    public required CpuRegisters Registers { get; init; }
    public required SpecialRegisters SpecialRegisters { get; init; }
    /// <summary>x87/SSE state; null leaves the platform's reset state (FCW 0x37F, MXCSR 0x1F80 on both).</summary>
    public FpuState? Fpu { get; init; }
    /// <summary>CPUID to offer; null: <see cref="IMachine.SupportedCpuid"/>. The process platform cannot change CPUID.</summary>
    public CpuidEntry[]? Cpuid { get; init; }
    /// <summary>
    /// The guest-virtual address space the boot mode's page tables describe: each region maps
    /// guest-virtual → guest-physical with its rights. KVM ignores it (the page tables are in guest
    /// memory); the process platform maps each region of the guest's privilege (User regions for a
    /// CPL 3 guest; all for a CPL 0 one) at its guest-virtual address.
    /// </summary>
    public required IReadOnlyList<Region> AddressSpace { get; init; }
}
