using System.Diagnostics;
using Guest.Ixgbe;
using Tender.Pci.Dma;
using Tender.Pci.Emulation;
using Tender.Pci.Wire;

namespace Guest.Ixgbe.Tests.Support;

/// <summary>
/// The DMA area as both sides see it: one pinned array. The driver gets its address
/// (<see cref="Region"/>), the emulated device reaches it only through <see cref="IDmaMemory"/>
/// at IOVA 2^40, bounds-checked, as the guest's DMA window.
/// </summary>
public sealed unsafe class PinnedDmaArea : IDmaMemory
{
    public const ulong Window = 1UL << 40;
    private readonly byte[] _bytes;

    public PinnedDmaArea(int size)
    {
        _bytes = GC.AllocateArray<byte>(size, pinned: true);
    }

    public ulong BaseIova => Window;
    public ulong Size => (ulong)_bytes.Length;
    public byte[] Bytes => _bytes;

    public PointerDmaRegion Region
    {
        get { fixed (byte* p = _bytes) return new PointerDmaRegion(p, Window, (ulong)_bytes.Length); } // pinned: the address stays valid
    }

    public bool TryGetSpan(ulong iova, int length, out Span<byte> span)
    {
        long offset = DmaRange.OffsetOf(BaseIova, Size, iova, length);
        if (offset < 0)
        {
            span = default;
            return false;
        }
        span = _bytes.AsSpan((int)offset, length);
        return true;
    }
}

/// <summary>Register-access counts, shared by the copies of a <see cref="ModelRegisters"/> struct.</summary>
public sealed class AccessCounter
{
    public long Reads, Writes;
    public readonly Dictionary<uint, long> WritesTo = new();
    public long WritesOf(uint offset) => WritesTo.TryGetValue(offset, out long n) ? n : 0;
}

/// <summary>BAR0 of the emulated 82599 as the driver's <see cref="IRegisters"/>: every access goes through the model's MMIO entry points.</summary>
public readonly struct ModelRegisters : IRegisters
{
    public readonly Ixgbe82599 Device;
    public readonly AccessCounter Counter;

    public ModelRegisters(Ixgbe82599 device)
    {
        Device = device;
        Counter = new AccessCounter();
    }

    public uint Read32(uint offset)
    {
        Counter.Reads++;
        return Device.ReadRegister(offset, 4);
    }

    public void Write32(uint offset, uint value)
    {
        Counter.Writes++;
        Counter.WritesTo[offset] = Counter.WritesOf(offset) + 1;
        Device.WriteRegister(offset, 4, value);
    }
}

/// <summary>Monotonic host time for the driver's waits.</summary>
public struct HostClock : IClock
{
    public ulong NowNanoseconds => (ulong)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
}

/// <summary>A wire that keeps what the port transmits (a frame sink with carrier).</summary>
public sealed class FrameSink : IEthernetWire
{
    public readonly List<byte[]> Frames = new();
    public bool CarrierPresent { get; set; } = true;
    public void Transmit(ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());
}

/// <summary>Builds emulated ports and drivers over one shared DMA area.</summary>
public sealed class Harness
{
    public readonly PinnedDmaArea Area;
    public readonly DmaAllocator Dma;
    public readonly List<Ixgbe82599> Devices = new();
    public readonly List<IxgbeDeviceError> Errors = new();

    public Harness(int dmaBytes = 16 << 20)
    {
        Area = new PinnedDmaArea(dmaBytes);
        Dma = DmaAllocator.Over(Area.Region);
    }

    public static byte[] Mac(int n) => [0x02, 0x00, 0x00, 0x00, 0x00, (byte)n];

    public Ixgbe82599 Device(int n)
    {
        var d = new Ixgbe82599(Area, new IxgbeOptions { MacAddress = Mac(n), LanId = n & 1 });
        d.Config.SetBusMaster(true); // the tender does this when the manifest says bus_master_enable
        d.ErrorReported += e => { lock (Errors) Errors.Add(e); };
        Devices.Add(d);
        return d;
    }

    public static IxgbeConfig Config(int ring = 64, bool promiscuous = false) => new IxgbeConfig
    {
        RxRingSize = ring,
        TxRingSize = ring,
        Promiscuous = promiscuous,
        LinkTimeoutNanoseconds = 2_000_000_000UL,
        TxCleanBatch = 32,
    };

    /// <summary>A frame to <paramref name="to"/> from <paramref name="from"/> whose payload encodes seq.</summary>
    public static byte[] Frame(byte[] to, byte[] from, int seq, int length = 128)
    {
        var f = new byte[length];
        to.CopyTo(f, 0);
        from.CopyTo(f, 6);
        f[12] = 0x88;
        f[13] = 0xB5; // local experimental EtherType
        BitConverter.TryWriteBytes(f.AsSpan(14), seq);
        for (int i = 18; i < length; i++) f[i] = (byte)(seq * 7 + i);
        return f;
    }
}
