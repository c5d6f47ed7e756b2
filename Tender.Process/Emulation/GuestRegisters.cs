using System.Runtime.CompilerServices;
using Iced.Intel;
using Tender.Host.Interop;

namespace Tender.ProcessPlatform.Emulation;

/// <summary>
/// The one mapping from Iced's <see cref="Register"/> names onto ptrace's
/// <see cref="UserRegs"/>, with x86's partial-register rules: a 32-bit write zeroes bits 63:32,
/// 16- and 8-bit writes keep the rest, and AH/CH/DH/BH are bits 15:8 of RAX/RCX/RDX/RBX.
/// </summary>
internal static class GuestRegisters
{
    public static ulong Read(in UserRegs regs, Register register)
    {
        // Reading needs the same field lookup as writing; AsRef lets one switch serve both
        // without copying the 216-byte struct. Nothing is written through this reference.
        ulong full = Slot(ref Unsafe.AsRef(in regs), register.GetFullRegister());
        if (IsHigh8(register)) return full >> 8 & 0xFF;
        return register.GetSize() switch
        {
            1 => full & 0xFF,
            2 => full & 0xFFFF,
            4 => full & 0xFFFF_FFFF,
            _ => full,
        };
    }

    public static void Write(ref UserRegs regs, Register register, ulong value)
    {
        ref ulong slot = ref Slot(ref regs, register.GetFullRegister());
        if (IsHigh8(register))
        {
            slot = slot & ~0xFF00UL | (value & 0xFF) << 8;
            return;
        }
        slot = register.GetSize() switch
        {
            1 => slot & ~0xFFUL | value & 0xFF,
            2 => slot & ~0xFFFFUL | value & 0xFFFF,
            4 => value & 0xFFFF_FFFF,
            _ => value,
        };
    }

    private static bool IsHigh8(Register register) =>
        register is Register.AH or Register.CH or Register.DH or Register.BH;

    private static ref ulong Slot(ref UserRegs regs, Register full)
    {
        switch (full)
        {
            case Register.RAX: return ref regs.Rax;
            case Register.RCX: return ref regs.Rcx;
            case Register.RDX: return ref regs.Rdx;
            case Register.RBX: return ref regs.Rbx;
            case Register.RSP: return ref regs.Rsp;
            case Register.RBP: return ref regs.Rbp;
            case Register.RSI: return ref regs.Rsi;
            case Register.RDI: return ref regs.Rdi;
            case Register.R8: return ref regs.R8;
            case Register.R9: return ref regs.R9;
            case Register.R10: return ref regs.R10;
            case Register.R11: return ref regs.R11;
            case Register.R12: return ref regs.R12;
            case Register.R13: return ref regs.R13;
            case Register.R14: return ref regs.R14;
            case Register.R15: return ref regs.R15;
            // The emulator only names general-purpose operands here; anything else is a bug in it.
            default: throw new ArgumentOutOfRangeException(nameof(full), full, "not a general-purpose register");
        }
    }
}
