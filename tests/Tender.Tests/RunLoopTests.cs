using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tender.Run;
using Tender.Tests.Support;

namespace Tender.Tests;

/// <summary>
/// The run loop above the platform seam, driven by a scripted vCPU: no KVM, no child process.
/// Each exit kind reaches the same handling whichever platform produced it (docs/platforms.md).
/// </summary>
public class RunLoopTests
{
    private const ulong Arguments = 0x20_0000; // in the deprivileged guest's heap: hypercalls may point here

    private static RunOutcome Run(Action<ScriptedVcpu> script) => Run((v, _) => script(v));

    private static RunOutcome Run(Action<ScriptedVcpu, StopController> script)
    {
        var vcpu = new ScriptedVcpu();
        using var stop = new StopController();
        script(vcpu, stop);
        var machine = new ScriptedMachine(vcpu);
        var options = new RunOptions { KernelPath = TestGuests.Build("hello"), MemoryMiB = 32 };
        var outcome = new GuestRunner(options, stop, _ => machine).Run();
        Assert.True(machine.Disposed, "the runner disposes the machine");
        Assert.Empty(vcpu.Steps);
        return outcome;
    }

    [Fact]
    public void Hypercalls_are_served_from_port_exits_and_halt_ends_the_run()
    {
        ulong walltime = 0;
        var outcome = Run(v =>
        {
            v.Out(0x501, Arguments);                                    // WALLTIME
            v.Then(m => walltime = m.Memories[0].ReadUInt64(Arguments));
            v.Then(m => WriteHalt(m, 7));
            v.Out(0x500 + 8, Arguments + 0x100);                        // HALT
        });
        Assert.Equal(7, outcome.ExitCode);
        var now = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        Assert.InRange(walltime, now - 60_000_000_000UL, now + 1_000_000_000UL);
    }

    [Fact]
    public void A_hypercall_of_the_wrong_width_is_a_crash()
    {
        var outcome = Run(v => v.Out(0x501, Arguments, size: 1));
        Assert.Equal(RunOutcome.Crash, outcome.ExitCode);
        Assert.Contains("invalid hypercall", outcome.Description);
    }

    [Fact]
    public void A_fault_exit_is_a_crash_report_with_its_vector()
    {
        var outcome = Run(v => v.Raise(new GuestFault(14, 6, 0x100123, 0x1B, 0x202, 0x1000, 0x23), cr2: 0x10));
        Assert.Equal(RunOutcome.Crash, outcome.ExitCode);
        Assert.Contains("#PF page fault (vector 14) at RIP 0x100123, CPL 3", outcome.Description);
    }

    [Fact]
    public void An_mmio_exit_no_device_owns_ends_the_guest_with_the_platform_description()
    {
        var outcome = Run(v => v.Mmio(0x7000_0000, "MMIO write of 4 bytes at guest-physical 0x70000000 (no memory there)"));
        Assert.Equal(RunOutcome.Crash, outcome.ExitCode);
        Assert.Contains("0x70000000 (no memory there)", outcome.Description);
    }

    [Fact]
    public void An_interrupted_run_ends_with_the_stop_request()
    {
        var outcome = Run((v, stop) =>
        {
            v.Then(_ => stop.Request(new RunOutcome(RunOutcome.Timeout, "timed out"))); // as --timeout's timer would, mid-run
            v.Interrupted();
        });
        Assert.Equal(RunOutcome.Timeout, outcome.ExitCode);
    }

    [Fact]
    public void Any_other_exit_is_a_crash_named_by_the_platform()
    {
        var outcome = Run(v => v.Other("the guest's process was killed by signal 9 from outside the tender"));
        Assert.Equal(RunOutcome.Crash, outcome.ExitCode);
        Assert.Contains("killed by signal 9", outcome.Description);
    }

    private static void WriteHalt(IMachine machine, int status)
    {
        var span = machine.Memories[0].GetSpan(Arguments + 0x100, 16);
        BinaryPrimitives.WriteUInt64LittleEndian(span, 0);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], status);
    }

    /// <summary>Guest memory as plain anonymous memory; the one scripted vCPU.</summary>
    private sealed class ScriptedMachine(ScriptedVcpu vcpu) : IMachine
    {
        private readonly List<GuestMemory> _memories = [];

        public bool Disposed { get; private set; }
        public string PlatformName => "scripted";
        public IVcpu Vcpu => vcpu;
        public IReadOnlyList<GuestMemory> Memories => _memories;
        public ulong TscFrequencyHz => 1_000_000_000;
        public CpuidEntry[] SupportedCpuid => [];
        public SpecialRegisters ResetSpecialRegisters => default;

        public GuestMemory AddMemory(string name, ulong guestPhysicalAddress, ulong size)
        {
            var memory = new GuestMemory(name, guestPhysicalAddress, size);
            _memories.Add(memory);
            vcpu.Machine = this;
            return memory;
        }

        public GuestMemory AddExternalMemory(string name, ulong guestPhysicalAddress, nint hostAddress, ulong size) =>
            throw new PlatformException("not here");

        public void Dispose()
        {
            Disposed = true;
            foreach (var memory in _memories) memory.Dispose();
        }
    }

    /// <summary>A vCPU that returns the exits its script lists, one per Run.</summary>
    private sealed class ScriptedVcpu : IVcpu
    {
        private readonly byte[] _data = GC.AllocateArray<byte>(8, pinned: true);
        private IoExit _io;
        private ulong _mmioAddress;
        private (GuestFault, ulong) _fault;
        private string _description = "";

        public Queue<Func<VcpuExitKind?>> Steps { get; } = new();
        public IMachine? Machine { get; set; }

        public void Out(ushort port, ulong value, byte size = 4) => Steps.Enqueue(() =>
        {
            BitConverter.TryWriteBytes(_data, value);
            _io = new IoExit(true, size, port, 1, Marshal.UnsafeAddrOfPinnedArrayElement(_data, 0));
            return VcpuExitKind.Io;
        });

        public void Then(Action<IMachine> action) => Steps.Enqueue(() => { action(Machine!); return null; });
        public void Raise(GuestFault fault, ulong cr2) => Steps.Enqueue(() => { _fault = (fault, cr2); return VcpuExitKind.Fault; });
        public void Mmio(ulong address, string description) => Steps.Enqueue(() => { _mmioAddress = address; _description = description; return VcpuExitKind.Mmio; });
        public void Interrupted() => Steps.Enqueue(() => VcpuExitKind.Interrupted);
        public void Other(string description) => Steps.Enqueue(() => { _description = description; return VcpuExitKind.Other; });

        public void Start(VcpuStartState state) => Assert.NotEmpty(state.AddressSpace);

        public VcpuExitKind Run()
        {
            while (Steps.TryDequeue(out var step))
                if (step() is VcpuExitKind kind) return kind;
            throw new InvalidOperationException("the script ran out: the loop should have ended");
        }

        public IoExit IoExit => _io;
        public MmioExit MmioExit => new(_mmioAddress, true, _data.AsSpan(0, 4));
        public (GuestFault Fault, ulong Cr2) Fault => _fault;
        public string DescribeExit() => _description;
        public CpuRegisters GetRegisters() => default;

        public void ResumeUserMode(ulong rip, ulong rsp, ulong rflags) => throw new NotSupportedException("scripted runs hand no fault back");
        public SpecialRegisters GetSpecialRegisters() => default;

        public int ReadVirtual(ulong address, Span<byte> into, out string? stop)
        {
            stop = "scripted: no guest code";
            return 0;
        }

        public void Kick() { }
    }
}
