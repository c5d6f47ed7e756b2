using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tender.Platform;

// The x86-64 state a vCPU starts in and a crash report reads, in the layout of KVM's structs
// (struct kvm_regs, kvm_sregs, kvm_fpu, kvm_cpuid_entry2 in linux/kvm.h): Tender.Kvm passes them
// to its ioctls as they are; the process platform converts them to and from ptrace's
// user_regs_struct. Above the platform seam they are plain architectural state.

/// <summary>The general-purpose registers, RIP and RFLAGS.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct CpuRegisters
{
    public ulong Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rsp, Rbp;
    public ulong R8, R9, R10, R11, R12, R13, R14, R15;
    public ulong Rip, Rflags;
}

/// <summary>A segment register as the CPU caches it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SegmentRegister
{
    public ulong Base;
    public uint Limit;
    public ushort Selector;
    public byte Type, Present, Dpl, Db, S, L, G, Avl, Unusable, Padding;
}

/// <summary>GDTR or IDTR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct DescriptorTableRegister
{
    public ulong Base;
    public ushort Limit;
    public ushort Padding0, Padding1, Padding2;
}

/// <summary>Segment, descriptor-table and control registers.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SpecialRegisters
{
    public SegmentRegister Cs, Ds, Es, Fs, Gs, Ss, Tr, Ldt;
    public DescriptorTableRegister Gdt, Idt;
    public ulong Cr0, Cr2, Cr3, Cr4, Cr8, Efer, ApicBase;
    public InterruptBitmap Interrupts;

    [InlineArray(4)]
    public struct InterruptBitmap { private ulong _element; }
}

/// <summary>x87 state (abridged tag word), XMM registers, MXCSR.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct FpuState
{
    public fixed byte Fpr[128];
    public ushort Fcw;
    public ushort Fsw;
    public byte Ftwx;
    public byte Padding1;
    public ushort LastOpcode;
    public ulong LastIp;
    public ulong LastDp;
    public fixed byte Xmm[256];
    public uint Mxcsr;
    public uint Padding2;
}

/// <summary>One CPUID leaf/subleaf.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct CpuidEntry
{
    public uint Function, Index, Flags, Eax, Ebx, Ecx, Edx;
    public uint Padding0, Padding1, Padding2;
}

