using Iced.Intel;

namespace Tender.Debugging;

/// <summary>
/// Where one instruction can go next, for single-stepping without the CPU's help: the run loop
/// puts a trap byte at every successor, runs the guest until one of them stops it, and takes
/// them all out again (docs/debugging.md, "Solo5-mode guests under KVM without guest debugging").
/// </summary>
/// <param name="Successors">addresses the instruction can continue at, other than inside itself;
/// empty for an instruction that only jumps to itself (its step ends where it started)</param>
/// <param name="Refusal">why this instruction cannot be stepped that way, or null</param>
/// <param name="Instruction">the instruction, for messages</param>
internal sealed record StepPlan(IReadOnlyList<ulong> Successors, string? Refusal, string Instruction);

/// <summary>
/// Decodes the instruction at RIP (Iced's decoder) and computes its successors: the next
/// instruction; direct jmp/jcc/call/loop targets; a near ret's address from [RSP]; an indirect
/// jmp or call through a register or memory. Memory is read through <see cref="MemoryReader"/>,
/// which the run loop backs with the guest's own translation. A rep-prefixed string instruction
/// goes on at itself or at the next one; a trap byte cannot sit on the instruction being run, so
/// only the next one is trapped and the step runs all its iterations. Instructions that leave
/// through a gate or the guest's IDT (int n, syscall, iret, sysret, hlt, ud2, far transfers...)
/// are refused: no successor in the code can be known.
/// </summary>
internal static class SoftwareStepper
{
    /// <summary>Reads guest-virtual memory; false if any of it is unreadable.</summary>
    public delegate bool MemoryReader(ulong address, Span<byte> into);

    /// <param name="code">the bytes at <paramref name="rip"/> as the program has them (breakpoints
    /// hidden), up to 15; fewer where the memory ends</param>
    /// <param name="register">a 64-bit general-purpose register's value (RAX..R15, RSP), or a
    /// segment base (FS, GS; the others are 0 in 64-bit mode)</param>
    public static StepPlan Plan(ReadOnlySpan<byte> code, ulong rip, Func<Register, ulong> register, MemoryReader readMemory)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code.ToArray()), rip);
        decoder.Decode(out var instruction);
        if (instruction.IsInvalid || instruction.Length > code.Length)
            return Refused(instruction, $"the bytes at 0x{rip:x} are not a complete instruction");
        string text = Format(instruction);
        ulong next = instruction.NextIP;

        if (Unsteppable(instruction) is string why) return new StepPlan([], $"cannot step `{text}` at 0x{rip:x} without the CPU's single step: {why}", text);

        var successors = new List<ulong>(2);
        switch (instruction.FlowControl)
        {
            case FlowControl.Next:
                successors.Add(next);
                break;
            case FlowControl.UnconditionalBranch:
            case FlowControl.Call:
                if (instruction.Op0Kind is not (OpKind.NearBranch16 or OpKind.NearBranch32 or OpKind.NearBranch64))
                    return new StepPlan([], $"cannot step `{text}` at 0x{rip:x}: a far transfer", text);
                successors.Add(instruction.NearBranchTarget);
                break;
            case FlowControl.ConditionalBranch:
                successors.Add(instruction.NearBranchTarget);
                successors.Add(next);
                break;
            case FlowControl.IndirectBranch:
            case FlowControl.IndirectCall:
            {
                if (IndirectTarget(instruction, register, readMemory, out ulong target, out string? error)) successors.Add(target);
                else return new StepPlan([], $"cannot step `{text}` at 0x{rip:x}: {error}", text);
                break;
            }
            case FlowControl.Return:
            {
                int size = instruction.Code == Code.Retnw || instruction.Code == Code.Retnw_imm16 ? 2 : 8;
                Span<byte> bytes = stackalloc byte[8];
                bytes.Clear();
                ulong rsp = register(Register.RSP);
                if (!readMemory(rsp, bytes[..size]))
                    return new StepPlan([], $"cannot step `{text}` at 0x{rip:x}: the return address at RSP 0x{rsp:x} is not readable", text);
                successors.Add(BitConverter.ToUInt64(bytes));
                break;
            }
            default:
                return new StepPlan([], $"cannot step `{text}` at 0x{rip:x}: its flow ({instruction.FlowControl}) has no successor in the code", text);
        }
        // A trap byte inside the instruction being run would change it: such successors (the
        // instruction itself: jmp $, loop $, a rep string's next iteration, which is implicit in
        // FlowControl.Next) are left out.
        var result = new List<ulong>(successors.Count);
        foreach (ulong s in successors)
            if ((s < rip || s >= next) && !result.Contains(s)) result.Add(s);
        return new StepPlan(result, null, text);
    }

    private static StepPlan Refused(in Instruction instruction, string why) => new([], why, instruction.IsInvalid ? "(bad)" : Format(instruction));

    /// <summary>Why the instruction leaves the code's own flow (an exception, a gate, a privilege change), or null.</summary>
    private static string? Unsteppable(in Instruction instruction)
    {
        switch (instruction.Mnemonic)
        {
            case Mnemonic.Hlt:
                return "hlt is what the tender's breakpoints use here; it would stop the guest as a breakpoint";
            case Mnemonic.Iret or Mnemonic.Iretd or Mnemonic.Iretq or Mnemonic.Retf
                or Mnemonic.Sysret or Mnemonic.Sysretq or Mnemonic.Sysexit or Mnemonic.Sysexitq:
                return "it returns through a frame or MSR the CPU reads (a privilege or stack switch)";
            case Mnemonic.Syscall or Mnemonic.Sysenter:
                return "it enters the code an MSR names";
        }
        return instruction.FlowControl switch
        {
            FlowControl.Interrupt => "it goes through the guest's IDT",
            FlowControl.Exception => "it raises an exception, which the guest's IDT handles",
            FlowControl.XbeginXabortXend => "a transaction's abort path is not visible in the instruction",
            _ => null,
        };
    }

    private static bool IndirectTarget(in Instruction instruction, Func<Register, ulong> register, MemoryReader readMemory, out ulong target, out string? error)
    {
        target = 0;
        error = null;
        switch (instruction.Op0Kind)
        {
            case OpKind.Register:
            {
                var r = instruction.Op0Register;
                target = Truncate(register(r.GetFullRegister()), r.GetSize());
                return true;
            }
            case OpKind.Memory:
            {
                int size = instruction.MemorySize switch
                {
                    MemorySize.UInt16 or MemorySize.WordOffset => 2,
                    MemorySize.UInt32 or MemorySize.DwordOffset => 4,
                    MemorySize.UInt64 or MemorySize.QwordOffset => 8,
                    _ => 0,
                };
                if (size == 0)
                {
                    error = $"a far transfer through memory ({instruction.MemorySize})";
                    return false;
                }
                if (!instruction.TryGetVirtualAddress(0, 0, out ulong address, (Register r, int _, int _, out ulong value) =>
                    {
                        value = SegmentOrRegister(r, register);
                        return true;
                    }))
                {
                    error = "its memory operand's address cannot be computed";
                    return false;
                }
                Span<byte> bytes = stackalloc byte[8];
                bytes.Clear();
                if (!readMemory(address, bytes[..size]))
                {
                    error = $"its target's address at 0x{address:x} is not readable";
                    return false;
                }
                target = BitConverter.ToUInt64(bytes);
                return true;
            }
            default:
                error = $"an operand of kind {instruction.Op0Kind}";
                return false;
        }
    }

    /// <summary>A register's value as an address computation wants it: ES/CS/SS/DS bases are 0 in 64-bit mode, a sub-register is truncated.</summary>
    internal static ulong SegmentOrRegister(Register r, Func<Register, ulong> register) => r switch
    {
        Register.ES or Register.CS or Register.SS or Register.DS => 0,
        Register.FS or Register.GS => register(r),
        _ when r.IsGPR() => Truncate(register(r.GetFullRegister()), r.GetSize()),
        _ => register(r),
    };

    private static ulong Truncate(ulong value, int bytes) => bytes >= 8 ? value : value & ((1UL << (8 * bytes)) - 1);

    private static string Format(in Instruction instruction)
    {
        var output = new StringOutput();
        new NasmFormatter().Format(instruction, output);
        return output.ToStringAndReset();
    }
}
