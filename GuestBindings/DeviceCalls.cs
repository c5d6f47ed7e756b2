namespace GuestBindings
{
    /// <summary>What a device call returned: Solo5's <c>solo5_result_t</c>, as the tender answers it.</summary>
    public enum Solo5Result
    {
        /// <summary>SOLO5_R_OK: done.</summary>
        Ok = 0,
        /// <summary>SOLO5_R_AGAIN: nothing to read now (network only).</summary>
        Again = 1,
        /// <summary>SOLO5_R_EINVAL: the request was refused (bad handle, range, alignment, size, or a read-only device).</summary>
        InvalidArgument = 2,
        /// <summary>SOLO5_R_EUNSPEC: the host failed.</summary>
        Unspecified = 3,
    }

    // The device hypercalls (hvt_abi.h; docs/abi.md): BLKWRITE 4, BLKREAD 5, NETWRITE 6, NETREAD 7, and
    // the boot-info fields of Solo5's ring I/O (offsets 40..55 of struct hvt_boot_info, docs/ring-io.md).
    // Kept apart from Hypercalls.cs, which holds the calls every guest makes. One argument struct per call
    // suffices: the guest has one thread and the tender finishes a call before the guest goes on.
    internal static unsafe class DeviceCalls
    {
        private static Solo5.HvtAbi.BlockArgs s_block;
        private static Solo5.HvtAbi.NetArgs s_net;
        // An empty span gives a null pointer; the tender would take a null buffer for a bad pointer
        // (a crash) rather than a bad length (EINVAL), so empty requests point here instead.
        private static ulong s_empty;

        private static ulong Address(byte* data)
        {
            if (data != null) return (ulong)data;
            fixed (ulong* p = &s_empty) return (ulong)p;
        }

        internal static Solo5Result Block(bool write, ulong handle, ulong offset, byte* data, ulong length)
        {
            fixed (Solo5.HvtAbi.BlockArgs* a = &s_block)
            {
                a->Handle = handle;
                a->Offset = offset;
                a->Data = Address(data);
                a->Length = length;
                a->Result = (int)Solo5Result.Unspecified;
                Hypercalls.Hypercall((uint)(Solo5.HvtAbi.PortBase + (write ? Solo5.HvtAbi.BlockWrite : Solo5.HvtAbi.BlockRead)), (uint)(ulong)a);
                return (Solo5Result)a->Result;
            }
        }

        internal static Solo5Result NetworkWrite(ulong handle, byte* data, ulong length)
        {
            fixed (Solo5.HvtAbi.NetArgs* a = &s_net)
            {
                a->Handle = handle;
                a->Data = Address(data);
                a->Length = length;
                a->Result = (int)Solo5Result.Unspecified;
                Hypercalls.Hypercall(Solo5.HvtAbi.PortBase + Solo5.HvtAbi.NetWrite, (uint)(ulong)a);
                return (Solo5Result)a->Result;
            }
        }

        internal static Solo5Result NetworkRead(ulong handle, byte* data, ulong capacity, out int length)
        {
            fixed (Solo5.HvtAbi.NetArgs* a = &s_net)
            {
                a->Handle = handle;
                a->Data = Address(data);
                a->Length = capacity;
                a->Result = (int)Solo5Result.Unspecified;
                Hypercalls.Hypercall(Solo5.HvtAbi.PortBase + Solo5.HvtAbi.NetRead, (uint)(ulong)a);
                var r = (Solo5Result)a->Result;
                // The tender sets len to the frame's size; never trust it beyond the buffer.
                length = r == Solo5Result.Ok && a->Length <= capacity ? (int)a->Length : 0;
                return r;
            }
        }

        // Ring I/O in the boot info (docs/ring-io.md; the tender always writes the 56-byte struct).
        internal const uint FeatureRingIo = Solo5.HvtAbi.FeatureRingIo;

        internal static uint HostFeatures => Hypercalls.GetBootInfo()->HostFeatures;

        internal static ulong NetRingAddress => Hypercalls.GetBootInfo()->NetRing;

        internal static void AcceptFeatures(uint features) => Hypercalls.GetBootInfo()->GuestFeatures |= features;
    }
}
