using Tender.Host.Interop;
using Tender.Platform;

namespace Tender.ProcessPlatform.Emulation;

/// <summary>
/// What a CPL 0 guest (a Solo5 hvt unikernel, which expects ring 0) believes about its
/// privileged state. On the process platform the guest really runs at CPL 3 under the host's
/// own GDT and segments, so every privileged instruction traps and the emulator records its
/// effect here instead; reads of that state return what the guest wrote. FS and GS bases are
/// the exception: they take effect for real, so they live in <see cref="UserRegs"/>.
/// </summary>
public sealed class VirtualCpuState
{
    public const uint MsrApicBase = 0x1B;
    public const uint MsrEfer = 0xC000_0080;
    public const uint MsrFsBase = 0xC000_0100;
    public const uint MsrGsBase = 0xC000_0101;
    public const uint MsrKernelGsBase = 0xC000_0102;

    public DescriptorTableRegister Gdt { get; set; }
    public DescriptorTableRegister Idt { get; set; }

    /// <summary>The task register's selector (the TSS itself is read from the GDT when it is needed).</summary>
    public ushort Tr { get; set; }

    /// <summary>The selectors the guest loaded; the real ones stay the host's user segments.</summary>
    public ushort Cs { get; set; }
    public ushort Ss { get; set; }
    public ushort Ds { get; set; }
    public ushort Es { get; set; }
    public ushort Fs { get; set; }
    public ushort Gs { get; set; }

    public ulong Cr0 { get; set; }
    public ulong Cr2 { get; set; }
    public ulong Cr3 { get; set; }
    public ulong Cr4 { get; set; }
    public ulong Cr8 { get; set; }
    public ulong Efer { get; set; }
    public ulong ApicBase { get; set; }

    /// <summary>XCR0 as the guest set it with xsetbv (x87 only until then, the architectural reset value).</summary>
    public ulong Xcr0 { get; set; } = 1;

    /// <summary>
    /// The guest's RFLAGS.IF. The real flag must stay set (a CPL 3 process cannot mask host
    /// interrupts, and ptrace refuses to clear it), so cli/sti/iretq and exception delivery keep
    /// the guest's view here.
    /// </summary>
    public bool InterruptsEnabled { get; set; }

    /// <summary>
    /// MSRs the guest wrote that have no home of their own (IA32_KERNEL_GS_BASE among them;
    /// IA32_FS_BASE and IA32_GS_BASE go to the real bases, EFER and APIC_BASE to their properties).
    /// </summary>
    public Dictionary<uint, ulong> Msrs { get; } = new();

    /// <summary>IA32_KERNEL_GS_BASE, the value swapgs exchanges with GS.base.</summary>
    public ulong KernelGsBase
    {
        get => Msrs.GetValueOrDefault(MsrKernelGsBase);
        set => Msrs[MsrKernelGsBase] = value;
    }

    /// <summary>
    /// The state a guest boots in, from the same special registers a KVM vCPU would get.
    /// RFLAGS is not part of them; like solo5-hvt's RFLAGS = 0x2, the guest starts with IF clear.
    /// </summary>
    public static VirtualCpuState FromSpecialRegisters(in SpecialRegisters boot) => new()
    {
        Gdt = boot.Gdt,
        Idt = boot.Idt,
        Tr = boot.Tr.Selector,
        Cs = boot.Cs.Selector,
        Ss = boot.Ss.Selector,
        Ds = boot.Ds.Selector,
        Es = boot.Es.Selector,
        Fs = boot.Fs.Selector,
        Gs = boot.Gs.Selector,
        Cr0 = boot.Cr0,
        Cr2 = boot.Cr2,
        Cr3 = boot.Cr3,
        Cr4 = boot.Cr4,
        Cr8 = boot.Cr8,
        Efer = boot.Efer,
        ApicBase = boot.ApicBase,
    };

    /// <summary>
    /// The state as a crash report shows it. Segment attributes are not tracked (the guest's
    /// descriptors never reach the CPU), so every segment is shown flat: a 64-bit code segment
    /// and read/write data segments at DPL 0, with the guest's selectors at RPL 0, FS and GS
    /// bases from <paramref name="regs"/>, and null data selectors marked unusable as KVM does.
    /// </summary>
    public SpecialRegisters ToSpecialRegisters(in UserRegs regs) => new()
    {
        Cs = new SegmentRegister
        {
            Limit = 0xFFFF_FFFF, Selector = Ring0(Cs), Type = 0xB, Present = 1, S = 1, L = 1, G = 1,
        },
        Ss = Data(Ss, 0),
        Ds = Data(Ds, 0),
        Es = Data(Es, 0),
        Fs = Data(Fs, regs.FsBase),
        Gs = Data(Gs, regs.GsBase),
        // Busy 64-bit TSS: its base lives in the guest's GDT, which this state does not read.
        Tr = new SegmentRegister { Selector = Ring0(Tr), Type = 0xB, Present = 1 },
        Ldt = new SegmentRegister { Unusable = 1 },
        Gdt = Gdt,
        Idt = Idt,
        Cr0 = Cr0,
        Cr2 = Cr2,
        Cr3 = Cr3,
        Cr4 = Cr4,
        Cr8 = Cr8,
        Efer = Efer,
        ApicBase = ApicBase,
    };

    private static ushort Ring0(ushort selector) => (ushort)(selector & ~3);

    private static SegmentRegister Data(ushort selector, ulong @base) => selector == 0
        ? new SegmentRegister { Base = @base, Unusable = 1 }
        : new SegmentRegister
        {
            Base = @base, Limit = 0xFFFF_FFFF, Selector = Ring0(selector), Type = 3, Present = 1, S = 1, Db = 1, G = 1,
        };
}
