using Tender.Host.Interop;
using Tender.Kvm.Interop;
using Tender.Paging;

namespace Tender.Kvm;

/// <summary>
/// The KVM platform behind the seam (<see cref="IMachine"/>): /dev/kvm, one VM, its vCPU 0.
/// Disposing it closes all three and frees the guest memory the VM created.
/// </summary>
public sealed class KvmMachine : IMachine
{
    private readonly KvmSystem _kvm;
    private readonly KvmVcpu _vcpu;
    private CpuidEntry[]? _cpuid;
    private ulong _tscHz;

    private KvmMachine(KvmSystem kvm, Vm vm, Vcpu vcpu)
    {
        _kvm = kvm;
        Vm = vm;
        _vcpu = new KvmVcpu(vcpu, this);
    }

    /// <summary>Opens /dev/kvm and creates the VM and vCPU 0; a <see cref="KvmException"/> says what failed.</summary>
    public static KvmMachine Open(string path = "/dev/kvm")
    {
        var kvm = KvmSystem.Open(path);
        Vm? vm = null;
        try
        {
            vm = kvm.CreateVm();
            return new KvmMachine(kvm, vm, vm.CreateVcpu(0));
        }
        catch
        {
            vm?.Dispose();
            kvm.Dispose();
            throw;
        }
    }

    public string PlatformName => "kvm";

    /// <summary>The VM itself, for what only KVM has (tests of memory slots).</summary>
    public Vm Vm { get; }

    public IVcpu Vcpu => _vcpu;

    public IReadOnlyList<GuestMemory> Memories => Vm.Memories;

    public GuestMemory AddMemory(string name, ulong guestPhysicalAddress, ulong size) => Vm.AddMemory(name, guestPhysicalAddress, size);

    public GuestMemory AddExternalMemory(string name, ulong guestPhysicalAddress, nint hostAddress, ulong size) =>
        Vm.AddExternalMemory(name, guestPhysicalAddress, hostAddress, size);

    public ulong TscFrequencyHz => _tscHz != 0 ? _tscHz : _tscHz = _vcpu.Inner.GetTscKhz() * 1000;

    public CpuidEntry[] SupportedCpuid => _cpuid ??= _kvm.GetSupportedCpuid();

    public SpecialRegisters ResetSpecialRegisters => _vcpu.Inner.GetSpecialRegisters();

    public void Dispose()
    {
        Vm.Dispose();
        _kvm.Dispose();
    }
}

/// <summary>KVM's vCPU as the run loop sees it: KVM_RUN's exits mapped onto <see cref="VcpuExitKind"/>.</summary>
internal sealed class KvmVcpu(Vcpu vcpu, KvmMachine machine) : IVcpu, IVcpuDebug
{
    private DebugStop _lastStop;

    private VmExitReason _reason;
    private string? _failure;

    public Vcpu Inner => vcpu;

    private SpecialRegisters _start;

    public void Start(VcpuStartState state)
    {
        _start = state.SpecialRegisters;
        vcpu.SetCpuid(state.Cpuid ?? machine.SupportedCpuid);
        vcpu.SetSpecialRegisters(state.SpecialRegisters);
        vcpu.SetRegisters(state.Registers);
        if (state.Fpu is FpuState fpu) vcpu.SetFpu(fpu);
        // Part of set-up, not of the first run: its executable page and sigaction come before
        // the tender's sandbox, which allows neither (docs/security.md).
        VcpuKicker.EnsureInstalled();
        _ = KvmGuestDebugSupport.DebugRegistersWork; // probed at set-up, before the sandbox
    }

    public VcpuExitKind Run()
    {
        _failure = null;
        try
        {
            _reason = vcpu.Run();
        }
        catch (KvmException e) when (e.Errno == LibC.EFAULT)
        {
            // KVM could not reach the host memory behind a guest access: a store to a page the
            // tender made read-only (solo5-hvt's wording, so tools that grep for it still work).
            _failure = "host/guest translation fault: KVM_RUN could not access guest memory (a store to read-only memory?)";
            return VcpuExitKind.HostWriteFault;
        }
        return _reason switch
        {
            VmExitReason.Io => VcpuExitKind.Io,
            VmExitReason.Mmio => VcpuExitKind.Mmio,
            VmExitReason.Interrupted => VcpuExitKind.Interrupted,
            VmExitReason.Hlt => VcpuExitKind.Halt,
            VmExitReason.Debug when DecodeDebugExit() => VcpuExitKind.Debug,
            _ => VcpuExitKind.Other,
        };
    }

    /// <summary>KVM_EXIT_DEBUG: #BP from an int3 (KVM leaves RIP at the int3), or #DB with DR6
    /// saying why: BS (bit 14) a single step, B0-B3 a debug register.</summary>
    private bool DecodeDebugExit()
    {
        var (exception, pc, dr6, _) = vcpu.DebugExit;
        if (exception == 3)
        {
            // RIP is the int3's address on the hosts measured; if a host advanced it past the
            // one-byte instruction, go back so that RIP names the breakpoint.
            var regs = vcpu.GetRegisters();
            if (regs.Rip != pc)
            {
                regs.Rip = pc;
                vcpu.SetRegisters(regs);
            }
            _lastStop = new DebugStop(DebugStopKind.Breakpoint, -1);
            return true;
        }
        if (exception != 1) return false;
        for (int slot = 0; slot < 4; slot++)
        {
            if ((dr6 & (1UL << slot)) != 0)
            {
                _lastStop = new DebugStop(DebugStopKind.HardwareBreakpoint, slot);
                return true;
            }
        }
        _lastStop = new DebugStop(DebugStopKind.SingleStep, -1);
        return true;
    }

    /// <remarks>
    /// The debug registers go both to KVM's guest debugging (where KVM intercepts #DB, they stop
    /// the guest as KVM_EXIT_DEBUG) and into the guest's own DR0-DR7 (where it does not, as on
    /// this nested host, the #DB reaches the boot mode's fault stub, which reports it).
    /// </remarks>
    public void Enable(bool singleStep, ReadOnlySpan<ulong> debugRegisters)
    {
        vcpu.SetGuestDebug(true, singleStep, debugRegisters);
        vcpu.SetDebugRegisters(debugRegisters.Length == 5 ? debugRegisters[..4] : [], debugRegisters.Length == 5 ? debugRegisters[4] : 0);
    }

    public void Disable()
    {
        vcpu.SetGuestDebug(false, false, []);
        vcpu.SetDebugRegisters([], 0);
    }

    public ulong DebugStatus => vcpu.GetDebugStatus();

    public bool StepsReliably => false;

    public bool HasDebugRegisters => KvmGuestDebugSupport.DebugRegistersWork;

    public DebugStop LastStop => _lastStop;

    public void SetRegisters(in CpuRegisters registers) => vcpu.SetRegisters(registers);

    public bool TryTranslate(ulong virtualAddress, out ulong physicalAddress)
    {
        physicalAddress = virtualAddress;
        var sregs = vcpu.GetSpecialRegisters();
        if ((sregs.Cr0 & (1UL << 31)) == 0) return true;
        var t = PageWalker.Translate(sregs.Cr3, virtualAddress, machine.Vm.TryReadPhysicalUInt64);
        if (t is null) return false;
        physicalAddress = t.Value.PhysicalAddress;
        return true;
    }

    public IoExit IoExit => vcpu.IoExit;

    public MmioExit MmioExit => vcpu.MmioExit;

    public (GuestFault Fault, ulong Cr2) Fault =>
        throw new InvalidOperationException("KVM reports CPU exceptions through the boot mode's fault stub, not as an exit of their own");

    public string DescribeExit() => _failure ?? vcpu.DecodeExit(_reason).Describe();

    public CpuRegisters GetRegisters() => vcpu.GetRegisters();

    // The vCPU sits in the CPL 0 fault stub after its report: back to the user code and stack
    // segments the guest started with (the `out` is not completed: KVM skips it only while RIP is unchanged).
    public void ResumeUserMode(ulong rip, ulong rsp, ulong rflags)
    {
        var s = vcpu.GetSpecialRegisters();
        s.Cs = _start.Cs;
        s.Ss = _start.Ss;
        vcpu.SetSpecialRegisters(s);
        var r = vcpu.GetRegisters();
        r.Rip = rip;
        r.Rsp = rsp;
        r.Rflags = rflags;
        vcpu.SetRegisters(r);
    }

    public SpecialRegisters GetSpecialRegisters() => vcpu.GetSpecialRegisters();

    public int ReadVirtual(ulong address, Span<byte> into, out string? stop)
    {
        stop = null;
        SpecialRegisters sregs;
        try
        {
            sregs = vcpu.GetSpecialRegisters();
        }
        catch (KvmException e)
        {
            stop = e.Message;
            return 0;
        }
        bool paging = (sregs.Cr0 & (1UL << 31)) != 0;
        for (int i = 0; i < into.Length; i++)
        {
            ulong va = address + (ulong)i, pa = va;
            if (paging)
            {
                var t = PageWalker.Translate(sregs.Cr3, va, machine.Vm.TryReadPhysicalUInt64);
                if (t is null) { stop = $"0x{va:x} is not mapped"; return i; }
                pa = t.Value.PhysicalAddress;
            }
            var memory = machine.Vm.FindMemory(pa, 1);
            if (memory is null) { stop = $"0x{va:x} maps to guest-physical 0x{pa:x}, outside guest memory"; return i; }
            into[i] = memory.GetSpan(pa, 1)[0];
        }
        return into.Length;
    }

    public void Kick() => vcpu.Kick();
}
