using System.Buffers.Binary;
using Tender.Pci.Dma;
using Tender.Pci.Emulation;
using Tender.Pci.Tests.Support;
using static Tender.Pci.Tests.Support.TestIxgbeDriver;

namespace Tender.Pci.Tests;

/// <summary>A hostile or buggy driver: bad DMA addresses, malformed descriptors, bad accesses, random writes.</summary>
public sealed class IxgbeFaultTests
{
    private static readonly byte[] Mac = [0x02, 0, 0, 0, 0, 0x42];

    private static (Ixgbe82599, TestIxgbeDriver, CapturingWire, List<IxgbeDeviceError>) Setup(IDmaMemory? memory = null)
    {
        memory ??= new ArrayDmaMemory(DmaBase, 4 << 20);
        var device = new Ixgbe82599(memory, new IxgbeOptions { MacAddress = Mac });
        var reported = new List<IxgbeDeviceError>();
        device.ErrorReported += reported.Add;
        var wire = new CapturingWire();
        device.AttachWire(wire);
        device.Config.SetBusMaster(true);
        var driver = new TestIxgbeDriver(device, memory, 16, 16);
        Assert.Equal(10000, driver.Initialise());
        return (device, driver, wire, reported);
    }

    [Fact]
    public void RxBufferOutsideTheDmaAreaIsReportedAndTheFrameDropped()
    {
        var (device, driver, _, reported) = Setup();
        driver.SetRxBufferAddress(0, 0x1000);                // a guest-physical address, not an IOVA
        Assert.False(device.Receive(Frames.Make(Mac, 100, 1)));
        IxgbeDeviceError error = Assert.Single(reported);
        Assert.Equal(IxgbeErrorKind.DmaOutOfRange, error.Kind);
        Assert.Contains("RX queue 0: descriptor 0 points at packet buffer 0x1000", error.Message);
        Assert.Contains("outside the DMA area", error.Message);
        Assert.Equal(0u, driver.Rd(RDH(0)));                  // head stays on the bad descriptor
        Assert.Equal(1, device.ErrorCount);
        Assert.Equal(error, device.RecentErrors.Single());
        // A buffer that starts inside but runs past the end is refused too.
        driver.SetRxBufferAddress(0, DmaBase + (4 << 20) - 50);
        Assert.False(device.Receive(Frames.Make(Mac, 100, 2)));
        Assert.Equal(2, reported.Count);
        // Fixed by the driver: receive works again.
        driver.SetRxBufferAddress(0, driver.RxBuffer(0));
        Assert.True(device.Receive(Frames.Make(Mac, 100, 3)));
    }

    [Fact]
    public void RingOutsideTheDmaAreaKeepsTheQueueDisabled()
    {
        var (device, driver, _, reported) = Setup();
        driver.Wr(RXDCTL(0), 0);
        driver.Wr(RDBAL(0), 0x10000);
        driver.Wr(RDBAH(0), 0);
        driver.Wr(RXDCTL(0), RXDCTL_ENABLE);
        Assert.Equal(0u, driver.Rd(RXDCTL(0)) & RXDCTL_ENABLE); // the readback a driver waits on never comes
        Assert.Contains(reported, e => e.Kind == IxgbeErrorKind.DmaOutOfRange && e.Message.Contains("RX queue 0: descriptor ring 0x10000"));
        driver.Wr(TXDCTL(0), 0);
        driver.Wr(TDLEN(0), 0);
        driver.Wr(TXDCTL(0), TXDCTL_ENABLE);
        Assert.Equal(0u, driver.Rd(TXDCTL(0)) & TXDCTL_ENABLE);
        Assert.Contains(reported, e => e.Kind == IxgbeErrorKind.InvalidConfiguration && e.Message.Contains("TX queue 0"));
        Assert.False(device.Receive(Frames.Make(Mac, 100, 1)));
    }

    [Fact]
    public void TxBufferOutsideTheDmaAreaIsReportedCompletedAndNotSent()
    {
        var (device, driver, wire, reported) = Setup();
        const uint cmd = ADVTXD_DCMD_DEXT | ADVTXD_DTYP_DATA | ADVTXD_DCMD_EOP | ADVTXD_DCMD_IFCS | ADVTXD_DCMD_RS;
        driver.PutRawTxDescriptor(0xFFFF_FFFF_FFFF_FF00, cmd | 1000); // would wrap past 2^64
        driver.PutRawTxDescriptor(DmaBase - 64, cmd | 128);           // just below the area
        driver.RingTxDoorbell();
        Assert.Empty(wire.Frames);
        Assert.Equal(2, reported.Count(e => e.Kind == IxgbeErrorKind.DmaOutOfRange));
        Assert.Equal(1u, driver.TxStatus(0) & 1);                     // completed, so the driver can reclaim
        Assert.Equal(1u, driver.TxStatus(1) & 1);
        Assert.Equal(2u, driver.Rd(TDH(0)));
        // The queue still works afterwards.
        Assert.Equal(1, driver.TransmitBatch([Frames.Make(Frames.Broadcast, 100, 1)]));
        Assert.Single(wire.Frames);
    }

    [Theory]
    [InlineData(ADVTXD_DCMD_DEXT | ADVTXD_DTYP_DATA | ADVTXD_DCMD_EOP | ADVTXD_DCMD_RS | 0, "zero buffer length")]
    [InlineData(ADVTXD_DCMD_DEXT | 0x00500000 | ADVTXD_DCMD_EOP | ADVTXD_DCMD_RS | 100, "DTYP 5")]
    [InlineData(ADVTXD_DCMD_DEXT | ADVTXD_DTYP_DATA | 0x80000000 | ADVTXD_DCMD_EOP | ADVTXD_DCMD_RS | 100, "TCP segmentation")]
    [InlineData(ADVTXD_DCMD_DEXT | ADVTXD_DTYP_DATA | ADVTXD_DCMD_EOP | ADVTXD_DCMD_RS | ADVTXD_DCMD_IFCS | 10, "shorter than an Ethernet header")]
    public void MalformedTxDescriptorsAreRejectedWithAReport(uint commandTypeLength, string expected)
    {
        var (_, driver, wire, reported) = Setup();
        driver.PutRawTxDescriptor(driver.TxBuffer(0), commandTypeLength);
        driver.RingTxDoorbell();
        Assert.Empty(wire.Frames);
        Assert.Contains(reported, e => e.Message.Contains(expected));
        Assert.Equal(1u, driver.Rd(TDH(0)));
    }

    [Fact]
    public void AnOversizedTxPacketIsDroppedWithTheRestOfItsDescriptors()
    {
        var (_, driver, wire, reported) = Setup();
        const uint data = ADVTXD_DCMD_DEXT | ADVTXD_DTYP_DATA | ADVTXD_DCMD_RS;
        for (int i = 0; i < 9; i++) driver.PutRawTxDescriptor(driver.TxBuffer(0), data | 2048); // 18 KiB > 15.5 KB
        driver.PutRawTxDescriptor(driver.TxBuffer(0), data | ADVTXD_DCMD_EOP | 100);
        driver.RingTxDoorbell();
        Assert.Empty(wire.Frames);
        Assert.Contains(reported, e => e.Message.Contains("longer than 15872 bytes"));
        Assert.Equal(10u, driver.Rd(TDH(0)));   // the whole packet, not a tail sent on its own
    }

    [Fact]
    public void TailBeyondTheRingIsRefused()
    {
        var (device, driver, _, reported) = Setup();
        driver.Wr(TDT(0), 16);
        driver.Wr(RDT(0), 1000);
        Assert.Equal(0u, driver.Rd(TDT(0)));
        Assert.Equal(15u, driver.Rd(RDT(0)));
        Assert.Equal(2, reported.Count(e => e.Kind == IxgbeErrorKind.InvalidConfiguration));
        Assert.Equal(2, device.ErrorCount);
    }

    [Fact]
    public void NoDmaWithoutBusMasterEnable()
    {
        var (device, driver, wire, reported) = Setup();
        device.Config.SetBusMaster(false);
        Assert.False(device.Receive(Frames.Make(Mac, 100, 1)));
        driver.TransmitBatch([Frames.Make(Frames.Broadcast, 100, 1)]);
        Assert.Empty(wire.Frames);
        Assert.Equal(2, reported.Count(e => e.Kind == IxgbeErrorKind.BusMasterDisabled));
        device.Config.SetBusMaster(true);
        driver.RingTxDoorbell();
        Assert.Single(wire.Frames);
    }

    [Theory]
    [InlineData(0x00000UL, 2, true)]       // 16-bit write: registers are written as dwords
    [InlineData(0x00002UL, 4, false)]      // misaligned
    [InlineData(0x80000UL, 4, false)]      // beyond the 512 KiB BAR
    [InlineData(0x7FFFCUL, 8, true)]       // crosses the end
    [InlineData(0x00000UL, 3, false)]      // no such size
    public void UndecodableAccessesAreDeviceErrorsNotExceptions(ulong offset, int size, bool isWrite)
    {
        var (device, _, _, reported) = Setup();
        if (isWrite) device.WriteRegister(offset, size, 0xFFFFFFFF);
        else Assert.Equal(0UL, device.Read(offset, size));
        Assert.Equal(IxgbeErrorKind.BadRegisterAccess, Assert.Single(reported).Kind);
        Assert.True(device.LinkUp); // nothing else changed (a CTRL write would have reset)
    }

    /// <summary>
    /// DMA memory inside a larger buffer with guard bytes on both sides: any access the device
    /// made outside the area would change a guard byte.
    /// </summary>
    private sealed class GuardedDmaMemory : IDmaMemory
    {
        public const int Guard = 1 << 16;
        private readonly byte[] _all;

        public GuardedDmaMemory(ulong baseIova, int size)
        {
            BaseIova = baseIova;
            Size = (ulong)size;
            _all = new byte[size + 2 * Guard];
            _all.AsSpan(0, Guard).Fill(0xA5);
            _all.AsSpan(Guard + size).Fill(0xA5);
        }

        public ulong BaseIova { get; }
        public ulong Size { get; }
        public Span<byte> Area => _all.AsSpan(Guard, (int)Size);
        public long Requests, Refused;

        public bool TryGetSpan(ulong iova, int length, out Span<byte> span)
        {
            Requests++;
            long offset = DmaRange.OffsetOf(BaseIova, Size, iova, length);
            if (offset < 0)
            {
                Refused++;
                span = default;
                return false;
            }
            span = _all.AsSpan(Guard + (int)offset, length);
            return true;
        }

        public bool GuardsIntact() =>
            _all.AsSpan(0, Guard).IndexOfAnyExcept((byte)0xA5) < 0 &&
            _all.AsSpan(Guard + (int)Size).IndexOfAnyExcept((byte)0xA5) < 0;
    }

    [Theory]
    [InlineData(20261121)]
    [InlineData(1)]
    [InlineData(82599)]
    public void RandomRegisterWritesAndFramesNeverThrowOrTouchMemoryOutsideTheDmaArea(int seed)
    {
        var memory = new GuardedDmaMemory(DmaBase, 1 << 20);
        var (device, driver, _, _) = Setup(memory);
        var random = new Random(seed);
        // Registers a driver would poke, weighted so queues and rings actually get enabled and used.
        uint[] interesting =
        [
            CTRL, RXCTRL, HLREG0, FCTRL, DMATXCTL, AUTOC, 0x04268, MCSTCTRL, EIMC,
            RDBAL(0), RDBAH(0), RDLEN(0), RDH(0), RDT(0), RXDCTL(0), SRRCTL(0), 0x01014,
            TDBAL(0), TDBAH(0), TDLEN(0), TDH(0), TDT(0), TXDCTL(0), 0x06038, 0x0603C,
            TDBAL(5), TDLEN(5), TDT(5), TXDCTL(5), RDBAL(70 - 64 + 0) + 0xC000,
        ];
        long fuzzOps = 0;
        for (int i = 0; i < 30000; i++)
        {
            if (i % 1500 == 0)
            {
                // Bring the device back to a working state now and then, so the random traffic
                // also reaches live rings and buffers instead of a device that is switched off.
                device.Config.SetBusMaster(true);
                driver.Initialise();
            }
            int op = random.Next(100);
            if (op < 40)
            {
                uint offset = random.Next(3) == 0 ? (uint)random.Next(0, (int)IxgbeRegisters.Bar0Size / 4) * 4 : interesting[random.Next(interesting.Length)];
                uint value = random.Next(4) switch
                {
                    0 => (uint)random.NextInt64(0, 1L << 32),
                    1 => (uint)(DmaBase + (ulong)random.Next(0, 1 << 20)),        // plausible low IOVA half
                    2 => (uint)(DmaBase >> 32) + (uint)random.Next(-1, 2),          // plausible high half
                    _ => (uint)random.Next(0, 64) | (random.Next(2) == 0 ? RXDCTL_ENABLE : 0),
                };
                if (offset == CTRL && random.Next(10) != 0) continue;          // resets are rare
                device.WriteRegister(offset, 4, value);
            }
            else if (op < 55)
            {
                device.Read((ulong)random.Next(0, (int)IxgbeRegisters.Bar0Size + 64), 1 << random.Next(4));
            }
            else if (op < 65)
            {
                // Scribble over descriptors and buffers, as a buggy guest would.
                int at = random.Next(0, (1 << 20) - 16);
                random.NextBytes(memory.Area.Slice(at, 16));
            }
            else if (op < 70)
            {
                var batch = Enumerable.Range(0, random.Next(1, 8)).Select(k => Frames.Make(Frames.Broadcast, random.Next(14, 1600), k)).ToList();
                driver.TransmitBatch(batch);
            }
            else if (op < 90)
            {
                var frame = new byte[random.Next(0, 9100)];
                random.NextBytes(frame);
                if (random.Next(2) == 0 && frame.Length >= 6) Mac.CopyTo(frame, 0);
                device.Receive(frame);
            }
            else
            {
                var mmio = new byte[1 << random.Next(4)];
                random.NextBytes(mmio);
                device.HandleMmio((ulong)random.Next(0, (int)IxgbeRegisters.Bar0Size), mmio, random.Next(2) == 0);
            }
            fuzzOps++;
        }
        Assert.True(memory.GuardsIntact(), "the device wrote outside its DMA area");
        Assert.True(memory.Requests > 1000, $"the fuzz loop made only {memory.Requests} DMA requests");
        Assert.True(memory.Refused > 0, "no out-of-range DMA was ever attempted: the fuzz loop is too tame");
        Assert.True(device.ErrorCount > 0);
        Assert.True(device.RecentErrors.Count <= 64);
        Assert.True(fuzzOps > 25000);
        _ = driver;
    }
}
