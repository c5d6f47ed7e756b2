using Tender.Host.Interop;

namespace Tender.ProcessPlatform.Tests.Emulation;

// Inside the namespace: from within Tender.Process.*, the name Emulation would otherwise
// find the namespace Tender.ProcessPlatform.Emulation before the type.
using Tender.ProcessPlatform.Emulation;

public class MmioTests
{
    private const ulong Rip = 0x1000;
    private const ulong Device = 0xFEE0_0000;
    private const ulong Fill = 0xA5A5_A5A5_A5A5_A5A5;

    /// <summary>Every register filled with a pattern, the pointer registers at the device.</summary>
    private static UserRegs Regs() => new()
    {
        Rip = Rip,
        Rax = Fill, Rbx = Device, Rcx = 0x1111_2222_3333_4455, Rdx = Fill,
        Rsi = Device, Rdi = Device, Rbp = Fill,
        R8 = Fill, R9 = Device, R10 = Device - 0x30, R11 = 8, R12 = Fill, R13 = Device, R14 = Fill, R15 = 0x0102_0304_0506_0708,
    };

    private static (Emulation E, UserRegs Regs, FakeGuestMemory Memory) Emulate(byte[] code, ulong fault, UserRegs? start = null)
    {
        var regs = start ?? Regs();
        var memory = new FakeGuestMemory();
        var e = InstructionEmulator.Emulate(ref regs, null, memory, code, fault);
        Assert.Equal(0, memory.Reads + memory.Writes);   // MMIO is the caller's to serve
        Assert.Equal(Rip, regs.Rip);
        return (e, regs, memory);
    }

    [Theory]
    [InlineData(new byte[] { 0x8B, 0x07 }, Device, 4, 0x8877_6655_4433_2211UL, nameof(UserRegs.Rax), 0x4433_2211UL)]             // mov eax,[rdi]: zero-extends
    [InlineData(new byte[] { 0x48, 0x8B, 0x47, 0x08 }, Device + 8, 8, 0x8877_6655_4433_2211UL, nameof(UserRegs.Rax), 0x8877_6655_4433_2211UL)] // mov rax,[rdi+8]
    [InlineData(new byte[] { 0x8A, 0x23 }, Device, 1, 0xEEUL, nameof(UserRegs.Rax), 0xA5A5_A5A5_A5A5_EEA5UL)]                      // mov ah,[rbx]
    [InlineData(new byte[] { 0x8A, 0x7E, 0x01 }, Device + 1, 1, 0x1FFUL, nameof(UserRegs.Rbx), 0x0000_0000_FEE0_FF00UL)]           // mov bh,[rsi+1]: byte beyond Size ignored
    [InlineData(new byte[] { 0x66, 0x8B, 0x0F }, Device, 2, 0xBEEFUL, nameof(UserRegs.Rcx), 0x1111_2222_3333_BEEFUL)]              // mov cx,[rdi]: keeps 63:16
    [InlineData(new byte[] { 0x0F, 0xB6, 0x07 }, Device, 1, 0xF0UL, nameof(UserRegs.Rax), 0xF0UL)]                                 // movzx eax,byte [rdi]
    [InlineData(new byte[] { 0x4C, 0x0F, 0xB7, 0x0F }, Device, 2, 0xBEEFUL, nameof(UserRegs.R9), 0xBEEFUL)]                        // movzx r9,word [rdi]
    [InlineData(new byte[] { 0x0F, 0xBE, 0x07 }, Device, 1, 0x80UL, nameof(UserRegs.Rax), 0xFFFF_FF80UL)]                          // movsx eax,byte [rdi]
    [InlineData(new byte[] { 0x48, 0x0F, 0xBF, 0x07 }, Device, 2, 0x8000UL, nameof(UserRegs.Rax), 0xFFFF_FFFF_FFFF_8000UL)]        // movsx rax,word [rdi]
    [InlineData(new byte[] { 0x48, 0x63, 0x07 }, Device, 4, 0x8000_0000UL, nameof(UserRegs.Rax), 0xFFFF_FFFF_8000_0000UL)]         // movsxd rax,dword [rdi]
    [InlineData(new byte[] { 0x45, 0x8B, 0x01 }, Device, 4, 0x1234UL, nameof(UserRegs.R8), 0x1234UL)]                              // mov r8d,[r9]
    [InlineData(new byte[] { 0x45, 0x8A, 0x65, 0x00 }, Device, 1, 0x42UL, nameof(UserRegs.R12), 0xA5A5_A5A5_A5A5_A542UL)]          // mov r12b,[r13+0]
    [InlineData(new byte[] { 0xA1, 0x20, 0x00, 0xE0, 0xFE, 0, 0, 0, 0 }, Device + 0x20, 4, 0xCAFEUL, nameof(UserRegs.Rax), 0xCAFEUL)] // movabs eax,[0xfee00020]
    [InlineData(new byte[] { 0xA0, 0x20, 0x00, 0xE0, 0xFE, 0, 0, 0, 0 }, Device + 0x20, 1, 0x7FUL, nameof(UserRegs.Rax), 0xA5A5_A5A5_A5A5_A57FUL)] // movabs al,[0xfee00020]
    [InlineData(new byte[] { 0x8B, 0x04, 0x25, 0x20, 0x00, 0xE0, 0xFE }, 0xFFFF_FFFF_FEE0_0020UL, 4, 0x99UL, nameof(UserRegs.Rax), 0x99UL)] // mov eax,[0xfffffffffee00020]: a SIB disp32 sign-extends
    public void Loads_complete_into_the_destination_with_x86_width_rules(byte[] code, ulong address, int size, ulong device,
        string register, ulong expected)
    {
        var (e, regs, _) = Emulate(code, address + (ulong)size - 1);

        Assert.Equal(EmulationKind.Mmio, e.Kind);
        Assert.False(e.IsWrite);
        Assert.Equal(address, e.Address);
        Assert.Equal(size, e.Size);

        InstructionEmulator.Complete(ref regs, e, device);
        Assert.Equal(expected, Get(regs, register));
        Assert.Equal(Rip + (ulong)code.Length, regs.Rip);
    }

    [Theory]
    [InlineData(new byte[] { 0x88, 0x2F }, Device, 1, 0x44UL)]                                              // mov [rdi],ch (bits 15:8 of rcx)
    [InlineData(new byte[] { 0x66, 0x89, 0x0F }, Device, 2, 0x4455UL)]                                      // mov [rdi],cx
    [InlineData(new byte[] { 0x48, 0x89, 0x0F }, Device, 8, 0x1111_2222_3333_4455UL)]                       // mov [rdi],rcx
    [InlineData(new byte[] { 0xC6, 0x07, 0x5A }, Device, 1, 0x5AUL)]                                        // mov byte [rdi],0x5a
    [InlineData(new byte[] { 0xC7, 0x47, 0x04, 0x78, 0x56, 0x34, 0x12 }, Device + 4, 4, 0x1234_5678UL)]     // mov dword [rdi+4],0x12345678
    [InlineData(new byte[] { 0x48, 0xC7, 0x07, 0xFE, 0xFF, 0xFF, 0xFF }, Device, 8, 0xFFFF_FFFF_FFFF_FFFEUL)] // mov qword [rdi],-2
    [InlineData(new byte[] { 0x47, 0x89, 0x7C, 0x9A, 0x10 }, Device, 4, 0x0506_0708UL)]                     // mov [r10+r11*4+0x10],r15d
    [InlineData(new byte[] { 0xA3, 0x20, 0x00, 0xE0, 0xFE, 0, 0, 0, 0 }, Device + 0x20, 4, 0xA5A5_A5A5UL)]  // movabs [0xfee00020],eax
    public void Stores_report_address_and_value_and_completion_only_advances(byte[] code, ulong address, int size, ulong value)
    {
        var (e, regs, _) = Emulate(code, address);

        Assert.Equal(EmulationKind.Mmio, e.Kind);
        Assert.True(e.IsWrite);
        Assert.Equal(address, e.Address);
        Assert.Equal(size, e.Size);
        Assert.Equal(value, e.Value);

        var before = regs;
        InstructionEmulator.Complete(ref regs, e, 0xFFFF);
        before.Rip = Rip + (ulong)code.Length;
        Assert.Equal(before, regs);
    }

    [Fact]
    public void Rip_relative_and_fs_relative_operands_resolve_to_their_linear_address()
    {
        var regs = Regs();
        regs.FsBase = 0x7000_0000;
        // mov eax,[rip+0x100]: relative to the next instruction.
        var (e, _, _) = Emulate(new byte[] { 0x8B, 0x05, 0x00, 0x01, 0x00, 0x00 }, Rip + 6 + 0x100, regs);
        Assert.Equal(EmulationKind.Mmio, e.Kind);
        Assert.Equal(Rip + 6 + 0x100, e.Address);
        // mov eax,fs:[8]
        (e, _, _) = Emulate(new byte[] { 0x64, 0x8B, 0x04, 0x25, 0x08, 0x00, 0x00, 0x00 }, 0x7000_0008, regs);
        Assert.Equal(EmulationKind.Mmio, e.Kind);
        Assert.Equal(0x7000_0008UL, e.Address);
    }

    [Fact]
    public void An_sse_load_at_the_fault_address_is_unsupported_and_named()
    {
        var regs = Regs();
        regs.Rax = Device;
        var (e, after, _) = Emulate(new byte[] { 0x66, 0x0F, 0x6F, 0x00 }, Device, regs); // movdqa xmm0,[rax]
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains("`movdqa xmm0,[rax]`", e.Reason);
        Assert.Contains($"0x{Rip:x}", e.Reason);
        Assert.Equal("movdqa xmm0,[rax]", e.Text);
        Assert.Equal(regs, after);
    }

    [Theory]
    [InlineData(new byte[] { 0x01, 0x07 }, Device, "only mov-family")]           // add [rdi],eax: read-modify-write
    [InlineData(new byte[] { 0x8B, 0x07 }, Device + 4, "outside")]             // mov eax,[rdi]: fault past its 4 bytes
    [InlineData(new byte[] { 0x8B, 0x07 }, Device - 1, "outside")]
    [InlineData(new byte[] { 0x89, 0xC8 }, Device, "only mov-family")]           // mov eax,ecx: no memory operand
    [InlineData(new byte[] { 0x8E, 0x1F }, Device, "only mov-family")]           // mov ds,[rdi]: not a plain move
    public void Other_accesses_at_the_fault_address_are_unsupported(byte[] code, ulong fault, string why)
    {
        var (e, _, _) = Emulate(code, fault);
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains(why, e.Reason);
    }

    // Compilers fold a volatile device read into test/cmp/and…: KVM completes these, so must the
    // process platform, flags included.
    [Theory]
    [InlineData(new byte[] { 0xF7, 0x07, 0x08, 0x00, 0x00, 0x04 }, 0x0000_0008UL, 0x000UL, 0x0UL)]   // test dword [rdi],4000008h: bit set -> ZF clear
    [InlineData(new byte[] { 0xF7, 0x07, 0x08, 0x00, 0x00, 0x04 }, 0x0000_0001UL, 0x044UL, 0x0UL)]   // no bit -> ZF, PF
    [InlineData(new byte[] { 0x83, 0x3F, 0x05 }, 0x0000_0003UL, 0x091UL, 0x0UL)]                    // cmp dword [rdi],5 with 3: CF SF AF (result 0xfffffffe: odd parity)
    [InlineData(new byte[] { 0x83, 0x3F, 0x05 }, 0x0000_0005UL, 0x044UL, 0x0UL)]                    // equal: ZF PF
    [InlineData(new byte[] { 0x23, 0x07 }, 0x0000_0F0FUL, 0x004UL, 0x0000_0F05UL)]                  // and eax,[rdi] with eax 0xFA5: 0xF05 in eax, upper half cleared
    public void Flag_and_register_reads_of_a_device_are_completed_like_the_cpu(byte[] code, ulong device, ulong flags, ulong eax)
    {
        var regs = Regs();
        regs.Rdi = Device;
        regs.Rax = 0xFFFF_FFFF_0000_0FA5;
        regs.Eflags = 0x202 | 0x8D5; // every arithmetic flag set: each must be recomputed
        var (e, after, _) = Emulate(code, Device, regs);
        Assert.Equal(EmulationKind.Mmio, e.Kind);
        Assert.False(e.IsWrite);
        Assert.Equal(4, e.Size);
        InstructionEmulator.Complete(ref after, e, device);
        Assert.Equal(0x202 | flags, after.Eflags);
        Assert.Equal(Rip + (ulong)code.Length, after.Rip);
        Assert.Equal(code[0] == 0x23 ? eax : 0xFFFF_FFFF_0000_0FA5, after.Rax);
    }

    [Fact]
    public void A_fault_on_the_instruction_itself_is_not_mmio()
    {
        var (e, _, _) = Emulate(new byte[] { 0x8B, 0x07 }, Rip + 1);   // mov eax,[rdi]
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains("fetch of the instruction", e.Reason);
    }

    [Fact]
    public void An_access_straddling_a_page_is_unsupported()
    {
        var regs = Regs();
        regs.Rdi = Device + 0xFFE;
        var (e, _, _) = Emulate(new byte[] { 0x8B, 0x07 }, Device + 0x1000, regs); // mov eax,[rdi]
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains("straddles", e.Reason);
    }

    private static ulong Get(in UserRegs regs, string name) => name switch
    {
        nameof(UserRegs.Rax) => regs.Rax,
        nameof(UserRegs.Rbx) => regs.Rbx,
        nameof(UserRegs.Rcx) => regs.Rcx,
        nameof(UserRegs.R8) => regs.R8,
        nameof(UserRegs.R9) => regs.R9,
        nameof(UserRegs.R12) => regs.R12,
        _ => throw new ArgumentException(name),
    };
}
