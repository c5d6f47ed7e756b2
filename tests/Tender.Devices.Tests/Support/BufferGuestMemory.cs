using System.Runtime.InteropServices;

namespace Tender.Devices.Tests;

/// <summary>
/// Guest memory for ring tests: a page-aligned native buffer standing for guest-physical
/// [Base, Base + Size). Native, not a managed array, because the engine's I/O thread and the
/// test's "guest" touch it at once through spans, as the tender and a vCPU do.
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

    public bool TryGetSpan(ulong address, ulong length, out Span<byte> span, out string? error)
    {
        span = default;
        if (address < Base || address - Base > Size || length > Size - (address - Base))
        {
            error = $"[0x{address:x}, +0x{length:x}) is outside guest memory [0x{Base:x}, 0x{End:x})";
            return false;
        }
        span = new Span<byte>(_host + (address - Base), checked((int)length));
        error = null;
        return true;
    }

    public Span<byte> Span(ulong address, int length) =>
        TryGetSpan(address, (ulong)length, out var s, out var e) ? s : throw new ArgumentException(e);

    public void Dispose() => NativeMemory.AlignedFree(_host);
}
