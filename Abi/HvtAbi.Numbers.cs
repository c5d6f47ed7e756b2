// Solo5's hvt hypercall ABI v2 for x86-64 (Solo5 include/hvt_abi.h, docs/abi.md): the numbers
// both sides must agree on. This one file is compiled into the tender (Tender), the guest core
// library (Guest.CoreLib) and the guest bindings (GuestBindings), so they cannot drift apart. It
// must compile against the guest's own core library: constants only.
namespace Solo5
{
    internal static partial class HvtAbi
    {
        /// <summary>Hypercall n is an `out` of its argument struct's 32-bit address to port PortBase + n.</summary>
        public const ushort PortBase = 0x500;
        /// <summary>Ports PortBase .. PortBase + MaxHypercalls - 1 are hypercalls (0x500..0x5FF).</summary>
        public const int MaxHypercalls = 256;
        /// <summary>Solo5's network ring kick (hvt_ring.h): a 32-bit `out` to this port.</summary>
        public const ushort RingKickPort = 0x600;
        /// <summary>HVT_HALT_COOKIE_MAX: bytes of a HALT cookie the tender reads at most.</summary>
        public const int HaltCookieMax = 512;

        public const int Walltime = 1, Puts = 2, Poll = 3, BlockWrite = 4, BlockRead = 5, NetWrite = 6, NetRead = 7, Halt = 8;

        // solo5_result_t
        public const int ResultOk = 0;
        public const int ResultAgain = 1;
        public const int ResultInvalid = 2;
        public const int ResultUnspecified = 3;
    }
}
