using System;
using GuestBindings;

/// <summary>
/// Where things are in this guest: its own buffers (allocated once and referenced here, so the
/// collector, which never moves objects, keeps them), the devices' handles, and the addresses an
/// attacker aims at.
/// </summary>
sealed unsafe class Layout
{
    public const int CanarySize = 256 * 1024;

    public byte* Scratch { get; }      // 16 KiB: hypercall argument structs
    public byte* Frame { get; }        // 4 KiB: valid NET hypercall buffers
    public byte* RingPool { get; }     // 16 × 4 KiB: valid ring buffers (the I/O thread writes them)
    public byte* Canary { get; }       // CanarySize bytes nothing may touch
    public int NetHandle { get; }
    public int PciHandle { get; }
    public byte* Ring { get; }
    public byte* Bar0 { get; }
    public ulong DmaBase { get; }
    public ulong DmaSize { get; }
    public ulong MemSize { get; } = Native.MemSize;
    public ulong GuardPage { get; }
    public ulong Code { get; }

    private Layout(int netHandle, int pciHandle, byte* ring, byte* bar0, ulong dmaBase, ulong dmaSize)
    {
        NetHandle = netHandle;
        PciHandle = pciHandle;
        Ring = ring;
        Bar0 = bar0;
        DmaBase = dmaBase;
        DmaSize = dmaSize;
        Scratch = Pin(new byte[16384]);
        Frame = Pin(new byte[4096]);
        RingPool = Pin(new byte[16 * 4096]);
        Canary = Pin(new byte[CanarySize]);
        // The default stack is 1 MiB (Guest.Build), its guard page right below it.
        GuardPage = MemSize - (1UL << 20) - 4096;
        delegate*<ulong> f = &Native_Anchor;
        Code = (ulong)f;
    }

    private static ulong Native_Anchor() => 0;

    // The arrays behind the pointers above: a byte* is not a reference, so this keeps them alive.
    private readonly byte[][] _buffers = new byte[4][];
    private int _pinned;

    private byte* Pin(byte[] array)
    {
        _buffers[_pinned++] = array;
        fixed (byte* p = array) return p;
    }

    /// <summary>Finds the devices the manifest declares; null (and a message) if one is missing.</summary>
    public static Layout? Open()
    {
        if (NetDevice.TryAcquire("service0", NetPath.Hypercalls, out NetDevice? net) != DeviceStatus.Ok || net is null)
        {
            GuestConsole.WriteLine("hostile: no network device service0 (run with --net:service0=TAP)");
            return null;
        }
        if (PciDevice.TryAcquire("port0", out PciDevice? pci) != DeviceStatus.Ok || pci is null
            || DmaRegion.TryAcquire(out DmaRegion? dma) != DeviceStatus.Ok || dma is null)
        {
            GuestConsole.WriteLine("hostile: no PCI device port0 (run with --pci:port0=emulated-ixgbe,tap=TAP)");
            return null;
        }
        if ((Native.HostFeatures & 1) == 0 || Native.NetRing == 0)
        {
            GuestConsole.WriteLine("hostile: the tender offers no net ring");
            return null;
        }
        return new Layout(net.Handle, pci.Handle, (byte*)Native.NetRing, (byte*)pci.GetBarAddress(0), dma.Address, dma.Size);
    }

    /// <summary>Addresses no hypercall buffer may reach, and a few it may.</summary>
    public ulong[] AdversarialAddresses() =>
    [
        0, 8, 0xFFF, 0x10000 - 8,                    // the null area
        GuardPage, GuardPage + 4095,                 // the stack's guard page
        Code,                                        // read-only, executable text
        (ulong)Scratch,                              // a good one
        MemSize - 1, MemSize, MemSize + 4096,        // the top of memory, the ring above it
        (ulong)Ring,
        0xFFFFF000, 0xFFFFFFFF, 0x1_0000_0000,       // the 4 GiB line
        1UL << 34,                                   // the tender's system area
        (ulong)Bar0, DmaBase, DmaBase + DmaSize - 1, // the PCI windows
        ulong.MaxValue - 7, ulong.MaxValue,
    ];

    /// <summary>Fills the canary from the seed and returns its checksum.</summary>
    public ulong FillCanary(ulong seed)
    {
        var rng = new Rng(seed ^ 0xC0FFEE);
        for (int i = 0; i < CanarySize; i += 8) *(ulong*)(Canary + i) = rng.Next();
        return Checksum(Canary, CanarySize);
    }

    /// <summary>FNV-1a over 64-bit words.</summary>
    public static ulong Checksum(byte* p, int length)
    {
        ulong h = 0xCBF29CE484222325;
        for (int i = 0; i < length; i += 8) h = (h ^ *(ulong*)(p + i)) * 0x100000001B3;
        return h;
    }
}
