using System.Buffers.Binary;
using Iced.Intel;
using Tender.Host.Interop;

namespace Tender.ProcessPlatform.Emulation;

/// <summary>
/// Completes in software the instructions that trap when a guest ELF runs natively at CPL 3 in
/// a traced process: port I/O (#GP at IOPL 0), loads and stores that hit an unmapped MMIO page
/// (SIGSEGV), wr/rd{fs,gs}base on hosts without CR4.FSGSBASE (#UD), and — for a guest that
/// believes it runs at CPL 0 — the privileged instructions of its boot and interrupt paths.
/// Pure: it sees registers, the guest's virtual CPU and guest memory only through its arguments.
/// </summary>
public static partial class InstructionEmulator
{
    /// <summary>The longest x86 instruction; the caller reads at most this many bytes at RIP.</summary>
    public const int MaxInstructionLength = 15;

    /// <summary>
    /// Decodes the instruction at <c>regs.Rip</c> from <paramref name="code"/> (up to 15 bytes
    /// read from guest memory at RIP; fewer if the page ends) and emulates it as far as it can by
    /// itself. With <paramref name="cpu"/> null the guest runs at CPL 3 and privileged
    /// instructions are refused; otherwise they are emulated against <paramref name="cpu"/>.
    /// <paramref name="faultAddress"/> is a page fault's address (SIGSEGV si_addr), null for
    /// #GP/#UD-type traps; with it only plain loads and stores covering it are emulated, as Mmio.
    /// Nothing is changed unless the result is Done.
    /// </summary>
    public static Emulation Emulate(ref UserRegs regs, VirtualCpuState? cpu, IGuestMemoryView memory,
        ReadOnlySpan<byte> code, ulong? faultAddress)
    {
        if (!TryDecode(code, regs.Rip, out var insn, out string decodeError))
            return Emulation.Unsupported(insn, decodeError);

        if (faultAddress is ulong fault)
            return DecodeMemoryAccess(regs, insn, fault);

        if (TryPortIo(regs, insn, out var portIo))
            return portIo;

        switch (insn.Mnemonic)
        {
            case Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd or Mnemonic.Outsb or Mnemonic.Outsw or Mnemonic.Outsd:
                // String port I/O moves memory as well as a port, possibly repeated: no guest
                // driver of this project uses it, so it is not worth the extra machinery.
                return Unsupported(insn, "string port I/O (ins/outs) is not emulated");
            case Mnemonic.Wrfsbase or Mnemonic.Wrgsbase or Mnemonic.Rdfsbase or Mnemonic.Rdgsbase:
                return FsGsBase(ref regs, cpu, insn);
        }

        if (IsEmulatedPrivileged(insn.Code))
        {
            if (cpu is null)
                return Unsupported(insn, "privileged instruction (CPL 0 only), and this guest runs at CPL 3");
            return EmulatePrivileged(ref regs, cpu, memory, insn);
        }
        if (insn.Code.IsPrivileged())
            return Unsupported(insn, cpu is null
                ? "privileged instruction (CPL 0 only), and this guest runs at CPL 3"
                : "privileged instruction that the tender does not emulate");
        return Unsupported(insn, "not an instruction that the tender emulates");
    }

    /// <summary>
    /// Completes PortIo or Mmio after the caller served it. For a read, <paramref name="value"/>
    /// (the device's little-endian bytes, <see cref="Emulation.Size"/> of them; higher bits are
    /// ignored) goes into the destination with x86's rules: 32-bit destinations zero bits 63:32,
    /// 8- and 16-bit destinations keep the rest, movzx/movsx/movsxd extend. Writes only advance.
    /// RIP always moves past the instruction.
    /// </summary>
    public static void Complete(ref UserRegs regs, in Emulation emulation, ulong value)
    {
        var insn = emulation.Instruction;
        ulong data = Truncate(value, emulation.Size);
        switch (emulation.Kind)
        {
            case EmulationKind.PortIo:
                if (!emulation.IsWrite)
                    GuestRegisters.Write(ref regs, emulation.Size switch { 1 => Register.AL, 2 => Register.AX, _ => Register.EAX }, data);
                break;
            case EmulationKind.Mmio:
                if (IsAluRead(insn))
                    CompleteAluRead(ref regs, insn, data, emulation.Size);
                else if (!emulation.IsWrite)
                {
                    if (insn.Mnemonic is Mnemonic.Movsx or Mnemonic.Movsxd)
                        data = SignExtend(data, emulation.Size);
                    // Plain mov and movzx need nothing more: the register write applies the
                    // destination's width rules to the zero-extended value.
                    GuestRegisters.Write(ref regs, insn.Op0Register, data);
                }
                break;
            default:
                throw new InvalidOperationException($"{emulation.Kind} has nothing to complete");
        }
        regs.Rip = insn.NextIP;
    }

    private static bool TryPortIo(in UserRegs regs, in Instruction insn, out Emulation result)
    {
        // Iced names each form by its operands: imm8 or DX for the port, AL/AX/EAX for the data.
        (bool isWrite, int size, bool dxPort) form;
        switch (insn.Code)
        {
            case Code.In_AL_imm8: form = (false, 1, false); break;
            case Code.In_AX_imm8: form = (false, 2, false); break;
            case Code.In_EAX_imm8: form = (false, 4, false); break;
            case Code.In_AL_DX: form = (false, 1, true); break;
            case Code.In_AX_DX: form = (false, 2, true); break;
            case Code.In_EAX_DX: form = (false, 4, true); break;
            case Code.Out_imm8_AL: form = (true, 1, false); break;
            case Code.Out_imm8_AX: form = (true, 2, false); break;
            case Code.Out_imm8_EAX: form = (true, 4, false); break;
            case Code.Out_DX_AL: form = (true, 1, true); break;
            case Code.Out_DX_AX: form = (true, 2, true); break;
            case Code.Out_DX_EAX: form = (true, 4, true); break;
            default: result = default; return false;
        }
        ushort port = form.dxPort ? (ushort)regs.Rdx : insn.Immediate8;
        ulong value = form.isWrite ? Truncate(regs.Rax, form.size) : 0;
        result = Emulation.PortIo(insn, port, form.size, form.isWrite, value);
        return true;
    }

    /// <summary>
    /// A page fault at <paramref name="fault"/>: a plain mov-family load or store whose memory
    /// operand covers it becomes Mmio; everything else is refused, because serving any other
    /// instruction from a device would need its full semantics (flags, read-modify-write, vectors).
    /// </summary>
    private static Emulation DecodeMemoryAccess(in UserRegs regs, in Instruction insn, ulong fault)
    {
        if (fault - insn.IP < (ulong)insn.Length)
            return Unsupported(insn, $"the fault at 0x{fault:x} is the fetch of the instruction itself");
        bool aluRead = IsAluRead(insn);
        if ((!IsPlainMove(insn.Code) && !aluRead) || (insn.Op0Kind != OpKind.Memory && insn.Op1Kind != OpKind.Memory))
            return Unsupported(insn, $"touches fault address 0x{fault:x}, and only mov-family loads and stores, and test/cmp/and/or/xor/add/sub reading memory into flags or a register, are emulated for MMIO");

        bool isWrite = insn.Op0Kind == OpKind.Memory && !aluRead;
        int size = insn.MemorySize.GetSize();
        ulong address = EffectiveAddress(regs, insn);
        if (fault - address >= (ulong)size)
            return Unsupported(insn, $"faulted at 0x{fault:x}, outside its {size}-byte memory operand at 0x{address:x}");
        if ((address ^ (address + (ulong)size - 1)) >> 12 != 0)
            return Unsupported(insn, $"its {size}-byte access at 0x{address:x} straddles a page boundary");

        ulong value = 0;
        if (isWrite)
            value = Truncate(insn.Op1Kind == OpKind.Register ? GuestRegisters.Read(regs, insn.Op1Register) : insn.GetImmediate(1), size);
        return Emulation.Mmio(insn, address, size, isWrite, value);
    }

    /// <summary>
    /// An instruction that only reads its memory operand and computes flags (test, cmp) or a
    /// register (and/or/xor/add/sub r, m): compilers fold a volatile register read into these
    /// (`test dword [r12], 4000008h`), and KVM's emulator completes them, so the process platform
    /// must too. Read-modify-write forms (memory destination) stay unsupported.
    /// </summary>
    private static bool IsAluRead(in Instruction insn) => insn.Mnemonic switch
    {
        Mnemonic.Test or Mnemonic.Cmp => insn.OpCount == 2,
        Mnemonic.And or Mnemonic.Or or Mnemonic.Xor or Mnemonic.Add or Mnemonic.Sub =>
            insn.OpCount == 2 && insn.Op0Kind == OpKind.Register && insn.Op1Kind == OpKind.Memory,
        _ => false,
    };

    /// <summary>Completes an <see cref="IsAluRead"/> instruction with the device's value: flags
    /// as the CPU sets them, and the destination register for and/or/xor/add/sub.</summary>
    private static void CompleteAluRead(ref UserRegs regs, in Instruction insn, ulong memory, int size)
    {
        ulong a = Operand(regs, insn, 0, memory, size), b = Operand(regs, insn, 1, memory, size), result;
        ulong sign = 1UL << (8 * size - 1);
        bool carry = false, overflow = false, adjust = false;
        switch (insn.Mnemonic)
        {
            case Mnemonic.Cmp or Mnemonic.Sub:
                result = Truncate(a - b, size);
                carry = a < b;
                overflow = ((a ^ b) & (a ^ result) & sign) != 0;
                adjust = ((a ^ b ^ result) & 0x10) != 0;
                break;
            case Mnemonic.Add:
                result = Truncate(a + b, size);
                carry = result < a;
                overflow = (~(a ^ b) & (a ^ result) & sign) != 0;
                adjust = ((a ^ b ^ result) & 0x10) != 0;
                break;
            case Mnemonic.Or: result = a | b; break;
            case Mnemonic.Xor: result = a ^ b; break;
            default: result = a & b; break; // test, and
        }
        const ulong CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
        ulong flags = regs.Eflags & ~(CF | PF | AF | ZF | SF | OF);
        if (carry) flags |= CF;
        if ((System.Numerics.BitOperations.PopCount(result & 0xFF) & 1) == 0) flags |= PF;
        if (adjust) flags |= AF;
        if (result == 0) flags |= ZF;
        if ((result & sign) != 0) flags |= SF;
        if (overflow) flags |= OF;
        regs.Eflags = flags;
        if (insn.Mnemonic is Mnemonic.And or Mnemonic.Or or Mnemonic.Xor or Mnemonic.Add or Mnemonic.Sub)
            GuestRegisters.Write(ref regs, insn.Op0Register, result);
    }

    private static ulong Operand(in UserRegs regs, in Instruction insn, int n, ulong memory, int size) => insn.GetOpKind(n) switch
    {
        OpKind.Memory => memory,
        OpKind.Register => Truncate(GuestRegisters.Read(regs, insn.GetOpRegister(n)), size),
        _ => Truncate(insn.GetImmediate(n), size),
    };

    private static bool IsPlainMove(Code code) => code is
        Code.Mov_rm8_r8 or Code.Mov_rm16_r16 or Code.Mov_rm32_r32 or Code.Mov_rm64_r64 or
        Code.Mov_r8_rm8 or Code.Mov_r16_rm16 or Code.Mov_r32_rm32 or Code.Mov_r64_rm64 or
        Code.Mov_rm8_imm8 or Code.Mov_rm16_imm16 or Code.Mov_rm32_imm32 or Code.Mov_rm64_imm32 or
        Code.Mov_AL_moffs8 or Code.Mov_AX_moffs16 or Code.Mov_EAX_moffs32 or Code.Mov_RAX_moffs64 or
        Code.Mov_moffs8_AL or Code.Mov_moffs16_AX or Code.Mov_moffs32_EAX or Code.Mov_moffs64_RAX or
        Code.Movzx_r16_rm8 or Code.Movzx_r32_rm8 or Code.Movzx_r64_rm8 or
        Code.Movzx_r16_rm16 or Code.Movzx_r32_rm16 or Code.Movzx_r64_rm16 or
        Code.Movsx_r16_rm8 or Code.Movsx_r32_rm8 or Code.Movsx_r64_rm8 or
        Code.Movsx_r16_rm16 or Code.Movsx_r32_rm16 or Code.Movsx_r64_rm16 or
        Code.Movsxd_r16_rm16 or Code.Movsxd_r32_rm32 or Code.Movsxd_r64_rm32;

    private static Emulation FsGsBase(ref UserRegs regs, VirtualCpuState? cpu, in Instruction insn)
    {
        // A CPL 0 guest only gets these if it enabled them, as on real hardware; a CPL 3 guest
        // was built for hosts that have them, which is why they trap only on hosts that do not.
        const ulong cr4FsGsBase = 1UL << 16;
        if (cpu is not null && (cpu.Cr4 & cr4FsGsBase) == 0)
            return Unsupported(insn, "#UD: the guest has not set CR4.FSGSBASE");

        Register operand = insn.Op0Register;
        bool fs = insn.Mnemonic is Mnemonic.Wrfsbase or Mnemonic.Rdfsbase;
        if (insn.Mnemonic is Mnemonic.Wrfsbase or Mnemonic.Wrgsbase)
        {
            ulong value = GuestRegisters.Read(regs, operand);
            if (!IsCanonical(value))
                return Unsupported(insn, $"#GP: base 0x{value:x} is not canonical");
            if (fs) regs.FsBase = value; else regs.GsBase = value;
        }
        else
        {
            GuestRegisters.Write(ref regs, operand, fs ? regs.FsBase : regs.GsBase);
        }
        regs.Rip = insn.NextIP;
        return Emulation.Done(insn);
    }

    /// <summary>
    /// The linear address of the instruction's explicit memory operand: base + index·scale +
    /// displacement (Iced already resolves RIP-relative displacements to the target), wrapped to
    /// 32 bits under an address-size prefix, plus the FS or GS base — the only segment bases
    /// 64-bit mode applies.
    /// </summary>
    internal static ulong EffectiveAddress(in UserRegs regs, in Instruction insn)
    {
        ulong address = insn.MemoryDisplacement64;
        Register baseRegister = insn.MemoryBase, index = insn.MemoryIndex;
        bool address32 = baseRegister == Register.EIP
            || (baseRegister != Register.None && baseRegister.GetSize() == 4)
            || (index != Register.None && index.GetSize() == 4);
        if (baseRegister != Register.None && baseRegister != Register.RIP && baseRegister != Register.EIP)
            address += GuestRegisters.Read(regs, baseRegister);
        if (index != Register.None)
            address += GuestRegisters.Read(regs, index) * (ulong)insn.MemoryIndexScale;
        if (address32) address &= 0xFFFF_FFFF;
        return insn.MemorySegment switch
        {
            Register.FS => address + regs.FsBase,
            Register.GS => address + regs.GsBase,
            _ => address,
        };
    }

    private static bool TryDecode(ReadOnlySpan<byte> code, ulong rip, out Instruction insn, out string error)
    {
        insn = default;
        if (code.IsEmpty)
        {
            error = $"cannot emulate the instruction at 0x{rip:x}: no instruction bytes could be read";
            return false;
        }
        // Iced reads through a CodeReader class, which cannot hold a span; the copy is at most 15 bytes.
        var bytes = code[..Math.Min(code.Length, MaxInstructionLength)].ToArray();
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes), rip, DecoderOptions.None);
        decoder.Decode(out insn);
        if (decoder.LastError == DecoderError.None && !insn.IsInvalid)
        {
            error = "";
            return true;
        }
        string why = decoder.LastError == DecoderError.NoMoreBytes
            ? $"the instruction continues past the {bytes.Length} readable bytes"
            : "invalid instruction";
        error = $"cannot decode the instruction at 0x{rip:x} ({Convert.ToHexString(bytes).ToLowerInvariant()}): {why}";
        insn = default;
        return false;
    }

    internal static string Format(in Instruction insn)
    {
        if (insn.IsInvalid) return "(bad)";
        // The crash report disassembles with NASM syntax too; one syntax across the tender's output.
        var output = new StringOutput();
        new NasmFormatter().Format(insn, output);
        return output.ToStringAndReset();
    }

    private static Emulation Unsupported(in Instruction insn, string why) =>
        Emulation.Unsupported(insn, $"cannot emulate `{Format(insn)}` at 0x{insn.IP:x}: {why}");

    private static ulong Truncate(ulong value, int size) => size >= 8 ? value : value & ((1UL << (8 * size)) - 1);

    private static ulong SignExtend(ulong value, int size)
    {
        int shift = 64 - 8 * size;
        return (ulong)((long)(value << shift) >> shift);
    }

    private static bool IsCanonical(ulong address) => (ulong)((long)(address << 16) >> 16) == address;

    private static bool TryReadUInt64(IGuestMemoryView memory, ulong address, out ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        bool ok = memory.TryRead(address, bytes);
        value = ok ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : 0;
        return ok;
    }

    private static bool TryReadUInt16(IGuestMemoryView memory, ulong address, out ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        bool ok = memory.TryRead(address, bytes);
        value = ok ? BinaryPrimitives.ReadUInt16LittleEndian(bytes) : (ushort)0;
        return ok;
    }
}
