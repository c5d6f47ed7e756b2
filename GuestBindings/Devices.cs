namespace GuestBindings
{
    /// <summary>Result of acquiring a device.</summary>
    public enum DeviceStatus
    {
        /// <summary>The device is ready to use.</summary>
        Ok = 0,
        /// <summary>The manifest has no attached device of that name and kind.</summary>
        NotPresent = 1,
        /// <summary>The device is in the manifest, but these bindings cannot drive it yet.</summary>
        NotSupported = 2,
    }

    // Typed device access: BlockDevice (BlockDevice.cs), NetDevice (NetDevice.cs over NetRing.cs and the
    // device hypercalls in DeviceCalls.cs). PCI and DMA access come with the tender's PCI support (a
    // later issue): until then acquiring reports NotPresent, or NotSupported when the manifest does
    // list the device: nothing is ever faked.

    /// <summary>A PCI device (PCI_BASIC) whose BARs the tender maps at 2^39 + n·2^34 + i·2^30.</summary>
    public sealed class PciDevice
    {
        private PciDevice() { }

        public int Handle { get; private set; }
        public ushort VendorId { get; private set; }
        public ushort DeviceId { get; private set; }

        /// <summary>Guest-virtual address of BAR <paramref name="index"/> (0 when not mapped).</summary>
        public ulong GetBarAddress(int index) => 0;

        public static DeviceStatus TryAcquire(string name, out PciDevice? device)
        {
            device = null;
            return Manifest.TryFind(name, DeviceKind.PciBasic, out ManifestDevice? d) && d.Attached ? DeviceStatus.NotSupported : DeviceStatus.NotPresent;
        }
    }

    /// <summary>The DMA area at guest-virtual 2^40 (IOVA = guest-virtual address).</summary>
    public sealed class DmaRegion
    {
        private DmaRegion() { }

        public ulong Address { get; private set; }
        public ulong Size { get; private set; }

        public static DeviceStatus TryAcquire(out DmaRegion? region)
        {
            region = null;
            return DeviceStatus.NotPresent;
        }
    }
}
