using System.Buffers.Binary;
using Iced.Intel;
using Tender.Host.Interop;

namespace Tender.ProcessPlatform.Emulation;

// CPU exceptions of a CPL 0 guest. On the process platform a guest's #PF, #GP, #UD … arrive at
// the tender as signals; the guest's own handlers expect them through its IDT, exactly as a
// KVM guest would get them, so the tender builds the frame the CPU would have built.
public static partial class InstructionEmulator
{
    /// <summary>
    /// Delivers CPU exception <paramref name="vector"/> into the guest's IDT as the CPU would in
    /// 64-bit mode at CPL 0: the 16-byte gate (present, interrupt or trap type), the stack (IST n,
    /// from the TSS that TR names, or the current RSP), aligned down to 16, a frame of SS, RSP,
    /// RFLAGS (with the virtual IF), CS, RIP and the error code if any, then RSP and RIP = the
    /// handler. An interrupt gate clears the virtual IF; a page fault sets CR2. On failure regs,
    /// cpu and memory are unchanged and <paramref name="reason"/> says why.
    /// </summary>
    public static bool TryDeliverException(ref UserRegs regs, VirtualCpuState cpu, IGuestMemoryView memory,
        uint vector, ulong? errorCode, ulong cr2, out string? reason)
    {
        const uint pageFault = 14;
        reason = null;
        var idt = cpu.Idt;
        if (vector > 255)
            return Fail($"vector {vector} does not exist", out reason);
        if (idt.Base == 0 && idt.Limit == 0)
            return Fail($"cannot deliver vector {vector}: the guest has not loaded an IDT", out reason);
        if (16UL * vector + 15 > idt.Limit)
            return Fail($"cannot deliver vector {vector}: its gate is beyond the IDT limit 0x{idt.Limit:x}", out reason);

        ulong gateAddress = idt.Base + 16UL * vector;
        Span<byte> gate = stackalloc byte[16];
        if (!memory.TryRead(gateAddress, gate))
            return Fail($"cannot deliver vector {vector}: the IDT gate at 0x{gateAddress:x} is not readable", out reason);
        byte access = gate[5];
        int type = access & 0x1F;
        if ((access & 0x80) == 0)
            return Fail($"cannot deliver vector {vector}: the IDT gate at 0x{gateAddress:x} is not present", out reason);
        if (type is not (0xE or 0xF))
            return Fail($"cannot deliver vector {vector}: the IDT gate at 0x{gateAddress:x} has type 0x{type:x}, not a 64-bit interrupt (0xe) or trap (0xf) gate", out reason);
        ulong handler = BinaryPrimitives.ReadUInt16LittleEndian(gate)
            | (ulong)BinaryPrimitives.ReadUInt16LittleEndian(gate[6..]) << 16
            | (ulong)BinaryPrimitives.ReadUInt32LittleEndian(gate[8..]) << 32;
        ushort handlerCs = BinaryPrimitives.ReadUInt16LittleEndian(gate[2..]);
        int ist = gate[4] & 7;
        if (!IsCanonical(handler))
            return Fail($"cannot deliver vector {vector}: its handler address 0x{handler:x} is not canonical", out reason);
        if ((handlerCs & ~3) == 0)
            return Fail($"cannot deliver vector {vector}: its gate has a null code selector", out reason);

        ulong stack = regs.Rsp;
        if (ist != 0 && !TryReadIstStack(cpu, memory, vector, ist, out stack, out reason))
            return false;

        // The CPU aligns the new stack down to 16 before it pushes, in 64-bit mode always.
        ulong rflags = regs.Eflags & ~FlagIf | (cpu.InterruptsEnabled ? FlagIf : 0);
        int words = errorCode is null ? 5 : 6;
        ulong top = (stack & ~0xFUL) - 8UL * (ulong)words;
        Span<ulong> frame = stackalloc ulong[6];
        frame = frame[..words];
        int at = 0;
        if (errorCode is ulong code) frame[at++] = code;
        frame[at++] = regs.Rip;
        frame[at++] = cpu.Cs;
        frame[at++] = rflags;
        frame[at++] = regs.Rsp;
        frame[at] = cpu.Ss;
        Span<byte> bytes = stackalloc byte[48];
        bytes = bytes[..(8 * words)];
        for (int i = 0; i < words; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(bytes[(8 * i)..], frame[i]);
        if (!memory.TryWrite(top, bytes))
            return Fail($"cannot deliver vector {vector}: the exception stack at 0x{top:x} is not writable", out reason);

        regs.Rsp = top;
        regs.Rip = handler;
        // As the CPU does on delivery: no single-step, nested-task or resume flag into the handler.
        regs.Eflags &= ~(FlagTf | FlagNt | FlagRf);
        cpu.Cs = handlerCs;
        if (type == 0xE) cpu.InterruptsEnabled = false;
        if (vector == pageFault) cpu.Cr2 = cr2;
        return true;
    }

    /// <summary>IST n: the 64-bit TSS that TR selects (a 16-byte system descriptor in the GDT), at offset 0x24 + 8·(n−1).</summary>
    private static bool TryReadIstStack(VirtualCpuState cpu, IGuestMemoryView memory, uint vector, int ist,
        out ulong stack, out string? reason)
    {
        stack = 0;
        reason = null;
        ushort tr = cpu.Tr;
        if ((tr & ~3) == 0)
            return Fail($"cannot deliver vector {vector}: its gate uses IST{ist}, but no TSS is loaded (TR is null)", out reason);
        uint offset = (uint)(tr & ~7);
        if (offset + 15 > cpu.Gdt.Limit)
            return Fail($"cannot deliver vector {vector}: TR 0x{tr:x} is beyond the GDT limit 0x{cpu.Gdt.Limit:x}", out reason);
        ulong descriptorAddress = cpu.Gdt.Base + offset;
        Span<byte> descriptor = stackalloc byte[16];
        if (!memory.TryRead(descriptorAddress, descriptor))
            return Fail($"cannot deliver vector {vector}: the TSS descriptor at 0x{descriptorAddress:x} is not readable", out reason);
        ulong tss = BinaryPrimitives.ReadUInt16LittleEndian(descriptor[2..])
            | (ulong)descriptor[4] << 16
            | (ulong)descriptor[7] << 24
            | (ulong)BinaryPrimitives.ReadUInt32LittleEndian(descriptor[8..]) << 32;
        ulong slot = tss + 0x24 + 8UL * (ulong)(ist - 1);
        if (!TryReadUInt64(memory, slot, out stack))
            return Fail($"cannot deliver vector {vector}: IST{ist} in the TSS at 0x{tss:x} is not readable", out reason);
        return true;
    }

    private static bool Fail(string why, out string? reason)
    {
        reason = why;
        return false;
    }

    /// <summary>
    /// The page-fault error code for a SIGSEGV at <paramref name="faultAddress"/>, which the
    /// kernel does not report to a tracer: P (bit 0) from <paramref name="protectionViolation"/>
    /// (SEGV_ACCERR), W (bit 1) from the instruction at <paramref name="rip"/>, U (bit 2) from
    /// <paramref name="user"/>, I (bit 4) when the fault is the instruction fetch itself.
    /// </summary>
    public static ulong PageFaultErrorCode(ReadOnlySpan<byte> code, ulong rip, ulong faultAddress,
        bool protectionViolation, bool user)
    {
        ulong errorCode = (protectionViolation ? 1UL : 0) | (user ? 4UL : 0);
        // A fetch fault is at RIP, or past the bytes the caller could read when the instruction
        // runs on into the faulting page.
        bool decoded = TryDecode(code, rip, out var insn, out _);
        bool fetch = faultAddress == rip
            || (!decoded && faultAddress - rip >= (ulong)code.Length && faultAddress - rip < MaxInstructionLength);
        if (fetch) return errorCode | 0x10;
        if (decoded && WritesAt(insn, faultAddress)) errorCode |= 2;
        return errorCode;
    }

    /// <summary>
    /// Whether the access that faulted at <paramref name="faultAddress"/> was a write. Without the
    /// registers most addresses cannot be computed, so this goes by what the instruction does:
    /// only writes (a store, push, call, a read-modify-write, which faults as a write) → write; only
    /// reads → read. With both (push [m], call [m], movs) an absolute or RIP-relative operand can
    /// still be matched; otherwise it is taken as the write, which is usually the stack.
    /// </summary>
    private static bool WritesAt(in Instruction insn, ulong faultAddress)
    {
        var info = new InstructionInfoFactory().GetInfo(insn);
        bool writes = false;
        foreach (var used in info.GetUsedMemory())
        {
            bool isWrite = used.Access is OpAccess.Write or OpAccess.CondWrite or OpAccess.ReadWrite or OpAccess.ReadCondWrite;
            if (used.Base is Register.None or Register.RIP && used.Index == Register.None
                && used.Segment is not (Register.FS or Register.GS))
            {
                // Iced resolves RIP-relative displacements to their target, so this is the address.
                ulong size = (ulong)Math.Max(1, used.MemorySize.GetSize());
                if (faultAddress - used.Displacement < size) return isWrite;
            }
            writes |= isWrite;
        }
        return writes;
    }
}
