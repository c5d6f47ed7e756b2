using System.Runtime.CompilerServices;

namespace Solo5;

/// <summary>
/// The tender's side of Solo5's hvt hypercall ABI v2 (the numbers are in Abi/HvtAbi.Numbers.cs,
/// and the struct layouts in Abi/HvtAbi.Structs.cs, shared with the guest libraries): argument
/// struct sizes and names for reports.
/// </summary>
internal static partial class HvtAbi
{
    /// <summary>Argument struct sizes (Abi/HvtAbi.Structs.cs), indexed by hypercall number (0 = none).</summary>
    public static int StructSize(int n) => n switch
    {
        Walltime => Unsafe.SizeOf<WalltimeArgs>(),
        Puts => Unsafe.SizeOf<PutsArgs>(),
        Poll => Unsafe.SizeOf<PollArgs>(),
        BlockWrite or BlockRead => Unsafe.SizeOf<BlockArgs>(),
        NetWrite or NetRead => Unsafe.SizeOf<NetArgs>(),
        Halt => Unsafe.SizeOf<HaltArgs>(),
        _ => 0,
    };

    public static string Name(int n) => n switch
    {
        Walltime => "WALLTIME",
        Puts => "PUTS",
        Poll => "POLL",
        BlockWrite => "BLKWRITE",
        BlockRead => "BLKREAD",
        NetWrite => "NETWRITE",
        NetRead => "NETREAD",
        Halt => "HALT",
        _ => $"hypercall {n}",
    };

    public static string ResultName(long result) => result switch
    {
        ResultOk => "SOLO5_R_OK",
        ResultAgain => "SOLO5_R_AGAIN",
        ResultInvalid => "SOLO5_R_EINVAL",
        ResultUnspecified => "SOLO5_R_EUNSPEC",
        _ => result.ToString(),
    };
}
