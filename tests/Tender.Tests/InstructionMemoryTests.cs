using Iced.Intel;
using Tender.Debugging;

namespace Tender.Tests;

/// <summary>
/// <see cref="InstructionMemory"/> over byte sequences (no VM): which guest memory an instruction
/// reads and writes, as read and access watchpoints without debug registers need to know.
/// </summary>
public sealed class InstructionMemoryTests
{
    private const ulong Rip = 0x1000;

    private static IReadOnlyList<MemoryAccess> Accesses(params byte[] code) =>
        InstructionMemory.Accesses(code, Rip, r => r switch { Register.RSP => 0x8000, Register.RBX => 0x5000, Register.RCX => 3, Register.FS => 0x70000, _ => 0 })
        ?? throw new Xunit.Sdk.XunitException("not decoded");

    [Fact]
    public void A_rip_relative_load_reads_four_bytes_after_the_instruction()
    {
        var a = Assert.Single(Accesses(0x8B, 0x05, 0x10, 0x00, 0x00, 0x00));   // mov eax, [rip+0x10]
        Assert.Equal(new MemoryAccess(Rip + 6 + 0x10, 4, Reads: true, Writes: false), a);
    }

    [Fact]
    public void A_store_through_base_and_scaled_index_writes()
    {
        var a = Assert.Single(Accesses(0x48, 0x89, 0x04, 0xCB));                 // mov [rbx+rcx*8], rax
        Assert.Equal(new MemoryAccess(0x5000 + 3 * 8, 8, Reads: false, Writes: true), a);
    }

    [Fact]
    public void A_read_modify_write_both_reads_and_writes()
    {
        var a = Assert.Single(Accesses(0x83, 0x03, 0x05));                       // add dword [rbx], 5
        Assert.Equal(new MemoryAccess(0x5000, 4, Reads: true, Writes: true), a);
    }

    [Fact]
    public void Push_and_pop_touch_the_stack()
    {
        Assert.Equal(new MemoryAccess(0x8000 - 8, 8, Reads: false, Writes: true), Assert.Single(Accesses(0x50)));   // push rax
        Assert.Equal(new MemoryAccess(0x8000, 8, Reads: true, Writes: false), Assert.Single(Accesses(0x58)));       // pop rax
    }

    [Fact]
    public void An_fs_relative_load_adds_the_fs_base()
    {
        var a = Assert.Single(Accesses(0x64, 0x8B, 0x03));                       // mov eax, fs:[rbx]
        Assert.Equal(new MemoryAccess(0x70000 + 0x5000, 4, Reads: true, Writes: false), a);
    }

    [Fact]
    public void Lea_and_register_moves_touch_no_memory()
    {
        Assert.Empty(Accesses(0x48, 0x8D, 0x03));                                // lea rax, [rbx]
        Assert.Empty(Accesses(0x48, 0x89, 0xD8));                                // mov rax, rbx
    }

    [Fact]
    public void Bytes_that_are_no_complete_instruction_decode_to_nothing()
    {
        Assert.Null(InstructionMemory.Accesses([0x8B, 0x05, 0x10], Rip, _ => 0));
        Assert.Null(InstructionMemory.Accesses(ReadOnlySpan<byte>.Empty, Rip, _ => 0));
    }

    [Theory]
    [InlineData(0x1000UL, 4UL, true)]
    [InlineData(0x1003UL, 1UL, true)]
    [InlineData(0x1004UL, 4UL, false)]
    [InlineData(0x0FFCUL, 4UL, false)]
    [InlineData(0x0FFDUL, 4UL, true)]
    public void Overlap_is_of_byte_ranges(ulong address, ulong length, bool overlaps) =>
        Assert.Equal(overlaps, new MemoryAccess(0x1000, 4, true, false).Overlaps(address, length));
}
