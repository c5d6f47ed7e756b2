using Tender.Oci;
using Tender.Oci.Bundle;
using Tender.Oci.Lifecycle;
using Tender.Oci.Spec;
using Tender.Run;

namespace Tender.Cli;

/// <summary>
/// `tender oci init`: the container's process. It opens the start gate and waits there (state
/// `created`); after `start` it runs the startContainer hooks and boots the guest in this
/// process, with run options built from the bundle's typed plan, never from a string of flags.
/// Its exit status is the guest's (docs/abi.md's exit codes), which the shim reports as the task's.
/// </summary>
internal static class OciInit
{
    public static int Run(OciArguments parsed, string root, RuntimeLog log)
    {
        var directory = new StateDirectory(root, parsed.Operands[0]);
        string bundle = parsed.Value("--bundle") ?? throw new OciException("init: --bundle is missing");
        // With a terminal the container's stdio is the pseudoterminal `create` sent to the shim;
        // first, before anything writes to stdout or stderr.
        if (parsed.Value("--console") is string console) Tender.Host.Pseudoterminal.BecomeStdio(console);
        // linux.namespaces' network path: this thread, which boots the guest and opens its TAP
        // devices, lives there (the networking seam attaches the guest's TAP in that namespace).
        // Entered before the gate, so the container is in its namespace from `created` on.
        if (parsed.Value("--netns") is string netns)
        {
            try
            {
                Tender.Host.NetworkNamespace.EnterOnThisThread(netns);
            }
            catch (Tender.Host.HostException e)
            {
                throw new OciException($"network namespace {netns}: {e.Message}");
            }
        }
        GuestPlan plan;
        using (var gate = StartGate.Open(directory.GatePath))
        {
            gate.WaitForStart();
            // Read after start: create checked the same bundle; this is the copy the guest boots from.
            plan = BundleReader.Read(bundle);
        }
        var record = directory.Read();
        Hooks.Run("startContainer", plan.Hooks.StartContainer, new ContainerState
        {
            Id = record.Id,
            Status = ContainerStatus.Running,
            Pid = record.Pid,
            Bundle = record.Bundle,
            Rootfs = record.Rootfs,
            Created = record.Created,
            Annotations = record.Annotations,
        });
        if (record.Network is not null)
            throw new OciException("a network was attached, but this tender cannot hand it to the guest yet");
        return TenderProgram.RunGuest(ToRunOptions(plan), Serilog.Events.LogEventLevel.Warning);
    }

    /// <summary>The tender's run options from the plan: typed values only.</summary>
    public static RunOptions ToRunOptions(GuestPlan plan) => new()
    {
        KernelPath = plan.KernelPath,
        GuestArguments = plan.GuestArguments,
        ManifestPath = plan.ManifestPath,
        MemoryMiB = plan.MemoryMiB,
        Platform = plan.Platform switch
        {
            "kvm" => PlatformChoice.Kvm,
            "process" => PlatformChoice.Process,
            _ => PlatformChoice.Auto,
        },
        Devices = [.. plan.BlockFiles.Select(b => new Devices.DeviceOption("block", b.Name, b.RootfsPath))],
        Sandbox = true,
    };
}
