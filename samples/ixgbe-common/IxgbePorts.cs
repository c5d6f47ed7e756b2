using Guest.Ixgbe;
using GuestBindings;

/// <summary>
/// What the ixgbe samples share: the DMA area and a port taken from the manifest's PCI_BASIC
/// device by name (GuestBindings), initialised by Guest.Ixgbe's driver, with progress printed.
/// </summary>
static unsafe class IxgbePorts
{
    /// <summary>BAR0 of an 82599 is 512 KiB of registers.</summary>
    public const uint Bar0Size = 512 * 1024;

    public struct GuestClock : IClock
    {
        public ulong NowNanoseconds => Clock.MonotonicNanoseconds;
    }

    /// <summary>The DMA area as the driver's allocator, or null (after printing why).</summary>
    public static DmaAllocator? OpenDma(string who)
    {
        if (DmaRegion.TryAcquire(out DmaRegion? region) != DeviceStatus.Ok || region is null)
        {
            GuestConsole.WriteLine(who + ": no DMA area (the manifest needs dma_size and an attached PCI device)");
            return null;
        }
        GuestConsole.WriteLine(who + ": DMA area 0x" + region.Address.ToString("x") + ", " + (region.Size >> 20).ToString() + " MiB");
        return DmaAllocator.Over(new PointerDmaRegion((byte*)region.Address, region.Address, region.Size));
    }

    /// <summary>Acquires and initialises the named port; null (after printing why) if that fails.</summary>
    public static Ixgbe<MmioRegisters>? Open(string who, string name, DmaPacketPool pool, DmaAllocator dma, IxgbeConfig config)
    {
        if (PciDevice.TryAcquire(name, out PciDevice? device) != DeviceStatus.Ok || device is null)
        {
            GuestConsole.WriteLine(who + ": PCI device '" + name + "' is not attached");
            return null;
        }
        if (device.VendorId != 0x8086 || device.DeviceId != 0x10FB || device.GetBarAddress(0) == 0)
        {
            GuestConsole.WriteLine(who + ": '" + name + "' is not an 82599 with BAR0 mapped");
            return null;
        }
        ulong bar0 = device.GetBarAddress(0);
        GuestConsole.WriteLine(who + ": " + name + " is PCI device " + device.Index.ToString() + ", BAR0 at 0x" + bar0.ToString("x"));
        var port = new Ixgbe<MmioRegisters>(new MmioRegisters((byte*)bar0, Bar0Size), pool, dma, config);
        var clock = new GuestClock();
        IxgbeInitResult result = port.Initialize(ref clock);
        if (result != IxgbeInitResult.Ok)
        {
            GuestConsole.WriteLine(who + ": " + name + " initialisation: " + Describe(result));
            return null;
        }
        GuestConsole.WriteLine(who + ": " + name + " link up at " + port.LinkSpeedMbps.ToString() + " Mbit/s");
        return port;
    }

    private static string Describe(IxgbeInitResult result) => result switch
    {
        IxgbeInitResult.LinkDown => "link down",
        IxgbeInitResult.ResetTimeout => "reset timeout",
        IxgbeInitResult.EepromTimeout => "EEPROM timeout",
        IxgbeInitResult.DmaInitTimeout => "DMA init timeout",
        IxgbeInitResult.RxQueueTimeout => "RX queue timeout",
        _ => "failed (" + ((int)result).ToString() + ")",
    };

    /// <summary>Reads "--frames=N" (stop after N frames; 0 = never) from the arguments.</summary>
    public static ulong FrameLimit(string[] args)
    {
        ulong limit = 0;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--frames=")) continue;
            for (int k = 9; k < a.Length; k++)
            {
                if (a[k] < '0' || a[k] > '9') return 0;
                limit = limit * 10 + (ulong)(a[k] - '0');
            }
        }
        return limit;
    }
}
