using System.Buffers.Binary;
using Tender.Boot.Deprivileged;

namespace Tender.Tests;

/// <summary>The deprivileged mode's descriptor tables and fault stub, byte by byte (no KVM).</summary>
public class SystemTablesTests
{
    private static bool PortAllowed(byte[] tss, int port)
    {
        int bitmapBase = BinaryPrimitives.ReadUInt16LittleEndian(tss.AsSpan(102));
        return (tss[bitmapBase + port / 8] & (1 << (port % 8))) == 0;
    }

    [Fact]
    public void The_io_bitmap_allows_exactly_the_hypercall_ports_and_the_kick()
    {
        var tss = SystemTables.BuildTss(0x1234_5000, [(0x500, 0x5FF), (0x600, 0x603)]);
        Assert.Equal(0x1234_5000UL, BinaryPrimitives.ReadUInt64LittleEndian(tss.AsSpan(4))); // RSP0
        for (int port = 0; port < 65536; port++)
            Assert.True(PortAllowed(tss, port) == (port is >= 0x500 and <= 0x603), $"port 0x{port:x}");
        Assert.Equal(0xFF, tss[^1]); // the byte past the bitmap
        Assert.Equal((int)SystemTables.TssLimit + 1, tss.Length);
    }

    [Fact]
    public void Every_idt_gate_is_a_present_dpl0_interrupt_gate_to_its_stub_entry()
    {
        const ulong Stub = 0x4_0000_5000;
        var idt = SystemTables.BuildIdt(Stub);
        for (int v = 0; v < 256; v++)
        {
            ulong low = BinaryPrimitives.ReadUInt64LittleEndian(idt.AsSpan(v * 16));
            ulong high = BinaryPrimitives.ReadUInt64LittleEndian(idt.AsSpan(v * 16 + 8));
            ulong target = (low & 0xFFFF) | (((low >> 48) & 0xFFFF) << 16) | (high << 32);
            Assert.Equal(Stub + (ulong)(v * FaultStub.EntrySize), target);
            Assert.Equal(SystemTables.KernelCode, (ushort)(low >> 16));
            Assert.Equal(0x8EUL, (low >> 40) & 0xFF); // present, DPL 0, 64-bit interrupt gate
        }
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(6, false)]
    [InlineData(8, true)]
    [InlineData(13, true)]
    [InlineData(14, true)]
    [InlineData(255, false)]
    public void Each_stub_entry_pushes_a_uniform_frame_and_reports_on_the_private_port(int vector, bool cpuPushesErrorCode)
    {
        var code = FaultStub.Assemble().AsSpan(vector * FaultStub.EntrySize, FaultStub.EntrySize);
        int at = 0;
        if (!cpuPushesErrorCode)
        {
            Assert.Equal([0x6A, 0x00], code[..2].ToArray()); // push 0 in place of an error code
            at = 2;
        }
        Assert.Equal(0x68, code[at]);                        // push vector
        Assert.Equal(vector, BinaryPrimitives.ReadInt32LittleEndian(code[(at + 1)..]));
        Assert.Equal([0xE6, FaultStub.FaultPort], code.Slice(at + 5, 2).ToArray()); // out FaultPort, al
        Assert.Equal(0xF4, code[at + 7]);                    // hlt
    }

    [Fact]
    public void The_gdt_has_flat_user_segments_at_dpl3_and_a_busy_tss()
    {
        var gdt = SystemTables.BuildGdt(0x4_0000_2000);
        ulong Descriptor(int selector) => BinaryPrimitives.ReadUInt64LittleEndian(gdt.AsSpan(selector & ~7));
        Assert.Equal(3UL, (Descriptor(SystemTables.UserCode) >> 45) & 3);
        Assert.Equal(1UL, (Descriptor(SystemTables.UserCode) >> 53) & 1); // L: 64-bit code
        Assert.Equal(3UL, (Descriptor(SystemTables.UserData) >> 45) & 3);
        Assert.Equal(0UL, (Descriptor(SystemTables.KernelCode) >> 45) & 3);
        ulong tss = Descriptor(SystemTables.TaskState);
        Assert.Equal(0x8BUL, (tss >> 40) & 0xFF);
        ulong tssBase = ((tss >> 16) & 0xFF_FFFF) | (((tss >> 56) & 0xFF) << 24) | (BinaryPrimitives.ReadUInt64LittleEndian(gdt.AsSpan(SystemTables.TaskState + 8)) << 32);
        Assert.Equal(0x4_0000_2000UL, tssBase);
    }
}
