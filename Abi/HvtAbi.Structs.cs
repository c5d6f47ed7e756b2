// Solo5's hvt hypercall ABI v2 for x86-64 (Solo5 include/hvt_abi.h, docs/abi.md): the layouts both
// sides must agree on. Like HvtAbi.Numbers.cs this one file is compiled into the tender (Tender,
// which reads and writes them in guest memory with MemoryMarshal), the guest core library
// (Guest.CoreLib) and the guest bindings (GuestBindings), so the three cannot drift apart. It must
// compile against the guest's own core library: sequential structs of integers only. Guest
// pointers are ulong (the tender's view; the guest casts), size_t is 8 bytes, and a trailing int
// is padded to 8 as in C.
using System.Runtime.InteropServices;

namespace Solo5
{
    internal static partial class HvtAbi
    {
        /// <summary>host_features / guest_features bit 0: ring I/O (HVT_FEATURE_RING_IO, docs/ring-io.md).</summary>
        public const uint FeatureRingIo = 1u << 0;
        /// <summary>host_features / guest_features bit 1: CPU faults handed back to the guest (this project's extension, docs/abi.md).</summary>
        public const uint FeatureFaultHandBack = 1u << 1;

        /// <summary>struct hvt_boot_info, the 56-byte form (Solo5 >= 0.11 with ring I/O); RDI at the guest's entry points at it.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct BootInfo
        {
            public ulong MemSize;
            public ulong KernelEnd;
            public ulong CpuCycleFreq;
            public ulong Cmdline;
            public ulong Manifest;
            public uint HostFeatures;
            public uint GuestFeatures;
            public ulong NetRing;
        }

        /// <summary>WALLTIME (1): the tender writes nanoseconds since the Unix epoch.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct WalltimeArgs { public ulong Nanoseconds; }

        /// <summary>PUTS (2): console output.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct PutsArgs { public ulong Data; public ulong Length; }

        /// <summary>POLL (3): the tender writes the set of devices with input and their count.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct PollArgs { public ulong TimeoutNanoseconds; public ulong ReadySet; public int Result; }

        /// <summary>BLKWRITE (4) and BLKREAD (5).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct BlockArgs { public ulong Handle; public ulong Offset; public ulong Data; public ulong Length; public int Result; }

        /// <summary>NETWRITE (6) and NETREAD (7); for NETREAD the tender writes the frame's length into Length.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct NetArgs { public ulong Handle; public ulong Data; public ulong Length; public int Result; }

        /// <summary>HALT (8): a cookie (0, or an abort message of at most HaltCookieMax bytes) and the exit status.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct HaltArgs { public ulong Cookie; public int Status; }
    }
}
