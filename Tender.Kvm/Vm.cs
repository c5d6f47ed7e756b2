using System.Runtime.InteropServices;
using Tender.Host.Interop;
using Tender.Kvm.Interop;

namespace Tender.Kvm;

/// <summary>
/// A KVM virtual machine: its memory slots and vCPUs. Disposing it disposes its vCPUs and the
/// guest memory it created.
/// </summary>
public sealed unsafe class Vm : IDisposable
{
    private readonly KvmSystem _system;
    private readonly FileDescriptor _fd;
    private readonly List<GuestMemory> _memories = [];
    private readonly List<Vcpu> _vcpus = [];

    internal Vm(KvmSystem system, FileDescriptor fd)
    {
        _system = system;
        _fd = fd;
    }

    public KvmSystem System => _system;

    /// <summary>The memory slots added so far, in slot order.</summary>
    public IReadOnlyList<GuestMemory> Memories => _memories;

    /// <summary>
    /// Creates zeroed memory of <paramref name="size"/> bytes at guest-physical
    /// <paramref name="guestPhysicalAddress"/> and registers it as the next memory slot. With
    /// <paramref name="readOnly"/> guest writes exit to the tender as MMIO instead of landing.
    /// </summary>
    public GuestMemory AddMemory(string name, ulong guestPhysicalAddress, ulong size, bool readOnly = false)
    {
        CheckNewSlot(name, guestPhysicalAddress, size, readOnly);
        var memory = new GuestMemory(name, guestPhysicalAddress, size);
        return Register(memory, readOnly);
    }

    /// <summary>
    /// Registers host memory this VM did not allocate (a VFIO BAR mapping, a hugepage DMA area) as
    /// the next memory slot at guest-physical <paramref name="guestPhysicalAddress"/>.
    /// OWNERSHIP: the caller keeps the mapping at <paramref name="hostAddress"/> and must keep it
    /// mapped until this VM is disposed (the slot lives as long as the VM; KVM would otherwise
    /// hand the guest whatever is mapped there next), then unmap it itself. The returned
    /// <see cref="GuestMemory"/> never unmaps it.
    /// </summary>
    public GuestMemory AddExternalMemory(string name, ulong guestPhysicalAddress, nint hostAddress, ulong size, bool readOnly = false)
    {
        if (hostAddress == 0) throw new ArgumentException($"{name}: null host address", nameof(hostAddress));
        CheckNewSlot(name, guestPhysicalAddress, size, readOnly);
        var memory = new GuestMemory(name, guestPhysicalAddress, size, (byte*)hostAddress);
        return Register(memory, readOnly);
    }

    private void CheckNewSlot(string name, ulong guestPhysicalAddress, ulong size, bool readOnly)
    {
        foreach (var existing in _memories)
            if (guestPhysicalAddress < existing.End && existing.GuestPhysicalAddress < guestPhysicalAddress + size)
                throw new ArgumentException($"{name} [0x{guestPhysicalAddress:x}, +0x{size:x}) overlaps {existing.Name}");
        if (readOnly && _system.CheckExtension(KvmIoctls.CapReadonlyMem) <= 0)
            throw new KvmException("this KVM does not support read-only memory slots (KVM_CAP_READONLY_MEM)");
    }

    private GuestMemory Register(GuestMemory memory, bool readOnly)
    {
        try
        {
            var region = new KvmUserspaceMemoryRegion
            {
                Slot = (uint)_memories.Count,
                Flags = readOnly ? KvmIoctls.MemReadonly : 0,
                GuestPhysAddr = memory.GuestPhysicalAddress,
                MemorySize = memory.Size,
                UserspaceAddr = memory.HostAddress,
            };
            if (LibC.Ioctl(_fd.Fd, KvmIoctls.SetUserMemoryRegion, &region) != 0)
                throw KvmException.FromLastError($"KVM_SET_USER_MEMORY_REGION for {memory.Name} at 0x{memory.GuestPhysicalAddress:x}");
        }
        catch
        {
            memory.Dispose();
            throw;
        }
        _memories.Add(memory);
        return memory;
    }

    /// <summary>The memory slot that holds [address, address + length), or null.</summary>
    public GuestMemory? FindMemory(ulong address, ulong length)
    {
        foreach (var memory in _memories)
            if (memory.Contains(address, length)) return memory;
        return null;
    }

    /// <summary>Reads a little-endian u64 at a guest-physical address in any slot (for page walks).</summary>
    public (bool ok, ulong value) TryReadPhysicalUInt64(ulong address)
    {
        var memory = FindMemory(address, 8);
        return memory is not null && memory.TryReadUInt64(address, out ulong value) ? (true, value) : (false, 0);
    }

    /// <summary>KVM_SET_TSS_ADDR: three pages of guest-physical space KVM may use on Intel hosts
    /// for real-mode emulation; must not overlap any memory slot.</summary>
    public void SetTssAddress(ulong guestPhysicalAddress)
    {
        if (LibC.Ioctl(_fd.Fd, KvmIoctls.SetTssAddr, (nint)guestPhysicalAddress) != 0)
            throw KvmException.FromLastError("KVM_SET_TSS_ADDR");
    }

    /// <summary>KVM_CREATE_VCPU with its shared kvm_run page mapped.</summary>
    public Vcpu CreateVcpu(int id)
    {
        int fd = LibC.Ioctl(_fd.Fd, KvmIoctls.CreateVcpu, id);
        if (fd < 0) throw KvmException.FromLastError($"KVM_CREATE_VCPU {id}");
        var handle = new FileDescriptor(fd);
        try
        {
            var run = MappedRegion.OfDescriptor(handle, (ulong)_system.VcpuMmapSize, $"kvm_run of vCPU {id}");
            var vcpu = new Vcpu(id, handle, run);
            _vcpus.Add(vcpu);
            return vcpu;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var vcpu in _vcpus) vcpu.Dispose();
        _vcpus.Clear();
        _fd.Dispose();
        // Memory goes after the VM: the kernel no longer references it.
        foreach (var memory in _memories) memory.Dispose();
        _memories.Clear();
    }
}
