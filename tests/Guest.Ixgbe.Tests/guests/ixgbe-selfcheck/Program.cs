using System;
using Guest.Ixgbe;
using Guest.Stack;
using GuestBindings;

// Prints one "PASS name" or "FAIL name" line per check, then "ixgbe-selfcheck: N checks, F failed".
// Exit status = number of failed checks. tests/Guest.Ixgbe.Tests boots it and reads the lines.
static unsafe class Program
{
    private static int s_failed;
    private static int s_checks;

    private struct GuestClock : IClock
    {
        public ulong NowNanoseconds => Clock.MonotonicNanoseconds;
    }

    private static void Check(string name, bool ok)
    {
        s_checks++;
        if (!ok) s_failed++;
        GuestConsole.WriteLine((ok ? "PASS " : "FAIL ") + name);
    }

    static int Main(string[] args)
    {
        // Guest memory stands in for the DMA window (its IOVA is what the tender will map at 2^40).
        byte[] area = new byte[4 << 20];
        byte* p = (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref area[0]); // objects never move; `area` is kept alive below
        var dma = DmaAllocator.Over(new PointerDmaRegion(p, 1UL << 40, (ulong)area.Length));

        var pool = new DmaPacketPool(dma, 64);
        Check("pool capacity", pool.Capacity == 64 && pool.Available == 64);
        var handles = new PacketHandle[64];
        int n = pool.AllocateBatch(handles);
        Check("pool hands out every buffer", n == 64 && pool.Available == 0 && !pool.TryAllocate(out _));
        bool distinct = true;
        for (int i = 0; i < 64; i++)
            for (int j = i + 1; j < 64; j++)
                if (handles[i].Index == handles[j].Index) distinct = false;
        Check("buffers are distinct", distinct);
        PacketHandle first = handles[0];
        ulong iova = pool.IovaOf(first);
        Check("buffer iova in the DMA window", iova >= (1UL << 40) && iova < (1UL << 40) + (ulong)area.Length && (iova - (1UL << 40)) % 2048 == 0);
        Check("buffer pointer matches iova", (ulong)(pool.PointerOf(first) - p) == iova - (1UL << 40));
        pool.FreeBatch(handles);
        Check("free returns everything", pool.Available == 64);
        Check("freed handle is stale", !pool.IsValid(first));
        Check("access checks follow the build", DmaPacketPool.ChecksEveryAccess == IsDebug());
        Check("reallocated buffer has a new handle", pool.TryAllocate(out PacketHandle again) && pool.IsValid(again) && (again.Index != first.Index || again.Generation != first.Generation));

        byte* d = stackalloc byte[16];
        AdvancedDescriptor.WriteTxData(d, 0x0000_0100_0000_2040UL, 1514);
        Check("tx descriptor address", *(ulong*)d == 0x0000_0100_0000_2040UL);
        Check("tx descriptor cmd_type_len", *(uint*)(d + 8) == (0x2B30_0000u | 1514u));
        Check("tx descriptor paylen", *(uint*)(d + 12) == 1514u << 14 && !AdvancedDescriptor.TxDone(d));
        AdvancedDescriptor.WriteRxRead(d, 0x0000_0100_0001_0000UL);
        Check("rx descriptor read format", *(ulong*)d == 0x0000_0100_0001_0000UL && *(ulong*)(d + 8) == 0 && AdvancedDescriptor.RxStatus(d) == 0);

        byte[] frame = new byte[60];
        for (int i = 0; i < 12; i++) frame[i] = (byte)i;
        Reflector<MmioRegisters>.SwapMacs(frame);
        Check("mac swap", frame[0] == 6 && frame[5] == 11 && frame[6] == 0 && frame[11] == 5);

        var stackPool = IxgbeNic<MmioRegisters>.CreatePool(dma, 600);
        Check("stack pool in the DMA area", stackPool.Capacity == 600);

        // Never true at run time; makes ilc compile what a real ixgbe guest instantiates.
        if (args.Length > 1000) UnusedInstantiations(dma, pool, stackPool);

        GuestConsole.WriteLine("ixgbe-selfcheck: " + s_checks.ToString() + " checks, " + s_failed.ToString() + " failed");
        GC.KeepAlive(area); // the DMA region above is only a pointer into it
        return s_failed;
    }

    private static bool IsDebug()
    {
#if DEBUG
        return true;
#else
        return false;
#endif
    }

    private static void UnusedInstantiations(DmaAllocator dma, DmaPacketPool pool, PacketPool stackPool)
    {
        var clock = new GuestClock();
        byte* bar = (byte*)(1UL << 39);
        var port = new Ixgbe<MmioRegisters>(new MmioRegisters(bar, 512 * 1024), pool, dma, IxgbeConfig.Default);
        port.Initialize(ref clock);
        var other = new Ixgbe<MmioRegisters>(new MmioRegisters(bar + (1UL << 34), 512 * 1024), pool, dma, IxgbeConfig.Default);
        new Forwarder<MmioRegisters>(port, other).Step();
        new Reflector<MmioRegisters>(port).Step();
        var nic = IxgbeNic<MmioRegisters>.Create(new MmioRegisters(bar, 512 * 1024), stackPool, dma, IxgbeConfig.Default, ref clock, out _);
        var stack = new NetStack<IxgbeNic<MmioRegisters>>(nic, stackPool, new StackConfig());
        stack.Poll(clock.NowNanoseconds);
        port.ReadStats();
    }
}
