using System.Buffers.Binary;
using Tender.Tests.Support;

namespace Tender.Tests.Solo5;

/// <summary>
/// Boots the probe guest (guest/probe.c), which looks like a Solo5 hvt unikernel, through the real
/// tender under /dev/kvm and checks what it saw against solo5-hvt's behaviour
/// (docs/solo5-mode.md). The guest runs at CPL 0, which nested PVM hosts emulate slowly: each
/// boot is kept to a few thousand instructions.
/// </summary>
public class Solo5BootTests
{
    private const ulong MiB = 1024 * 1024;

    [GuestFact]
    public void Entry_state_is_solo5_hvts()
    {
        var r = Solo5Run.Run(["--mem=32"], Solo5Guests.Probe, "state");
        Assert.True(r.ExitCode == 0, r.ToString());

        Assert.Equal(32 * MiB - 8, r.Number("rsp"));
        Assert.Equal(0x10000UL, r.Number("rdi"));
        // CR0.ET (bit 4) is hard-wired to 1 on some CPUs; solo5-hvt sets PE|NE|WP|PG.
        Assert.Equal(0x8001_0021UL, r.Number("cr0") & ~0x10UL);
        Assert.Equal(0x2000UL, r.Number("cr3"));
        Assert.Equal(0x620UL, r.Number("cr4"));
        Assert.Equal(0x500UL, r.Number("efer"));
        Assert.Equal(0UL, r.Number("other_gprs"));
        Assert.Equal(0UL, r.Number("fs_base"));
        Assert.Equal(0UL, r.Number("gs_base"));
        if (TestPlatform.Current == "process")
        {
            // On the process platform the guest runs at CPL 3: instructions that trap (moves from
            // control registers, rdmsr, rdfsbase) are emulated and show solo5-hvt's state above;
            // pushf, moves from segment registers and sgdt/sidt/str do not trap, so they show the
            // process's own (docs/platforms.md, "Differences between the platforms").
            Assert.Equal(0x202UL, r.Number("rflags"));
            Assert.Equal(0x33UL, r.Number("cs"));
            return;
        }
        Assert.Equal(0x2UL, r.Number("rflags"));
        Assert.Equal(0x8UL, r.Number("cs"));
        foreach (string seg in new[] { "ss", "ds", "es", "fs", "gs" })
            Assert.Equal(0x10UL, r.Number(seg));
        Assert.Equal(0UL, r.Number("tr"));
        Assert.Equal(0UL, r.Number("ldtr"));
        Assert.Equal(0x1000UL, r.Number("gdtr_base"));
        Assert.Equal(23UL, r.Number("gdtr_limit"));
        Assert.Equal(0UL, r.Number("idtr_base"));
        Assert.Equal(0UL, r.Number("idtr_limit"));
    }

    [GuestFact]
    public void Boot_info_manifest_and_command_line_are_where_solo5_hvt_puts_them()
    {
        var r = Solo5Run.Run(["--mem=33"], Solo5Guests.Probe, "state");
        Assert.True(r.ExitCode == 0, r.ToString());

        Assert.Equal(32 * MiB, r.Number("mem_size")); // 33 MiB rounded down to 2 MiB pages
        // kernel_end: end of the last segment with file bytes (.data), not of .bss.
        Assert.Equal(r.Number("image_data_end"), r.Number("kernel_end"));
        Assert.NotEqual(r.Number("image_bss_end"), r.Number("kernel_end"));
        ulong tsc = r.Number("cpu_cycle_freq");
        Assert.InRange(tsc, 100_000_000UL, 10_000_000_000UL);
        Assert.Equal(0UL, tsc % 1000); // KVM gives kHz

        Assert.Equal(0x10038UL, r.Number("mft_addr"));
        Assert.Equal(0x10038UL + 8 + 104, r.Number("cmdline_addr"));
        Assert.Equal(0UL, r.Number("host_features"));
        Assert.Equal(0UL, r.Number("guest_features"));
        Assert.Equal(0UL, r.Number("net_ring"));

        // The copy the guest reads has the note's contents; the note itself stays where it was linked.
        Assert.Contains("\nmft_version=1 entries=1\n", r.Stdout);
        Assert.Contains("\nmft_e0 name=[] type=0x40000000 capacity=0 block_size=0 attached=0\n", r.Stdout);
        Assert.Contains("\nnote_e0 name=[] type=0x40000000 capacity=0 block_size=0 attached=0\n", r.Stdout);
        Assert.NotEqual(r.Number("note_mft_addr"), r.Number("mft_addr"));
        Assert.True(r.Number("note_mft_addr") >= 0x100000);
    }

    [GuestFact]
    public void Cpuid_is_what_kvm_supports_unchanged()
    {
        // solo5-hvt hands KVM_GET_SUPPORTED_CPUID to KVM_SET_CPUID2 as it is; the process platform
        // cannot make CPUID trap, so there the guest sees the host's own.
        Tender.Platform.CpuidEntry[] supported;
        if (TestPlatform.Current == "process")
            supported = Tender.ProcessPlatform.ProcessMachine.HostCpuid();
        else
            using (var kvm = Tender.Kvm.KvmSystem.Open()) supported = kvm.GetSupportedCpuid();
        var r = Solo5Run.Run(Solo5Guests.Probe, "state");
        Assert.True(r.ExitCode == 0, r.ToString());

        string Expected(uint leaf)
        {
            var e = supported.First(x => x.Function == leaf && x.Index == 0);
            return $"cpuid_0x{leaf:x}=0x{e.Eax:x} 0x{e.Ebx:x} 0x{e.Ecx:x} 0x{e.Edx:x}\n";
        }
        Assert.Contains(Expected(0), r.Stdout);
        Assert.Contains(Expected(0x80000000), r.Stdout);
        Assert.Contains(Expected(0x80000001), r.Stdout);
        // Leaf 1: only EAX (family/model/stepping) is stable. KVM adjusts EDX at run time (the
        // APIC bit follows the APIC base, which Solo5's state leaves 0), and this nested PVM host
        // reports ECX bits beyond the list; solo5-hvt's guests see exactly the same here.
        var one = supported.First(x => x.Function == 1 && x.Index == 0);
        Assert.Contains($"cpuid_0x1=0x{one.Eax:x} ", r.Stdout);
    }

    [GuestFact]
    public void Command_line_is_the_arguments_joined_by_single_spaces()
    {
        var r = Solo5Run.Run(Solo5Guests.Probe, "state", "two  spaces", "", "last");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("cmdline=[state two  spaces  last] len=23\n", r.Stdout);
    }

    [GuestFact]
    public void Walltime_and_poll_sleep()
    {
        long before = (long)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        var r = Solo5Run.Run(Solo5Guests.Probe, "time", "50");
        long after = (long)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        Assert.True(r.ExitCode == 0, r.ToString());

        Assert.InRange((long)r.Number("walltime_ns"), before, after);
        Assert.Equal(0UL, r.Number("poll_ret"));        // timed out, nothing ready
        Assert.Equal(0UL, r.Number("poll_ready_set"));
        Assert.InRange(r.Number("slept_wall_ns"), 50_000_000UL, 5_000_000_000UL);
        // The TSC ran on during the sleep: at least 50 ms worth of cycles at the advertised rate.
        // (The rate is printed by the "state" run; 100 MHz is a floor no host is below.)
        Assert.True(r.Number("slept_tsc_cycles") >= 5_000_000UL, r.ToString());
    }

    [GuestFact]
    public void Halt_status_becomes_the_exit_code_modulo_256()
    {
        Assert.Equal(7, Solo5Run.Run(Solo5Guests.Probe, "halt", "7").ExitCode);
        Assert.Equal(0, Solo5Run.Run(Solo5Guests.Probe, "halt", "0").ExitCode);
        Assert.Equal(300 & 0xFF, Solo5Run.Run(Solo5Guests.Probe, "halt", "300").ExitCode);
    }

    [GuestFact]
    public void Abort_prints_the_guests_own_message_and_exits_255()
    {
        // Solo5's bindings print the message themselves, then HALT 255 with a trap-frame cookie.
        var withFrame = Solo5Run.Run(Solo5Guests.Probe, "abort");
        Assert.True(withFrame.ExitCode == 255, withFrame.ToString());
        Assert.Contains("Solo5: ABORT: probe.c:1: Fatal trap\n", withFrame.Stdout);
        // The cookie is read as the trap frame probe.c passed, not as text.
        Assert.Contains("trap frame at the HALT cookie: rip 0x100123 rsp 0x1ffff80 rflags 0x10046 cs 0x8 (CPL 0) ss 0x10 error code 0x2 cr2 0xcafe000",
            withFrame.Stderr);

        var plain = Solo5Run.Run(Solo5Guests.Probe, "abort-nocookie");
        Assert.True(plain.ExitCode == 255, plain.ToString());
        Assert.Contains("Solo5: ABORT: probe.c:2: assertion failed\n", plain.Stdout);
        Assert.DoesNotContain("trap frame", plain.Stderr);
    }

    [GuestFact]
    public void A_cpu_exception_without_an_idt_is_reported_as_a_crash()
    {
        // solo5-hvt exits 1 on the triple fault; the tender's contract says 125 (docs/solo5-mode.md, section 8).
        var r = Solo5Run.Run(Solo5Guests.Probe, "trap");
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.DoesNotContain("survived", r.Stdout);
    }

    [GuestFact]
    public void A_buffer_past_the_end_of_memory_ends_the_guest()
    {
        var r = Solo5Run.Run(Solo5Guests.Probe, "badptr");
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.DoesNotContain("survived_badptr", r.Stdout);
        Assert.Contains("PUTS", r.Stderr);
    }

    [GuestFact]
    public void A_store_to_the_guests_own_text_is_stopped_as_solo5_hvt_does()
    {
        // Host-side mprotect of the read-only segments (the guest's page tables are all writable).
        var r = Solo5Run.Run(Solo5Guests.Probe, "write-text");
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.DoesNotContain("survived_write_text", r.Stdout);
        if (TestPlatform.Current == "process")
        {
            // The child maps the text read-only itself: the store is the guest's own #PF (this
            // probe has no IDT, so it is the tender's report), not a failed host access.
            Assert.Contains("#PF page fault (vector 14)", r.Stderr);
            Assert.Contains("protection violation (page present), write", r.Stderr);
        }
        else
        {
            Assert.Contains("host/guest translation fault", r.Stderr);
            Assert.Contains("read-only guest memory (ELF segment", r.Stderr);
        }

        var data = Solo5Run.Run(Solo5Guests.Probe, "write-data");
        Assert.True(data.ExitCode == 0, data.ToString());
        Assert.Contains("wrote_data=7", data.Stdout);
    }

    [GuestFact]
    public void A_hypercall_result_aimed_at_read_only_text_is_refused_without_hurting_the_tender()
    {
        var r = Solo5Run.Run(Solo5Guests.Probe, "walltime-text");
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.DoesNotContain("survived_walltime_text", r.Stdout);
        Assert.Contains("WALLTIME", r.Stderr);
        Assert.Contains("not writable guest memory", r.Stderr);
    }

    [GuestFact]
    public void A_port_that_is_not_a_hypercall_ends_the_guest()
    {
        var port = Solo5Run.Run(Solo5Guests.Probe, "badport");
        Assert.True(port.ExitCode == 125, port.ToString());
        Assert.DoesNotContain("survived_badport", port.Stdout);

        var zero = Solo5Run.Run(Solo5Guests.Probe, "nocall");
        Assert.True(zero.ExitCode == 125, zero.ToString());
        Assert.DoesNotContain("survived_nocall", zero.Stdout);
    }

    [GuestFact]
    public void Memory_beyond_4_GiB_is_refused_before_booting()
    {
        var r = Solo5Run.Run(["--mem=4098"], Solo5Guests.Probe, "state");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("4 GiB", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void The_probe_is_a_solo5_hvt_abi2_elf_with_its_notes_in_separate_pt_notes()
    {
        // Guards the test guest itself: solo5-hvt reads only the first note of each PT_NOTE.
        var elf = Tender.Loader.ElfImage.Load(Solo5Guests.Probe);
        Assert.Equal(new Tender.Loader.Solo5AbiNote(1, 2), elf.Solo5Abi);
        var solo5Notes = elf.Notes.Where(n => n.Owner == "Solo5").ToList();
        Assert.Equal(2, solo5Notes.Count);
        Assert.NotEqual(solo5Notes[0].ProgramHeaderIndex, solo5Notes[1].ProgramHeaderIndex);
        Assert.NotNull(elf.ManifestNote);
        Assert.Equal(8 + 104, elf.ManifestNote!.Length);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(elf.ManifestNote));
    }
}
