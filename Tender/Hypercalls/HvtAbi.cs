namespace Solo5;

/// <summary>
/// The tender's side of Solo5's hvt hypercall ABI v2 (the numbers are in Abi/HvtAbi.Numbers.cs,
/// shared with the guest libraries): argument struct sizes and names for reports. Struct offsets
/// are for the x86-64 layouts (size_t and pointers are 8 bytes; a trailing int is padded to 8).
/// </summary>
internal static partial class HvtAbi
{
    /// <summary>Argument struct sizes, indexed by hypercall number (0 = none).</summary>
    public static int StructSize(int n) => n switch
    {
        Walltime => 8,     // u64 nsecs
        Puts => 16,        // ptr data, size_t len
        Poll => 24,        // u64 timeout_nsecs, u64 ready_set, int ret
        BlockWrite => 40,  // u64 handle, u64 offset, ptr data, size_t len, int ret
        BlockRead => 40,   // u64 handle, u64 offset, ptr data, size_t len, int ret
        NetWrite => 32,    // u64 handle, ptr data, size_t len, int ret
        NetRead => 32,     // u64 handle, ptr data, size_t len, int ret
        Halt => 16,        // ptr cookie, int exit_status
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
