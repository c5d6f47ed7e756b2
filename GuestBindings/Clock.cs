namespace GuestBindings
{
    /// <summary>
    /// Clocks. The monotonic clock counts TSC ticks since boot, converted with the frequency the tender
    /// measured (hvt_boot_info.cpu_cycle_freq); reading it costs no exit. The wall clock asks the
    /// tender (WALLTIME hypercall).
    /// </summary>
    public static unsafe class Clock
    {
        private static ulong s_tscAtStart;
        private static bool s_started;

        /// <summary>TSC frequency in Hz, as the tender reported it.</summary>
        public static ulong TscFrequency => Hypercalls.GetBootInfo()->CpuCycleFreq;

        /// <summary>Nanoseconds since the first use of the clock; never goes backwards.</summary>
        public static ulong MonotonicNanoseconds
        {
            get
            {
                ulong tsc = Hypercalls.ReadTsc();
                if (!s_started) { s_started = true; s_tscAtStart = tsc; }
                ulong ticks = tsc - s_tscAtStart;
                ulong freq = TscFrequency;
                if (freq == 0) return 0;
                // Split the conversion so that ticks * 10^9 cannot overflow.
                ulong seconds = ticks / freq;
                ulong rest = ticks % freq;
                return seconds * 1_000_000_000UL + rest * 1_000_000_000UL / freq;
            }
        }

        /// <summary>Nanoseconds since the Unix epoch (UTC), from the tender.</summary>
        public static ulong WallClockNanoseconds => Hypercalls.ReadWallTime();
    }
}
