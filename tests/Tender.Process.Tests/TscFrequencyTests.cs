using System.Diagnostics;
using Tender.ProcessPlatform.Sandbox;
using Xunit.Abstractions;

namespace Tender.ProcessPlatform.Tests;

/// <summary>The host TSC frequency: CPUID when complete, else one calibration per host boot kept in a cache file.</summary>
public sealed class TscFrequencyTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tsc-test-").FullName;

    private string CacheFile => Path.Combine(_directory, "run", "tsc-hz");
    private string BootIdFile => Path.Combine(_directory, "boot_id");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Hz_IsPlausible_AndMatchesElapsedTicks()
    {
        ulong hz = TscFrequency.Hz;
        output.WriteLine($"TSC: {hz} Hz (CPUID 0x15: {TscFrequency.FromCpuid()?.ToString() ?? "incomplete"})");
        Assert.True(TscFrequency.IsPlausible(hz));

        // 50 ms of ticks against a Stopwatch: within 1 % (this is a scheduling-tolerant check,
        // not the calibration's precision).
        ulong t0 = TscFrequency.ReadTsc();
        var watch = Stopwatch.StartNew();
        Thread.Sleep(50);
        ulong t1 = TscFrequency.ReadTsc();
        double measured = (t1 - t0) / watch.Elapsed.TotalSeconds;
        Assert.InRange(measured / hz, 0.99, 1.01);
    }

    [Fact]
    public void Calibrate_TwiceAgrees()
    {
        ulong a = TscFrequency.Calibrate(), b = TscFrequency.Calibrate();
        output.WriteLine($"calibrations: {a} Hz, {b} Hz");
        Assert.InRange((double)a / b, 0.999, 1.001);
    }

    [Fact]
    public void Cache_WrittenOnce_ThenRead_WithoutCalibrating()
    {
        File.WriteAllText(BootIdFile, "11111111-2222-3333-4444-555555555555\n");
        int calibrations = 0;
        ulong Calibrate() { calibrations++; return 2_345_678_000; }

        Assert.Equal(2_345_678_000UL, TscFrequency.FromCacheOrCalibration(CacheFile, BootIdFile, Calibrate));
        Assert.Equal(1, calibrations);
        Assert.Equal("11111111-2222-3333-4444-555555555555 2345678000\n", File.ReadAllText(CacheFile));
        Assert.Equal(2_345_678_000UL, TscFrequency.FromCacheOrCalibration(CacheFile, BootIdFile, Calibrate));
        Assert.Equal(1, calibrations);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(CacheFile)!));   // no temporary left behind
    }

    [Fact]
    public void Cache_FromAnotherBoot_IsReplaced()
    {
        File.WriteAllText(BootIdFile, "new-boot");
        Directory.CreateDirectory(Path.GetDirectoryName(CacheFile)!);
        File.WriteAllText(CacheFile, "old-boot 1000000000\n");
        Assert.Equal(3_000_000_000UL, TscFrequency.FromCacheOrCalibration(CacheFile, BootIdFile, () => 3_000_000_000));
        Assert.Equal("new-boot 3000000000\n", File.ReadAllText(CacheFile));
    }

    [Theory]
    [InlineData("")]
    [InlineData("this-boot")]
    [InlineData("this-boot banana\n")]
    [InlineData("this-boot 12\n")]                       // implausible
    [InlineData("this-boot 2000000000 extra\n")]
    [InlineData("this-boot -2000000000\n")]
    [InlineData("\0\0\0\0")]
    public void Cache_Garbled_IsIgnored_AndRewritten(string content)
    {
        File.WriteAllText(BootIdFile, "this-boot\n");
        Directory.CreateDirectory(Path.GetDirectoryName(CacheFile)!);
        File.WriteAllText(CacheFile, content);
        int calibrations = 0;
        Assert.Equal(2_000_000_000UL, TscFrequency.FromCacheOrCalibration(CacheFile, BootIdFile, () => { calibrations++; return 2_000_000_000; }));
        Assert.Equal(1, calibrations);
        Assert.Equal("this-boot 2000000000\n", File.ReadAllText(CacheFile));
    }

    [Fact]
    public void NoBootId_CalibratesWithoutCache()
    {
        Assert.Equal(2_000_000_000UL, TscFrequency.FromCacheOrCalibration(CacheFile, BootIdFile, () => 2_000_000_000));
        Assert.False(File.Exists(CacheFile));
    }

    [Fact]
    public void UnwritableCacheDirectory_StillAnswers()
    {
        File.WriteAllText(BootIdFile, "this-boot");
        // A file where the directory should be: the cache cannot be written, the value stands.
        File.WriteAllText(Path.Combine(_directory, "run"), "not a directory");
        Assert.Equal(2_000_000_000UL, TscFrequency.FromCacheOrCalibration(CacheFile, BootIdFile, () => 2_000_000_000));
    }
}
