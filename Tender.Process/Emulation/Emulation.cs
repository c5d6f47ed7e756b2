using Iced.Intel;

namespace Tender.ProcessPlatform.Emulation;

/// <summary>What <see cref="InstructionEmulator.Emulate"/> made of a trapping instruction.</summary>
public enum EmulationKind
{
    /// <summary>in/out: the caller serves the port, then calls <see cref="InstructionEmulator.Complete"/>.</summary>
    PortIo,

    /// <summary>A load or store at a fault address: the caller serves the device, then completes.</summary>
    Mmio,

    /// <summary>Emulated entirely; registers (RIP included) and the virtual CPU are already updated.</summary>
    Done,

    /// <summary>hlt at CPL 0; RIP still points at it.</summary>
    Halt,

    /// <summary>Not emulated; <see cref="Emulation.Reason"/> says why. Nothing was changed.</summary>
    Unsupported,
}

/// <summary>
/// The result of <see cref="InstructionEmulator.Emulate"/>. It carries the decoded instruction so
/// that <see cref="InstructionEmulator.Complete"/> can finish a port or MMIO read without decoding
/// again, and so that its disassembly is only produced when someone asks for it.
/// </summary>
public readonly struct Emulation
{
    private readonly string? _reason;

    private Emulation(EmulationKind kind, in Instruction instruction, ushort port, int size, bool isWrite,
        ulong address, ulong value, string? reason)
    {
        Kind = kind;
        Instruction = instruction;
        Port = port;
        Size = size;
        IsWrite = isWrite;
        Address = address;
        Value = value;
        _reason = reason;
    }

    public EmulationKind Kind { get; }

    /// <summary>PortIo: the port.</summary>
    public ushort Port { get; }

    /// <summary>PortIo: 1, 2 or 4; Mmio: 1, 2, 4 or 8 — the bytes moved.</summary>
    public int Size { get; }

    /// <summary>PortIo: out; Mmio: a store.</summary>
    public bool IsWrite { get; }

    /// <summary>Mmio: the guest-virtual address of the access (its first byte).</summary>
    public ulong Address { get; }

    /// <summary>out: the value from AL/AX/EAX; Mmio store: the value stored. Zero-extended from <see cref="Size"/> bytes.</summary>
    public ulong Value { get; }

    /// <summary>Unsupported: why, with the instruction's disassembly and address. Empty otherwise.</summary>
    public string Reason => _reason ?? "";

    /// <summary>The instruction's disassembly, for traces. Formatted on demand: most exits never show it.</summary>
    public string Text => InstructionEmulator.Format(Instruction);

    /// <summary>The instruction's length in bytes (zero if it could not be decoded).</summary>
    public int Length => Instruction.Length;

    internal Instruction Instruction { get; }

    internal static Emulation PortIo(in Instruction instruction, ushort port, int size, bool isWrite, ulong value) =>
        new(EmulationKind.PortIo, instruction, port, size, isWrite, 0, value, null);

    internal static Emulation Mmio(in Instruction instruction, ulong address, int size, bool isWrite, ulong value) =>
        new(EmulationKind.Mmio, instruction, 0, size, isWrite, address, value, null);

    internal static Emulation Done(in Instruction instruction) =>
        new(EmulationKind.Done, instruction, 0, 0, false, 0, 0, null);

    internal static Emulation Halt(in Instruction instruction) =>
        new(EmulationKind.Halt, instruction, 0, 0, false, 0, 0, null);

    internal static Emulation Unsupported(in Instruction instruction, string reason) =>
        new(EmulationKind.Unsupported, instruction, 0, 0, false, 0, 0, reason);

    public override string ToString() => Kind switch
    {
        EmulationKind.PortIo => $"{(IsWrite ? "out" : "in")} port 0x{Port:x} size {Size}{(IsWrite ? $" value 0x{Value:x}" : "")}: `{Text}`",
        EmulationKind.Mmio => $"mmio {(IsWrite ? "write" : "read")} 0x{Address:x} size {Size}{(IsWrite ? $" value 0x{Value:x}" : "")}: `{Text}`",
        EmulationKind.Unsupported => Reason,
        _ => $"{Kind}: `{Text}`",
    };
}
