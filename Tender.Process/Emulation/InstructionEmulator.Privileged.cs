using System.Buffers.Binary;
using Iced.Intel;
using Tender.Host.Interop;
using Tender.Platform;

namespace Tender.ProcessPlatform.Emulation;

// The privileged instructions of a CPL 0 guest: their effect goes to VirtualCpuState (what the
// guest believes) and, where it has a real counterpart a CPL 3 process may hold (RIP, RSP, the
// FS/GS bases, the arithmetic flags), to UserRegs. Each handler checks everything before it
// changes anything, so an Unsupported result leaves regs, cpu and memory as they were.
public static partial class InstructionEmulator
{
    private const ulong FlagIf = 1UL << 9;
    private const ulong FlagIopl = 3UL << 12;
    private const ulong FlagTf = 1UL << 8;
    private const ulong FlagNt = 1UL << 14;
    private const ulong FlagRf = 1UL << 16;

    /// <summary>
    /// The RFLAGS bits an iretq carries from the guest's frame into the real flags: the
    /// arithmetic flags, DF and AC. IF and IOPL stay the host's (a CPL 3 process cannot own them),
    /// TF and RF stay the tracer's.
    /// </summary>
    private const ulong FrameFlags = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800 | 0x4_0000;

    private static bool IsEmulatedPrivileged(Code code) => code is
        Code.Lgdt_m1664 or Code.Lidt_m1664 or Code.Sgdt_m1664 or Code.Sidt_m1664 or
        Code.Ltr_rm16 or Code.Ltr_r32m16 or Code.Ltr_r64m16 or
        Code.Str_rm16 or Code.Str_r32m16 or Code.Str_r64m16 or
        Code.Sldt_rm16 or Code.Sldt_r32m16 or Code.Sldt_r64m16 or
        Code.Smsw_rm16 or Code.Smsw_r32m16 or Code.Smsw_r64m16 or
        Code.Lmsw_rm16 or Code.Lmsw_r32m16 or Code.Lmsw_r64m16 or
        Code.Retfd or Code.Retfq or Code.Retfd_imm16 or Code.Retfq_imm16 or
        Code.Iretd or Code.Iretq or
        Code.Mov_Sreg_rm16 or Code.Mov_Sreg_r32m16 or Code.Mov_Sreg_r64m16 or
        Code.Mov_rm16_Sreg or Code.Mov_r32m16_Sreg or Code.Mov_r64m16_Sreg or
        Code.Cli or Code.Sti or Code.Wrmsr or Code.Rdmsr or
        Code.Mov_cr_r64 or Code.Mov_r64_cr or Code.Mov_cr_r32 or Code.Mov_r32_cr or
        Code.Hlt or Code.Invlpg_m or Code.Wbinvd or Code.Invd or Code.Clts or Code.Xsetbv or Code.Swapgs;

    private static Emulation EmulatePrivileged(ref UserRegs regs, VirtualCpuState cpu, IGuestMemoryView memory, in Instruction insn)
    {
        switch (insn.Code)
        {
            case Code.Lgdt_m1664 or Code.Lidt_m1664:
                return LoadDescriptorTable(ref regs, cpu, memory, insn);
            case Code.Sgdt_m1664 or Code.Sidt_m1664:
                return StoreDescriptorTable(ref regs, cpu, memory, insn);
            case Code.Ltr_rm16 or Code.Ltr_r32m16 or Code.Ltr_r64m16:
                return LoadTaskRegister(ref regs, cpu, memory, insn);
            case Code.Str_rm16 or Code.Str_r32m16 or Code.Str_r64m16:
                return StoreWord(ref regs, memory, insn, cpu.Tr);
            case Code.Sldt_rm16 or Code.Sldt_r32m16 or Code.Sldt_r64m16:
                // No lldt is emulated, so the LDT is the boot state's: none.
                return StoreWord(ref regs, memory, insn, 0);
            case Code.Smsw_rm16 or Code.Smsw_r32m16 or Code.Smsw_r64m16:
                return StoreWord(ref regs, memory, insn, (ushort)cpu.Cr0);
            case Code.Lmsw_rm16 or Code.Lmsw_r32m16 or Code.Lmsw_r64m16:
            {
                if (!TryReadWord(regs, memory, insn, 0, out ushort msw, out var failed)) return failed;
                // lmsw writes CR0's low four bits (PE MP EM TS) but can set PE, never clear it.
                cpu.Cr0 = cpu.Cr0 & ~0xFUL | (ulong)msw & 0xF | cpu.Cr0 & 1;
                return Advance(ref regs, insn);
            }
            case Code.Retfd or Code.Retfq or Code.Retfd_imm16 or Code.Retfq_imm16:
                return FarReturn(ref regs, cpu, memory, insn);
            case Code.Iretd or Code.Iretq:
                return InterruptReturn(ref regs, cpu, memory, insn);
            case Code.Mov_Sreg_rm16 or Code.Mov_Sreg_r32m16 or Code.Mov_Sreg_r64m16:
                return LoadSegment(ref regs, cpu, memory, insn);
            case Code.Mov_rm16_Sreg or Code.Mov_r32m16_Sreg or Code.Mov_r64m16_Sreg:
                return StoreWord(ref regs, memory, insn, Selector(cpu, insn.Op1Register));
            case Code.Cli or Code.Sti:
                cpu.InterruptsEnabled = insn.Code == Code.Sti;
                return Advance(ref regs, insn);
            case Code.Wrmsr:
                return WriteMsr(ref regs, cpu, insn);
            case Code.Rdmsr:
                return ReadMsr(ref regs, cpu, insn);
            case Code.Mov_cr_r64 or Code.Mov_cr_r32:
                return WriteControlRegister(ref regs, cpu, insn);
            case Code.Mov_r64_cr or Code.Mov_r32_cr:
                return ReadControlRegister(ref regs, cpu, insn);
            case Code.Hlt:
                // RIP stays at the hlt: the caller reports it as KVM reports a hlt at CPL 0.
                return Emulation.Halt(insn);
            case Code.Invlpg_m or Code.Wbinvd or Code.Invd:
                // The host owns the TLBs and caches of a process; nothing the guest could observe changes.
                return Advance(ref regs, insn);
            case Code.Clts:
                cpu.Cr0 &= ~(1UL << 3);
                return Advance(ref regs, insn);
            case Code.Xsetbv:
                return SetExtendedControlRegister(ref regs, cpu, insn);
            case Code.Swapgs:
            {
                (regs.GsBase, cpu.KernelGsBase) = (cpu.KernelGsBase, regs.GsBase);
                return Advance(ref regs, insn);
            }
            default:
                return Unsupported(insn, "privileged instruction that the tender does not emulate");
        }
    }

    private static Emulation Advance(ref UserRegs regs, in Instruction insn)
    {
        regs.Rip = insn.NextIP;
        return Emulation.Done(insn);
    }

    private static Emulation LoadDescriptorTable(ref UserRegs regs, VirtualCpuState cpu, IGuestMemoryView memory, in Instruction insn)
    {
        // In 64-bit mode the operand is always a 16-bit limit followed by a 64-bit base.
        ulong address = EffectiveAddress(regs, insn);
        Span<byte> operand = stackalloc byte[10];
        if (!memory.TryRead(address, operand))
            return Unsupported(insn, $"cannot read its operand at 0x{address:x}");
        var table = new DescriptorTableRegister
        {
            Limit = BinaryPrimitives.ReadUInt16LittleEndian(operand),
            Base = BinaryPrimitives.ReadUInt64LittleEndian(operand[2..]),
        };
        if (!IsCanonical(table.Base))
            return Unsupported(insn, $"#GP: base 0x{table.Base:x} is not canonical");
        if (insn.Code == Code.Lgdt_m1664) cpu.Gdt = table; else cpu.Idt = table;
        return Advance(ref regs, insn);
    }

    private static Emulation StoreDescriptorTable(ref UserRegs regs, VirtualCpuState cpu, IGuestMemoryView memory, in Instruction insn)
    {
        var table = insn.Code == Code.Sgdt_m1664 ? cpu.Gdt : cpu.Idt;
        ulong address = EffectiveAddress(regs, insn);
        Span<byte> operand = stackalloc byte[10];
        BinaryPrimitives.WriteUInt16LittleEndian(operand, table.Limit);
        BinaryPrimitives.WriteUInt64LittleEndian(operand[2..], table.Base);
        if (!memory.TryWrite(address, operand))
            return Unsupported(insn, $"cannot write its operand at 0x{address:x}");
        return Advance(ref regs, insn);
    }

    /// <summary>
    /// ltr checks the descriptor as the CPU does (an available 64-bit TSS inside the GDT) and
    /// marks it busy, so that a broken TSS setup fails here, at the instruction that caused it,
    /// rather than at the first exception that needs an IST stack.
    /// </summary>
    private static Emulation LoadTaskRegister(ref UserRegs regs, VirtualCpuState cpu, IGuestMemoryView memory, in Instruction insn)
    {
        if (!TryReadWord(regs, memory, insn, 0, out ushort selector, out var failed)) return failed;
        if ((selector & ~3) == 0)
            return Unsupported(insn, "#GP: null TSS selector");
        if ((selector & 4) != 0)
            return Unsupported(insn, $"#GP: selector 0x{selector:x} refers to the LDT");
        uint offset = (uint)(selector & ~7);
        if (offset + 15 > cpu.Gdt.Limit)
            return Unsupported(insn, $"#GP: selector 0x{selector:x} is beyond the GDT limit 0x{cpu.Gdt.Limit:x}");
        ulong descriptor = cpu.Gdt.Base + offset;
        Span<byte> access = stackalloc byte[1];
        if (!memory.TryRead(descriptor + 5, access))
            return Unsupported(insn, $"cannot read the TSS descriptor at 0x{descriptor:x}");
        if ((access[0] & 0x80) == 0)
            return Unsupported(insn, $"#NP: the TSS descriptor at 0x{descriptor:x} is not present");
        if ((access[0] & 0x1F) != 0x09)
            return Unsupported(insn, $"#GP: the descriptor at 0x{descriptor:x} is not an available 64-bit TSS (type 0x{access[0] & 0x1F:x})");
        access[0] |= 0x02;
        if (!memory.TryWrite(descriptor + 5, access))
            return Unsupported(insn, $"cannot mark the TSS descriptor at 0x{descriptor:x} busy");
        cpu.Tr = selector;
        return Advance(ref regs, insn);
    }

    /// <summary>
    /// retf: pops RIP and CS (8 bytes each under REX.W, else 4 — far returns default to a 32-bit
    /// operand even in 64-bit mode). Only returns within ring 0 are emulated; a guest returning to
    /// another privilege level would need stack switching that no hvt guest does.
    /// </summary>
    private static Emulation FarReturn(ref UserRegs regs, VirtualCpuState cpu, IGuestMemoryView memory, in Instruction insn)
    {
        int slot = insn.Code is Code.Retfq or Code.Retfq_imm16 ? 8 : 4;
        Span<byte> frame = stackalloc byte[16];
        frame = frame[..(2 * slot)];
        if (!memory.TryRead(regs.Rsp, frame))
            return Unsupported(insn, $"cannot read the return frame at 0x{regs.Rsp:x}");
        ulong rip = slot == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(frame) : BinaryPrimitives.ReadUInt32LittleEndian(frame);
        ushort cs = BinaryPrimitives.ReadUInt16LittleEndian(frame[slot..]);
        if (CheckCodeSelector(insn, cs, rip) is { } refused) return refused;
        ulong release = insn.Code is Code.Retfd_imm16 or Code.Retfq_imm16 ? insn.Immediate16 : 0UL;
        regs.Rsp += (ulong)(2 * slot) + release;
        regs.Rip = rip;
        cpu.Cs = cs;
        return Emulation.Done(insn);
    }

    /// <summary>
    /// iretq: pops RIP, CS, RFLAGS, RSP and SS (64-bit mode always pops all five). The guest's IF
    /// becomes the virtual one; its arithmetic flags become real, with IF forced on and IOPL 0.
    /// </summary>
    private static Emulation InterruptReturn(ref UserRegs regs, VirtualCpuState cpu, IGuestMemoryView memory, in Instruction insn)
    {
        int slot = insn.Code == Code.Iretq ? 8 : 4;
        Span<byte> frame = stackalloc byte[40];
        frame = frame[..(5 * slot)];
        if (!memory.TryRead(regs.Rsp, frame))
            return Unsupported(insn, $"cannot read the interrupt frame at 0x{regs.Rsp:x}");
        ulong Slot(ReadOnlySpan<byte> f, int i) => slot == 8
            ? BinaryPrimitives.ReadUInt64LittleEndian(f[(8 * i)..])
            : BinaryPrimitives.ReadUInt32LittleEndian(f[(4 * i)..]);
        ulong rip = Slot(frame, 0), rflags = Slot(frame, 2), rsp = Slot(frame, 3);
        ushort cs = (ushort)Slot(frame, 1), ss = (ushort)Slot(frame, 4);
        if (CheckCodeSelector(insn, cs, rip) is { } refused) return refused;
        if ((ss & 3) != 0)
            return Unsupported(insn, $"#GP: SS selector 0x{ss:x} has RPL {ss & 3}, not 0");
        regs.Rip = rip;
        regs.Rsp = rsp;
        regs.Eflags = regs.Eflags & ~(FrameFlags | FlagIopl) | rflags & FrameFlags | FlagIf | 0x2;
        cpu.InterruptsEnabled = (rflags & FlagIf) != 0;
        cpu.Cs = cs;
        cpu.Ss = ss;
        return Emulation.Done(insn);
    }

    private static Emulation? CheckCodeSelector(in Instruction insn, ushort cs, ulong rip)
    {
        if ((cs & 3) != 0)
            return Unsupported(insn, $"returns to CS 0x{cs:x} at CPL {cs & 3}; only returns within CPL 0 are emulated");
        if ((cs & ~3) == 0)
            return Unsupported(insn, "#GP: null CS selector");
        if (!IsCanonical(rip))
            return Unsupported(insn, $"#GP: return address 0x{rip:x} is not canonical");
        return null;
    }

    /// <summary>
    /// mov Sreg, r/m16 records the selector only: the guest's descriptors never reach the CPU,
    /// and in 64-bit mode only FS and GS have bases, which 64-bit guests set through the MSRs or
    /// wrfsbase rather than through descriptors.
    /// </summary>
    private static Emulation LoadSegment(ref UserRegs regs, VirtualCpuState cpu, IGuestMemoryView memory, in Instruction insn)
    {
        if (!TryReadWord(regs, memory, insn, 1, out ushort selector, out var failed)) return failed;
        switch (insn.Op0Register)
        {
            case Register.SS:
                if ((selector & 3) != 0)
                    return Unsupported(insn, $"#GP: SS selector 0x{selector:x} has RPL {selector & 3}, not 0");
                cpu.Ss = selector;
                break;
            case Register.DS: cpu.Ds = selector; break;
            case Register.ES: cpu.Es = selector; break;
            case Register.FS: cpu.Fs = selector; break;
            case Register.GS: cpu.Gs = selector; break;
            default:
                return Unsupported(insn, $"#UD: {insn.Op0Register} cannot be the destination of mov");
        }
        return Advance(ref regs, insn);
    }

    private static ushort Selector(VirtualCpuState cpu, Register segment) => segment switch
    {
        Register.CS => cpu.Cs,
        Register.SS => cpu.Ss,
        Register.DS => cpu.Ds,
        Register.ES => cpu.Es,
        Register.FS => cpu.Fs,
        _ => cpu.Gs,
    };

    /// <summary>The 16-bit source operand <paramref name="operand"/>: a register's low word or two bytes of memory.</summary>
    private static bool TryReadWord(in UserRegs regs, IGuestMemoryView memory, in Instruction insn, int operand,
        out ushort value, out Emulation failed)
    {
        failed = default;
        if (insn.GetOpKind(operand) == OpKind.Register)
        {
            value = (ushort)GuestRegisters.Read(regs, insn.GetOpRegister(operand));
            return true;
        }
        ulong address = EffectiveAddress(regs, insn);
        if (TryReadUInt16(memory, address, out value)) return true;
        failed = Unsupported(insn, $"cannot read its operand at 0x{address:x}");
        return false;
    }

    /// <summary>
    /// Stores a 16-bit value (a selector, the MSW) to operand 0: two bytes of memory, or a register
    /// zero-extended to its width (a 16-bit register keeps its upper bits, as for any 16-bit write).
    /// </summary>
    private static Emulation StoreWord(ref UserRegs regs, IGuestMemoryView memory, in Instruction insn, ushort value)
    {
        if (insn.Op0Kind == OpKind.Register)
        {
            GuestRegisters.Write(ref regs, insn.Op0Register, value);
            return Advance(ref regs, insn);
        }
        ulong address = EffectiveAddress(regs, insn);
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        if (!memory.TryWrite(address, bytes))
            return Unsupported(insn, $"cannot write its operand at 0x{address:x}");
        return Advance(ref regs, insn);
    }

    private static Emulation WriteMsr(ref UserRegs regs, VirtualCpuState cpu, in Instruction insn)
    {
        uint index = (uint)regs.Rcx;
        ulong value = regs.Rdx << 32 | regs.Rax & 0xFFFF_FFFF;
        switch (index)
        {
            case VirtualCpuState.MsrFsBase or VirtualCpuState.MsrGsBase or VirtualCpuState.MsrKernelGsBase:
                if (!IsCanonical(value))
                    return Unsupported(insn, $"#GP: MSR 0x{index:x} value 0x{value:x} is not canonical");
                if (index == VirtualCpuState.MsrFsBase) regs.FsBase = value;
                else if (index == VirtualCpuState.MsrGsBase) regs.GsBase = value;
                else cpu.KernelGsBase = value;
                break;
            case VirtualCpuState.MsrEfer: cpu.Efer = value; break;
            case VirtualCpuState.MsrApicBase: cpu.ApicBase = value; break;
            default: cpu.Msrs[index] = value; break;
        }
        return Advance(ref regs, insn);
    }

    /// <summary>
    /// rdmsr returns what the guest wrote (or its boot state). An MSR it never wrote has no value
    /// the tender could honestly give, so it is refused, where KVM would have answered from the host.
    /// </summary>
    private static Emulation ReadMsr(ref UserRegs regs, VirtualCpuState cpu, in Instruction insn)
    {
        uint index = (uint)regs.Rcx;
        ulong value;
        switch (index)
        {
            case VirtualCpuState.MsrFsBase: value = regs.FsBase; break;
            case VirtualCpuState.MsrGsBase: value = regs.GsBase; break;
            case VirtualCpuState.MsrKernelGsBase: value = cpu.KernelGsBase; break;
            case VirtualCpuState.MsrEfer: value = cpu.Efer; break;
            case VirtualCpuState.MsrApicBase: value = cpu.ApicBase; break;
            default:
                if (!cpu.Msrs.TryGetValue(index, out value))
                    return Unsupported(insn, $"MSR 0x{index:x} was never written by the guest, and the tender has no value for it");
                break;
        }
        regs.Rax = value & 0xFFFF_FFFF;
        regs.Rdx = value >> 32;
        return Advance(ref regs, insn);
    }

    private static Emulation WriteControlRegister(ref UserRegs regs, VirtualCpuState cpu, in Instruction insn)
    {
        ulong value = GuestRegisters.Read(regs, insn.Op1Register);
        switch (insn.Op0Register)
        {
            case Register.CR0: cpu.Cr0 = value; break;
            case Register.CR2: cpu.Cr2 = value; break;
            // Recorded only: the caller owns the guest's mappings and can compare CR3 to notice a switch.
            case Register.CR3: cpu.Cr3 = value; break;
            case Register.CR4: cpu.Cr4 = value; break;
            case Register.CR8: cpu.Cr8 = value & 0xF; break;
            default: return Unsupported(insn, $"#UD: {insn.Op0Register} does not exist");
        }
        return Advance(ref regs, insn);
    }

    private static Emulation ReadControlRegister(ref UserRegs regs, VirtualCpuState cpu, in Instruction insn)
    {
        ulong value;
        switch (insn.Op1Register)
        {
            case Register.CR0: value = cpu.Cr0; break;
            case Register.CR2: value = cpu.Cr2; break;
            case Register.CR3: value = cpu.Cr3; break;
            case Register.CR4: value = cpu.Cr4; break;
            case Register.CR8: value = cpu.Cr8; break;
            default: return Unsupported(insn, $"#UD: {insn.Op1Register} does not exist");
        }
        GuestRegisters.Write(ref regs, insn.Op0Register, value);
        return Advance(ref regs, insn);
    }

    /// <summary>
    /// xsetbv records XCR0 after the architectural checks. It does not compare with what the host
    /// enables: the guest's XSAVE state really lives in the host's XCR0, which covers x87/SSE/AVX
    /// on any host this runs on.
    /// </summary>
    private static Emulation SetExtendedControlRegister(ref UserRegs regs, VirtualCpuState cpu, in Instruction insn)
    {
        uint index = (uint)regs.Rcx;
        ulong value = regs.Rdx << 32 | regs.Rax & 0xFFFF_FFFF;
        if (index != 0)
            return Unsupported(insn, $"#GP: XCR{index} does not exist");
        if ((value & 1) == 0 || (value & 0b110) == 0b100)
            return Unsupported(insn, $"#GP: XCR0 value 0x{value:x} is invalid (x87 must be set, AVX needs SSE)");
        cpu.Xcr0 = value;
        return Advance(ref regs, insn);
    }
}
