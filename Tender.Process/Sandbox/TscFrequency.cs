using System.Globalization;
using System.Runtime.Intrinsics.X86;
using Tender.Host.Interop;

namespace Tender.ProcessPlatform.Sandbox;

/// <summary>
/// The host's TSC frequency, which the guest's boot info carries (a guest on the process
/// platform reads the host TSC directly with <c>rdtsc</c>). From CPUID leaf 0x15 when the CPU
/// states it completely; otherwise measured once per host boot against CLOCK_MONOTONIC_RAW
/// (≈ 10 ms) and kept in <c>/run/tender/tsc-hz</c> with the boot's id, so later guest boots on
/// the same host boot read it instead of measuring again.
/// </summary>
public static unsafe class TscFrequency
{
    internal const string CacheFile = "/run/tender/tsc-hz";
    internal const string BootIdFile = "/proc/sys/kernel/random/boot_id";

    private static readonly Lazy<ulong> s_hz = new(() => FromCpuid() ?? FromCacheOrCalibration(CacheFile, BootIdFile, Calibrate));

    /// <summary>TSC ticks per second.</summary>
    public static ulong Hz => s_hz.Value;

    /// <summary>
    /// CPUID 0x15: TSC = crystal × EBX / EAX, crystal frequency in ECX. Null when the leaf is
    /// absent or any of the three is zero (many CPUs and most hypervisors leave ECX zero).
    /// </summary>
    internal static ulong? FromCpuid()
    {
        if (!X86Base.IsSupported) return null;
        (int maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        if ((uint)maxLeaf < 0x15) return null;
        (int denominator, int numerator, int crystalHz, _) = X86Base.CpuId(0x15, 0);
        if (denominator == 0 || numerator == 0 || crystalHz == 0) return null;
        UInt128 hz = (UInt128)(uint)crystalHz * (uint)numerator / (uint)denominator;
        return (ulong)hz;
    }

    /// <summary>
    /// The cached value when cacheFile holds this boot's id and a plausible frequency; otherwise
    /// calibrate's result, written to cacheFile atomically (best effort: an unwritable /run only
    /// costs a calibration per tender start). A garbled or foreign cache is replaced.
    /// </summary>
    internal static ulong FromCacheOrCalibration(string cacheFile, string bootIdFile, Func<ulong> calibrate)
    {
        string? bootId = ReadBootId(bootIdFile);
        if (bootId is not null && TryReadCache(cacheFile, bootId) is ulong cached) return cached;
        ulong hz = calibrate();
        if (bootId is not null) TryWriteCache(cacheFile, bootId, hz);
        return hz;
    }

    private static string? ReadBootId(string bootIdFile)
    {
        try
        {
            string id = File.ReadAllText(bootIdFile).Trim();
            return id.Length > 0 && !id.Contains(' ') ? id : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The cache's one line is "BOOT_ID HZ".</summary>
    internal static ulong? TryReadCache(string cacheFile, string bootId)
    {
        string text;
        try { text = File.ReadAllText(cacheFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        string[] fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 2 || fields[0] != bootId) return null;
        if (!ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong hz)) return null;
        return IsPlausible(hz) ? hz : null;
    }

    /// <summary>Between 100 MHz and 20 GHz: anything else is a garbled cache or a failed measurement.</summary>
    internal static bool IsPlausible(ulong hz) => hz is >= 100_000_000 and <= 20_000_000_000;

    private static void TryWriteCache(string cacheFile, string bootId, ulong hz)
    {
        string temporary = $"{cacheFile}.{Environment.ProcessId}.tmp";
        try
        {
            if (Path.GetDirectoryName(cacheFile) is string directory) Directory.CreateDirectory(directory);
            File.WriteAllText(temporary, $"{bootId} {hz.ToString(CultureInfo.InvariantCulture)}\n");
            // rename(2) replaces the file in one step: a reader sees the old or the new line, never half.
            File.Move(temporary, cacheFile, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temporary); } catch (Exception f) when (f is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Counts TSC ticks across ≈ 10 ms of CLOCK_MONOTONIC_RAW (the undisciplined clock: NTP's
    /// slewing must not bend the measurement). Each end is the clock read with the smallest
    /// rdtsc bracket out of several, its TSC the bracket's midpoint, so an interrupt or a
    /// preemption during one read does not skew the result.
    /// </summary>
    internal static ulong Calibrate()
    {
        delegate* unmanaged<ulong> rdtsc = RdtscStub.Function;
        (ulong tsc0, long ns0) = Sample(rdtsc);
        Thread.Sleep(10);
        (ulong tsc1, long ns1) = Sample(rdtsc);
        while (ns1 - ns0 < 10_000_000) (tsc1, ns1) = Sample(rdtsc);
        UInt128 hz = (UInt128)(tsc1 - tsc0) * 1_000_000_000 / (ulong)(ns1 - ns0);
        // The measurement is good to a few parts per million: keep whole kilohertz.
        ulong rounded = ((ulong)hz + 500) / 1000 * 1000;
        if (!IsPlausible(rounded)) throw new InvalidOperationException($"TSC calibration gave {rounded} Hz");
        return rounded;

        static (ulong Tsc, long Nanoseconds) Sample(delegate* unmanaged<ulong> rdtsc)
        {
            ulong bestWidth = ulong.MaxValue, bestTsc = 0;
            long bestNs = 0;
            for (int i = 0; i < 16; i++)
            {
                LibC.TimeSpec time;
                ulong before = rdtsc();
                if (LibC.ClockGetTime(LibC.CLOCK_MONOTONIC_RAW, &time) != 0)
                    throw new InvalidOperationException("clock_gettime(CLOCK_MONOTONIC_RAW) failed");
                ulong after = rdtsc();
                if (after - before < bestWidth)
                {
                    bestWidth = after - before;
                    bestTsc = before + (after - before) / 2;
                    bestNs = time.Seconds * 1_000_000_000 + time.Nanoseconds;
                }
            }
            return (bestTsc, bestNs);
        }
    }

    /// <summary>
    /// .NET has no rdtsc intrinsic, so: ten bytes of machine code in a page of their own,
    /// called through an unmanaged function pointer —
    /// <code>rdtsc; shl rdx, 32; or rax, rdx; ret</code>
    /// The page is written, then made read+execute (never writable and executable at once), and
    /// kept for the life of the process.
    /// </summary>
    private static class RdtscStub
    {
        public static readonly delegate* unmanaged<ulong> Function = Create();

        private static delegate* unmanaged<ulong> Create()
        {
            ReadOnlySpan<byte> code = [0x0F, 0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];
            nint page = LibC.Mmap(0, 4096, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
            if (page == LibC.MAP_FAILED) throw new InvalidOperationException("mmap of the rdtsc stub's page failed");
            code.CopyTo(new Span<byte>((void*)page, code.Length));
            if (LibC.Mprotect(page, 4096, LibC.PROT_READ | LibC.PROT_EXEC) != 0)
                throw new InvalidOperationException("mprotect of the rdtsc stub's page failed");
            return (delegate* unmanaged<ulong>)page;
        }
    }

    /// <summary>The current TSC (for tests that check the calibration against elapsed time).</summary>
    internal static ulong ReadTsc() => RdtscStub.Function();
}
