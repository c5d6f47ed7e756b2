namespace Internal.Runtime
{
    // Unix time from the tender (Solo5's WALLTIME hypercall), for DateTime.UtcNow and Random's seed.
    internal static unsafe class WallClock
    {
        // In the image (below 4 GiB, as the ABI requires), never on the stack.
        private static Solo5.HvtAbi.WalltimeArgs s_args;

        internal static ulong UnixNanoseconds()
        {
            fixed (Solo5.HvtAbi.WalltimeArgs* a = &s_args)
            {
                a->Nanoseconds = 0;
                Hvt.Hypercall(Solo5.HvtAbi.PortBase + Solo5.HvtAbi.Walltime, (uint)(ulong)a);
                return a->Nanoseconds;
            }
        }
    }
}
