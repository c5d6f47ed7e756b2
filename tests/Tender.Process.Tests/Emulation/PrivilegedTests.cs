using Tender.Host.Interop;
using Tender.Platform;

namespace Tender.ProcessPlatform.Tests.Emulation;

// Inside the namespace: from within Tender.Process.*, the name Emulation would otherwise
// find the namespace Tender.ProcessPlatform.Emulation before the type.
using Tender.ProcessPlatform.Emulation;

public class PrivilegedTests
{
    private const ulong Rip = 0x3000;
    private const ulong Stack = 0x9000;

    /// <summary>solo5-hvt's entry state: flat CS 0x08 and data 0x10 from the boot GDT, no IDT, null TR.</summary>
    private static SpecialRegisters Solo5Boot() => new()
    {
        Cs = new SegmentRegister { Selector = 0x08, Type = 9, Present = 1, S = 1, L = 1, G = 1, Limit = 0xFFFF_FFFF },
        Ds = new SegmentRegister { Selector = 0x10 },
        Es = new SegmentRegister { Selector = 0x10 },
        Fs = new SegmentRegister { Selector = 0x10 },
        Gs = new SegmentRegister { Selector = 0x10 },
        Ss = new SegmentRegister { Selector = 0x10 },
        Tr = new SegmentRegister { Type = 11, Present = 1 },
        Gdt = new DescriptorTableRegister { Base = 0x1000, Limit = 0x17 },
        Cr0 = 0x8005_0033, Cr3 = 0x10000, Cr4 = 0x620, Efer = 0x500,
    };

    private static Emulation Run(byte[] code, ref UserRegs regs, VirtualCpuState? cpu, FakeGuestMemory? memory = null) =>
        InstructionEmulator.Emulate(ref regs, cpu, memory ?? new FakeGuestMemory(), code, null);

    private static Emulation Done(byte[] code, ref UserRegs regs, VirtualCpuState? cpu, FakeGuestMemory? memory = null)
    {
        ulong rip = regs.Rip;
        var e = Run(code, ref regs, cpu, memory);
        Assert.True(e.Kind == EmulationKind.Done, e.ToString());
        Assert.Equal(rip + (ulong)code.Length, regs.Rip);
        return e;
    }

    [Fact]
    public void The_solo5_boot_sequence_leaves_the_guest_state_it_set_up()
    {
        var memory = new FakeGuestMemory();
        // The guest's GDT at 0x1000: null, code 0x08, data 0x10, a 64-bit TSS descriptor at 0x18 for the TSS at 0x6000.
        memory.Store64(0x1008, 0x00AF_9A00_0000_FFFF);
        memory.Store64(0x1010, 0x00CF_9200_0000_FFFF);
        memory.StoreTssDescriptor(0x1018, 0x6000);
        memory.StoreTablePointer(0x2000, 0x27, 0x1000);   // lgdt [rdi]
        memory.StoreTablePointer(0x2010, 0xFFF, 0x4000);  // lidt [rsi]
        memory.Load(Rip, new byte[]
        {
            0x0F, 0x01, 0x17,                         // 3000: lgdt [rdi]
            0x6A, 0x08,                               // 3003: push 0x8
            0x48, 0x8D, 0x05, 0x03, 0x00, 0x00, 0x00, // 3005: lea rax,[rip+0x3]   # 0x300f
            0x50,                                     // 300c: push rax
            0x48, 0xCB,                               // 300d: retfq
            0x66, 0xB8, 0x10, 0x00,                   // 300f: mov ax,0x10
            0x8E, 0xD8,                               // 3013: mov ds,eax
            0x8E, 0xC0,                               // 3015: mov es,eax
            0x8E, 0xD0,                               // 3017: mov ss,eax
            0x0F, 0x01, 0x1E,                         // 3019: lidt [rsi]
            0x66, 0xB8, 0x18, 0x00,                   // 301c: mov ax,0x18
            0x0F, 0x00, 0xD8,                         // 3020: ltr ax
            0xB9, 0x00, 0x01, 0x00, 0xC0,             // 3023: mov ecx,0xc0000100
            0xB8, 0x00, 0x50, 0x00, 0x00,             // 3028: mov eax,0x5000
            0x31, 0xD2,                               // 302d: xor edx,edx
            0x0F, 0x30,                               // 302f: wrmsr
            0xF4,                                     // 3031: hlt
        });
        var cpu = VirtualCpuState.FromSpecialRegisters(Solo5Boot());
        var regs = new UserRegs { Rip = Rip, Rsp = Stack, Rdi = 0x2000, Rsi = 0x2010, Eflags = 0x202, Cs = 0x33, Ss = 0x2B };

        // What traps is emulated from the bytes at RIP, as the vCPU would; what runs natively at
        // CPL 3 (push, lea, mov, xor) the test applies by hand.
        Emulation Step() => InstructionEmulator.Emulate(ref regs, cpu, memory, memory.CodeAt(regs.Rip), null);

        Assert.Equal(EmulationKind.Done, Step().Kind);
        Assert.Equal(0x3003UL, regs.Rip);
        Assert.Equal(0x1000UL, cpu.Gdt.Base);
        Assert.Equal(0x27, cpu.Gdt.Limit);

        regs.Rsp -= 8; memory.Store64(regs.Rsp, 8); regs.Rip = 0x3005;            // push 0x8
        regs.Rax = 0x300F; regs.Rip = 0x300C;                                      // lea rax,[rip+3]
        regs.Rsp -= 8; memory.Store64(regs.Rsp, regs.Rax); regs.Rip = 0x300D;     // push rax

        var lret = Step();
        Assert.Equal(EmulationKind.Done, lret.Kind);
        Assert.Equal("retfq", lret.Text);
        Assert.Equal(0x300FUL, regs.Rip);
        Assert.Equal(Stack, regs.Rsp);
        Assert.Equal((ushort)0x08, cpu.Cs);

        regs.Rax = 0x10; regs.Rip = 0x3013;                                        // mov ax,0x10
        Assert.Equal(EmulationKind.Done, Step().Kind);
        Assert.Equal(0x3015UL, regs.Rip);
        Assert.Equal(EmulationKind.Done, Step().Kind);
        Assert.Equal(0x3017UL, regs.Rip);
        Assert.Equal(EmulationKind.Done, Step().Kind);
        Assert.Equal(0x3019UL, regs.Rip);
        Assert.Equal(((ushort)0x10, (ushort)0x10, (ushort)0x10), (cpu.Ds, cpu.Es, cpu.Ss));

        Assert.Equal(EmulationKind.Done, Step().Kind);
        Assert.Equal(0x301CUL, regs.Rip);
        Assert.Equal(0x4000UL, cpu.Idt.Base);
        Assert.Equal(0xFFF, cpu.Idt.Limit);

        regs.Rax = 0x18; regs.Rip = 0x3020;                                        // mov ax,0x18
        Assert.Equal(EmulationKind.Done, Step().Kind);
        Assert.Equal(0x3023UL, regs.Rip);
        Assert.Equal((ushort)0x18, cpu.Tr);
        Assert.Equal(0x8B, memory[0x101D]);   // the TSS descriptor is busy now, as ltr leaves it

        regs.Rcx = 0xC000_0100; regs.Rax = 0x5000; regs.Rdx = 0; regs.Rip = 0x302F; // mov ecx; mov eax; xor edx,edx
        Assert.Equal(EmulationKind.Done, Step().Kind);
        Assert.Equal(0x3031UL, regs.Rip);
        Assert.Equal(0x5000UL, regs.FsBase);

        var hlt = Step();
        Assert.Equal(EmulationKind.Halt, hlt.Kind);
        Assert.Equal(0x3031UL, regs.Rip);

        // The real segment registers stay the host's: only the virtual CPU changed.
        Assert.Equal((0x33UL, 0x2BUL), (regs.Cs, regs.Ss));
        var sregs = cpu.ToSpecialRegisters(regs);
        Assert.Equal((ushort)0x08, sregs.Cs.Selector);
        Assert.Equal((ushort)0x10, sregs.Ss.Selector);
        Assert.Equal((ushort)0x18, sregs.Tr.Selector);
        Assert.Equal(0x5000UL, sregs.Fs.Base);
        Assert.Equal(0x4000UL, sregs.Idt.Base);
        Assert.Equal(0x8005_0033UL, sregs.Cr0);
    }

    [Fact]
    public void Lgdt_and_lidt_read_limit_and_base_through_memory()
    {
        var memory = new FakeGuestMemory();
        memory.StoreTablePointer(0x2000, 0x37, 0xFFFF_8000_0000_1000);
        memory.StoreTablePointer(Rip + 7 + 0x20, 0x7FF, 0x5000);
        var cpu = new VirtualCpuState();
        var regs = new UserRegs { Rip = Rip, Rdi = 0x2000 };

        var e = Done(new byte[] { 0x0F, 0x01, 0x17 }, ref regs, cpu, memory);                          // lgdt [rdi]
        Assert.Equal("lgdt [rdi]", e.Text);
        Assert.Equal((0xFFFF_8000_0000_1000UL, (ushort)0x37), (cpu.Gdt.Base, cpu.Gdt.Limit));

        regs.Rip = Rip;
        Done(new byte[] { 0x0F, 0x01, 0x1D, 0x20, 0x00, 0x00, 0x00 }, ref regs, cpu, memory);            // lidt [rip+0x20]
        Assert.Equal((0x5000UL, (ushort)0x7FF), (cpu.Idt.Base, cpu.Idt.Limit));

        // sgdt writes them back.
        regs.Rip = Rip; regs.Rdi = 0x2100;
        Done(new byte[] { 0x0F, 0x01, 0x07 }, ref regs, cpu, memory);                                   // sgdt [rdi]
        Assert.Equal((ushort)0x37, memory.Load16(0x2100));
        Assert.Equal(0xFFFF_8000_0000_1000UL, memory.Load64(0x2102));
    }

    [Fact]
    public void Lgdt_from_unreadable_memory_is_unsupported_and_changes_nothing()
    {
        var memory = new FakeGuestMemory();
        memory.Unmap(0x2000, 0x1000);
        var cpu = VirtualCpuState.FromSpecialRegisters(Solo5Boot());
        var regs = new UserRegs { Rip = Rip, Rdi = 0x2FFA };
        var before = regs;
        var e = Run(new byte[] { 0x0F, 0x01, 0x17 }, ref regs, cpu, memory);
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains("cannot read its operand at 0x2ffa", e.Reason);
        Assert.Equal(before, regs);
        Assert.Equal(0x1000UL, cpu.Gdt.Base);
    }

    [Fact]
    public void Ltr_refuses_a_descriptor_that_is_not_an_available_tss()
    {
        var memory = new FakeGuestMemory();
        memory.StoreTssDescriptor(0x1018, 0x6000, type: 0xB);   // already busy
        var cpu = new VirtualCpuState { Gdt = new DescriptorTableRegister { Base = 0x1000, Limit = 0x27 } };
        var regs = new UserRegs { Rip = Rip, Rax = 0x18 };
        var e = Run(new byte[] { 0x0F, 0x00, 0xD8 }, ref regs, cpu, memory);                               // ltr ax
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains("not an available 64-bit TSS", e.Reason);
        Assert.Equal((ushort)0, cpu.Tr);
        regs.Rax = 0x28;
        Assert.Contains("beyond the GDT limit", Run(new byte[] { 0x0F, 0x00, 0xD8 }, ref regs, cpu, memory).Reason);
    }

    [Fact]
    public void Cli_and_sti_flip_the_virtual_interrupt_flag_only()
    {
        var cpu = new VirtualCpuState();
        var regs = new UserRegs { Rip = Rip, Eflags = 0x202 };
        Done(new byte[] { 0xFB }, ref regs, cpu);                                                          // sti
        Assert.True(cpu.InterruptsEnabled);
        regs.Rip = Rip;
        Done(new byte[] { 0xFA }, ref regs, cpu);                                                          // cli
        Assert.False(cpu.InterruptsEnabled);
        Assert.Equal(0x202UL, regs.Eflags);
    }

    [Theory]
    [InlineData(0x246UL, true)]
    [InlineData(0x046UL, false)]
    public void Iretq_pops_the_frame_restores_flags_and_the_virtual_if(ulong frameFlags, bool interruptsEnabled)
    {
        var memory = new FakeGuestMemory();
        ulong rsp = Stack - 40;
        memory.Store64(rsp, 0x4444);        // RIP
        memory.Store64(rsp + 8, 0x08);      // CS
        memory.Store64(rsp + 16, frameFlags | 0x3000);  // RFLAGS: ZF PF, IOPL 3 (not for a process to have)
        memory.Store64(rsp + 24, 0x8800);   // RSP
        memory.Store64(rsp + 32, 0x10);     // SS
        var cpu = new VirtualCpuState { Cs = 0x08, Ss = 0x10 };
        var regs = new UserRegs { Rip = Rip, Rsp = rsp, Eflags = 0x203 };   // CF set before
        var e = Run(new byte[] { 0x48, 0xCF }, ref regs, cpu, memory);                                     // iretq
        Assert.Equal(EmulationKind.Done, e.Kind);
        Assert.Equal(0x4444UL, regs.Rip);
        Assert.Equal(0x8800UL, regs.Rsp);
        Assert.Equal(0x246UL, regs.Eflags);      // the frame's arithmetic flags, real IF on, IOPL 0
        Assert.Equal(interruptsEnabled, cpu.InterruptsEnabled);
        Assert.Equal(((ushort)0x08, (ushort)0x10), (cpu.Cs, cpu.Ss));
    }

    [Fact]
    public void Iretq_to_cpl_3_is_unsupported()
    {
        var memory = new FakeGuestMemory();
        ulong rsp = Stack - 40;
        memory.Store64(rsp, 0x4444);
        memory.Store64(rsp + 8, 0x2B);
        var cpu = new VirtualCpuState { Cs = 0x08 };
        var regs = new UserRegs { Rip = Rip, Rsp = rsp };
        var e = Run(new byte[] { 0x48, 0xCF }, ref regs, cpu, memory);
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains("CPL 3", e.Reason);
        Assert.Equal(Rip, regs.Rip);
    }

    [Fact]
    public void Retf_with_a_32_bit_operand_and_an_immediate_pops_four_byte_slots()
    {
        var memory = new FakeGuestMemory();
        memory.Store64(Stack, 0x0000_0008_0000_5555);   // EIP 0x5555, CS 0x08
        var cpu = new VirtualCpuState();
        var regs = new UserRegs { Rip = Rip, Rsp = Stack };
        var e = Run(new byte[] { 0xCA, 0x08, 0x00 }, ref regs, cpu, memory);                               // retf 0x8
        Assert.Equal(EmulationKind.Done, e.Kind);
        Assert.Equal(0x5555UL, regs.Rip);
        Assert.Equal(Stack + 16, regs.Rsp);
        Assert.Equal((ushort)0x08, cpu.Cs);
    }

    [Fact]
    public void Hlt_halts_without_advancing()
    {
        var regs = new UserRegs { Rip = Rip };
        var e = Run(new byte[] { 0xF4 }, ref regs, new VirtualCpuState());
        Assert.Equal(EmulationKind.Halt, e.Kind);
        Assert.Equal(Rip, regs.Rip);
    }

    [Theory]
    [InlineData(new byte[] { 0xF4 }, "hlt")]
    [InlineData(new byte[] { 0x0F, 0x01, 0x17 }, "lgdt [rdi]")]
    [InlineData(new byte[] { 0x0F, 0x30 }, "wrmsr")]
    [InlineData(new byte[] { 0xFA }, "cli")]
    [InlineData(new byte[] { 0x8E, 0xD8 }, "mov ds,eax")]
    [InlineData(new byte[] { 0x0F, 0x22, 0xD8 }, "mov cr3,rax")]
    [InlineData(new byte[] { 0x0F, 0x00, 0xD0 }, "lldt ax")]   // privileged and not emulated at all
    public void Privileged_instructions_of_a_cpl_3_guest_are_unsupported(byte[] code, string text)
    {
        var regs = new UserRegs { Rip = Rip, Rdi = 0x2000, Rax = 0x10 };
        var before = regs;
        var e = Run(code, ref regs, null);
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains($"`{text}`", e.Reason);
        Assert.Contains("privileged", e.Reason);
        Assert.Equal(before, regs);
    }

    [Fact]
    public void Fs_and_gs_base_instructions_are_emulated_for_a_cpl_3_guest()
    {
        var regs = new UserRegs { Rip = Rip, Rax = 0x7F00_1234_5678, Rcx = 0x6000, Rdx = Fill };
        Done(new byte[] { 0xF3, 0x48, 0x0F, 0xAE, 0xD0 }, ref regs, null);                                // wrfsbase rax
        Assert.Equal(0x7F00_1234_5678UL, regs.FsBase);
        regs.Rip = Rip;
        Done(new byte[] { 0xF3, 0x48, 0x0F, 0xAE, 0xD9 }, ref regs, null);                                // wrgsbase rcx
        Assert.Equal(0x6000UL, regs.GsBase);
        regs.Rip = Rip;
        Done(new byte[] { 0xF3, 0x48, 0x0F, 0xAE, 0xC2 }, ref regs, null);                                // rdfsbase rdx
        Assert.Equal(0x7F00_1234_5678UL, regs.Rdx);
        regs.Rip = Rip; regs.Rdx = Fill;
        Done(new byte[] { 0xF3, 0x0F, 0xAE, 0xC2 }, ref regs, null);                                      // rdfsbase edx
        Assert.Equal(0x1234_5678UL, regs.Rdx);

        regs.Rip = Rip; regs.Rax = 0x8000_0000_0000_0000;
        var e = Run(new byte[] { 0xF3, 0x48, 0x0F, 0xAE, 0xD0 }, ref regs, null);
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains("not canonical", e.Reason);
    }

    [Fact]
    public void Fs_base_instructions_of_a_cpl_0_guest_need_its_cr4_fsgsbase()
    {
        var regs = new UserRegs { Rip = Rip, Rax = 0x1000 };
        var cpu = new VirtualCpuState();
        Assert.Contains("CR4.FSGSBASE", Run(new byte[] { 0xF3, 0x48, 0x0F, 0xAE, 0xD0 }, ref regs, cpu).Reason);
        cpu.Cr4 |= 1UL << 16;
        Done(new byte[] { 0xF3, 0x48, 0x0F, 0xAE, 0xD0 }, ref regs, cpu);
        Assert.Equal(0x1000UL, regs.FsBase);
    }

    private const ulong Fill = 0xA5A5_A5A5_A5A5_A5A5;

    [Fact]
    public void Msrs_go_to_the_real_bases_the_virtual_cpu_or_its_dictionary()
    {
        var cpu = new VirtualCpuState();
        var regs = new UserRegs { Rip = Rip };
        void Wrmsr(uint index, ulong value)
        {
            regs.Rip = Rip; regs.Rcx = index; regs.Rax = Fill << 32 | (uint)value; regs.Rdx = Fill << 32 | value >> 32;
            Done(new byte[] { 0x0F, 0x30 }, ref regs, cpu);
        }
        ulong Rdmsr(uint index)
        {
            regs.Rip = Rip; regs.Rcx = index; regs.Rax = Fill; regs.Rdx = Fill;
            Done(new byte[] { 0x0F, 0x32 }, ref regs, cpu);
            Assert.True(regs.Rax <= uint.MaxValue && regs.Rdx <= uint.MaxValue);
            return regs.Rdx << 32 | regs.Rax;
        }

        Wrmsr(0xC000_0101, 0x1_0000_2000);
        Assert.Equal(0x1_0000_2000UL, regs.GsBase);
        Wrmsr(0xC000_0102, 0xFFFF_8000_0000_0000);
        Assert.Equal(0xFFFF_8000_0000_0000UL, cpu.KernelGsBase);
        Wrmsr(0x277, 0x0007_0406_0007_0406);
        Assert.Equal(0x0007_0406_0007_0406UL, cpu.Msrs[0x277]);
        Assert.Equal(0x0007_0406_0007_0406UL, Rdmsr(0x277));
        Assert.Equal(0x1_0000_2000UL, Rdmsr(0xC000_0101));

        // swapgs exchanges GS.base with KERNEL_GS_BASE.
        regs.Rip = Rip;
        Done(new byte[] { 0x0F, 0x01, 0xF8 }, ref regs, cpu);
        Assert.Equal(0xFFFF_8000_0000_0000UL, regs.GsBase);
        Assert.Equal(0x1_0000_2000UL, cpu.KernelGsBase);

        regs.Rip = Rip; regs.Rcx = 0x10;
        var e = Run(new byte[] { 0x0F, 0x32 }, ref regs, cpu);
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains("MSR 0x10", e.Reason);
    }

    [Fact]
    public void Control_registers_are_recorded_and_read_back()
    {
        var cpu = VirtualCpuState.FromSpecialRegisters(Solo5Boot());
        var regs = new UserRegs { Rip = Rip, Rax = 0x20_0000 };
        Done(new byte[] { 0x0F, 0x22, 0xD8 }, ref regs, cpu);                                              // mov cr3,rax
        Assert.Equal(0x20_0000UL, cpu.Cr3);
        regs.Rip = Rip; regs.Rax = 0;
        Done(new byte[] { 0x0F, 0x20, 0xD8 }, ref regs, cpu);                                              // mov rax,cr3
        Assert.Equal(0x20_0000UL, regs.Rax);
        regs.Rip = Rip; regs.Rax = 0xF;
        Done(new byte[] { 0x44, 0x0F, 0x22, 0xC0 }, ref regs, cpu);                                        // mov cr8,rax
        Assert.Equal(0xFUL, cpu.Cr8);
        regs.Rip = Rip;
        Done(new byte[] { 0x0F, 0x20, 0xC3 }, ref regs, cpu);                                              // mov rbx,cr0
        Assert.Equal(0x8005_0033UL, regs.Rbx);

        cpu.Cr0 |= 8;   // TS
        regs.Rip = Rip;
        Done(new byte[] { 0x0F, 0x06 }, ref regs, cpu);                                                    // clts
        Assert.Equal(0x8005_0033UL, cpu.Cr0);
        regs.Rip = Rip; regs.Rax = 0x0;
        Done(new byte[] { 0x0F, 0x01, 0xF0 }, ref regs, cpu);                                              // lmsw ax: cannot clear PE
        Assert.Equal(0x8005_0031UL, cpu.Cr0);
        regs.Rip = Rip; regs.Rax = Fill;
        Done(new byte[] { 0x0F, 0x01, 0xE0 }, ref regs, cpu);                                              // smsw eax
        Assert.Equal(0x0031UL, regs.Rax);
    }

    [Fact]
    public void Segment_selectors_read_back_as_the_guest_loaded_them()
    {
        var memory = new FakeGuestMemory();
        var cpu = VirtualCpuState.FromSpecialRegisters(Solo5Boot());
        cpu.Tr = 0x18;
        var regs = new UserRegs { Rip = Rip, Rax = Fill, Rdi = 0x2000 };
        Done(new byte[] { 0x66, 0x8C, 0xD8 }, ref regs, cpu);                                              // mov ax,ds
        Assert.Equal(0xA5A5_A5A5_A5A5_0010UL, regs.Rax);
        regs.Rip = Rip;
        Done(new byte[] { 0x48, 0x8C, 0xC8 }, ref regs, cpu);                                              // mov rax,cs
        Assert.Equal(0x08UL, regs.Rax);
        regs.Rip = Rip;
        Done(new byte[] { 0x8C, 0x17 }, ref regs, cpu, memory);                                            // mov [rdi],ss
        Assert.Equal((ushort)0x10, memory.Load16(0x2000));
        regs.Rip = Rip;
        Done(new byte[] { 0x66, 0x0F, 0x00, 0xC8 }, ref regs, cpu);                                        // str ax
        Assert.Equal(0x18UL, regs.Rax);
    }

    [Fact]
    public void Trivial_ones_only_advance_and_xsetbv_records_xcr0()
    {
        var cpu = new VirtualCpuState();
        var regs = new UserRegs { Rip = Rip, Rax = 0x7, Rdx = 0, Rcx = 0 };
        Done(new byte[] { 0x0F, 0x01, 0x38 }, ref regs, cpu);                                              // invlpg [rax]
        regs.Rip = Rip;
        Done(new byte[] { 0x0F, 0x09 }, ref regs, cpu);                                                    // wbinvd
        regs.Rip = Rip;
        Done(new byte[] { 0x0F, 0x01, 0xD1 }, ref regs, cpu);                                              // xsetbv
        Assert.Equal(7UL, cpu.Xcr0);
        regs.Rip = Rip; regs.Rax = 0x4;
        Assert.Contains("#GP", Run(new byte[] { 0x0F, 0x01, 0xD1 }, ref regs, cpu).Reason);
    }

    [Fact]
    public void Instructions_that_do_not_trap_or_do_not_decode_are_unsupported()
    {
        var regs = new UserRegs { Rip = Rip };
        var e = Run(new byte[] { 0xC3 }, ref regs, new VirtualCpuState());                                // ret
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains("`ret`", e.Reason);

        e = Run(new byte[] { 0x0F, 0x0B }, ref regs, new VirtualCpuState());                              // ud2
        Assert.Equal(EmulationKind.Unsupported, e.Kind);

        e = Run(new byte[] { 0xC7, 0x47 }, ref regs, null);                                               // mov dword [rdi+4],imm32, cut short
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Contains("c747", e.Reason);
        Assert.Contains("continues past", e.Reason);

        e = Run(Array.Empty<byte>(), ref regs, null);
        Assert.Equal(EmulationKind.Unsupported, e.Kind);
        Assert.Equal(Rip, regs.Rip);
    }

    [Fact]
    public void Special_registers_survive_the_round_trip_through_the_virtual_cpu()
    {
        var boot = Solo5Boot();
        var cpu = VirtualCpuState.FromSpecialRegisters(boot);
        Assert.False(cpu.InterruptsEnabled);
        var sregs = cpu.ToSpecialRegisters(new UserRegs { FsBase = 0x1234, GsBase = 0x5678 });
        Assert.Equal(boot.Gdt.Base, sregs.Gdt.Base);
        Assert.Equal(boot.Gdt.Limit, sregs.Gdt.Limit);
        Assert.Equal((boot.Cr0, boot.Cr3, boot.Cr4, boot.Efer), (sregs.Cr0, sregs.Cr3, sregs.Cr4, sregs.Efer));
        Assert.Equal((ushort)0x08, sregs.Cs.Selector);
        Assert.Equal(1, sregs.Cs.L);
        Assert.Equal(0, sregs.Cs.Dpl);
        Assert.Equal((0x1234UL, 0x5678UL), (sregs.Fs.Base, sregs.Gs.Base));
        Assert.Equal(1, sregs.Ldt.Unusable);
    }
}
