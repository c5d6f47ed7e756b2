using Tender.Host.Interop;
using Tender.Platform;
using Tender.ProcessPlatform.Emulation;

namespace Tender.ProcessPlatform.Tests.Emulation;

public class ExceptionDeliveryTests
{
    private const ulong IdtBase = 0x4000;
    private const ulong GdtBase = 0x1000;
    private const ulong TssBase = 0x6000;
    private const ulong Handler = 0x0000_7FFF_1234_5678;   // uses all three offset fields of the gate
    private const ulong FaultRip = 0x3456;
    private const ulong GuestRsp = 0x9F38;                // not 16-aligned

    private static (FakeGuestMemory Memory, VirtualCpuState Cpu, UserRegs Regs) Setup()
    {
        var memory = new FakeGuestMemory();
        memory.StoreTssDescriptor(GdtBase + 0x18, TssBase);
        memory.Store64(TssBase + 0x24, 0xC008);            // IST1, not 16-aligned either
        memory.Store64(TssBase + 0x2C, 0xD000);            // IST2
        var cpu = new VirtualCpuState
        {
            Gdt = new DescriptorTableRegister { Base = GdtBase, Limit = 0x27 },
            Idt = new DescriptorTableRegister { Base = IdtBase, Limit = 32 * 16 - 1 },
            Tr = 0x18, Cs = 0x08, Ss = 0x10, InterruptsEnabled = true,
        };
        var regs = new UserRegs { Rip = FaultRip, Rsp = GuestRsp, Eflags = 0x246 | 0x100, Rax = 0x77 };  // ZF PF IF, TF
        return (memory, cpu, regs);
    }

    private static ulong[] Frame(FakeGuestMemory memory, ulong rsp, int words) =>
        Enumerable.Range(0, words).Select(i => memory.Load64(rsp + 8UL * (ulong)i)).ToArray();

    [Fact]
    public void A_page_fault_through_an_interrupt_gate_pushes_the_frame_on_the_current_stack()
    {
        var (memory, cpu, regs) = Setup();
        memory.StoreGate(IdtBase, 14, Handler, selector: 0x08, ist: 0, type: 0xE);

        Assert.True(InstructionEmulator.TryDeliverException(ref regs, cpu, memory, 14, 0x6, 0xDEAD_B000, out var reason), reason);

        // Aligned down to 0x9F30, then six quadwords: error code, RIP, CS, RFLAGS, RSP, SS.
        Assert.Equal(0x9F30UL - 48, regs.Rsp);
        Assert.Equal(new ulong[] { 0x6, FaultRip, 0x08, 0x346, GuestRsp, 0x10 }, Frame(memory, regs.Rsp, 6));
        Assert.Equal(Handler, regs.Rip);
        Assert.False(cpu.InterruptsEnabled);
        Assert.Equal(0xDEAD_B000UL, cpu.Cr2);
        Assert.Equal(0x246UL, regs.Eflags);   // TF cleared as the CPU does; the real IF stays on
        Assert.Equal(0x77UL, regs.Rax);
    }

    [Fact]
    public void An_ist_gate_switches_to_the_stack_in_the_tss_and_pushes_no_error_code_when_there_is_none()
    {
        var (memory, cpu, regs) = Setup();
        cpu.InterruptsEnabled = false;
        memory.StoreGate(IdtBase, 3, Handler, selector: 0x08, ist: 1, type: 0xE);
        Assert.True(InstructionEmulator.TryDeliverException(ref regs, cpu, memory, 3, null, 0, out var reason), reason);

        Assert.Equal(0xC000UL - 40, regs.Rsp);
        // RFLAGS as the guest saw it: IF clear, as its virtual IF was.
        Assert.Equal(new ulong[] { FaultRip, 0x08, 0x146, GuestRsp, 0x10 }, Frame(memory, regs.Rsp, 5));
        Assert.Equal(Handler, regs.Rip);
        Assert.Equal(0UL, cpu.Cr2);      // only a page fault sets CR2

        // IST2 is 0x2C in the TSS.
        (memory, cpu, regs) = Setup();
        memory.StoreGate(IdtBase, 8, Handler, selector: 0x08, ist: 2, type: 0xE);
        Assert.True(InstructionEmulator.TryDeliverException(ref regs, cpu, memory, 8, 0, 0, out reason), reason);
        Assert.Equal(0xD000UL - 48, regs.Rsp);
    }

    [Fact]
    public void A_trap_gate_keeps_the_virtual_if()
    {
        var (memory, cpu, regs) = Setup();
        memory.StoreGate(IdtBase, 13, Handler, selector: 0x08, ist: 0, type: 0xF);
        Assert.True(InstructionEmulator.TryDeliverException(ref regs, cpu, memory, 13, 0, 0, out var reason), reason);
        Assert.True(cpu.InterruptsEnabled);
        Assert.Equal(0x346UL, memory.Load64(regs.Rsp + 24));
    }

    [Fact]
    public void Without_an_idt_nothing_can_be_delivered()
    {
        var (memory, cpu, regs) = Setup();
        cpu.Idt = default;
        AssertFails(memory, cpu, regs, 14, "has not loaded an IDT");
    }

    [Fact]
    public void Failures_name_their_reason_and_change_nothing()
    {
        var (memory, cpu, regs) = Setup();
        memory.StoreGate(IdtBase, 14, Handler, selector: 0x08, ist: 0, type: 0xE);
        AssertFails(memory, cpu, regs, 32, "beyond the IDT limit");
        AssertFails(memory, cpu, regs, 256, "does not exist");

        memory.StoreGate(IdtBase, 6, Handler, selector: 0x08, ist: 0, type: 0xE, present: false);
        AssertFails(memory, cpu, regs, 6, "not present");
        memory.StoreGate(IdtBase, 6, Handler, selector: 0x08, ist: 0, type: 0xC);   // a call gate
        AssertFails(memory, cpu, regs, 6, "type 0xc");

        memory.Unmap(IdtBase + 16 * 14, 16);
        AssertFails(memory, cpu, regs, 14, "not readable");

        (memory, cpu, regs) = Setup();
        memory.StoreGate(IdtBase, 14, Handler, selector: 0x08, ist: 0, type: 0xE);
        memory.MakeReadOnly(0x9000, 0x1000);
        AssertFails(memory, cpu, regs, 14, "not writable");

        (memory, cpu, regs) = Setup();
        memory.StoreGate(IdtBase, 14, Handler, selector: 0x08, ist: 1, type: 0xE);
        cpu.Tr = 0;
        AssertFails(memory, cpu, regs, 14, "no TSS is loaded");
        cpu.Tr = 0x28;
        AssertFails(memory, cpu, regs, 14, "beyond the GDT limit");
        cpu.Tr = 0x18;
        memory.Unmap(TssBase + 0x24, 8);
        AssertFails(memory, cpu, regs, 14, "IST1");
    }

    private static void AssertFails(FakeGuestMemory memory, VirtualCpuState cpu, UserRegs regs, uint vector, string why)
    {
        var before = regs;
        bool interrupts = cpu.InterruptsEnabled;
        ulong cr2 = cpu.Cr2;
        Assert.False(InstructionEmulator.TryDeliverException(ref regs, cpu, memory, vector, 0, 0x1234, out var reason));
        Assert.NotNull(reason);
        Assert.Contains(why, reason);
        Assert.Equal(before, regs);
        Assert.Equal(interrupts, cpu.InterruptsEnabled);
        Assert.Equal(cr2, cpu.Cr2);
    }
}
