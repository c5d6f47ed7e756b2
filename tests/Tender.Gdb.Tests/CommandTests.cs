using System.Buffers.Binary;
using Tender.Gdb;

namespace Tender.Gdb.Tests;

/// <summary>Every command against the fake target, through a real socket and the session's own thread.</summary>
public sealed class CommandTests : IDisposable
{
    private readonly Wire wire = new();
    private readonly Runner runner;
    private FakeTarget Target => runner.Target;

    public CommandTests() => runner = new Runner(wire.Server);

    public void Dispose()
    {
        wire.Dispose();
        runner.Dispose();
        Assert.Null(runner.Failure);
    }

    private static string Le(ulong value, int bytes)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return Convert.ToHexStringLower(b, 0, bytes);
    }

    [Fact]
    public void QSupported_announces_the_packet_size_and_features()
    {
        string reply = wire.Ask("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+");
        Assert.Contains("PacketSize=4000", reply);
        Assert.Contains("qXfer:features:read+", reply);
        Assert.Contains("swbreak+", reply);
        Assert.Contains("hwbreak+", reply);
        Assert.Contains("QStartNoAckMode+", reply);
    }

    [Fact]
    public void Thread_queries_describe_one_thread()
    {
        Assert.Equal("1", wire.Ask("qAttached"));
        Assert.Equal("QC01", wire.Ask("qC"));
        Assert.Equal("m01", wire.Ask("qfThreadInfo"));
        Assert.Equal("l", wire.Ask("qsThreadInfo"));
        Assert.Equal("OK", wire.Ask("Hg0"));
        Assert.Equal("OK", wire.Ask("Hc-1"));
        Assert.Equal("OK", wire.Ask("Hg1"));
        Assert.Equal("E01", wire.Ask("Hg2"));
        Assert.Equal("OK", wire.Ask("T1"));
        Assert.Equal("E01", wire.Ask("T2"));
        Assert.Equal("vCont;c;C;s;S", wire.Ask("vCont?"));
    }

    [Fact]
    public void Unknown_packets_get_the_empty_reply()
    {
        Assert.Equal("", wire.Ask("vMustReplyEmpty"));
        Assert.Equal("", wire.Ask("qTStatus"));
        Assert.Equal("", wire.Ask("!"));
        Assert.Equal("", wire.Ask("QNonStop:1"));
        Assert.Equal("", wire.Ask("Z9,401000,1"));
    }

    [Fact]
    public void The_initial_stop_is_sigtrap_on_thread_1()
    {
        Assert.Equal("T05thread:01;", wire.Ask("?"));
    }

    [Fact]
    public void G_reads_every_register_in_target_description_order()
    {
        Target.Registers.Rax = 0x1122334455667788;
        Target.Registers.R15 = 0xF15;
        Target.Registers.FsBase = 0xABCDEF;
        string g = wire.Ask("g");
        Assert.Equal(RegisterLayout.ImageBytes * 2, g.Length);
        Assert.Equal(Le(0x1122334455667788, 8), g[..16]);
        Assert.Equal(Le(0xF15, 8), g.Substring(15 * 16, 16));
        Assert.Equal(Le(FakeTarget.Entry, 8), g.Substring(16 * 16, 16));
        Assert.Equal(Le(0x202, 4), g.Substring(17 * 16, 8));
        Assert.Equal(Le(0xABCDEF, 8), g.Substring(RegisterLayout.Offset(RegisterLayout.FsBase) * 2, 16));
        // No FPU state in the fake: the x87/SSE part is zeros.
        Assert.Equal(new string('0', (RegisterLayout.Offset(RegisterLayout.FsBase) - RegisterLayout.Offset(24)) * 2),
            g[(RegisterLayout.Offset(24) * 2)..(RegisterLayout.Offset(RegisterLayout.FsBase) * 2)]);
    }

    [Fact]
    public unsafe void G_with_fpu_state_reports_it()
    {
        Target.Registers.HasFpu = true;
        Target.Registers.Mxcsr = 0x1F80;
        Target.Registers.Xmm[16] = 0x42; // xmm1 byte 0
        Assert.Equal(Le(0x1F80, 4), wire.Ask("p38"));
        Assert.Equal("42" + new string('0', 30), wire.Ask("p29"));
    }

    [Fact]
    public void Big_g_writes_the_registers_and_refuses_a_wrong_length()
    {
        string g = wire.Ask("g");
        string changed = Le(0x99, 8) + g[16..];
        Assert.Equal("OK", wire.Ask("G" + changed));
        Assert.Equal(0x99UL, Target.Registers.Rax);
        Assert.Equal("E01", wire.Ask("G" + changed[..^2]));
        Assert.Equal("E01", wire.Ask("G" + changed[..^2] + "zz"));
    }

    [Fact]
    public void P_reads_and_writes_one_register()
    {
        Target.Registers.Rbx = 0x1234;
        Assert.Equal(Le(0x1234, 8), wire.Ask("p1"));
        Assert.Equal("OK", wire.Ask("P10=" + Le(0x402000, 8)));
        Assert.Equal(0x402000UL, Target.Registers.Rip);
        Assert.Equal("OK", wire.Ask("P11=" + Le(0x246, 4)));
        Assert.Equal(0x246u, Target.Registers.Eflags);
        Assert.Equal("OK", wire.Ask("P3a=" + Le(0xF5, 8)));
        Assert.Equal(0xF5UL, Target.Registers.GsBase);
        Assert.Equal("E01", wire.Ask("p3b"));
        Assert.Equal("E01", wire.Ask("pzz"));
        Assert.Equal("E01", wire.Ask("P1=12"));
        Assert.Equal("E01", wire.Ask("P1"));
    }

    [Fact]
    public void M_reads_memory_short_at_the_hole_and_errs_inside_it()
    {
        Target.Memory[0x1000] = 0xAB;
        Assert.Equal("ab909090", wire.Ask("m401000,4"));
        Assert.Equal("9090", wire.Ask("m407ffe,10"));          // stops before the hole
        Assert.Equal("E14", wire.Ask("m408000,1"));
        Assert.Equal("E14", wire.Ask("m0,8"));
        Assert.Equal("E14", wire.Ask("mffffffffffffffff,10")); // no wrap past the top
        Assert.Equal("E01", wire.Ask("m401000"));
        Assert.Equal("E01", wire.Ask("m401000,0"));
        Assert.Equal("E01", wire.Ask("m1ffffffffffffffff,1"));
    }

    [Fact]
    public void A_huge_m_length_gets_what_fits_in_a_packet()
    {
        string reply = wire.Ask("m400000,ffffffffffffffff");
        Assert.Equal(GdbSession.MaxRead * 2, reply.Length);
    }

    [Fact]
    public void Big_m_writes_memory_and_never_into_the_hole()
    {
        Assert.Equal("OK", wire.Ask("M401000,3:010203"));
        Assert.Equal(new byte[] { 1, 2, 3 }, Target.Memory.AsSpan(0x1000, 3).ToArray());
        Assert.Equal("E14", wire.Ask("M407fff,2:aabb"));
        Assert.Equal(0xAA, Target.At(0x407fff));
        Assert.Equal("E01", wire.Ask("M401000,3:0102"));
        Assert.Equal("E01", wire.Ask("M401000,1:zz"));
        Assert.Equal("E01", wire.Ask("M401000,1"));
        Assert.Equal("OK", wire.Ask("X401000,0:"));
        Assert.Equal("E01", wire.Ask("X401000,2:a"));
    }

    [Fact]
    public void Z0_writes_int3_hides_it_from_reads_and_z0_restores()
    {
        Target.Memory[0x1010] = 0x55;
        Assert.Equal("OK", wire.Ask("Z0,401010,1"));
        Assert.Equal(0xCC, Target.At(0x401010));
        Assert.Equal("5590", wire.Ask("m401010,2"));
        // gdb writing over the breakpoint changes what comes back, and the int3 stays.
        Assert.Equal("OK", wire.Ask("M401010,1:57"));
        Assert.Equal(0xCC, Target.At(0x401010));
        Assert.Equal("57", wire.Ask("m401010,1"));
        Assert.Equal("OK", wire.Ask("z0,401010,1"));
        Assert.Equal(0x57, Target.At(0x401010));
        Assert.Equal("OK", wire.Ask("z0,401010,1"));
        Assert.Equal("E14", wire.Ask("Z0,408000,1"));
        Assert.Equal(0, Target.RefusedWrites);
        Assert.Equal("E01", wire.Ask("Z0,401010"));
    }

    [Fact]
    public void Z0_writes_the_targets_own_trap_byte_and_reads_still_show_the_original()
    {
        Target.TrapByte = 0xF4; // hlt: what the tender writes for a Solo5-mode guest under KVM without guest debugging
        Target.Memory[0x1010] = 0x55;
        Assert.Equal("OK", wire.Ask("Z0,401010,1"));
        Assert.Equal(0xF4, Target.At(0x401010));
        Assert.Equal("5590", wire.Ask("m401010,2"));
        Assert.Equal("OK", wire.Ask("M401010,1:57"));
        Assert.Equal(0xF4, Target.At(0x401010));
        Assert.Equal("OK", wire.Ask("z0,401010,1"));
        Assert.Equal(0x57, Target.At(0x401010));
    }

    [Fact]
    public void Without_debug_registers_z1_is_a_trap_byte_sharing_its_address_with_a_z0()
    {
        Target.NoDebugRegisters = true;
        Target.Memory[0x1020] = 0x41;
        Assert.Equal("OK", wire.Ask("Z1,401020,1"));
        Assert.Equal(0xCC, Target.At(0x401020));
        Assert.Equal(0, Target.HardwareCalls); // no debug register touched
        Assert.Equal("41", wire.Ask("m401020,1"));
        // More than the four slots: none is used.
        for (int i = 1; i <= 4; i++) Assert.Equal("OK", wire.Ask($"Z1,4010{0x20 + i * 8:x2},1"));
        Assert.Equal("OK", wire.Ask("Z0,401020,1"));
        Assert.Equal("OK", wire.Ask("z1,401020,1"));
        Assert.Equal(0xCC, Target.At(0x401020)); // the Z0 still wants it
        Assert.Equal("OK", wire.Ask("z0,401020,1"));
        Assert.Equal(0x41, Target.At(0x401020));
        Assert.Equal("OK", wire.Ask("z0,401020,1")); // nothing there any more: still OK, as for Z0
        Assert.Equal("E22", wire.Ask("z1,401020,1")); // no such Z1 now
        // Watchpoints still go to the target, which decides.
        Assert.Equal("OK", wire.Ask("Z2,402000,4"));
        Assert.Single(Target.Hardware);
        Assert.Equal("OK", wire.Ask("D"));
        Assert.True(runner.Join(TimeSpan.FromSeconds(10)));
        for (int i = 1; i <= 4; i++) Assert.Equal(0x90, Target.At(0x401020 + (ulong)i * 8));
    }

    [Fact]
    public void A_breakpoint_where_the_target_refuses_the_write_is_an_error_and_not_recorded()
    {
        Target.Memory[0xF010] = 0x77;
        Assert.Equal("E14", wire.Ask("Z0,40f010,1"));
        Assert.Equal(0x77, Target.At(0x40f010));
        Assert.False(runner.Session.HasSoftwareBreakpointAt(0x40f010));
        Assert.Equal("77", wire.Ask("m40f010,1"));
        Assert.Equal("E14", wire.Ask("M40f010,1:cc"));
        Assert.Equal("OK", wire.Ask("D"));
        Assert.True(runner.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal(0x77, Target.At(0x40f010));
    }

    [Fact]
    public void Z1_to_z4_program_the_debug_registers_up_to_the_slots()
    {
        Assert.Equal("OK", wire.Ask("Z1,401020,1"));
        Assert.Equal("OK", wire.Ask("Z2,402000,4"));
        Assert.Equal("OK", wire.Ask("Z3,402008,8"));
        Assert.Equal("OK", wire.Ask("Z4,402010,2"));
        Assert.Equal([(0x401020UL, WatchKind.Execute, 1), (0x402000UL, WatchKind.Write, 4), (0x402008UL, WatchKind.Read, 8), (0x402010UL, WatchKind.Access, 2)], Target.Hardware);
        Assert.Equal("E22", wire.Ask("Z2,402020,4"));   // no fifth slot
        Assert.Equal("OK", wire.Ask("z3,402008,8"));
        Assert.Equal(3, Target.Hardware.Count);
        Assert.Equal("E22", wire.Ask("Z2,402021,4"));   // unaligned
        Assert.Equal("E22", wire.Ask("Z2,402020,3"));   // not a length x86 watches
        Target.RefuseHardware = true;
        Assert.Equal("E22", wire.Ask("Z2,402020,4"));
        Assert.Equal(3, Target.Hardware.Count);
    }

    [Fact]
    public void A_stop_with_a_message_sends_it_to_gdbs_console_before_the_stop_reply()
    {
        Target.RefuseStep = "tender: cannot step `iretq` at 0x401000";
        wire.Send("s");
        string console = wire.Receive(out string before);
        Assert.Equal("+", before);
        Assert.Equal("O" + Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes("tender: cannot step `iretq` at 0x401000\n")), console);
        Assert.Equal("T11thread:01;", wire.Receive());
        Assert.Equal(FakeTarget.Entry, Target.Registers.Rip);
    }

    [Fact]
    public void Continue_reports_the_breakpoint_with_swbreak_when_gdb_understands_it()
    {
        wire.Ask("qSupported:swbreak+;hwbreak+");
        Assert.Equal("OK", wire.Ask("Z0,401040,1"));
        Assert.Equal("T05swbreak:;thread:01;", wire.Ask("c"));
        Assert.Equal(0x401040UL, Target.Registers.Rip);
        Assert.Equal("T05swbreak:;thread:01;", wire.Ask("?"));
    }

    [Fact]
    public void Without_swbreak_in_qSupported_the_stop_is_plain_sigtrap()
    {
        Assert.Equal("OK", wire.Ask("Z0,401040,1"));
        Assert.Equal("T05thread:01;", wire.Ask("c"));
    }

    [Fact]
    public void Steps_and_continues_with_addresses_signals_and_vcont()
    {
        Assert.Equal("T05thread:01;", wire.Ask("s"));
        Assert.Equal(FakeTarget.Entry + 1, Target.Registers.Rip);
        Assert.Equal("T05thread:01;", wire.Ask("s401100"));
        Assert.Equal(0x401101UL, Target.Registers.Rip);
        Assert.Equal("T05thread:01;", wire.Ask("S0b;401200"));
        Assert.Equal(0x401201UL, Target.Registers.Rip);
        Assert.Equal("T05thread:01;", wire.Ask("vCont;s:1;c"));
        Assert.Equal("T05thread:01;", wire.Ask("vCont;S05"));
        Assert.Equal("T05thread:01;", wire.Ask("vCont;s"));
        Assert.Equal(0x401204UL, Target.Registers.Rip);
        Assert.Equal("E01", wire.Ask("vCont;x"));
        Assert.Equal("E01", wire.Ask("vCont;s:2"));
        Assert.Equal("E01", wire.Ask("C5"));
        Assert.Equal("E01", wire.Ask("czz"));
        lock (runner.Resumes)
        {
            Assert.Equal([new Resume(ResumeKind.Step), new Resume(ResumeKind.Step), new Resume(ResumeKind.Step, 11), new Resume(ResumeKind.Step), new Resume(ResumeKind.Step, 5), new Resume(ResumeKind.Step)], runner.Resumes);
        }
    }

    [Fact]
    public void Hardware_breakpoint_and_watchpoint_stops_name_their_reason()
    {
        wire.Ask("qSupported:swbreak+;hwbreak+");
        Assert.Equal("OK", wire.Ask("Z1,401080,1"));
        Assert.Equal("T05hwbreak:;thread:01;", wire.Ask("vCont;c"));
        Assert.Equal("OK", wire.Ask("z1,401080,1"));
        Assert.Equal("OK", wire.Ask("Z2,402000,4"));
        Assert.Equal("T05watch:402000;thread:01;", wire.Ask("c"));
        Assert.Equal(1, Target.At(0x402000) - 0x90);
    }

    [Fact]
    public void Ctrl_c_while_running_stops_with_sigint()
    {
        wire.Send("c");
        Assert.Equal('+', wire.ReadByte());
        Thread.Sleep(100);
        wire.SendRaw("\x03");
        Assert.Equal("T02thread:01;", wire.Receive());
        Assert.Equal("QC01", wire.Ask("qC"));
    }

    [Fact]
    public void Detach_replies_ok_and_takes_every_breakpoint_out()
    {
        Target.Memory[0x1040] = 0x31;
        Assert.Equal("OK", wire.Ask("Z0,401040,1"));
        Assert.Equal("OK", wire.Ask("Z2,402000,4"));
        Assert.Equal("OK", wire.Ask("D"));
        Assert.True(runner.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal(new Resume(ResumeKind.Detach), runner.Final);
        Assert.Equal(0x31, Target.At(0x401040));
        Assert.Empty(Target.Hardware);
        Assert.False(runner.Session.HasSoftwareBreakpointAt(0x401040));
    }

    [Fact]
    public void Kill_ends_the_session_without_a_reply_and_restores_memory()
    {
        Assert.Equal("OK", wire.Ask("Z0,401040,1"));
        wire.Send("k");
        Assert.Equal('+', wire.ReadByte());
        Assert.True(runner.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal(new Resume(ResumeKind.Kill), runner.Final);
        Assert.Equal(0x90, Target.At(0x401040));
        // Later stops return the same end.
        Assert.Equal(new Resume(ResumeKind.Kill), runner.Session.Stopped(new StopEvent(StopReason.Signal, 11)));
    }

    [Fact]
    public void VKill_replies_ok_and_kills()
    {
        Assert.Equal("OK", wire.Ask("vKill;1"));
        Assert.True(runner.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal(new Resume(ResumeKind.Kill), runner.Final);
    }

    [Fact]
    public void A_guest_that_exits_while_gdb_waits_sends_w()
    {
        runner.RunLimit = TimeSpan.FromMilliseconds(200);
        Assert.Equal("W00", wire.Ask("c"));
        Assert.True(runner.Join(TimeSpan.FromSeconds(10)));
    }
}
