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

    // Typed device access. The API shape is final; the I/O behind it comes with the tender's device
    // support (a later issue). Until then acquiring reports NotPresent, or NotSupported when the
    // manifest does list the device: nothing is ever faked.

    /// <summary>A network interface (NET_BASIC).</summary>
    public sealed class NetDevice
    {
        private NetDevice() { }

        public int Handle { get; private set; }
        public byte[] MacAddress { get; private set; } = new byte[6];
        public int Mtu { get; private set; }

        public static DeviceStatus TryAcquire(string name, out NetDevice? device)
        {
            device = null;
            return Manifest.TryFind(name, DeviceKind.NetBasic, out ManifestDevice? d) && d.Attached ? DeviceStatus.NotSupported : DeviceStatus.NotPresent;
        }
    }

    /// <summary>A block device (BLOCK_BASIC).</summary>
    public sealed class BlockDevice
    {
        private BlockDevice() { }

        public int Handle { get; private set; }
        public ulong Capacity { get; private set; }
        public int BlockSize { get; private set; }

        public static DeviceStatus TryAcquire(string name, out BlockDevice? device)
        {
            device = null;
            return Manifest.TryFind(name, DeviceKind.BlockBasic, out ManifestDevice? d) && d.Attached ? DeviceStatus.NotSupported : DeviceStatus.NotPresent;
        }
    }
}
