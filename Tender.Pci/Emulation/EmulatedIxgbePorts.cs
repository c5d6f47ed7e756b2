using Tender.Pci.Dma;
using Tender.Pci.Wire;

namespace Tender.Pci.Emulation;

/// <summary>One emulated port as the tender wires it.</summary>
/// <param name="Name">The manifest device name.</param>
/// <param name="Device">The model.</param>
/// <param name="Tap">Its TAP wire, to <see cref="FramePortWire.Pump"/> when the TAP is readable; null for a cable or no wire.</param>
public sealed record EmulatedPort(string Name, Ixgbe82599 Device, FramePortWire? Tap);

/// <summary>
/// Builds the emulated 82599 ports of one guest from their <c>--pci:NAME=emulated-ixgbe,…</c>
/// specs: one model per port over the guest's DMA memory, Bus Master Enable as the manifest says,
/// TAP wires through the caller's TAP opener, and cables between the two ports that name the same
/// cable (LAN IDs 0 and 1, as the two ports of one controller).
/// </summary>
public sealed class EmulatedIxgbePorts
{
    private EmulatedIxgbePorts(IReadOnlyList<EmulatedPort> ports, IReadOnlyList<EthernetCable> cables)
    {
        Ports = ports;
        Cables = cables;
    }

    public IReadOnlyList<EmulatedPort> Ports { get; }
    public IReadOnlyList<EthernetCable> Cables { get; }

    /// <summary>A default MAC per port: locally administered 02:00:00:82:59:NN, NN = the port's index + 1.</summary>
    public static byte[] DefaultMac(int index) => [0x02, 0x00, 0x00, 0x82, 0x59, (byte)(index + 1)];

    /// <param name="ports">(manifest name, spec, bus_master_enable) of each emulated port, in manifest order.</param>
    /// <param name="dma">The guest's DMA memory (IOVA = guest-virtual, base 2^40), or <see cref="NoDmaMemory.Instance"/>.</param>
    /// <param name="openTap">Opens a TAP interface by name as a frame port (the tender adapts Tender.Devices' TapDevice).</param>
    public static EmulatedIxgbePorts Create(IReadOnlyList<(string Name, PciDeviceSpec Spec, bool BusMasterEnable)> ports,
        IDmaMemory dma, Func<string, IFramePort> openTap)
    {
        string? cableError = PciDeviceSpec.CheckCables(ports.Select(p => (p.Name, p.Spec)));
        if (cableError is not null) throw new ArgumentException(cableError, nameof(ports));
        var built = new List<EmulatedPort>();
        var cables = new List<EthernetCable>();
        var cableEnds = new Dictionary<string, Ixgbe82599>();
        for (int i = 0; i < ports.Count; i++)
        {
            var (name, spec, busMaster) = ports[i];
            if (!spec.IsEmulated) throw new ArgumentException($"{name} is a host device, not an emulated one", nameof(ports));
            bool secondCableEnd = spec.Wire == EmulatedWireKind.Cable && cableEnds.ContainsKey(spec.WireName!);
            var device = new Ixgbe82599(dma, new IxgbeOptions
            {
                MacAddress = spec.Mac ?? DefaultMac(i),
                LanId = secondCableEnd ? 1 : 0,
            });
            device.Config.SetBusMaster(busMaster);
            FramePortWire? tap = null;
            switch (spec.Wire)
            {
                case EmulatedWireKind.Tap:
                    tap = new FramePortWire(openTap(spec.WireName!), device);
                    device.AttachWire(tap);
                    break;
                case EmulatedWireKind.Cable when secondCableEnd:
                    Ixgbe82599 first = cableEnds[spec.WireName!];
                    var cable = EthernetCable.Between(first, device);
                    first.AttachWire(cable.EndA);
                    device.AttachWire(cable.EndB);
                    cables.Add(cable);
                    break;
                case EmulatedWireKind.Cable:
                    cableEnds.Add(spec.WireName!, device);
                    break;
            }
            built.Add(new EmulatedPort(name, device, tap));
        }
        return new EmulatedIxgbePorts(built, cables);
    }

    /// <summary>Moves waiting TAP frames into every TAP-wired port; returns how many moved.</summary>
    public int PumpTaps(int maxFramesPerPort = 64)
    {
        int moved = 0;
        foreach (EmulatedPort port in Ports)
            if (port.Tap is not null) moved += port.Tap.Pump(maxFramesPerPort);
        return moved;
    }
}
