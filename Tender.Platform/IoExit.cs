namespace Tender.Platform;

/// <summary>
/// A port-I/O exit, read in place (no copy): under KVM <see cref="Data"/> points into the vCPU's
/// shared kvm_run page; on the process platform into the vCPU's own buffer. Valid until the next
/// <see cref="IVcpu.Run"/>.
/// </summary>
public readonly unsafe struct IoExit(bool isOut, byte size, ushort port, uint count, IntPtr data)
{
    public bool IsOut { get; } = isOut;
    public byte Size { get; } = size;
    public ushort Port { get; } = port;
    public uint Count { get; } = count;
    public Span<byte> Data => new((void*)data, Size * (int)Count);

    /// <summary>The value of a single 1-, 2- or 4-byte access.</summary>
    public uint Value => Size switch
    {
        1 => *(byte*)data,
        2 => *(ushort*)data,
        _ => *(uint*)data,
    };

    public override string ToString() =>
        $"{(IsOut ? "out" : "in")} port 0x{Port:x} size {Size} count {Count}" + (IsOut && Count == 1 ? $" value 0x{Value:x}" : "");
}
