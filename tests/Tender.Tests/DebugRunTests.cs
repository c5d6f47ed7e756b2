using System.Diagnostics;
using System.Globalization;
using Tender.Debugging;
using Tender.Run;
using Tender.Tests.Support;

namespace Tender.Tests;

/// <summary>
/// The run loop's debugger seam on each platform, driven by a scripted debugger in the test (the
/// gdb stub drives the same seam): the guest stops before its first instruction, single steps,
/// its registers and memory are read and written, a software breakpoint written into its
/// read-only text stops it, and it runs on to HALT — or is killed, or stops where it faults.
/// The guest is Guests/exit7.S: <c>_start: mov $7, %edi; call lib_halt</c>.
/// </summary>
public sealed class DebugRunTests
{
    private delegate DebugResumeKind Step(GuestStop stop, GuestDebugAccess access);

    /// <summary>A debugger that answers each stop with the next step of a script.</summary>
    private sealed class ScriptedDebugger(GuestDebugAccess access, Queue<Step> script) : IGuestDebugger
    {
        public readonly List<GuestStop> Stops = [];
        public int? ExitCode;
        public ulong[] Registers = [];

        public DebugResumeKind OnStop(GuestStop stop)
        {
            Stops.Add(stop);
            Assert.True(script.Count > 0, $"no script step left for stop {stop}");
            return script.Dequeue()(stop, access);
        }

        public void OnExit(int exitCode) => ExitCode = exitCode;
        public ReadOnlySpan<ulong> DebugRegisters => Registers;

        public IReadOnlyList<Tender.Debugging.PageWatch> PageWatches => [];
        public void WatchForInterrupts(Action interrupt) { }
        public void EndSession() { }
        public readonly HashSet<ulong> Breakpoints = [];
        public bool OwnsBreakpointAt(ulong address) => Breakpoints.Contains(address) || Originals.ContainsKey(address);
        /// <summary>Breakpoints set with <see cref="Insert"/>: address → the byte under the trap byte.</summary>
        public readonly Dictionary<ulong, byte> Originals = [];

        /// <summary>A breakpoint as gdb's stub sets it: the platform's trap byte, the original kept.</summary>
        public void Insert(ulong address)
        {
            Span<byte> one = stackalloc byte[1];
            Assert.Equal(1, access.ReadMemory(address, one));
            Assert.Equal(1, access.WriteMemory(address, [access.BreakpointInstruction]));
            Originals[address] = one[0];
        }

        public void Remove(ulong address)
        {
            Assert.Equal(1, access.WriteMemory(address, [Originals[address]]));
            Originals.Remove(address);
        }
        public int ReadProgramMemory(ulong address, Span<byte> into)
        {
            int n = access.ReadMemory(address, into);
            foreach (var (at, original) in Originals)
                if (at >= address && at - address < (ulong)n) into[(int)(at - address)] = original;
            return n;
        }
        public void Dispose() { }
    }

    private static RunOutcome Run(string elf, Func<GuestDebugAccess, ScriptedDebugger> attach, out ScriptedDebugger debugger, params string[] arguments)
    {
        ScriptedDebugger? made = null;
        using var stop = new StopController();
        var options = new RunOptions
        {
            KernelPath = elf,
            MemoryMiB = arguments.Length == 0 ? 8UL : 32UL,
            GuestArguments = arguments,
            Platform = TestPlatform.Current == "process" ? PlatformChoice.Process : PlatformChoice.Kvm,
            AttachDebugger = a => made = attach(a),
        };
        var outcome = new GuestRunner(options, stop).Run();
        debugger = made!;
        return outcome;
    }

    private static ulong Symbol(string elf, string name)
    {
        var info = new ProcessStartInfo("nm", [elf]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var nm = Process.Start(info)!;
        string text = nm.StandardOutput.ReadToEnd();
        nm.WaitForExit();
        string line = text.Split('\n').Single(l => l.EndsWith(" " + name, StringComparison.Ordinal));
        return ulong.Parse(line.Split(' ')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    [GuestFact]
    public void A_debugger_steps_writes_registers_and_memory_breaks_and_continues_to_the_halt()
    {
        string elf = TestGuests.Build("exit7");
        ulong start = Symbol(elf, "_start"), halt = Symbol(elf, "lib_halt");
        byte saved = 0;
        ScriptedDebugger? self = null;
        var script = new Queue<Step>([
            (stop, a) =>
            {
                Assert.Equal(GuestStopKind.Initial, stop.Kind);
                Assert.Equal(start, a.ReadRegisters().Rip);
                Span<byte> code = stackalloc byte[5];
                Assert.Equal(5, a.ReadMemory(start, code));
                Assert.Equal(new byte[] { 0xBF, 7, 0, 0, 0 }, code.ToArray()); // mov $7, %edi
                return DebugResumeKind.Step;
            },
            (stop, a) =>
            {
                Assert.Equal(GuestStopKind.SingleStep, stop.Kind);
                var r = a.ReadRegisters();
                Assert.Equal(start + 5, r.Rip);
                Assert.Equal(7UL, r.Rdi);
                r.Rdi = 9;                                   // the guest will halt with 9, not 7
                Assert.True(a.WriteRegisters(r));
                Span<byte> one = stackalloc byte[1];
                Assert.Equal(1, a.ReadMemory(halt, one));
                saved = one[0];
                Assert.Equal(1, a.WriteMemory(halt, [0xCC])); // into text the guest cannot write
                self!.Breakpoints.Add(halt);
                return DebugResumeKind.Continue;
            },
            (stop, a) =>
            {
                Assert.Equal(GuestStopKind.Breakpoint, stop.Kind);
                Assert.Equal(halt, a.ReadRegisters().Rip);
                Assert.Equal(1, a.WriteMemory(halt, [saved]));
                return DebugResumeKind.Continue;
            },
        ]);
        var outcome = Run(elf, a => self = new ScriptedDebugger(a, script), out var debugger);
        Assert.Equal(9, outcome.ExitCode);
        Assert.Equal(9, debugger.ExitCode);
        Assert.Empty(script);
    }

    [GuestFact]
    public void Kill_ends_the_run_with_137_and_a_fault_stops_with_its_signal()
    {
        var kill = new Queue<Step>([(stop, a) => DebugResumeKind.Kill]);
        Assert.Equal(RunOutcome.KilledByDebugger, Run(TestGuests.Build("exit7"), a => new ScriptedDebugger(a, kill), out _).ExitCode);

        // fault.S KIND=2 reads page 0: the debugger sees SIGSEGV at the faulting instruction, then
        // continuing ends the run as the crash it is.
        string fault = TestGuests.Build("fault", ("KIND", "2"));
        ulong start = Symbol(fault, "_start");
        var script = new Queue<Step>([
            (stop, a) => DebugResumeKind.Continue,
            (stop, a) =>
            {
                Assert.Equal(GuestStopKind.Fault, stop.Kind);
                Assert.Equal(11, stop.Signal);
                var r = a.ReadRegisters();
                Assert.InRange(r.Rip, start, start + 64);
                Assert.Equal(0x1111UL, r.Rbx);
                return DebugResumeKind.Continue;
            },
        ]);
        var outcome = Run(fault, a => new ScriptedDebugger(a, script), out var debugger);
        Assert.Equal(RunOutcome.Crash, outcome.ExitCode);
        Assert.Equal(RunOutcome.Crash, debugger.ExitCode);
    }

    /// <summary>The length of the instruction at <paramref name="address"/>, as the program has it.</summary>
    private static int InstructionLength(ScriptedDebugger d, ulong address)
    {
        var code = new byte[15];
        Assert.Equal(15, d.ReadProgramMemory(address, code));
        var decoder = Iced.Intel.Decoder.Create(64, new Iced.Intel.ByteArrayCodeReader(code), address);
        decoder.Decode(out var instruction);
        Assert.False(instruction.IsInvalid);
        return instruction.Length;
    }

    /// <summary>
    /// The Solo5-mode probe (CPL 0, its own IDT) stepped with a breakpoint on the next instruction
    /// (where steps are hlt bytes, the step's trap merges with it), stopped at a breakpoint on
    /// `halt`, stepped from there once it is removed, and continued to its status. The breakpoint
    /// byte is the platform's (hlt under KVM without guest debugging, else int3).
    /// </summary>
    [GuestFact]
    public void A_solo5_guest_is_stepped_and_stopped_at_breakpoints()
    {
        string elf = Tender.Tests.Solo5.Solo5Guests.Probe;
        ulong start = Symbol(elf, "_start"), halt = Symbol(elf, "halt");
        ulong next = 0;
        ScriptedDebugger? self = null;
        var script = new Queue<Step>([
            (stop, a) =>
            {
                Assert.Equal(GuestStopKind.Initial, stop.Kind);
                Assert.Equal(start, a.ReadRegisters().Rip);
                next = start + (ulong)InstructionLength(self!, start);
                self!.Insert(next);
                return DebugResumeKind.Step;
            },
            (stop, a) =>
            {
                Assert.Equal(GuestStopKind.SingleStep, stop.Kind);
                Assert.Equal(next, a.ReadRegisters().Rip);
                self!.Remove(next);
                self.Insert(halt);
                return DebugResumeKind.Continue;
            },
            (stop, a) =>
            {
                Assert.Equal(GuestStopKind.Breakpoint, stop.Kind);
                Assert.Equal(halt, a.ReadRegisters().Rip);
                Assert.Equal(7UL, a.ReadRegisters().Rdi); // halt(7, 0)
                self!.Remove(halt);
                next = halt + (ulong)InstructionLength(self, halt);
                return DebugResumeKind.Step;
            },
            (stop, a) =>
            {
                Assert.Equal(GuestStopKind.SingleStep, stop.Kind);
                Assert.Equal(next, a.ReadRegisters().Rip);
                return DebugResumeKind.Continue;
            },
        ]);
        var outcome = Run(elf, a => self = new ScriptedDebugger(a, script), out var debugger, "halt", "7");
        Assert.Equal(7, outcome.ExitCode);
        Assert.Equal(7, debugger.ExitCode);
        Assert.Empty(script);
    }

    /// <summary>
    /// Continuing from a breakpoint at RIP, without taking it out first. Where breakpoints are hlt
    /// bytes the tender steps over it itself (its original instruction runs) and the guest stops at
    /// the next breakpoint, the first one still in; with int3 (where the CPU's own single step
    /// and int3 work) the int3 runs and stops the guest at the same address again, as on a CPU.
    /// </summary>
    [GuestFact]
    public void Continuing_from_a_breakpoint_at_rip()
    {
        string elf = Tender.Tests.Solo5.Solo5Guests.Probe;
        ulong main = Symbol(elf, "guest_main"), halt = Symbol(elf, "halt");
        bool hlt = false;
        ScriptedDebugger? self = null;
        var script = new Queue<Step>([
            (stop, a) =>
            {
                hlt = a.BreakpointInstruction == 0xF4;
                self!.Insert(main);
                self.Insert(halt);
                return DebugResumeKind.Continue;
            },
            (stop, a) =>
            {
                Assert.Equal(GuestStopKind.Breakpoint, stop.Kind);
                Assert.Equal(main, a.ReadRegisters().Rip);
                return DebugResumeKind.Continue; // the breakpoint stays
            },
            (stop, a) =>
            {
                Assert.Equal(GuestStopKind.Breakpoint, stop.Kind);
                Assert.Equal(hlt ? halt : main, a.ReadRegisters().Rip);
                Span<byte> one = stackalloc byte[1];
                Assert.Equal(1, a.ReadMemory(main, one));
                Assert.Equal(a.BreakpointInstruction, one[0]); // still armed
                self!.Remove(main);
                self.Remove(halt);
                return DebugResumeKind.Continue;
            },
        ]);
        var outcome = Run(elf, a => self = new ScriptedDebugger(a, script), out _, "halt", "7");
        Assert.Equal(7, outcome.ExitCode);
        Assert.Empty(script);
    }

    /// <summary>
    /// A step of ud2 (the probe's `trap` command): where steps are hlt bytes it cannot be done (the
    /// exception goes to the guest's own IDT), so the debugger gets a SIGSTOP stop saying so and the
    /// guest has not moved; where the CPU steps, the #UD is the guest's fault.
    /// </summary>
    [GuestFact]
    public void A_step_of_ud2_is_refused_where_steps_are_hlt_bytes()
    {
        string elf = Tender.Tests.Solo5.Solo5Guests.Probe;
        ulong main = Symbol(elf, "guest_main");
        ulong ud2 = 0;
        bool hlt = false;
        ScriptedDebugger? self = null;
        var script = new Queue<Step>([
            (stop, a) =>
            {
                hlt = a.BreakpointInstruction == 0xF4;
                var code = new byte[0x1000];
                int n = a.ReadMemory(main, code);
                var decoder = Iced.Intel.Decoder.Create(64, new Iced.Intel.ByteArrayCodeReader(code, 0, n), main);
                while (decoder.IP < main + (ulong)n - 15)
                {
                    decoder.Decode(out var i);
                    if (i.Mnemonic == Iced.Intel.Mnemonic.Ud2) { ud2 = i.IP; break; }
                }
                Assert.NotEqual(0UL, ud2);
                self!.Insert(ud2);
                return DebugResumeKind.Continue;
            },
            (stop, a) =>
            {
                Assert.Equal(GuestStopKind.Breakpoint, stop.Kind);
                Assert.Equal(ud2, a.ReadRegisters().Rip);
                self!.Remove(ud2);
                return DebugResumeKind.Step;
            },
            (stop, a) =>
            {
                if (hlt)
                {
                    Assert.Equal(GuestStopKind.StepRefused, stop.Kind);
                    Assert.Equal(17, stop.Signal); // SIGSTOP as gdb numbers it
                    Assert.Contains("cannot step `ud2`", stop.Message);
                    Assert.Equal(ud2, a.ReadRegisters().Rip);
                }
                else Assert.Equal(GuestStopKind.Fault, stop.Kind);
                return DebugResumeKind.Kill;
            },
        ]);
        var outcome = Run(elf, a => self = new ScriptedDebugger(a, script), out _, "trap");
        Assert.Equal(RunOutcome.KilledByDebugger, outcome.ExitCode);
        Assert.Empty(script);
    }

    /// <summary>
    /// A hlt the debugger did not put there is the guest's own, even where breakpoints are hlt
    /// bytes: the guest stops with the crash it is (SIGSEGV) and continuing ends the run as one.
    /// </summary>
    [GuestFact]
    public void A_hlt_the_debugger_did_not_write_is_the_guests_crash()
    {
        string elf = Tender.Tests.Solo5.Solo5Guests.Probe;
        ulong main = Symbol(elf, "guest_main");
        var script = new Queue<Step>([
            (stop, a) =>
            {
                Assert.Equal(1, a.WriteMemory(main, [0xF4])); // not a breakpoint of the debugger's
                return DebugResumeKind.Continue;
            },
            (stop, a) =>
            {
                Assert.Equal(GuestStopKind.Fault, stop.Kind);
                Assert.Equal(11, stop.Signal);
                return DebugResumeKind.Continue;
            },
        ]);
        var outcome = Run(elf, a => new ScriptedDebugger(a, script), out var debugger, "halt", "7");
        Assert.Equal(RunOutcome.Crash, outcome.ExitCode);
        Assert.Equal(RunOutcome.Crash, debugger.ExitCode);
        Assert.Empty(script);
    }
}
