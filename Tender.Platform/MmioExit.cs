namespace Tender.Platform;

/// <summary>
/// An access to guest-physical memory nothing backs (an emulated device's BAR), as the run loop
/// handles it, without copying: <see cref="Data"/> is the platform's own buffer (kvm_run's data
/// field under KVM; the process vCPU's on the process platform), at most 8 bytes, so a device
/// answering a read writes its result into it and the platform completes the guest's load with
/// those bytes on the next <see cref="IVcpu.Run"/>.
/// </summary>
public readonly ref struct MmioExit
{
    public MmioExit(ulong address, bool isWrite, Span<byte> data)
    {
        Address = address;
        IsWrite = isWrite;
        Data = data;
    }

    /// <summary>Guest-physical address of the access.</summary>
    public ulong Address { get; }

    public bool IsWrite { get; }

    /// <summary>The bytes written, or the bytes to fill for a read (kvm_run.mmio.data[..len]).</summary>
    public Span<byte> Data { get; }
}
