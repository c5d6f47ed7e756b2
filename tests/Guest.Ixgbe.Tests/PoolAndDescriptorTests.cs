using System.Buffers.Binary;
using Guest.Ixgbe.Tests.Support;

namespace Guest.Ixgbe.Tests;

/// <summary>The packet pool's ownership rules, the DMA allocator and the descriptor encodings, without a device.</summary>
public unsafe class PoolAndDescriptorTests
{
    private static DmaAllocator Allocator(out PinnedDmaArea area, int size = 1 << 20)
    {
        area = new PinnedDmaArea(size);
        return DmaAllocator.Over(area.Region);
    }

    [Fact]
    public void Pool_hands_out_each_buffer_once_and_reports_exhaustion()
    {
        var pool = new DmaPacketPool(Allocator(out _), 8);
        var seen = new HashSet<int>();
        for (int i = 0; i < 8; i++)
        {
            Assert.True(pool.TryAllocate(out PacketHandle h));
            Assert.True(seen.Add(h.Index));
            Assert.True(pool.IsValid(h));
        }
        Assert.Equal(0, pool.Available);
        Assert.False(pool.TryAllocate(out PacketHandle none));
        Assert.True(none.IsNone);
        Assert.Equal(0, pool.AllocateBatch(new PacketHandle[4]));
    }

    [Fact]
    public void Buffers_sit_in_the_dma_area_at_their_iova()
    {
        var dma = Allocator(out PinnedDmaArea area);
        var pool = new DmaPacketPool(dma, 4, 2048);
        Assert.True(pool.TryAllocate(out PacketHandle a));
        Assert.True(pool.TryAllocate(out PacketHandle b));
        ulong ia = pool.IovaOf(a), ib = pool.IovaOf(b);
        Assert.Equal(0UL, ia % 4096 % 2048);
        Assert.Equal(2048UL, ia > ib ? ia - ib : ib - ia);
        // What the driver writes through the handle is what the device finds at the IOVA.
        pool.Buffer(a)[0] = 0xAB;
        Assert.True(area.TryGetSpan(ia, 1, out Span<byte> atIova));
        Assert.Equal(0xAB, atIova[0]);
        Assert.Equal((ulong)(pool.PointerOf(a) - area.Region.Pointer), ia - PinnedDmaArea.Window);
    }

    [Fact]
    public void Freeing_makes_every_old_handle_stale_in_every_build()
    {
        var pool = new DmaPacketPool(Allocator(out _), 2);
        Assert.True(pool.TryAllocate(out PacketHandle h));
        pool.Free(h);
        Assert.False(pool.IsValid(h));
        var e = Assert.Throws<InvalidOperationException>(() => pool.Free(h));
        Assert.Contains("stale packet buffer", e.Message);
        // The slot is reused: the new owner's handle differs from the stale one only in generation.
        Assert.True(pool.TryAllocate(out PacketHandle again));
        Assert.True(pool.TryAllocate(out PacketHandle other));
        PacketHandle sameSlot = again.Index == h.Index ? again : other;
        Assert.Equal(h.Index, sameSlot.Index);
        Assert.NotEqual(h.Generation, sameSlot.Generation);
        Assert.Throws<InvalidOperationException>(() => pool.Free(h));
        Assert.True(pool.IsValid(sameSlot)); // the stale free did not touch the new owner
        Assert.Throws<InvalidOperationException>(() => pool.Free(default));
        Assert.Throws<InvalidOperationException>(() => pool.Free(PacketHandle.None));
    }

    [Fact]
    public void Data_access_through_a_stale_handle_is_caught_in_debug_builds()
    {
        var pool = new DmaPacketPool(Allocator(out _), 2);
        Assert.True(pool.TryAllocate(out PacketHandle h));
        pool.SetLength(h, 60);
        Assert.Equal(60, pool.Data(h).Length);
        pool.Free(h);
        if (DmaPacketPool.ChecksEveryAccess)
        {
            Assert.Contains("stale packet buffer", Assert.Throws<InvalidOperationException>(() => pool.Data(h)).Message);
            Assert.Throws<InvalidOperationException>(() => pool.Buffer(h));
            Assert.Throws<InvalidOperationException>(() => pool.GetLength(h));
            Assert.Throws<InvalidOperationException>(() => pool.SetLength(h, 10));
            Assert.Throws<InvalidOperationException>(() => pool.IovaOf(h));
        }
        else
        {
            // Release builds check only the index on data access (ownership transfers stay checked).
            Assert.Equal(2048, pool.Buffer(h).Length);
        }
#if DEBUG
        Assert.True(DmaPacketPool.ChecksEveryAccess);
#endif
    }

    [Fact]
    public void Frame_length_is_bounded_by_the_buffer()
    {
        var pool = new DmaPacketPool(Allocator(out _), 1, 1024);
        Assert.True(pool.TryAllocate(out PacketHandle h));
        pool.SetLength(h, 1024);
        Assert.Throws<ArgumentException>(() => pool.SetLength(h, 1025));
        Assert.Throws<ArgumentException>(() => pool.SetLength(h, -1));
        Assert.Throws<ArgumentException>(() => new DmaPacketPool(Allocator(out _), 1, 1500)); // not whole KiB
    }

    [Fact]
    public void Allocator_aligns_in_iova_space_and_refuses_overflow()
    {
        var dma = Allocator(out PinnedDmaArea area, 64 * 1024);
        DmaBlock a = dma.Allocate(100, 128);
        DmaBlock b = dma.Allocate(100, 4096);
        Assert.Equal(PinnedDmaArea.Window, a.Iova);
        Assert.Equal(0UL, b.Iova % 4096);
        Assert.True(b.Iova >= a.Iova + 100);
        Assert.Equal(b.Iova - a.Iova, (ulong)(b.Pointer - a.Pointer));
        Assert.Equal(PinnedDmaArea.Window - (ulong)area.Region.Pointer, dma.IovaDelta);
        Assert.Throws<InvalidOperationException>(() => dma.Allocate(64 * 1024, 8));
        Assert.Throws<InvalidOperationException>(() => dma.Allocate(ulong.MaxValue - 10, 8));
        Assert.Throws<ArgumentException>(() => dma.Allocate(10, 3));
    }

    [Fact]
    public void Transmit_descriptor_encodes_the_datasheet_fields()
    {
        byte* d = stackalloc byte[16];
        new Span<byte>(d, 16).Fill(0xEE);
        AdvancedDescriptor.WriteTxData(d, 0x0000_0100_0000_2040UL, 1514);
        var bytes = new ReadOnlySpan<byte>(d, 16);
        Assert.Equal(0x0000_0100_0000_2040UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        // DCMD = EOP(24) | IFCS(25) | RS(27) | DEXT(29), DTYP = 0011 (bits 23:20), DTALEN = 1514.
        Assert.Equal(0x2B30_0000u | 1514u, BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]));
        Assert.Equal(1514u << 14, BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..])); // PAYLEN, STA.DD clear
        Assert.False(AdvancedDescriptor.TxDone(d));
        d[12] |= 1; // what the device writes back
        Assert.True(AdvancedDescriptor.TxDone(d));
    }

    [Fact]
    public void Receive_descriptor_read_format_and_write_back_fields()
    {
        byte* d = stackalloc byte[16];
        new Span<byte>(d, 16).Fill(0xFF);
        AdvancedDescriptor.WriteRxRead(d, 0x0000_0100_0001_0000UL);
        var bytes = new Span<byte>(d, 16);
        Assert.Equal(0x0000_0100_0001_0000UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..])); // header address 0: DD cleared
        Assert.Equal(0u, AdvancedDescriptor.RxStatus(d) & AdvancedDescriptor.RxStatusDd);
        // Write-back: status/error in bytes 8..11 (DD, EOP), length in bytes 12..13.
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[8..], AdvancedDescriptor.RxStatusDd | AdvancedDescriptor.RxStatusEop);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[12..], 60);
        Assert.Equal(3u, AdvancedDescriptor.RxStatus(d));
        Assert.Equal(60, AdvancedDescriptor.RxLength(d));
    }

    [Fact]
    public void Swapping_macs_exchanges_destination_and_source()
    {
        byte[] f = Harness.Frame(Harness.Mac(1), Harness.Mac(2), 5);
        Reflector<ModelRegisters>.SwapMacs(f);
        Assert.Equal(Harness.Mac(2), f[..6]);
        Assert.Equal(Harness.Mac(1), f[6..12]);
    }

    [Fact]
    public void Driver_refuses_bad_ring_sizes()
    {
        var h = new Harness(1 << 20);
        var pool = new DmaPacketPool(h.Dma, 64);
        var regs = new ModelRegisters(h.Device(0));
        var bad = Harness.Config(ring: 48);
        Assert.Throws<ArgumentException>(() => new Ixgbe<ModelRegisters>(regs, pool, h.Dma, bad));
        Assert.Throws<ArgumentException>(() => new Ixgbe<ModelRegisters>(regs, pool, h.Dma, Harness.Config(ring: 64))); // pool not larger than ring
    }
}
