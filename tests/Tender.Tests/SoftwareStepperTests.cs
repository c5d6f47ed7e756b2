using Iced.Intel;
using Tender.Debugging;

namespace Tender.Tests;

/// <summary>
/// <see cref="SoftwareStepper"/> over byte sequences (no VM): where each instruction can go next,
/// with registers and memory from the test, and which instructions it refuses to step.
/// </summary>
public sealed class SoftwareStepperTests
{
    private const ulong Rip = 0x1000;

    private readonly Dictionary<Register, ulong> registers = new() { [Register.RSP] = 0x8000 };
    private readonly Dictionary<ulong, byte> memory = [];

    private StepPlan Plan(params byte[] code) => SoftwareStepper.Plan(code, Rip, r => registers.GetValueOrDefault(r), Read);

    private bool Read(ulong address, Span<byte> into)
    {
        for (int i = 0; i < into.Length; i++)
        {
            if (!memory.TryGetValue(address + (ulong)i, out byte b)) return false;
            into[i] = b;
        }
        return true;
    }

    private void Store(ulong address, ulong value)
    {
        for (int i = 0; i < 8; i++) memory[address + (ulong)i] = (byte)(value >> (8 * i));
    }

    private void AssertSuccessors(StepPlan plan, params ulong[] expected)
    {
        Assert.Null(plan.Refusal);
        Assert.Equal(expected, plan.Successors);
    }

    [Fact]
    public void A_plain_instruction_goes_on_at_the_next_one()
    {
        AssertSuccessors(Plan(0x90), 0x1001);                          // nop
        AssertSuccessors(Plan(0xB8, 1, 0, 0, 0), 0x1005);              // mov eax, 1
        AssertSuccessors(Plan(0xE6, 0x80), 0x1002);                    // out 0x80, al
        AssertSuccessors(Plan(0x0F, 0x22, 0xD8), 0x1003);              // mov cr3, rax
    }

    [Fact]
    public void Direct_branches_go_to_their_target_and_conditional_ones_also_fall_through()
    {
        AssertSuccessors(Plan(0xEB, 0x02), 0x1004);                    // jmp short +2
        AssertSuccessors(Plan(0xE9, 0x00, 0x10, 0, 0), 0x2005);        // jmp near +0x1000
        AssertSuccessors(Plan(0x74, 0x10), 0x1012, 0x1002);            // jz +0x10
        AssertSuccessors(Plan(0x0F, 0x85, 0xF0, 0xFF, 0xFF, 0xFF), 0xFF6, 0x1006); // jnz -0x10
        AssertSuccessors(Plan(0xE8, 0x00, 0x01, 0, 0), 0x1105);        // call +0x100
        AssertSuccessors(Plan(0xE2, 0xF0), 0xFF2, 0x1002);             // loop -0x10
        AssertSuccessors(Plan(0x74, 0x00), 0x1002);                    // jz to the next instruction: once
    }

    [Fact]
    public void A_branch_to_itself_has_no_successor_to_trap()
    {
        AssertSuccessors(Plan(0xEB, 0xFE));                            // jmp $: the step ends where it started
        AssertSuccessors(Plan(0xE2, 0xFE), 0x1002);                    // loop $: runs until rcx is 0
    }

    [Fact]
    public void A_rep_string_instruction_is_trapped_after_itself()
    {
        AssertSuccessors(Plan(0xF3, 0xA4), 0x1002);                    // rep movsb
        AssertSuccessors(Plan(0xF3, 0x48, 0xAB), 0x1003);              // rep stosq
    }

    [Fact]
    public void Ret_goes_to_the_address_at_rsp()
    {
        Store(0x8000, 0x123456);
        AssertSuccessors(Plan(0xC3), 0x123456);                        // ret
        AssertSuccessors(Plan(0xC2, 0x10, 0x00), 0x123456);            // ret 16
        registers[Register.RSP] = 0x9000;                              // nothing there
        var plan = Plan(0xC3);
        Assert.Contains("return address at RSP 0x9000 is not readable", plan.Refusal);
    }

    [Fact]
    public void Indirect_branches_read_their_register_or_memory()
    {
        registers[Register.RAX] = 0x5000;
        registers[Register.RBX] = 0x6000;
        registers[Register.RCX] = 2;
        AssertSuccessors(Plan(0xFF, 0xE0), 0x5000);                    // jmp rax
        AssertSuccessors(Plan(0xFF, 0xD3), 0x6000);                    // call rbx
        registers[Register.R11] = 0x7000;
        AssertSuccessors(Plan(0x41, 0xFF, 0xE3), 0x7000);              // jmp r11
        Store(0x5018, 0xABCDEF);
        AssertSuccessors(Plan(0xFF, 0x54, 0xC8, 0x08), 0xABCDEF);      // call [rax+rcx*8+8]
        Store(0x1016, 0x4242);
        AssertSuccessors(Plan(0xFF, 0x25, 0x10, 0, 0, 0), 0x4242);     // jmp [rip+0x10]: RIP after the instruction
        registers[Register.FS] = 0x9000;
        Store(0x9010, 0x5151);
        AssertSuccessors(Plan(0x64, 0xFF, 0x24, 0x25, 0x10, 0, 0, 0), 0x5151); // jmp fs:[0x10]
        var plan = Plan(0xFF, 0x23);                                   // jmp [rbx]: nothing stored there
        Assert.Contains("at 0x6000 is not readable", plan.Refusal);
    }

    [Theory]
    [InlineData(new byte[] { 0xF4 }, "hlt")]
    [InlineData(new byte[] { 0x48, 0xCF }, "iretq")]
    [InlineData(new byte[] { 0xCD, 0x80 }, "int")]
    [InlineData(new byte[] { 0xCC }, "int3")]
    [InlineData(new byte[] { 0x0F, 0x0B }, "ud2")]
    [InlineData(new byte[] { 0x0F, 0x05 }, "syscall")]
    [InlineData(new byte[] { 0x48, 0x0F, 0x07 }, "sysret")]
    [InlineData(new byte[] { 0xCB }, "retf")]
    [InlineData(new byte[] { 0x48, 0xFF, 0x28 }, "jmp")]               // jmp far [rax]
    public void Instructions_that_leave_the_codes_own_flow_are_refused_by_name(byte[] code, string named)
    {
        registers[Register.RAX] = 0x5000;
        memory[0x5000] = 0;
        var plan = Plan(code);
        Assert.Empty(plan.Successors);
        Assert.NotNull(plan.Refusal);
        Assert.Contains(named, plan.Refusal);
        Assert.Contains("0x1000", plan.Refusal);
    }

    [Fact]
    public void An_incomplete_or_invalid_instruction_is_refused()
    {
        Assert.Contains("not a complete instruction", Plan(0xE8, 0x00).Refusal);
        Assert.Contains("not a complete instruction", Plan(0x06).Refusal); // push es: invalid in 64-bit mode
        Assert.Contains("not a complete instruction", Plan().Refusal);
    }
}
