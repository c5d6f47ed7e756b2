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

        public IReadOnlyList<(ulong Address, int Length)> PageWatches => [];
        public void WatchForInterrupts(Action interrupt) { }
        public void EndSession() { }
        public readonly HashSet<ulong> Breakpoints = [];
        public bool OwnsBreakpointAt(ulong address) => Breakpoints.Contains(address);
        public void Dispose() { }
    }

    private static RunOutcome Run(string elf, Func<GuestDebugAccess, ScriptedDebugger> attach, out ScriptedDebugger debugger)
    {
        ScriptedDebugger? made = null;
        using var stop = new StopController();
        var options = new RunOptions
        {
            KernelPath = elf,
            MemoryMiB = 8,
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
}
