using Guest.Ixgbe;
using GuestBindings;

// Thesis figure 5.5: receive a batch on port0, swap the MAC addresses, send it back out.
// `--frames=N` stops after N reflected frames (exit 0), printing "reflected N, dropped D".
static class Program
{
    static int Main(string[] args)
    {
        ulong limit = IxgbePorts.FrameLimit(args);
        DmaAllocator? dma = IxgbePorts.OpenDma("ixgbe-reflect");
        if (dma is null) return 2;
        var config = IxgbeConfig.Default;
        config.Promiscuous = true; // reflect whatever arrives, as the thesis' reflector
        var pool = new DmaPacketPool(dma, 2048);
        Ixgbe<MmioRegisters>? port = IxgbePorts.Open("ixgbe-reflect", "port0", pool, dma, config);
        if (port is null) return 3;
        var reflector = new Reflector<MmioRegisters>(port);
        GuestConsole.WriteLine("ixgbe-reflect: reflecting");
        while (limit == 0 || reflector.Reflected < limit) reflector.Step();
        GuestConsole.WriteLine("ixgbe-reflect: reflected " + reflector.Reflected.ToString() + ", dropped " + reflector.Dropped.ToString());
        return 0;
    }
}
