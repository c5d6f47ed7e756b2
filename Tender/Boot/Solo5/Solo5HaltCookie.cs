using System.Buffers.Binary;

namespace Tender.Boot.Solo5;

/// <summary>
/// What a Solo5 guest's HALT cookie means (docs/solo5-mode.md, section 7): not a message but,
/// when the guest aborts on a CPU exception, a pointer to the trap frame its exception handler
/// saved: seven u64 <c>{ cr2, error code, rip, cs, rflags, rsp, ss }</c>. solo5-hvt demands that
/// the 512 bytes (HVT_HALT_COOKIE_MAX) from the cookie are guest memory and hands them to its
/// halt hooks (a core dump in the debug build). The guest prints its own abort message with PUTS.
/// </summary>
/// <remarks>
/// For the tender's HALT handler once the boot-mode seam lets a mode say how its cookie is read
/// (see the report of the Solo5-mode work); today the common handler reads every cookie as text.
/// </remarks>
public static class Solo5HaltCookie
{
    /// <summary>Bytes of the trap frame at the cookie.</summary>
    public const int TrapFrameSize = 7 * 8;

    /// <summary>
    /// One line describing the trap frame in <paramref name="frame"/> (the first
    /// <see cref="TrapFrameSize"/> bytes at the cookie), or null when the bytes cannot be one: the
    /// saved CS and SS must be selectors (16 bits) and CS must not be the null selector.
    /// </summary>
    public static string? DescribeTrapFrame(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < TrapFrameSize) return null;
        Span<ulong> f = stackalloc ulong[7];
        for (int i = 0; i < f.Length; i++) f[i] = BinaryPrimitives.ReadUInt64LittleEndian(frame[(i * 8)..]);
        ulong cr2 = f[0], errorCode = f[1], rip = f[2], cs = f[3], rflags = f[4], rsp = f[5], ss = f[6];
        if (cs > 0xFFFF || ss > 0xFFFF || (cs & ~3UL) == 0) return null;
        return $"trap frame at the HALT cookie: rip 0x{rip:x} rsp 0x{rsp:x} rflags 0x{rflags:x} " +
               $"cs 0x{cs:x} (CPL {cs & 3}) ss 0x{ss:x} error code 0x{errorCode:x} cr2 0x{cr2:x}";
    }
}
