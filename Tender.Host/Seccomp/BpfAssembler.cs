using System.Buffers.Binary;

namespace Tender.Host.Seccomp;

/// <summary>
/// A tiny classic-BPF assembler for seccomp filters: instructions are appended in order, jumps
/// name labels, and <see cref="Assemble"/> computes the offsets (classic BPF jumps forward only,
/// at most 255 instructions). Both seccomp filters of the tender (its own, and the process
/// platform's child's) are written with it, so offsets are never counted by hand.
/// </summary>
public sealed class BpfAssembler
{
    /// <summary>A jump target; <see cref="Mark"/> places it before the next instruction appended.</summary>
    public readonly record struct Label(int Id);

    private const ushort BPF_LD_W_ABS = 0x20, BPF_ALU_AND_K = 0x54, BPF_RET_K = 0x06;
    private const ushort BPF_JMP_JEQ_K = 0x15, BPF_JMP_JGE_K = 0x35, BPF_JMP_JSET_K = 0x45;

    private readonly List<(ushort Code, Label? True, Label? False, uint K)> _code = [];
    private readonly List<int> _labels = [];   // label id → instruction index, -1 until marked

    public int Count => _code.Count;

    public Label NewLabel()
    {
        _labels.Add(-1);
        return new Label(_labels.Count - 1);
    }

    public void Mark(Label label)
    {
        if (_labels[label.Id] >= 0) throw new InvalidOperationException($"BPF label {label.Id} is marked twice");
        _labels[label.Id] = _code.Count;
    }

    /// <summary>A = the 32-bit word at offset in struct seccomp_data.</summary>
    public void Load(uint offset) => _code.Add((BPF_LD_W_ABS, null, null, offset));

    /// <summary>A &amp;= mask.</summary>
    public void And(uint mask) => _code.Add((BPF_ALU_AND_K, null, null, mask));

    /// <summary>Jumps to ifTrue when A == k, else to ifFalse (null: the next instruction).</summary>
    public void JumpIfEqual(uint k, Label? ifTrue, Label? ifFalse = null) => _code.Add((BPF_JMP_JEQ_K, ifTrue, ifFalse, k));

    /// <summary>Jumps to ifTrue when A &gt;= k (unsigned), else to ifFalse (null: the next instruction).</summary>
    public void JumpIfAtLeast(uint k, Label? ifTrue, Label? ifFalse = null) => _code.Add((BPF_JMP_JGE_K, ifTrue, ifFalse, k));

    /// <summary>Jumps to ifTrue when A &amp; k is not zero, else to ifFalse (null: the next instruction).</summary>
    public void JumpIfAnySet(uint k, Label? ifTrue, Label? ifFalse = null) => _code.Add((BPF_JMP_JSET_K, ifTrue, ifFalse, k));

    /// <summary>Ends the filter with this seccomp action (SECCOMP_RET_*).</summary>
    public void Return(uint action) => _code.Add((BPF_RET_K, null, null, action));

    /// <summary>The program as struct sock_filter[] bytes (8 per instruction).</summary>
    public byte[] Assemble()
    {
        if (_code.Count == 0 || _code.Count > ushort.MaxValue)
            throw new InvalidOperationException($"a BPF program of {_code.Count} instructions");
        if (_code[^1].Code != BPF_RET_K)
            throw new InvalidOperationException("a BPF program must end with a return");
        var bytes = new byte[_code.Count * 8];
        for (int i = 0; i < _code.Count; i++)
        {
            var (code, ifTrue, ifFalse, k) = _code[i];
            Span<byte> at = bytes.AsSpan(i * 8, 8);
            BinaryPrimitives.WriteUInt16LittleEndian(at, code);
            at[2] = Offset(i, ifTrue);
            at[3] = Offset(i, ifFalse);
            BinaryPrimitives.WriteUInt32LittleEndian(at[4..], k);
        }
        return bytes;
    }

    private byte Offset(int from, Label? to)
    {
        if (to is not Label label) return 0;
        int target = _labels[label.Id];
        if (target < 0) throw new InvalidOperationException($"BPF label {label.Id} is never marked");
        int offset = target - (from + 1);
        if (offset < 0 || offset > byte.MaxValue)
            throw new InvalidOperationException($"BPF jump from instruction {from} to {target}: classic BPF jumps 0 to 255 instructions forward");
        return (byte)offset;
    }
}
