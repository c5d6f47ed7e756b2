using Iced.Intel;

namespace Tender.Debugging;

/// <summary>How <see cref="HaltSteps.Begin"/> left the guest.</summary>
internal enum StepStart
{
    /// <summary>Trap bytes are in: run the guest until one of them (or a breakpoint) stops it.</summary>
    Running,
    /// <summary>The instruction only goes to itself (jmp $): the step is done, the guest has not moved.</summary>
    DoneInPlace,
    /// <summary>The instruction cannot be stepped this way; nothing was changed (the message says why).</summary>
    Refused,
}

/// <summary>
/// Single steps for a guest that owns its IDT on a host where KVM's guest debugging does not reach
/// it (a Solo5-mode guest under nested PVM): the successors of the instruction at RIP
/// (<see cref="SoftwareStepper"/>) get a temporary hlt byte, which exits to the tender
/// (KVM_EXIT_HLT: the tender creates no in-kernel interrupt controller); the hlt exit at one of
/// them ends the step and every byte goes back. A breakpoint already at a successor stops the
/// guest by itself; a breakpoint at RIP is lifted for the step (its original instruction runs)
/// and put back after it. Memory goes through <see cref="GuestDebugAccess"/>: the guest's own
/// translation, guest RAM only, into read-only text through the tender's mapping.
/// </summary>
internal sealed class HaltSteps(GuestDebugAccess access)
{
    public const byte Hlt = 0xF4;

    /// <summary>Temporary trap bytes in the guest, with the bytes they replaced.</summary>
    private readonly Dictionary<ulong, byte> _traps = [];
    /// <summary>The debugger's breakpoint at the stepped instruction, lifted for the step.</summary>
    private ulong? _lifted;

    /// <summary>A step is under way (its trap bytes, if it needed any, are in the guest).</summary>
    public bool Active { get; private set; }

    /// <summary>The step is only getting over a breakpoint before the guest continues.</summary>
    public bool ThenContinue { get; private set; }

    /// <summary>
    /// Puts the trap bytes for one step of the instruction at RIP. <paramref name="readProgram"/>
    /// reads memory as the program has it (the debugger's breakpoint bytes hidden);
    /// <paramref name="isBreakpoint"/> says where the debugger's own trap bytes are.
    /// </summary>
    public StepStart Begin(Func<ulong, byte[], int> readProgram, Func<ulong, bool> isBreakpoint, bool thenContinue, out string? message)
    {
        Finish();
        message = null;
        var regs = access.ReadRegisters();
        var sregs = access.ReadSpecialRegisters();
        ulong rip = regs.Rip;
        var code = new byte[15];
        int n = Math.Max(0, readProgram(rip, code));
        var value = InstructionMemory.RegisterFile(regs, sregs);
        // The stack and jump tables as the program has them too (a breakpoint byte in a table is unlikely but hidden alike).
        bool Read(ulong address, Span<byte> into)
        {
            var buffer = new byte[into.Length];
            if (readProgram(address, buffer) != into.Length) return false;
            buffer.CopyTo(into);
            return true;
        }
        var plan = SoftwareStepper.Plan(code.AsSpan(0, n), rip, value, Read);
        if (plan.Refusal is string why)
        {
            message = why;
            return StepStart.Refused;
        }
        if (plan.Successors.Count == 0) return StepStart.DoneInPlace;

        if (isBreakpoint(rip))
        {
            if (access.WriteMemory(rip, code.AsSpan(0, 1)) != 1)
            {
                message = $"cannot lift the breakpoint at 0x{rip:x} to step its instruction";
                return StepStart.Refused;
            }
            _lifted = rip;
        }
        Span<byte> original = stackalloc byte[1];
        foreach (ulong at in plan.Successors)
        {
            if (isBreakpoint(at)) continue; // stops the guest by itself
            if (access.ReadMemory(at, original) != 1 || access.WriteMemory(at, [Hlt]) != 1)
            {
                Finish();
                message = $"cannot step `{plan.Instruction}` at 0x{rip:x}: it can go on at 0x{at:x}, which is not guest RAM";
                return StepStart.Refused;
            }
            _traps[at] = original[0];
        }
        ThenContinue = thenContinue;
        Active = true;
        return StepStart.Running;
    }

    /// <summary>Whether <paramref name="address"/> holds one of this step's trap bytes.</summary>
    public bool IsTrap(ulong address) => _traps.ContainsKey(address);

    /// <summary>Takes every trap byte out and puts a lifted breakpoint back (after the step, or when the guest stopped otherwise).</summary>
    public void Finish()
    {
        foreach (var (at, original) in _traps)
            if (access.WriteMemory(at, [original]) != 1) Serilog.Log.Warning("gdb: could not restore the byte under a step's trap at 0x{Address:x}", at);
        _traps.Clear();
        if (_lifted is ulong rip && access.WriteMemory(rip, [Hlt]) != 1)
            Serilog.Log.Warning("gdb: could not put the breakpoint at 0x{Address:x} back", rip);
        _lifted = null;
        ThenContinue = false;
        Active = false;
    }
}
