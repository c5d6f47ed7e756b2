namespace GuestBindings
{
    /// <summary>
    /// A PCI device (PCI_BASIC) whose BARs the tender maps at 2^39 + n·2^34 + i·2^30, n being the
    /// device's position among the manifest's PCI_BASIC entries (docs/abi.md "PCI devices").
    /// </summary>
    public sealed class PciDevice
    {
        /// <summary>Address space each BAR window has; the mapped part is the BAR's own size.</summary>
        public const ulong BarWindowSize = 1UL << 30;
        private const ulong BarWindowBase = 1UL << 39;
        private const ulong DeviceStride = 1UL << 34;

        private PciDevice() { }

        public int Handle { get; private set; }
        /// <summary>n: the device's index among the manifest's PCI_BASIC entries.</summary>
        public int Index { get; private set; }
        public ushort VendorId { get; private set; }
        public ushort DeviceId { get; private set; }
        public byte ClassCode { get; private set; }
        public byte Subclass { get; private set; }
        public byte ProgIf { get; private set; }
        public bool BusMasterEnable { get; private set; }
        /// <summary>Bit i set = BAR i is mapped.</summary>
        public byte MapBarMask { get; private set; }

        /// <summary>Guest-virtual address of BAR <paramref name="index"/> (0 when not mapped).</summary>
        public ulong GetBarAddress(int index) =>
            (uint)index < 6 && (MapBarMask & (1 << index)) != 0 ? BarWindowBase + (ulong)Index * DeviceStride + (ulong)index * BarWindowSize : 0;

        public static DeviceStatus TryAcquire(string name, out PciDevice? device)
        {
            device = null;
            if (!Manifest.TryFind(name, DeviceKind.PciBasic, out ManifestDevice? d) || !d.Attached) return DeviceStatus.NotPresent;
            ManifestDevice[] all = Manifest.GetDevices();
            int n = 0;
            for (int i = 0; i < all.Length && all[i] != d; i++)
                if (all[i].Kind == DeviceKind.PciBasic) n++;
            device = new PciDevice
            {
                Handle = d.Handle,
                Index = n,
                VendorId = d.VendorId,
                DeviceId = d.DeviceId,
                ClassCode = d.ClassCode,
                Subclass = d.Subclass,
                ProgIf = d.ProgIf,
                BusMasterEnable = d.BusMasterEnable,
                MapBarMask = d.MapBarMask,
            };
            return DeviceStatus.Ok;
        }
    }

    /// <summary>The DMA area at guest-virtual 2^40 (IOVA = guest-virtual address).</summary>
    public sealed class DmaRegion
    {
        /// <summary>Guest-virtual (and device-visible) base of the DMA area.</summary>
        public const ulong WindowBase = 1UL << 40;

        private DmaRegion() { }

        public ulong Address { get; private set; }
        public ulong Size { get; private set; }

        /// <summary>Present when the manifest has a dma_size and the tender attached at least one PCI device.</summary>
        public static DeviceStatus TryAcquire(out DmaRegion? region)
        {
            region = null;
            ulong size = Manifest.DmaSize;
            if (size == 0) return DeviceStatus.NotPresent;
            ManifestDevice[] all = Manifest.GetDevices();
            bool anyPci = false;
            for (int i = 0; i < all.Length; i++)
                if (all[i].Kind == DeviceKind.PciBasic && all[i].Attached) anyPci = true;
            if (!anyPci) return DeviceStatus.NotPresent;
            region = new DmaRegion { Address = WindowBase, Size = size };
            return DeviceStatus.Ok;
        }
    }
}
