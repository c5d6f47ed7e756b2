using Tender.Host.Interop;

namespace Tender.ProcessPlatform.Tests.Emulation;

// Inside the namespace: from within Tender.Process.*, the name Emulation would otherwise
// find the namespace Tender.ProcessPlatform.Emulation before the type.
using Tender.ProcessPlatform.Emulation;

public class PortIoTests
{
    private const ulong Rip = 0x1000;
    private const ulong Rax = 0x1122_3344_5566_7788;
    private const ulong Rdx = 0xFFFF_0000_0000_03F8;

    private static UserRegs Regs() => new() { Rip = Rip, Rax = Rax, Rdx = Rdx };

    [Theory]
    [InlineData(new byte[] { 0xE6, 0x80 }, 0x80, 1, 0x88UL)]                   // out 0x80,al
    [InlineData(new byte[] { 0x66, 0xE7, 0x80 }, 0x80, 2, 0x7788UL)]           // out 0x80,ax
    [InlineData(new byte[] { 0xE7, 0x80 }, 0x80, 4, 0x5566_7788UL)]            // out 0x80,eax
    [InlineData(new byte[] { 0xEE }, 0x3F8, 1, 0x88UL)]                        // out dx,al
    [InlineData(new byte[] { 0x66, 0xEF }, 0x3F8, 2, 0x7788UL)]                // out dx,ax
    [InlineData(new byte[] { 0xEF }, 0x3F8, 4, 0x5566_7788UL)]                 // out dx,eax
    public void Out_reports_port_size_and_value_and_completion_only_advances(byte[] code, int port, int size, ulong value)
    {
        var regs = Regs();
        var e = InstructionEmulator.Emulate(ref regs, null, new FakeGuestMemory(), code, null);

        Assert.Equal(EmulationKind.PortIo, e.Kind);
        Assert.True(e.IsWrite);
        Assert.Equal((ushort)port, e.Port);
        Assert.Equal(size, e.Size);
        Assert.Equal(value, e.Value);
        Assert.Equal(Rip, regs.Rip);     // not advanced until completed
        Assert.StartsWith("out", e.Text);

        InstructionEmulator.Complete(ref regs, e, 0xDEAD);
        Assert.Equal(Rip + (ulong)code.Length, regs.Rip);
        Assert.Equal(Rax, regs.Rax);
    }

    [Theory]
    [InlineData(new byte[] { 0xE4, 0x60 }, 0x60, 1, 0x1122_3344_5566_77ABUL)]         // in al,0x60: keeps bits 63:8
    [InlineData(new byte[] { 0x66, 0xE5, 0x60 }, 0x60, 2, 0x1122_3344_5566_CDABUL)]   // in ax,0x60: keeps bits 63:16
    [InlineData(new byte[] { 0xE5, 0x60 }, 0x60, 4, 0x0000_0000_EFBE_CDABUL)]         // in eax,0x60: zeroes bits 63:32
    [InlineData(new byte[] { 0xEC }, 0x3F8, 1, 0x1122_3344_5566_77ABUL)]              // in al,dx
    [InlineData(new byte[] { 0x66, 0xED }, 0x3F8, 2, 0x1122_3344_5566_CDABUL)]        // in ax,dx
    [InlineData(new byte[] { 0xED }, 0x3F8, 4, 0x0000_0000_EFBE_CDABUL)]              // in eax,dx
    public void In_reports_port_and_size_and_completion_writes_the_accumulator(byte[] code, int port, int size, ulong rax)
    {
        var regs = Regs();
        var e = InstructionEmulator.Emulate(ref regs, new VirtualCpuState(), new FakeGuestMemory(), code, null);

        Assert.Equal(EmulationKind.PortIo, e.Kind);
        Assert.False(e.IsWrite);
        Assert.Equal((ushort)port, e.Port);
        Assert.Equal(size, e.Size);

        // The device's bytes beyond Size are ignored.
        InstructionEmulator.Complete(ref regs, e, 0x7777_7777_EFBE_CDAB);
        Assert.Equal(rax, regs.Rax);
        Assert.Equal(Rip + (ulong)code.Length, regs.Rip);
        Assert.Equal(Rdx, regs.Rdx);
    }

    [Theory]
    [InlineData(new byte[] { 0x6C })]         // insb
    [InlineData(new byte[] { 0x6E })]         // outsb
    [InlineData(new byte[] { 0xF3, 0x6E })]   // rep outsb
    public void String_port_io_is_unsupported(byte[] code)
    {
        var regs = Regs();
        var e = InstructionEmulator.Emulate(ref regs, null, new FakeGuestMemory(), code, null);
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains("string port I/O", e.Reason);
        Assert.Equal(Rip, regs.Rip);
    }

    [Fact]
    public void Completing_what_needs_no_completion_is_a_bug()
    {
        var regs = Regs();
        var e = InstructionEmulator.Emulate(ref regs, new VirtualCpuState(), new FakeGuestMemory(), new byte[] { 0xFA }, null); // cli
        Assert.Equal(EmulationKind.Done, e.Kind);
        Assert.Throws<InvalidOperationException>(() =>
        {
            var r = Regs();
            InstructionEmulator.Complete(ref r, e, 0);
        });
    }
}
