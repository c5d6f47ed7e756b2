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
        if (ReadTrapFrame(frame, out ulong cr2) is not GuestFault f) return null;
        return $"trap frame at the HALT cookie: rip 0x{f.Rip:x} rsp 0x{f.Rsp:x} rflags 0x{f.Rflags:x} " +
               $"cs 0x{f.Cs:x} (CPL {f.Cs & 3}) ss 0x{f.Ss:x} error code 0x{f.ErrorCode:x} cr2 0x{cr2:x}";
    }

    /// <summary>
    /// The trap frame's saved state (for a core dump's registers), or null when the bytes cannot be
    /// one (see <see cref="DescribeTrapFrame"/>). The frame does not say which vector it was: 0.
    /// </summary>
    public static GuestFault? ReadTrapFrame(ReadOnlySpan<byte> frame) => ReadTrapFrame(frame, out _);

    private static GuestFault? ReadTrapFrame(ReadOnlySpan<byte> frame, out ulong cr2)
    {
        cr2 = 0;
        if (frame.Length < TrapFrameSize) return null;
        Span<ulong> f = stackalloc ulong[7];
        for (int i = 0; i < f.Length; i++) f[i] = BinaryPrimitives.ReadUInt64LittleEndian(frame[(i * 8)..]);
        ulong errorCode = f[1], rip = f[2], cs = f[3], rflags = f[4], rsp = f[5], ss = f[6];
        if (cs > 0xFFFF || ss > 0xFFFF || (cs & ~3UL) == 0) return null;
        cr2 = f[0];
        return new GuestFault(0, errorCode, rip, cs, rflags, rsp, ss);
    }
}
