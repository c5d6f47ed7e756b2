using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

using Tender.Host.Interop;

namespace Tender.Kvm.Interop;

/// <summary>
/// ioctl request numbers of the KVM API (Linux <c>include/uapi/linux/kvm.h</c>, x86-64). Each is
/// _IO/_IOR/_IOW/_IOWR(0xAE, nr, size); the struct sizes they encode are checked against the
/// structs below by <see cref="KvmLayout.Verify"/>.
/// </summary>
internal static class KvmIoctls
{
    public const nuint GetApiVersion = 0xAE00;
    public const nuint CreateVm = 0xAE01;
    public const nuint CheckExtension = 0xAE03;
    public const nuint GetVcpuMmapSize = 0xAE04;
    public const nuint GetSupportedCpuid = 0xC008AE05;   // _IOWR(0xAE, 0x05, struct kvm_cpuid2 header: 8)
    public const nuint CreateVcpu = 0xAE41;
    public const nuint SetUserMemoryRegion = 0x4020AE46; // _IOW(0xAE, 0x46, 32)
    public const nuint SetTssAddr = 0xAE47;
    public const nuint Run = 0xAE80;
    public const nuint GetRegs = 0x8090AE81;             // _IOR(0xAE, 0x81, 144)
    public const nuint SetRegs = 0x4090AE82;
    public const nuint GetSregs = 0x8138AE83;            // _IOR(0xAE, 0x83, 312)
    public const nuint SetSregs = 0x4138AE84;
    public const nuint SetMsrs = 0x4008AE89;             // _IOW(0xAE, 0x89, struct kvm_msrs header: 8)
    public const nuint GetFpu = 0x81A0AE8C;              // _IOR(0xAE, 0x8C, 416)
    public const nuint SetFpu = 0x41A0AE8D;
    public const nuint SetCpuid2 = 0x4008AE90;           // _IOW(0xAE, 0x90, 8)
    public const nuint GetTscKhz = 0xAEA3;
    public const nuint SetGuestDebug = 0x4048AE9B;       // _IOW(0xAE, 0x9B, struct kvm_guest_debug: 72)
    public const nuint GetDebugRegs = 0x8080AEA1;        // _IOR(0xAE, 0xA1, struct kvm_debugregs: 128)
    public const nuint SetDebugRegs = 0x4080AEA2;

    // struct kvm_guest_debug.control
    public const uint GuestDebugEnable = 0x1;
    public const uint GuestDebugSingleStep = 0x2;
    public const uint GuestDebugUseSoftwareBreakpoints = 0x10000;
    public const uint GuestDebugUseHardwareBreakpoints = 0x20000;

    public const int ExpectedApiVersion = 12;

    public const int CapUserMemory = 3;
    public const int CapSetTssAddr = 4;
    public const int CapExtCpuid = 7;
    public const int CapGetTscKhz = 61;
    public const int CapReadonlyMem = 81;
    public const int CapImmediateExit = 136;

    public const uint MemReadonly = 1u << 1;
}

[StructLayout(LayoutKind.Sequential)]
internal struct KvmUserspaceMemoryRegion
{
    public uint Slot;
    public uint Flags;
    public ulong GuestPhysAddr;
    public ulong MemorySize;
    public ulong UserspaceAddr;
}

/// <summary><c>struct kvm_msr_entry</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmMsrEntry
{
    public uint Index;
    public uint Reserved;
    public ulong Data;
}

/// <summary>
/// Offsets into the vCPU's shared <c>struct kvm_run</c> page (read through a pointer, never
/// copied: the union's members are at fixed offsets after the 32-byte header).
/// </summary>
internal static class KvmRunLayout
{
    public const int ImmediateExit = 1;
    public const int ExitReason = 8;
    public const int Union = 32;
    // io
    public const int IoDirection = Union + 0;
    public const int IoSize = Union + 1;
    public const int IoPort = Union + 2;
    public const int IoCount = Union + 4;
    public const int IoDataOffset = Union + 8;
    // mmio
    public const int MmioPhysAddr = Union + 0;
    public const int MmioData = Union + 8;
    public const int MmioLen = Union + 16;
    public const int MmioIsWrite = Union + 20;
    // fail_entry
    public const int FailEntryReason = Union + 0;
    public const int FailEntryCpu = Union + 8;
    // internal
    public const int InternalSuberror = Union + 0;
    public const int InternalNdata = Union + 4;
    public const int InternalData = Union + 8;
    public const int InternalMaxData = 16;
    // system_event
    public const int SystemEventType = Union + 0;
    public const int SystemEventNdata = Union + 4;
    public const int SystemEventData = Union + 8;
    // debug.arch
    public const int DebugException = Union + 0;
    public const int DebugPc = Union + 8;
    public const int DebugDr6 = Union + 16;
    public const int DebugDr7 = Union + 24;
    // hw (KVM_EXIT_UNKNOWN)
    public const int HardwareExitReason = Union + 0;
    // ex (KVM_EXIT_EXCEPTION)
    public const int ExceptionNumber = Union + 0;
    public const int ExceptionErrorCode = Union + 4;

    /// <summary>The kernel's struct is 2352 bytes; the mmap is at least that.</summary>
    public const int MinimumSize = 0x930;
}

internal static unsafe class KvmLayout
{
    /// <summary>
    /// Checks the struct sizes encoded in the ioctl numbers against the C# layouts, once, so a
    /// layout mistake fails loudly instead of corrupting memory.
    /// </summary>
    public static void Verify()
    {
        Check<KvmUserspaceMemoryRegion>(32);
        Check<CpuRegisters>(144);
        Check<SegmentRegister>(24);
        Check<DescriptorTableRegister>(16);
        Check<SpecialRegisters>(312);
        Check<FpuState>(416);
        Check<CpuidEntry>(40);
        Check<KvmMsrEntry>(16);
        Check<LibC.SigActionStruct>(152);
        CheckIoctlSize(KvmIoctls.GetRegs, sizeof(CpuRegisters));
        CheckIoctlSize(KvmIoctls.SetSregs, sizeof(SpecialRegisters));
        CheckIoctlSize(KvmIoctls.SetFpu, sizeof(FpuState));
        CheckIoctlSize(KvmIoctls.SetUserMemoryRegion, sizeof(KvmUserspaceMemoryRegion));
        CheckIoctlSize(KvmIoctls.SetGuestDebug, sizeof(KvmGuestDebug));
        CheckIoctlSize(KvmIoctls.SetDebugRegs, sizeof(KvmDebugRegs));
    }

    private static void Check<T>(int expected) where T : unmanaged
    {
        if (sizeof(T) != expected)
            throw new InvalidOperationException($"internal error: {typeof(T).Name} is {sizeof(T)} bytes, the kernel's struct is {expected}");
    }

    private static void CheckIoctlSize(nuint request, int size)
    {
        int encoded = (int)((request >> 16) & 0x3FFF);
        if (encoded != size)
            throw new InvalidOperationException($"internal error: ioctl 0x{request:x} encodes size {encoded}, struct is {size}");
    }
}

/// <summary>struct kvm_guest_debug: control flags, then the x86 debug registers DR0-DR7 (DR4/DR5 unused).</summary>
internal unsafe struct KvmGuestDebug
{
    public uint Control;
    public uint Padding;
    public fixed ulong DebugRegisters[8];
}

/// <summary>struct kvm_debugregs: the guest's own DR0-DR3, DR6, DR7.</summary>
internal unsafe struct KvmDebugRegs
{
    public fixed ulong Db[4];
    public ulong Dr6;
    public ulong Dr7;
    public ulong Flags;
    public fixed ulong Reserved[9];
}
