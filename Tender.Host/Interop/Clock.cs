using System.Runtime.InteropServices;

namespace Tender.Host.Interop;

/// <summary>clock_gettime, for clocks .NET does not expose (the TSC calibration wants CLOCK_MONOTONIC_RAW, which NTP does not slew).</summary>
internal static unsafe partial class LibC
{
    public const int CLOCK_MONOTONIC_RAW = 4;

    [LibraryImport(Lib, EntryPoint = "clock_gettime", SetLastError = true)]
    public static partial int ClockGetTime(int clock, TimeSpec* time);
}
