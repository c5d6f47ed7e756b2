using System.Diagnostics;
using System.Text;
using Serilog;
using Tender.Boot;
using Tender.Devices;
using Tender.Diagnostics;
using Tender.Hypercalls;
using Tender.Kvm;
using Tender.Kvm.Interop;
using Tender.Loader;
using Tender.Manifest;

namespace Tender.Run;

/// <summary>
/// `tender run`: loads the ELF, builds the VM through the guest's boot mode, and runs vCPU 0 until
/// the guest halts, crashes, or is stopped. Returns the exit code (docs/abi.md).
/// </summary>
internal sealed class GuestRunner(RunOptions options, StopController stop)
{
    public RunOutcome Run()
    {
        long bootTimestamp = Stopwatch.GetTimestamp();
        var elf = ElfImage.Load(options.KernelPath);
        var mode = BootModes.For(elf.Kind);
        var manifest = ManifestSource.Resolve(options.ManifestPath, elf);
        foreach (var pci in manifest.PciDevices)
            throw new TenderException($"manifest declares PCI device '{pci.Name}', but PCI devices are not supported by tender run yet");
        using var devices = AttachDevices(manifest, options.Devices);
        byte[] manifestBinary = Solo5Mft.Encode(manifest);
        devices.FillManifest(manifestBinary);
        using var poller = new DevicePoller();
        devices.AddTo(poller);
        stop.OnStop(poller.Wake);

        if (options.MemoryMiB == 0 || options.MemoryMiB > (1UL << 44) >> 20)
            throw new TenderException($"--mem={options.MemoryMiB}: must be a positive number of MiB");
        ulong memorySize = mode.AdjustMemorySize(options.MemoryMiB << 20);
        elf.Validate(memorySize, mode.ReservedTop(elf, memorySize));
        string commandLine = string.Join(' ', options.GuestArguments);
        if (Encoding.UTF8.GetByteCount(commandLine) >= 8192)
            throw new TenderException($"guest arguments are {Encoding.UTF8.GetByteCount(commandLine)} bytes joined; at most 8191 fit (Solo5's HVT_CMDLINE_SIZE)");

        using var kvm = OpenKvm();
        using var vm = kvm.CreateVm();
        var ram = vm.AddMemory("guest RAM", 0, memorySize);
        unsafe
        {
            elf.LoadInto((byte*)ram.UnsafeHostPointer, memorySize);
        }
        var vcpu = vm.CreateVcpu(0);
        var supportedCpuid = kvm.GetSupportedCpuid();
        ulong tscHz = vcpu.GetTscKhz() * 1000;

        var setup = mode.Prepare(new BootContext
        {
            Vm = vm,
            Vcpu = vcpu,
            Ram = ram,
            MemorySize = memorySize,
            Elf = elf,
            Manifest = manifest,
            ManifestBinary = manifestBinary,
            CommandLine = commandLine,
            TscFrequencyHz = tscHz,
            SupportedCpuid = supportedCpuid,
        });
        vcpu.SetCpuid(setup.Cpuid ?? supportedCpuid);
        vcpu.SetSpecialRegisters(setup.SpecialRegisters);
        vcpu.SetRegisters(setup.Registers);
        if (setup.Fpu is KvmFpu fpu) vcpu.SetFpu(fpu);

        Log.Information("booting {Kernel} in {Mode} mode: {Memory} MiB, entry 0x{Entry:x}, TSC {Tsc} MHz, command line \"{CommandLine}\"",
            options.KernelPath, mode.Name, memorySize >> 20, elf.Entry, tscHz / 1_000_000, commandLine);
        if (Log.IsEnabled(Serilog.Events.LogEventLevel.Debug))
        {
            foreach (var line in setup.LayoutDescription) Log.Debug("{Line}", line);
            foreach (var (handle, name, device) in devices.All(manifest)) Log.Debug("device handle {Handle}: {Name} = {Device}", handle, name, device);
        }

        using var tracer = options.Trace ? new HypercallTracer(options.TracePath, options.TraceFormat, bootTimestamp) : null;
        using var console = Console.OpenStandardOutput();
        var hypercalls = new HypercallHandler(ram, setup.GuestAccess, console, devices, poller, tracer);
        stop.Attach(vcpu);
        return Loop(vm, vcpu, hypercalls, setup.FaultReporter);
    }

    private static KvmSystem OpenKvm()
    {
        try
        {
            return KvmSystem.Open();
        }
        catch (KvmException e)
        {
            throw new TenderException(e.Message);
        }
    }

    /// <summary>Opens the --block/--net devices and matches them with the manifest (solo5-hvt's rules).</summary>
    private static GuestDevices AttachDevices(AppManifest manifest, IReadOnlyList<DeviceOption> options)
    {
        try
        {
            return GuestDevices.Attach(manifest, options);
        }
        catch (DeviceException e)
        {
            throw new TenderException(e.Message);
        }
    }

    private RunOutcome Loop(Vm vm, Vcpu vcpu, HypercallHandler hypercalls, IFaultReporter? faults)
    {
        while (true)
        {
            if (stop.Outcome is RunOutcome stopped) return stopped;
            var reason = vcpu.Run();
            if (reason == VmExitReason.Io)
            {
                var io = vcpu.IoExit;
                int n = io.Port - HvtAbi.PortBase;
                if (io.IsOut && (uint)n < HvtAbi.MaxHypercalls)
                {
                    if (io.Size != 4 || io.Count != 1)
                        return Crash(vm, vcpu, $"invalid hypercall: {io}: a hypercall is a 32-bit `out` of the argument's address", []);
                    try
                    {
                        if (hypercalls.Handle(n, io.Value) is RunOutcome end) return end;
                    }
                    catch (GuestCrashException e)
                    {
                        return Crash(vm, vcpu, e.Message, []);
                    }
                    continue;
                }
                if (faults is not null && faults.TryDecode(io, vcpu, out var fault))
                {
                    var (headline, details) = CrashReport.DescribeFault(fault, vcpu.GetSpecialRegisters().Cr2);
                    return Crash(vm, vcpu, headline, details, fault);
                }
                return Crash(vm, vcpu, $"port I/O the tender does not handle: {io}", []);
            }
            if (reason == VmExitReason.Interrupted) continue; // a stop request, or a stray signal: the loop head decides
            var exit = vcpu.DecodeExit(reason);
            return Crash(vm, vcpu, exit.Describe(), []);
        }
    }

    private static RunOutcome Crash(Vm vm, Vcpu vcpu, string headline, IEnumerable<string> details, GuestFault? fault = null)
    {
        Console.Out.Flush();
        Console.Error.Write(CrashReport.Build(headline, details, vcpu, vm, fault));
        return RunOutcome.Crashed(headline);
    }
}
