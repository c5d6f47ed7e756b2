namespace Tender.Devices.Tests;

/// <summary>Block devices over real temporary files.</summary>
public sealed class BlockDeviceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tdv-block-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string MakeFile(long size, string name = "disk.img")
    {
        string path = Path.Combine(_dir, name);
        var bytes = new byte[size];
        for (long i = 0; i < size; i++) bytes[i] = (byte)(i * 13 + 5);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(seed * 131 + i * 17 + (i >> 8));
        return b;
    }

    [Theory]
    [InlineData(512, 512)]
    [InlineData(4096, 512)]
    [InlineData(12288, 4096)]
    [InlineData(1 << 20, 4096)]
    [InlineData(3 * 65536, 65536)]
    public void Every_sector_written_reads_back_and_lands_in_the_file(long size, uint sectorSize)
    {
        string path = MakeFile(size);
        using (var dev = BlockDevice.Open(path, new BlockDeviceOptions(sectorSize)))
        {
            Assert.Equal((ulong)size, dev.Capacity);
            Assert.Equal(sectorSize, dev.SectorSize);
            Assert.Equal((ulong)size / sectorSize, dev.SectorCount);
            for (ulong s = 0; s < dev.SectorCount; s++)
                Assert.Equal(DeviceResult.Ok, dev.Write(s * sectorSize, Pattern((int)sectorSize, (int)s)));
            var buffer = new byte[sectorSize];
            for (ulong s = 0; s < dev.SectorCount; s++)
            {
                Assert.Equal(DeviceResult.Ok, dev.Read(s * sectorSize, buffer));
                Assert.Equal(Pattern((int)sectorSize, (int)s), buffer);
            }
            // A multi-sector request covering the whole device.
            var all = new byte[size];
            Assert.Equal(DeviceResult.Ok, dev.Read(0, all));
            Assert.Equal(Pattern((int)sectorSize, (int)dev.SectorCount - 1), all[^(int)sectorSize..]);
        }
        // Independently: the file has exactly these bytes and did not grow.
        var file = File.ReadAllBytes(path);
        Assert.Equal(size, file.Length);
        for (int s = 0; s < size / sectorSize; s++)
            Assert.Equal(Pattern((int)sectorSize, s), file.AsSpan(s * (int)sectorSize, (int)sectorSize).ToArray());
    }

    [Fact]
    public void Default_sector_size_is_512()
    {
        using var dev = BlockDevice.Open(MakeFile(2048));
        Assert.Equal(512u, dev.SectorSize);
        Assert.Equal(4ul, dev.SectorCount);
        Assert.False(dev.ReadOnly);
    }

    [Fact]
    public void Empty_file_is_refused_naming_path_and_sector_size()
    {
        string path = MakeFile(0);
        var e = Assert.Throws<DeviceException>(() => BlockDevice.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("empty", e.Message);
        Assert.Contains("512", e.Message);
    }

    [Theory]
    [InlineData(1000, 512)]
    [InlineData(513, 512)]
    [InlineData(6144, 4096)]
    [InlineData(512, 4096)]
    public void Size_not_a_multiple_of_the_sector_size_is_refused(long size, uint sectorSize)
    {
        string path = MakeFile(size);
        var e = Assert.Throws<DeviceException>(() => BlockDevice.Open(path, new BlockDeviceOptions(sectorSize)));
        Assert.Contains(path, e.Message);
        Assert.Contains($"size {size} bytes", e.Message);
        Assert.Contains($"sector size {sectorSize}", e.Message);
    }

    [Theory]
    [InlineData(256u)]
    [InlineData(1000u)]
    [InlineData(513u)]
    [InlineData(3u << 10)]
    [InlineData(1u << 31)]
    public void Bad_sector_sizes_are_refused(uint sectorSize)
    {
        string path = MakeFile(1 << 16);
        var e = Assert.Throws<DeviceException>(() => BlockDevice.Open(path, new BlockDeviceOptions(sectorSize)));
        Assert.Contains($"sector size {sectorSize}", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Missing_file_and_directory_are_refused_with_the_path()
    {
        string missing = Path.Combine(_dir, "nope.img");
        var e = Assert.Throws<DeviceException>(() => BlockDevice.Open(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("No such file", e.Message);

        e = Assert.Throws<DeviceException>(() => BlockDevice.Open(_dir, new BlockDeviceOptions(ReadOnly: true)));
        Assert.Contains("directory", e.Message);
    }

    public static TheoryData<ulong, int> BadRequests => new()
    {
        { 1, 512 },                       // misaligned offset
        { 511, 512 },
        { 0, 511 },                       // partial sector
        { 0, 513 },
        { 512, 100 },
        { 0, 0 },                         // nothing to do is not a sector
        { 4096, 512 },                    // starts at the end
        { 3584, 1024 },                   // runs past the end
        { 0, 4608 },                      // longer than the device
        { 1UL << 63, 512 },               // far outside
        { ulong.MaxValue - 511, 1024 },   // aligned, but offset + length overflows 64 bits
        { ulong.MaxValue & ~511UL, 512 },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Out_of_range_misaligned_or_overflowing_requests_are_refused_without_touching_the_file(ulong offset, int length)
    {
        string path = MakeFile(4096);
        var before = File.ReadAllBytes(path);
        using (var dev = BlockDevice.Open(path))
        {
            Assert.Equal(DeviceResult.InvalidArgument, dev.CheckRequest(offset, (ulong)length));
            var buffer = new byte[length];
            Array.Fill(buffer, (byte)0xEE);
            Assert.Equal(DeviceResult.InvalidArgument, dev.Read(offset, buffer));
            Assert.All(buffer, b => Assert.Equal(0xEE, b));
            Assert.Equal(DeviceResult.InvalidArgument, dev.Write(offset, buffer));
        }
        Assert.Equal(before, File.ReadAllBytes(path)); // same bytes, same length: no write past the end
    }

    [Fact]
    public void Last_sector_is_in_range_and_one_past_it_is_not()
    {
        using var dev = BlockDevice.Open(MakeFile(8192), new BlockDeviceOptions(4096));
        Assert.Equal(DeviceResult.Ok, dev.CheckRequest(4096, 4096));
        Assert.Equal(DeviceResult.Ok, dev.Write(4096, Pattern(4096, 9)));
        Assert.Equal(DeviceResult.InvalidArgument, dev.CheckRequest(8192, 4096));
        Assert.Equal(DeviceResult.InvalidArgument, dev.CheckRequest(4096, 8192));
        Assert.Equal(DeviceResult.InvalidArgument, dev.CheckRequest(512, 4096)); // aligned to 512, not to 4096
    }

    [Fact]
    public void Read_only_device_reads_but_refuses_every_write()
    {
        string path = MakeFile(4096);
        var before = File.ReadAllBytes(path);
        using (var dev = BlockDevice.Open(path, new BlockDeviceOptions(ReadOnly: true)))
        {
            Assert.True(dev.ReadOnly);
            var buffer = new byte[1024];
            Assert.Equal(DeviceResult.Ok, dev.Read(1024, buffer));
            Assert.Equal(before[1024..2048], buffer);
            Assert.Equal(DeviceResult.InvalidArgument, dev.Write(0, Pattern(512, 1)));
            Assert.Equal(DeviceResult.InvalidArgument, dev.Write(1024, Pattern(1024, 2)));
        }
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Concurrent_requests_on_different_sectors_do_not_interfere()
    {
        // pread/pwrite carry their own offsets: no shared file position to race on.
        const int sectors = 256;
        string path = MakeFile(sectors * 512);
        using var dev = BlockDevice.Open(path);
        Parallel.For(0, 4, worker =>
        {
            var buffer = new byte[512];
            for (int round = 0; round < 5; round++)
                for (int s = worker; s < sectors; s += 4)
                {
                    Assert.Equal(DeviceResult.Ok, dev.Write((ulong)s * 512, Pattern(512, s + round)));
                    Assert.Equal(DeviceResult.Ok, dev.Read((ulong)s * 512, buffer));
                    Assert.Equal(Pattern(512, s + round), buffer);
                }
        });
    }

    [RootFact]
    public void Host_block_device_reports_its_size_through_the_kernel()
    {
        // A loop device over a file: st_size is 0 for a block device, so the capacity must come
        // from BLKGETSIZE64.
        string path = MakeFile(3 * 4096, "loop.img");
        string loop = Command.Run("losetup", "--find", "--show", path).Trim();
        try
        {
            using var dev = BlockDevice.Open(loop, new BlockDeviceOptions(4096));
            Assert.Equal(3ul * 4096, dev.Capacity);
            Assert.Equal(DeviceResult.Ok, dev.Write(8192, Pattern(4096, 77)));
            var buffer = new byte[4096];
            Assert.Equal(DeviceResult.Ok, dev.Read(8192, buffer));
            Assert.Equal(Pattern(4096, 77), buffer);
            Assert.Equal(DeviceResult.InvalidArgument, dev.Read(12288, buffer));
        }
        finally
        {
            Command.TryRun("losetup", "--detach", loop);
        }
    }
}
