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
    // device hypercalls in DeviceCalls.cs), PciDevice and DmaRegion (PciDevice.cs).
}
