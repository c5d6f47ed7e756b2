using System.Buffers.Binary;
using Tender.Kvm.Interop;

namespace Tender.Boot.Solo5;

/// <summary>
/// The vCPU state solo5-hvt starts a guest in (docs/solo5-mode.md, section 6): 64-bit mode at
/// CPL 0, flat segments from a three-entry GDT, paging on with CR3 at the fixed tables, no IDT.
/// </summary>
public static class Solo5CpuState
{
    /// <summary>64-bit code: execute-only + accessed (type 9), present, DPL 0, L=1, G=1.</summary>
    public static SegmentRegister CodeSegment => new()
    {
        Base = 0, Limit = 0xFFFF_FFFF, Selector = Solo5Layout.CodeSelector,
        Type = 9, Present = 1, Dpl = 0, Db = 0, S = 1, L = 1, G = 1,
    };

    /// <summary>Data: read/write + accessed (type 3), present, DPL 0, D/B=1, G=1.</summary>
    public static SegmentRegister DataSegment => new()
    {
        Base = 0, Limit = 0xFFFF_FFFF, Selector = Solo5Layout.DataSelector,
        Type = 3, Present = 1, Dpl = 0, Db = 1, S = 1, L = 0, G = 1,
    };

    /// <summary>
    /// TR: selector 0 with a busy 64-bit TSS type and no base or limit. VM entry insists on a
    /// usable TR of type busy-TSS; the guest loads its own TSS before it could ever need one.
    /// </summary>
    public static SegmentRegister TaskRegister => new() { Type = 11, Present = 1 };

    /// <summary>LDTR: marked unusable.</summary>
    public static SegmentRegister UnusableSegment => new() { Unusable = 1 };

    /// <summary>
    /// The special registers at entry. Like solo5-hvt, every field not named here is zero
    /// (no IDT, CR2 = CR8 = 0, APIC base 0, no pending interrupt).
    /// </summary>
    public static SpecialRegisters SpecialRegisters(ulong pageTableRoot)
    {
        var data = DataSegment;
        return new SpecialRegisters
        {
            Cr0 = Solo5Layout.InitialCr0,
            Cr3 = pageTableRoot,
            Cr4 = Solo5Layout.InitialCr4,
            Efer = Solo5Layout.InitialEfer,
            Cs = CodeSegment,
            Ss = data, Ds = data, Es = data, Fs = data, Gs = data,
            Gdt = new DescriptorTableRegister { Base = Solo5Layout.GdtAddress, Limit = Solo5Layout.GdtLimit },
            Tr = TaskRegister,
            Ldt = UnusableSegment,
        };
    }

    /// <summary>
    /// RIP = entry, RFLAGS = 0x2, RSP = memory size − 8 (so RSP + 8 is 16-aligned, as right
    /// after a call), RDI = boot info; all other registers 0.
    /// </summary>
    public static CpuRegisters Registers(ulong entry, ulong memorySize) => new()
    {
        Rip = entry,
        Rflags = Solo5Layout.InitialRflags,
        Rsp = memorySize - 8,
        Rdi = Solo5Layout.BootInfoAddress,
    };

    /// <summary>The 24 bytes of the boot GDT: a null descriptor, then <see cref="CodeSegment"/> and <see cref="DataSegment"/>.</summary>
    public static byte[] GdtImage()
    {
        var gdt = new byte[Solo5Layout.GdtLimit + 1];
        BinaryPrimitives.WriteUInt64LittleEndian(gdt.AsSpan(8), Descriptor(CodeSegment));
        BinaryPrimitives.WriteUInt64LittleEndian(gdt.AsSpan(16), Descriptor(DataSegment));
        return gdt;
    }

    /// <summary>
    /// Encodes a code or data segment as the 8-byte descriptor the CPU reads from a GDT (Intel SDM
    /// vol. 3, 3.4.5). With G set the 20-bit limit field counts 4 KiB units.
    /// </summary>
    public static ulong Descriptor(in SegmentRegister s)
    {
        ulong limit = s.G != 0 ? s.Limit >> 12 : s.Limit;
        if (limit > 0xF_FFFF)
            throw new ArgumentException($"segment limit 0x{s.Limit:x} does not fit a descriptor with G={s.G}");
        if (s.Base > 0xFFFF_FFFF)
            throw new ArgumentException($"segment base 0x{s.Base:x} does not fit a code/data descriptor");
        return (limit & 0xFFFF)
            | (s.Base & 0xFF_FFFF) << 16
            | (ulong)(s.Type & 0xF) << 40
            | (ulong)(s.S & 1) << 44
            | (ulong)(s.Dpl & 3) << 45
            | (ulong)(s.Present & 1) << 47
            | (limit >> 16 & 0xF) << 48
            | (ulong)(s.Avl & 1) << 52
            | (ulong)(s.L & 1) << 53
            | (ulong)(s.Db & 1) << 54
            | (ulong)(s.G & 1) << 55
            | (s.Base >> 24 & 0xFF) << 56;
    }
}
