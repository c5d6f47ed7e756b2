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
        return TenderProgram.RunGuest(ToRunOptions(plan, record.Network), Serilog.Events.LogEventLevel.Warning);
    }

    /// <summary>
    /// The tender's run options from the plan: typed values only. The attached network, if any,
    /// becomes the manifest's one NET_BASIC device on the TAP, with the interface's MAC, and the
    /// guest's --ipv4/--ipv4-gateway arguments after the container's own (the namespace's address
    /// is the truth of where the guest lives).
    /// </summary>
    public static RunOptions ToRunOptions(GuestPlan plan, AttachedNetwork? network = null)
    {
        var devices = plan.BlockFiles.Select(b => new Devices.DeviceOption(Devices.DeviceOption.Block, b.Name, b.RootfsPath)).ToList();
        var arguments = plan.GuestArguments.ToList();
        if (network is not null)
        {
            string device = NetworkDevice(plan);
            devices.Add(new Devices.DeviceOption(Devices.DeviceOption.Net, device, network.TapName));
            devices.Add(new Devices.DeviceOption(Devices.DeviceOption.NetMac, device, network.Mac));
            arguments.AddRange(Tender.Oci.Networking.ContainerNetworking.GuestArguments(network));
        }
        return new()
        {
            KernelPath = plan.KernelPath,
            GuestArguments = arguments,
            ManifestPath = plan.ManifestPath,
            MemoryMiB = plan.MemoryMiB,
            Platform = plan.Platform switch
            {
                "kvm" => PlatformChoice.Kvm,
                "process" => PlatformChoice.Process,
                _ => PlatformChoice.Auto,
            },
            Devices = devices,
            Sandbox = true,
        };
    }

    /// <summary>The guest's network device: the one NET_BASIC device its manifest (annotation or ELF note) declares.</summary>
    private static string NetworkDevice(GuestPlan plan)
    {
        Tender.Manifest.AppManifest manifest;
        try
        {
            manifest = Tender.Manifest.ManifestSource.Resolve(plan.ManifestPath, Tender.Loader.ElfImage.Load(plan.KernelPath));
        }
        catch (Exception e) when (e is Tender.Manifest.ManifestFormatException or Tender.Loader.ElfFormatException or IOException)
        {
            throw new OciException($"the container has a network, and its guest's manifest cannot be read: {e.Message}");
        }
        var nets = manifest.Devices.OfType<Tender.Manifest.NetBasicDevice>().ToList();
        return nets.Count == 1
            ? nets[0].Name
            : throw new OciException($"the container has a network, so its guest's manifest must declare exactly one NET_BASIC device (it declares {nets.Count})");
    }
}
