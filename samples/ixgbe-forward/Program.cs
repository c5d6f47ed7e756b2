using Guest.Ixgbe;
using GuestBindings;

// The bidirectional layer-2 forwarder (the first seed's figure 5): what arrives on port0 leaves by
// port1 and back, unchanged, in batches, both ports sharing one packet pool.
// `--frames=N` stops after N forwarded frames in total (exit 0), printing "forwarded N, dropped D".
static class Program
{
    static int Main(string[] args)
    {
        ulong limit = IxgbePorts.FrameLimit(args);
        DmaAllocator? dma = IxgbePorts.OpenDma("ixgbe-forward");
        if (dma is null) return 2;
        var config = IxgbeConfig.Default;
        config.Promiscuous = true; // a forwarder takes every frame
        var pool = new DmaPacketPool(dma, 4096);
        Ixgbe<MmioRegisters>? a = IxgbePorts.Open("ixgbe-forward", "port0", pool, dma, config);
        if (a is null) return 3;
        Ixgbe<MmioRegisters>? b = IxgbePorts.Open("ixgbe-forward", "port1", pool, dma, config);
        if (b is null) return 3;
        var forwarder = new Forwarder<MmioRegisters>(a, b);
        GuestConsole.WriteLine("ixgbe-forward: forwarding");
        while (limit == 0 || forwarder.Forwarded < limit) forwarder.Step();
        GuestConsole.WriteLine("ixgbe-forward: forwarded " + forwarder.Forwarded.ToString() + ", dropped " + forwarder.Dropped.ToString());
        return 0;
    }
}
