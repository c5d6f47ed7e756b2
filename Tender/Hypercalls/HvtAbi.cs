namespace Tender.Hypercalls;

/// <summary>
/// Solo5's hvt hypercall ABI v2 for x86-64 (Solo5 <c>include/hvt_abi.h</c>): `out` of a 32-bit
/// guest address to port 0x500 + n. Struct offsets are for the x86-64 layouts (size_t and
/// pointers are 8 bytes; a trailing int is padded to 8).
/// </summary>
internal static class HvtAbi
{
    public const ushort PortBase = 0x500;
    public const int MaxHypercalls = 256; // ports 0x500..0x5FF
    public const ushort RingKickPort = 0x600;
    public const int HaltCookieMax = 512;

    public const int Walltime = 1, Puts = 2, Poll = 3, BlockWrite = 4, BlockRead = 5, NetWrite = 6, NetRead = 7, Halt = 8;

    // solo5_result_t
    public const int ResultOk = 0;
    public const int ResultAgain = 1;
    public const int ResultInvalid = 2;
    public const int ResultUnspecified = 3;

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
