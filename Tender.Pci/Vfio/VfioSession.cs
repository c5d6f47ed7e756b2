using Tender.Pci.Dma;

namespace Tender.Pci.Vfio;

/// <summary>A host device a guest takes, as the manifest and the command line name it.</summary>
/// <param name="ManifestName">The PCI_BASIC entry's name (for messages).</param>
/// <param name="Address">The host function from <c>--pci:NAME=0000:BB:DD.F</c>.</param>
/// <param name="Expected">The manifest's identity.</param>
/// <param name="BusMasterEnable">The manifest's bus_master_enable.</param>
public sealed record VfioDeviceRequest(string ManifestName, PciAddress Address, PciIdentity Expected, bool BusMasterEnable);

/// <summary>
/// Everything VFIO for one guest: one container (one IOMMU context, so one DMA mapping serves all
/// devices), the groups of the requested devices (each opened once even if it holds several of
/// them), and the devices. Disposing releases them in the safe order: BAR mappings and devices,
/// then groups, then the container (which drops every IOMMU mapping). The tender disposes the
/// session on every exit path; a failure part-way through <see cref="Open"/> releases what was taken.
/// </summary>
public sealed class VfioSession : IDisposable
{
    private readonly VfioContainer _container;
    private readonly Dictionary<int, VfioGroup> _groups = [];
    private readonly List<VfioDevice> _devices = [];

    private VfioSession(VfioContainer container) => _container = container;

    public VfioContainer Container => _container;
    /// <summary>The opened devices, in request order.</summary>
    public IReadOnlyList<VfioDevice> Devices => _devices;

    /// <summary>
    /// Checks every request in sysfs first (driver, group, identity: cheap and with the clearest
    /// messages), then opens the container, groups and devices, re-checks the identity in the
    /// configuration space and sets bus mastering as the manifest says.
    /// </summary>
    public static VfioSession Open(IReadOnlyList<VfioDeviceRequest> requests,
        string sysRoot = "/sys", string devicePath = VfioContainer.DefaultDevicePath)
    {
        var sysfs = new SysfsPci(sysRoot);
        var addresses = requests.Select(r => r.Address).ToHashSet();
        if (addresses.Count != requests.Count)
            throw new VfioException("the same PCI device is given to two manifest devices");
        var functions = requests.Select(r => sysfs.RequireAssignable(r.Address, r.Expected, r.ManifestName, addresses)).ToArray();

        var session = new VfioSession(VfioContainer.Open(devicePath));
        try
        {
            for (int i = 0; i < requests.Count; i++)
            {
                VfioDeviceRequest request = requests[i];
                int groupNumber = functions[i].IommuGroup!.Value;
                if (!session._groups.TryGetValue(groupNumber, out VfioGroup? group))
                {
                    group = VfioGroup.Open(groupNumber, devicePath);
                    session._groups.Add(groupNumber, group);
                    group.AttachTo(session._container);
                }
                VfioDevice device = VfioDevice.Open(group, request.Address);
                session._devices.Add(device);
                device.RequireIdentity(request.Expected, request.ManifestName);
                device.SetBusMaster(request.BusMasterEnable);
            }
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Maps the guest's DMA area in the IOMMU at its IOVA (2^40), for every device of the session.</summary>
    public void MapDma(DmaArea area)
    {
        // Check the window against what the IOMMU reports first: a 39-bit IOMMU cannot map 2^40,
        // and saying so beats an EINVAL from the map call.
        string? problem = _container.GetIommuInfo().CheckWindow(area.BaseIova, area.Size);
        if (problem is not null) throw new VfioException(problem);
        area.MapInto(_container);
    }

    public void Dispose()
    {
        foreach (VfioDevice device in _devices) device.Dispose();
        _devices.Clear();
        foreach (VfioGroup group in _groups.Values) group.Dispose();
        _groups.Clear();
        _container.Dispose();
    }
}
