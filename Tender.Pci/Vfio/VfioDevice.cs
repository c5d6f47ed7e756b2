using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tender.Host;
using Tender.Host.Interop;
using VfioAbiNative = Tender.Host.Interop.Vfio;

namespace Tender.Pci.Vfio;

/// <summary>One region of a VFIO device (a BAR, the ROM or the configuration space).</summary>
/// <param name="Index">VFIO region index: BAR i is i, the configuration space is 7.</param>
/// <param name="Flags">VFIO_REGION_INFO_FLAG_* bits.</param>
/// <param name="Size">Bytes; 0 if the device does not implement the region (an unused BAR).</param>
/// <param name="Offset">Where the region starts in the device fd (for pread/pwrite/mmap).</param>
public readonly record struct VfioRegion(uint Index, uint Flags, ulong Size, ulong Offset)
{
    public bool IsImplemented => Size != 0;
    public bool CanRead => (Flags & VfioAbiNative.RegionInfoFlagRead) != 0;
    public bool CanWrite => (Flags & VfioAbiNative.RegionInfoFlagWrite) != 0;
    /// <summary>Whether the region may be mmapped (memory BARs of at least a page; never I/O BARs).</summary>
    public bool CanMmap => (Flags & VfioAbiNative.RegionInfoFlagMmap) != 0;
}

/// <summary>
/// A PCI device opened through VFIO: its regions, its configuration space (read and written with
/// pread/pwrite on the config region, as the kernel virtualises it), reset, and mmaps of its BARs
/// for the tender to make into guest memory slots. Owns the device fd.
/// </summary>
public sealed unsafe class VfioDevice : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly VfioRegion[] _bars;
    private readonly List<MappedBar> _mappings = [];

    private VfioDevice(FileDescriptor fd, PciAddress address, uint flags, uint regionCount, VfioRegion[] bars, VfioRegion config)
    {
        _fd = fd;
        Address = address;
        Flags = flags;
        RegionCount = regionCount;
        _bars = bars;
        Config = config;
    }

    public PciAddress Address { get; }
    /// <summary>VFIO_DEVICE_FLAGS_* bits.</summary>
    public uint Flags { get; }
    public uint RegionCount { get; }
    public bool SupportsReset => (Flags & VfioAbiNative.DeviceFlagsReset) != 0;
    /// <summary>BAR 0..5 (an unimplemented BAR has size 0).</summary>
    public IReadOnlyList<VfioRegion> Bars => _bars;
    public VfioRegion Config { get; }

    /// <summary>Takes a device fd from <see cref="VfioGroup.OpenDeviceDescriptor"/> and reads its info and regions.</summary>
    public static VfioDevice Open(VfioGroup group, PciAddress address)
    {
        FileDescriptor fd = group.OpenDeviceDescriptor(address);
        try
        {
            var info = new VfioAbiNative.DeviceInfo { ArgSize = (uint)sizeof(VfioAbiNative.DeviceInfo) };
            if (LibC.Ioctl(fd.Fd, VfioAbiNative.DeviceGetInfo, &info) != 0)
                throw new VfioException($"VFIO_DEVICE_GET_INFO for {address} failed: {LastError()}");
            if ((info.Flags & VfioAbiNative.DeviceFlagsPci) == 0)
                throw new VfioException($"VFIO device {address} is not a vfio-pci device (flags 0x{info.Flags:x})");
            if (info.NumRegions <= VfioAbiNative.PciConfigRegionIndex)
                throw new VfioException($"VFIO device {address} reports {info.NumRegions} regions, fewer than a PCI function has");
            var bars = new VfioRegion[6];
            for (uint i = 0; i < 6; i++) bars[i] = RegionInfo(fd, address, i);
            VfioRegion config = RegionInfo(fd, address, VfioAbiNative.PciConfigRegionIndex);
            return new VfioDevice(fd, address, info.Flags, info.NumRegions, bars, config);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    private static VfioRegion RegionInfo(FileDescriptor fd, PciAddress address, uint index)
    {
        var region = new VfioAbiNative.RegionInfo { ArgSize = (uint)sizeof(VfioAbiNative.RegionInfo), Index = index };
        if (LibC.Ioctl(fd.Fd, VfioAbiNative.DeviceGetRegionInfo, &region) != 0)
            throw new VfioException($"VFIO_DEVICE_GET_REGION_INFO({index}) for {address} failed: {LastError()}");
        return new VfioRegion(index, region.Flags, region.Size, region.Offset);
    }

    /// <summary>Reads configuration space bytes [offset, offset + buffer.Length).</summary>
    public void ReadConfig(int offset, Span<byte> buffer)
    {
        CheckConfigRange(offset, buffer.Length);
        fixed (byte* p = buffer)
        {
            nint n = LibC.PRead(_fd.Fd, p, (nuint)buffer.Length, (long)Config.Offset + offset);
            if (n != buffer.Length)
                throw new VfioException($"reading {buffer.Length} bytes of {Address}'s configuration space at 0x{offset:x} failed: {(n < 0 ? LastError() : "short read")}");
        }
    }

    /// <summary>Writes configuration space bytes at offset (the kernel filters what a user may change).</summary>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        CheckConfigRange(offset, data.Length);
        fixed (byte* p = data)
        {
            nint n = LibC.PWrite(_fd.Fd, p, (nuint)data.Length, (long)Config.Offset + offset);
            if (n != data.Length)
                throw new VfioException($"writing {data.Length} bytes of {Address}'s configuration space at 0x{offset:x} failed: {(n < 0 ? LastError() : "short write")}");
        }
    }

    private void CheckConfigRange(int offset, int length)
    {
        ObjectDisposedException.ThrowIf(_fd.IsClosed, this);
        if (offset < 0 || length <= 0 || (ulong)offset + (ulong)length > Math.Max(Config.Size, (ulong)PciConfig.Size))
            throw new ArgumentOutOfRangeException(nameof(offset), $"[0x{offset:x}, +{length}) is outside the configuration space");
    }

    /// <summary>The identity in the device's configuration header.</summary>
    public PciIdentity ReadIdentity()
    {
        Span<byte> header = stackalloc byte[PciConfig.ClassCode + 1];
        ReadConfig(0, header);
        return PciIdentity.FromConfigHeader(header);
    }

    /// <summary>Throws naming the differing field if the device is not what the manifest's device asks for.</summary>
    public void RequireIdentity(PciIdentity expected, string manifestName)
    {
        string? mismatch = ReadIdentity().DescribeMismatch(expected);
        if (mismatch is not null)
            throw new VfioException($"PCI device {Address} does not match the manifest's device {manifestName}: {mismatch}");
    }

    /// <summary>Sets or clears Bus Master Enable (and Memory Space Enable with it, so BAR accesses decode).</summary>
    public void SetBusMaster(bool enable)
    {
        Span<byte> command = stackalloc byte[2];
        ReadConfig(PciConfig.Command, command);
        ushort value = BinaryPrimitives.ReadUInt16LittleEndian(command);
        value = enable
            ? (ushort)(value | PciConfig.CommandBusMaster | PciConfig.CommandMemorySpace)
            : (ushort)(value & ~PciConfig.CommandBusMaster);
        BinaryPrimitives.WriteUInt16LittleEndian(command, value);
        WriteConfig(PciConfig.Command, command);
    }

    /// <summary>Resets the function (VFIO_DEVICE_RESET), if the device supports it.</summary>
    public void Reset()
    {
        if (!SupportsReset) throw new VfioException($"PCI device {Address} supports no reset through VFIO");
        if (LibC.Ioctl(_fd.Fd, VfioAbiNative.DeviceReset, 0) != 0)
            throw new VfioException($"VFIO_DEVICE_RESET for {Address} failed: {LastError()}");
    }

    /// <summary>
    /// Maps BAR <paramref name="index"/> into the tender's address space (shared, read/write), for
    /// the tender to register as a guest memory slot. Unmapped when the device is disposed, if not before.
    /// </summary>
    public MappedBar MapBar(int index)
    {
        ObjectDisposedException.ThrowIf(_fd.IsClosed, this);
        if (index is < 0 or > 5) throw new ArgumentOutOfRangeException(nameof(index));
        VfioRegion bar = _bars[index];
        if (!bar.IsImplemented) throw new VfioException($"PCI device {Address} has no BAR {index}");
        if (!bar.CanMmap) throw new VfioException($"BAR {index} of PCI device {Address} cannot be mapped (an I/O BAR, or smaller than a page)");
        nint address = MemoryMapping.Mmap(0, (nuint)bar.Size, MemoryMapping.PROT_READ | MemoryMapping.PROT_WRITE,
            MemoryMapping.MAP_SHARED, _fd.Fd, (long)bar.Offset);
        if (address == MemoryMapping.MAP_FAILED)
            throw new VfioException($"mmap of BAR {index} ({bar.Size:#,0} bytes) of {Address} failed: {LastError()}");
        var mapping = new MappedBar(index, address, bar.Size);
        _mappings.Add(mapping);
        return mapping;
    }

    public void Dispose()
    {
        // BAR mappings first: they refer to the device fd's regions.
        foreach (MappedBar mapping in _mappings) mapping.Dispose();
        _mappings.Clear();
        _fd.Dispose();
    }

    private static string LastError() => LibC.ErrorText(Marshal.GetLastSystemError());
}

/// <summary>A BAR mmapped from a VFIO device: host address and size, unmapped exactly once.</summary>
public sealed class MappedBar : IDisposable
{
    private nint _address;

    internal MappedBar(int index, nint address, ulong size)
    {
        Index = index;
        _address = address;
        Size = size;
    }

    public int Index { get; }
    public ulong Size { get; }

    public nint HostAddress
    {
        get
        {
            ObjectDisposedException.ThrowIf(_address == 0, this);
            return _address;
        }
    }

    public void Dispose()
    {
        nint address = Interlocked.Exchange(ref _address, 0);
        if (address != 0) MemoryMapping.Munmap(address, (nuint)Size);
        GC.SuppressFinalize(this);
    }

    ~MappedBar()
    {
        if (_address != 0) MemoryMapping.Munmap(_address, (nuint)Size);
    }
}
