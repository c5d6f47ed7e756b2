using System.Runtime.InteropServices;

namespace Tender.Devices.Tests;

/// <summary>
/// Guest memory for ring tests: a page-aligned native buffer standing for guest-physical
/// [Base, Base + Size). Native, not a managed array, because the engine's I/O thread and the
/// test's "guest" touch it at once, as the tender and a vCPU do. Like the tender's adapter, it
/// refuses buffers in the ring area and writes to a read-only range.
/// </summary>
internal sealed unsafe class BufferGuestMemory : IGuestMemoryAccess, IDisposable
{
    private readonly byte* _host;

    public BufferGuestMemory(ulong baseAddress, ulong size)
    {
        Base = baseAddress;
        Size = size;
        _host = (byte*)NativeMemory.AlignedAlloc((nuint)size, 4096);
        NativeMemory.Clear(_host, (nuint)size);
    }

    public ulong Base { get; }
    public ulong Size { get; }
    public ulong End => Base + Size;

    /// <summary>Guest buffers may not lie here (the ring area, outside the guest's own memory in solo5-hvt).</summary>
    public (ulong Start, ulong End) Reserved { get; set; }

    /// <summary>A range the guest may read but not write.</summary>
    public (ulong Start, ulong End) ReadOnly { get; set; }

    public bool TryGetSpan(ulong address, ulong length, GuestAccess access, out Span<byte> span, out string? error)
    {
        span = default;
        if (address < Base || address - Base > Size || length > Size - (address - Base))
        {
            error = $"[0x{address:x}, +0x{length:x}) is outside guest memory [0x{Base:x}, 0x{End:x})";
            return false;
        }
        if (Overlaps(address, length, Reserved))
        {
            error = $"[0x{address:x}, +0x{length:x}) overlaps the ring area";
            return false;
        }
        if (access == GuestAccess.Write && Overlaps(address, length, ReadOnly))
        {
            error = $"[0x{address:x}, +0x{length:x}) is not writable guest memory";
            return false;
        }
        if (length > int.MaxValue)
        {
            error = "too long";
            return false;
        }
        span = new Span<byte>(_host + (address - Base), (int)length);
        error = null;
        return true;
    }

    private static bool Overlaps(ulong address, ulong length, (ulong Start, ulong End) range) =>
        length != 0 && range.End > range.Start && address < range.End && range.Start < address + length;

    public Span<byte> Span(ulong address, int length)
    {
        if (address < Base || address - Base > Size || (ulong)length > Size - (address - Base))
            throw new ArgumentException($"[0x{address:x}, +{length}) outside test memory");
        return new Span<byte>(_host + (address - Base), length);
    }

    public byte* Pointer(ulong address) => _host + (address - Base);

    public void Dispose() => NativeMemory.AlignedFree(_host);
}
