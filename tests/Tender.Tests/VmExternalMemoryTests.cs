using System.Runtime.InteropServices;
using Tender.Kvm;
using Tender.Tests.Support;

namespace Tender.Tests;

/// <summary>
/// Vm.AddExternalMemory (the VFIO path's BAR and DMA-area slots): host memory the test allocates
/// and frees itself, registered with KVM_SET_USER_MEMORY_REGION on a real /dev/kvm.
/// </summary>
public unsafe class VmExternalMemoryTests
{
    private const ulong Size = 64 * 1024;

    [KvmFact]
    public void External_memory_becomes_a_slot_that_shows_the_callers_bytes_and_outlives_the_vm()
    {
        byte* host = (byte*)NativeMemory.AlignedAlloc((nuint)Size, 4096);
        try
        {
            var bytes = new Span<byte>(host, (int)Size);
            for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i * 7 + 3);
            using (var kvm = KvmSystem.Open())
            using (var vm = kvm.CreateVm())
            {
                vm.AddMemory("RAM", 0, 0x10000);
                var external = vm.AddExternalMemory("BAR 0", 0x100000, (nint)host, Size);
                Assert.True(external.IsExternal);
                Assert.Same(external, vm.FindMemory(0x100000 + 0x1230, 8));
                // The slot is the caller's memory, not a copy: both directions show.
                Assert.Equal(unchecked((byte)(0x1230 * 7 + 3)), external.GetSpan(0x101230, 1)[0]);
                external.WriteUInt32(0x100040, 0xfeedf00d);
                Assert.Equal(0xfeedf00du, *(uint*)(host + 0x40));
                Assert.False(vm.Memories[0].IsExternal);
                // Overlapping an existing slot is refused before the ioctl.
                var overlap = Assert.Throws<ArgumentException>(() => vm.AddExternalMemory("BAR 1", 0x108000, (nint)host, Size));
                Assert.Contains("overlaps BAR 0", overlap.Message);
            }
            // The VM is gone and did not unmap or free the caller's memory.
            Assert.Equal(0xfeedf00du, *(uint*)(host + 0x40));
            Assert.Equal(unchecked((byte)(0xFFFF * 7 + 3)), host[0xFFFF]);
        }
        finally
        {
            NativeMemory.AlignedFree(host);
        }
    }

    [KvmFact]
    public void External_memory_that_is_not_page_aligned_is_refused()
    {
        byte* host = (byte*)NativeMemory.AlignedAlloc((nuint)Size + 4096, 4096);
        try
        {
            using var kvm = KvmSystem.Open();
            using var vm = kvm.CreateVm();
            var e = Assert.Throws<ArgumentException>(() => vm.AddExternalMemory("BAR 0", 0x100000, (nint)(host + 8), Size));
            Assert.Contains("not page aligned", e.Message);
            Assert.Empty(vm.Memories);
        }
        finally
        {
            NativeMemory.AlignedFree(host);
        }
    }
}
