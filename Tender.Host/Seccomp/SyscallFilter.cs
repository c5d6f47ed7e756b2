namespace Tender.Host.Seccomp;

/// <summary>
/// One condition on a system call's argument: (args[Index] &amp; Mask) == Value. Each 32-bit
/// half whose mask is zero is not checked (an <c>int</c> or <c>unsigned int</c> argument,
/// such as a file descriptor, is only its low half to the kernel).
/// </summary>
public readonly record struct ArgMatch(int Index, ulong Mask, ulong Value)
{
    /// <summary>args[index] == value, all 64 bits.</summary>
    public static ArgMatch Equal(int index, ulong value) => new(index, ulong.MaxValue, value);

    /// <summary>The low 32 bits of args[index] == value: for int arguments, whose upper half the kernel ignores.</summary>
    public static ArgMatch Equal32(int index, uint value) => new(index, uint.MaxValue, value);

    /// <summary>None of these bits set in args[index].</summary>
    public static ArgMatch Clear(int index, ulong bits) => new(index, bits, 0);

    /// <summary>All of these bits set in args[index].</summary>
    public static ArgMatch Set(int index, ulong bits) => new(index, bits, bits);
}

/// <summary>
/// A seccomp allow-list for x86-64: system calls by number, each allowed outright, allowed when
/// one of a few argument patterns matches, or failed with an errno; anything else (another
/// architecture, the x32 ABI, another number, a call whose arguments match no pattern) gets
/// the default action. <see cref="Build"/> writes it as classic BPF.
/// </summary>
public sealed class SyscallFilter
{
    public const uint SECCOMP_RET_KILL_PROCESS = 0x80000000;
    public const uint SECCOMP_RET_TRAP = 0x00030000;
    public const uint SECCOMP_RET_ERRNO = 0x00050000;
    public const uint SECCOMP_RET_ALLOW = 0x7FFF0000;
    public const uint AUDIT_ARCH_X86_64 = 0xC000003E;
    /// <summary>struct seccomp_data: nr at 0, arch at 4, instruction_pointer at 8, args at 16 + 8·i.</summary>
    public const uint OffsetNr = 0, OffsetArch = 4, OffsetIp = 8, OffsetArgs = 16;
    /// <summary>System call numbers with this bit come from the x32 ABI.</summary>
    private const uint X32SyscallBit = 0x40000000;

    /// <summary>One entry of the list.</summary>
    /// <summary>One entry of the list; <paramref name="Otherwise"/> is the action when the number
    /// matches and no pattern does (null: the filter's default action).</summary>
    public sealed record Rule(string Name, int Number, uint Action, IReadOnlyList<ArgMatch[]> WhenAny, uint? Otherwise = null);

    private readonly List<Rule> _rules = [];

    public IReadOnlyList<Rule> Rules => _rules;

    /// <summary>Allows the call; with patterns, only when its arguments match one of them (each an AND of matches).</summary>
    public SyscallFilter Allow(string name, int number, params ArgMatch[][] whenAny) => Add(new Rule(name, number, SECCOMP_RET_ALLOW, whenAny));

    /// <summary>The call fails with this errno instead of running.</summary>
    public SyscallFilter Fail(string name, int number, int errno) => Add(new Rule(name, number, SECCOMP_RET_ERRNO | (uint)errno, []));

    /// <summary>Allows the call when its arguments match one of the patterns; otherwise it fails with this errno.</summary>
    public SyscallFilter AllowOrFail(string name, int number, int errno, params ArgMatch[][] whenAny)
    {
        if (whenAny.Length == 0) throw new InvalidOperationException($"{name}: AllowOrFail needs an argument pattern");
        return Add(new Rule(name, number, SECCOMP_RET_ALLOW, whenAny, SECCOMP_RET_ERRNO | (uint)errno));
    }

    private SyscallFilter Add(Rule rule)
    {
        if (_rules.Any(r => r.Number == rule.Number)) throw new InvalidOperationException($"system call {rule.Name} ({rule.Number}) is listed twice");
        if (rule.WhenAny.Any(pattern => pattern.Length == 0)) throw new InvalidOperationException($"{rule.Name}: an empty argument pattern would allow every call");
        _rules.Add(rule);
        return this;
    }

    /// <summary>The filter as classic BPF (struct sock_filter[]), rules checked in the order they were added.</summary>
    public byte[] Build(uint defaultAction)
    {
        var bpf = new BpfAssembler();
        var x86_64 = bpf.NewLabel();
        bpf.Load(OffsetArch);
        bpf.JumpIfEqual(AUDIT_ARCH_X86_64, x86_64);
        bpf.Return(defaultAction);
        bpf.Mark(x86_64);
        var native = bpf.NewLabel();
        bpf.Load(OffsetNr);
        bpf.JumpIfAnySet(X32SyscallBit, null, native);
        bpf.Return(defaultAction);
        bpf.Mark(native);
        foreach (var rule in _rules)
        {
            var next = bpf.NewLabel();
            bpf.JumpIfEqual((uint)rule.Number, null, next);
            if (rule.WhenAny.Count == 0)
            {
                bpf.Return(rule.Action);
            }
            else
            {
                foreach (var pattern in rule.WhenAny)
                {
                    var mismatch = bpf.NewLabel();
                    foreach (var match in pattern)
                    {
                        if (match.Index is < 0 or > 5) throw new InvalidOperationException($"{rule.Name}: argument {match.Index} (a system call has 6)");
                        uint offset = OffsetArgs + 8 * (uint)match.Index;
                        CheckWord(bpf, offset, (uint)match.Mask, (uint)match.Value, mismatch);
                        CheckWord(bpf, offset + 4, (uint)(match.Mask >> 32), (uint)(match.Value >> 32), mismatch);
                    }
                    bpf.Return(rule.Action);
                    bpf.Mark(mismatch);
                }
                bpf.Return(rule.Otherwise ?? defaultAction);   // the number matched, its arguments did not
            }
            bpf.Mark(next);
        }
        bpf.Return(defaultAction);
        return bpf.Assemble();
    }

    private static void CheckWord(BpfAssembler bpf, uint offset, uint mask, uint value, BpfAssembler.Label mismatch)
    {
        if (mask == 0) return;
        bpf.Load(offset);
        if (mask != uint.MaxValue) bpf.And(mask);
        bpf.JumpIfEqual(value & mask, null, mismatch);
    }
}
