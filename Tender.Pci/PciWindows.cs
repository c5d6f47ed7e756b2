namespace Tender.Pci;

/// <summary>
/// The guest-virtual layout of PCI resources (design decision 2, docs/abi.md): BAR i of the n-th
/// PCI_BASIC device at 2^39 + n·2^34 + i·2^30, the DMA area at 2^40, and IOVA = guest-virtual
/// address. These are guest-virtual addresses; the guest-physical memory behind them is the
/// tender's choice (hosts like this one cannot reach guest-physical addresses at or above 2^36).
/// </summary>
public static class PciWindows
{
    public const ulong BarWindowBase = 1UL << 39;
    public const ulong DeviceStride = 1UL << 34;
    public const ulong BarStride = 1UL << 30;
    public const ulong DmaWindowBase = 1UL << 40;
    /// <summary>A BAR larger than its 1 GiB slot cannot be mapped at its place.</summary>
    public const ulong MaxBarSize = BarStride;
    /// <summary>Devices that fit below the DMA window: (2^40 − 2^39) / 2^34 = 32.</summary>
    public const int MaxDevices = (int)((DmaWindowBase - BarWindowBase) / DeviceStride);

    /// <summary>The guest-virtual address of BAR barIndex (0..5) of PCI device deviceIndex (0..31).</summary>
    public static ulong BarAddress(int deviceIndex, int barIndex)
    {
        if (deviceIndex < 0 || deviceIndex >= MaxDevices) throw new ArgumentOutOfRangeException(nameof(deviceIndex), deviceIndex, $"0..{MaxDevices - 1}");
        if (barIndex is < 0 or > 5) throw new ArgumentOutOfRangeException(nameof(barIndex), barIndex, "0..5");
        return BarWindowBase + (ulong)deviceIndex * DeviceStride + (ulong)barIndex * BarStride;
    }

    /// <summary>Which device and BAR a guest-virtual address in the BAR window falls in, and the offset into that BAR slot.</summary>
    public static bool TryLocate(ulong guestVirtual, out int deviceIndex, out int barIndex, out ulong offset)
    {
        deviceIndex = barIndex = -1;
        offset = 0;
        if (guestVirtual < BarWindowBase || guestVirtual >= DmaWindowBase) return false;
        ulong relative = guestVirtual - BarWindowBase;
        deviceIndex = (int)(relative / DeviceStride);
        ulong inDevice = relative % DeviceStride;
        if (inDevice >= 6 * BarStride) return false;
        barIndex = (int)(inDevice / BarStride);
        offset = inDevice % BarStride;
        return true;
    }
}

/// <summary>
/// A device whose BAR is not memory: each guest access to it is an MMIO exit the tender hands
/// here, with the offset into the BAR (KVM_EXIT_MMIO's address minus the BAR's guest-physical base).
/// </summary>
public interface IMmioDevice
{
    /// <summary>The BAR's size in bytes: accesses at or beyond it are not the device's.</summary>
    ulong MmioSize { get; }

    /// <summary>One access of data.Length bytes (1, 2, 4 or 8): a write takes data, a read fills it. Never throws for guest input.</summary>
    void HandleMmio(ulong offset, Span<byte> data, bool isWrite);
}
