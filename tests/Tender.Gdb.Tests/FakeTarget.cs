using Tender.Gdb;

namespace Tender.Gdb.Tests;

/// <summary>
/// A target in the test process: 64 KiB of "guest memory" at 0x400000 (nops) with an unmapped page
/// at 0x408000, registers in a struct, 4 debug-register slots. Every access is recorded so tests can
/// check that the session never wrote where the target refused.
/// </summary>
internal sealed class FakeTarget : IGdbTarget
{
    public const ulong Base = 0x400000, Size = 0x10000, Hole = 0x408000, HoleSize = 0x1000;
    public const ulong Entry = 0x401000;
    /// <summary>A page the target reads but refuses to write (as a target could refuse a store into a device page).</summary>
    public const ulong ReadOnly = 0x40f000;

    public readonly byte[] Memory = new byte[Size];
    public GdbRegisters Registers;
    public List<(ulong Address, WatchKind Kind, int Length)> Hardware = [];
    public bool RefuseHardware;
    public int RefusedWrites;
    public int HardwareCalls;

    public FakeTarget()
    {
        Memory.AsSpan().Fill(0x90);
        Registers.Rip = Entry;
        Registers.Rsp = Base + Size - 0x100;
        Registers.Eflags = 0x202;
        Registers.Cs = 0x33;
        Registers.Ss = 0x2b;
    }

    public static bool Mapped(ulong address) => address >= Base && address < Base + Size && !(address >= Hole && address < Hole + HoleSize);

    public GdbRegisters ReadRegisters() => Registers;

    public void WriteRegisters(in GdbRegisters registers) => Registers = registers;

    public int ReadMemory(ulong address, Span<byte> into)
    {
        int n = 0;
        while (n < into.Length && Mapped(address + (ulong)n))
        {
            into[n] = Memory[address + (ulong)n - Base];
            n++;
        }
        return n;
    }

    public int WriteMemory(ulong address, ReadOnlySpan<byte> from)
    {
        int n = 0;
        while (n < from.Length && Mapped(address + (ulong)n) && (address + (ulong)n) / 0x1000 != ReadOnly / 0x1000)
        {
            Memory[address + (ulong)n - Base] = from[n];
            n++;
        }
        if (n < from.Length) RefusedWrites++;
        return n;
    }

    public int HardwareSlots => 4;

    public bool SetHardwareBreakpoints(IReadOnlyList<(ulong Address, WatchKind Kind, int Length)> set)
    {
        HardwareCalls++;
        if (RefuseHardware) return false;
        Hardware = [.. set];
        return true;
    }

    /// <summary>The trap byte a software breakpoint writes (a target may choose hlt over int3).</summary>
    public byte TrapByte = 0xCC;
    /// <summary>A target without debug registers: Z1 becomes a trap byte.</summary>
    public bool NoDebugRegisters;
    public byte SoftwareBreakpointInstruction => TrapByte;
    /// <summary>When set, the runner refuses a step as the tender does for an instruction it cannot step: a SIGSTOP stop (17 in gdb's numbering) with this message, RIP unchanged.</summary>
    public volatile string? RefuseStep;
    public bool ExecuteBreakpointsInSoftware => NoDebugRegisters;

    public byte At(ulong address) => Memory[address - Base];
}
