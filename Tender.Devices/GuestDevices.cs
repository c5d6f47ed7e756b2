using Tender.Manifest;

namespace Tender.Devices;

/// <summary>One device option from the command line: <c>--OPTION:NAME=VALUE</c>.</summary>
public sealed record DeviceOption(string Option, string Name, string Value)
{
    public const string Block = "block";
    public const string BlockReadOnly = "block-ro";
    public const string BlockSectorSize = "block-sector-size";
    public const string Net = "net";
    public const string NetMac = "net-mac";

    /// <summary>Every option name, without "--" and ":".</summary>
    public static readonly IReadOnlyList<string> Names = [Block, BlockReadOnly, BlockSectorSize, Net, NetMac];

    public override string ToString() => $"--{Option}:{Name}={Value}";
}

/// <summary>
/// The BLOCK_BASIC and NET_BASIC devices of one guest, opened from the command line and matched
/// against its manifest both ways, as solo5-hvt does: every option must name a device the manifest
/// declares with the right type, and every declared block or network device must be attached.
/// Devices are found by their Solo5 handle (manifest entry index; device k of the manifest is
/// handle k + 1). PCI_BASIC devices are not this class's business and are left alone.
/// </summary>
public sealed class GuestDevices : IDisposable
{
    /// <summary>The manifest's block_size field is 16 bits wide, so this is the largest sector size a guest can be told.</summary>
    public const uint MaxSectorSize = 32768;

    private readonly BlockDevice?[] _blocks;
    private readonly TapDevice?[] _nets;
    private readonly List<IDisposable> _owned = [];

    private GuestDevices(int handles)
    {
        _blocks = new BlockDevice?[handles];
        _nets = new TapDevice?[handles];
    }

    /// <summary>Devices opened elsewhere, by handle (the fuzz harness's block file and socket-pair NIC);
    /// this object owns them from now on.</summary>
    internal static GuestDevices Of(IReadOnlyList<BlockDevice?> blocks, IReadOnlyList<TapDevice?> nets)
    {
        var devices = new GuestDevices(Math.Max(blocks.Count, nets.Count));
        for (int h = 0; h < blocks.Count; h++)
            if (blocks[h] is BlockDevice b) devices._blocks[h] = devices.Own(b);
        for (int h = 0; h < nets.Count; h++)
            if (nets[h] is TapDevice n) devices._nets[h] = devices.Own(n);
        return devices;
    }

    /// <summary>Handles 0 .. Count-1 (entry 0 is Solo5's reserved entry).</summary>
    public int HandleCount => _blocks.Length;

    /// <summary>Network devices by handle (null where the handle is not one), for the ring engine.</summary>
    public IReadOnlyList<TapDevice?> NetworkByHandle => _nets;

    public bool HasNetwork => _nets.Any(n => n is not null);
    public bool IsEmpty => !_nets.Any(n => n is not null) && !_blocks.Any(b => b is not null);

    /// <summary>The block device behind handle, or null if handle is not one (any 64-bit value is safe).</summary>
    public BlockDevice? Block(ulong handle) => handle < (ulong)_blocks.Length ? _blocks[handle] : null;

    /// <summary>The network device behind handle, or null.</summary>
    public TapDevice? Network(ulong handle) => handle < (ulong)_nets.Length ? _nets[handle] : null;

    /// <summary>(handle, name, device) of every attached device, in handle order, for logs.</summary>
    public IEnumerable<(int Handle, string Name, object Device)> All(AppManifest manifest)
    {
        for (int i = 0; i < manifest.Devices.Count; i++)
        {
            int h = AppManifest.HandleOf(i);
            if (_blocks[h] is BlockDevice b) yield return (h, manifest.Devices[i].Name, b);
            if (_nets[h] is TapDevice n) yield return (h, manifest.Devices[i].Name, n);
        }
    }

    /// <summary>
    /// Opens the devices the options ask for and checks them against the manifest. Throws
    /// <see cref="DeviceException"/> with one message naming the option or the device and what is
    /// wrong; nothing stays open then.
    /// </summary>
    public static GuestDevices Attach(AppManifest manifest, IReadOnlyList<DeviceOption> options)
    {
        var devices = new GuestDevices(manifest.Devices.Count + 1);
        try
        {
            devices.Open(manifest, options);
            return devices;
        }
        catch
        {
            devices.Dispose();
            throw;
        }
    }

    private void Open(AppManifest manifest, IReadOnlyList<DeviceOption> options)
    {
        // First pass: check every option's syntax and name, and collect per-device settings.
        var blockPaths = new Dictionary<string, (DeviceOption Option, bool ReadOnly)>();
        var sectorSizes = new Dictionary<string, (DeviceOption Option, uint Size)>();
        var taps = new Dictionary<string, DeviceOption>();
        var macs = new Dictionary<string, (DeviceOption Option, MacAddress Mac)>();
        foreach (var o in options)
        {
            if (DeviceOptionSyntax.CheckName(o.Name) is string badName) throw new DeviceException($"{o}: {badName}");
            if (o.Value.Length == 0) throw new DeviceException($"{o}: no value after '{o.Name}='");
            var want = o.Option is DeviceOption.Net or DeviceOption.NetMac ? DeviceType.NetBasic : DeviceType.BlockBasic;
            var declared = manifest.Find(o.Name);
            if (declared is null)
                throw new DeviceException($"{o}: the manifest declares no device '{o.Name}' ({Declared(manifest)})");
            if (declared.Type != want)
                throw new DeviceException($"{o}: '{o.Name}' is a {declared.TypeName} device in the manifest, not {ManifestLimits.TypeName(want)}");
            switch (o.Option)
            {
                case DeviceOption.Block or DeviceOption.BlockReadOnly:
                    if (!blockPaths.TryAdd(o.Name, (o, o.Option == DeviceOption.BlockReadOnly)))
                        throw new DeviceException($"{o}: block device '{o.Name}' is already attached by {blockPaths[o.Name].Option}");
                    break;
                case DeviceOption.BlockSectorSize:
                    if (!DeviceOptionSyntax.TryParseSectorSize(o.Value, out uint size, out var sizeError))
                        throw new DeviceException($"{o}: {sizeError}");
                    if (size > MaxSectorSize)
                        throw new DeviceException($"{o}: sector size {size} does not fit the manifest's 16-bit block_size (at most {MaxSectorSize})");
                    if (!sectorSizes.TryAdd(o.Name, (o, size)))
                        throw new DeviceException($"{o}: the sector size of '{o.Name}' is already set by {sectorSizes[o.Name].Option}");
                    break;
                case DeviceOption.Net:
                    if (!taps.TryAdd(o.Name, o))
                        throw new DeviceException($"{o}: network device '{o.Name}' is already attached by {taps[o.Name]}");
                    break;
                case DeviceOption.NetMac:
                    if (!MacAddress.TryParse(o.Value, out var mac, out var macError))
                        throw new DeviceException($"{o}: {macError}");
                    if (!macs.TryAdd(o.Name, (o, mac)))
                        throw new DeviceException($"{o}: the MAC of '{o.Name}' is already set by {macs[o.Name].Option}");
                    break;
                default:
                    throw new DeviceException($"{o}: unknown device option --{o.Option} (expected one of {string.Join(", ", DeviceOption.Names.Select(n => "--" + n + ":"))})");
            }
        }
        foreach (var (name, (option, _)) in sectorSizes)
            if (!blockPaths.ContainsKey(name))
                throw new DeviceException($"{option}: no --block:{name}=PATH attaches device '{name}'");
        foreach (var (name, (option, _)) in macs)
            if (!taps.ContainsKey(name))
                throw new DeviceException($"{option}: no --net:{name}=IFACE attaches device '{name}'");

        // Every declared block and network device must be attached (solo5-hvt refuses to start otherwise).
        for (int i = 0; i < manifest.Devices.Count; i++)
        {
            var d = manifest.Devices[i];
            bool attached = d.Type switch
            {
                DeviceType.BlockBasic => blockPaths.ContainsKey(d.Name),
                DeviceType.NetBasic => taps.ContainsKey(d.Name),
                _ => true,
            };
            if (!attached)
                throw new DeviceException(d.Type == DeviceType.BlockBasic
                    ? $"the manifest declares BLOCK_BASIC device '{d.Name}' (handle {AppManifest.HandleOf(i)}), but no --block:{d.Name}=PATH attaches it"
                    : $"the manifest declares NET_BASIC device '{d.Name}' (handle {AppManifest.HandleOf(i)}), but no --net:{d.Name}=IFACE attaches it");
        }

        // Second pass: open them, in manifest order.
        for (int i = 0; i < manifest.Devices.Count; i++)
        {
            var d = manifest.Devices[i];
            int handle = AppManifest.HandleOf(i);
            if (d.Type == DeviceType.BlockBasic)
            {
                var (option, readOnly) = blockPaths[d.Name];
                uint sectorSize = sectorSizes.TryGetValue(d.Name, out var s) ? s.Size : BlockDevice.DefaultSectorSize;
                try
                {
                    _blocks[handle] = Own(BlockDevice.Open(option.Value, new BlockDeviceOptions(sectorSize, readOnly)));
                }
                catch (DeviceException e)
                {
                    throw new DeviceException($"{option}: {e.Message}", e);
                }
            }
            else if (d.Type == DeviceType.NetBasic)
            {
                var option = taps[d.Name];
                MacAddress? mac = macs.TryGetValue(d.Name, out var m) ? m.Mac : null;
                TapDevice tap;
                try
                {
                    tap = Own(TapDevice.Open(option.Value, mac));
                }
                catch (DeviceException e)
                {
                    throw new DeviceException($"{option}: {e.Message}", e);
                }
                if (tap.Mtu > ushort.MaxValue)
                    throw new DeviceException($"{option}: MTU {tap.Mtu} does not fit the manifest's 16-bit mtu");
                foreach (var other in _nets)
                    if (other is not null && other.InterfaceName == tap.InterfaceName)
                        throw new DeviceException($"{option}: interface {tap.InterfaceName} is already attached to another device");
                _nets[handle] = tap;
            }
        }
    }

    private T Own<T>(T device) where T : IDisposable
    {
        _owned.Add(device);
        return device;
    }

    private static string Declared(AppManifest manifest) =>
        manifest.Devices.Count == 0
            ? "it declares no devices"
            : "it declares " + string.Join(", ", manifest.Devices.Select(d => $"'{d.Name}' ({d.TypeName})"));

    /// <summary>Fills the guest's binary manifest copy: attached, capacity/block size, MAC/MTU.</summary>
    public void FillManifest(Span<byte> mft)
    {
        for (int h = 1; h < _blocks.Length; h++)
        {
            if (_blocks[h] is BlockDevice b) Solo5Mft.AttachBlock(mft, h - 1, b.Capacity, (ushort)b.SectorSize);
            if (_nets[h] is TapDevice n) Solo5Mft.AttachNet(mft, h - 1, n.GuestMac.ToArray(), (ushort)n.Mtu);
        }
    }

    /// <summary>Registers every network device's TAP with poller under its handle (POLL's wait set).</summary>
    public void AddTo(DevicePoller poller)
    {
        for (int h = 0; h < _nets.Length; h++)
            if (_nets[h] is TapDevice n) poller.Add(h, n.Descriptor);
    }

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
        _owned.Clear();
    }
}
