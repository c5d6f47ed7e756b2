namespace Tender.Kvm;

/// <summary>
/// A KVM_EXIT_MMIO as the run loop handles it, without copying: <see cref="Data"/> is kvm_run's own
/// data field (at most 8 bytes), so a device answering a read writes its result into it and KVM
/// completes the guest's load with those bytes on the next KVM_RUN.
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
