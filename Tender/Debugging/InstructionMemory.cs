using Iced.Intel;
using Tender.Platform;

namespace Tender.Debugging;

/// <summary>One memory operand of an instruction: where it reads or writes, and how many bytes.</summary>
internal readonly record struct MemoryAccess(ulong Address, int Size, bool Reads, bool Writes)
{
    public bool Overlaps(ulong address, ulong length) => Address < address + length && address < Address + (ulong)Math.Max(Size, 1);
}

/// <summary>
/// The guest memory one instruction touches, decoded from its bytes (Iced's instruction info:
/// explicit operands and implicit ones such as push, pop, call and ret on the stack). Read and
/// access watchpoints without debug registers need it: page protection says only that a watched
/// page was touched, this says whether the watched bytes were, and how.
/// A rep-prefixed string instruction is reported by its first element only.
/// </summary>
internal static class InstructionMemory
{
    /// <param name="code">the instruction's bytes as the program has them (breakpoints hidden), up to 15</param>
    /// <param name="register">a 64-bit register's value, or FS/GS's base (<see cref="RegisterFile"/>)</param>
    /// <returns>the accesses, or null if the bytes are no complete instruction</returns>
    public static IReadOnlyList<MemoryAccess>? Accesses(ReadOnlySpan<byte> code, ulong rip, Func<Register, ulong> register)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code.ToArray()), rip);
        decoder.Decode(out var instruction);
        if (instruction.IsInvalid || instruction.Length > code.Length) return null;
        var info = new InstructionInfoFactory().GetInfo(instruction);
        var accesses = new List<MemoryAccess>();
        foreach (var used in info.GetUsedMemory())
        {
            bool reads = used.Access is OpAccess.Read or OpAccess.CondRead or OpAccess.ReadWrite or OpAccess.ReadCondWrite;
            bool writes = used.Access is OpAccess.Write or OpAccess.CondWrite or OpAccess.ReadWrite or OpAccess.ReadCondWrite;
            if (!reads && !writes) continue; // lea, prefetch: an address, no access
            if (!used.TryGetVirtualAddress(0, out ulong address, (Register r, int _, int _, out ulong value) =>
                {
                    value = SoftwareStepper.SegmentOrRegister(r, register);
                    return true;
                }))
                continue;
            accesses.Add(new MemoryAccess(address, used.MemorySize.GetSize(), reads, writes));
        }
        return accesses;
    }

    /// <summary>Register values for the decoders, from a stopped vCPU's registers.</summary>
    public static Func<Register, ulong> RegisterFile(CpuRegisters regs, SpecialRegisters sregs) => r => r switch
    {
        Register.RAX => regs.Rax, Register.RBX => regs.Rbx, Register.RCX => regs.Rcx, Register.RDX => regs.Rdx,
        Register.RSI => regs.Rsi, Register.RDI => regs.Rdi, Register.RBP => regs.Rbp, Register.RSP => regs.Rsp,
        Register.R8 => regs.R8, Register.R9 => regs.R9, Register.R10 => regs.R10, Register.R11 => regs.R11,
        Register.R12 => regs.R12, Register.R13 => regs.R13, Register.R14 => regs.R14, Register.R15 => regs.R15,
        Register.RIP => regs.Rip,
        Register.FS => sregs.Fs.Base, Register.GS => sregs.Gs.Base,
        _ => 0,
    };
}
