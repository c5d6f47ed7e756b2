using Tender.ProcessPlatform.Emulation;

namespace Tender.ProcessPlatform.Tests.Emulation;

public class PageFaultErrorCodeTests
{
    private const ulong Rip = 0x40_1000;
    private const ulong Data = 0x7000_0000;

    private static ulong Code(byte[] code, ulong fault, bool protection = false, bool user = false) =>
        InstructionEmulator.PageFaultErrorCode(code, Rip, fault, protection, user);

    [Fact]
    public void A_load_is_a_read()
    {
        byte[] load = { 0x8B, 0x07 };                                  // mov eax,[rdi]
        Assert.Equal(0x0UL, Code(load, Data));
        Assert.Equal(0x1UL, Code(load, Data, protection: true));
        Assert.Equal(0x5UL, Code(load, Data, protection: true, user: true));
    }

    [Fact]
    public void Stores_pushes_and_read_modify_writes_are_writes()
    {
        Assert.Equal(0x2UL, Code(new byte[] { 0x88, 0x3F }, Data));                   // mov [rdi],bh
        Assert.Equal(0x7UL, Code(new byte[] { 0xC6, 0x07, 0x5A }, Data, true, true));  // mov byte [rdi],0x5a
        Assert.Equal(0x2UL, Code(new byte[] { 0x50 }, Data));                          // push rax
        Assert.Equal(0x2UL, Code(new byte[] { 0x01, 0x07 }, Data));                    // add [rdi],eax
    }

    [Fact]
    public void With_a_read_and_a_write_a_rip_relative_operand_tells_which_faulted()
    {
        byte[] call = { 0xFF, 0x15, 0x40, 0x00, 0x00, 0x00 };          // call [rip+0x40]
        Assert.Equal(0x0UL, Code(call, Rip + 6 + 0x40));                // the pointer it reads
        Assert.Equal(0x0UL, Code(call, Rip + 6 + 0x44));
        Assert.Equal(0x2UL, Code(call, Data));                          // otherwise the return address it pushes
    }

    [Fact]
    public void A_fault_at_rip_is_an_instruction_fetch()
    {
        Assert.Equal(0x10UL, Code(new byte[] { 0x8B, 0x07 }, Rip));
        Assert.Equal(0x14UL, Code(new byte[] { 0x8B, 0x07 }, Rip, user: true));
        Assert.Equal(0x10UL, Code(Array.Empty<byte>(), Rip));
        // An instruction running on into an unmapped page: only two bytes could be read.
        Assert.Equal(0x10UL, Code(new byte[] { 0xC7, 0x47 }, Rip + 2));
    }
}
