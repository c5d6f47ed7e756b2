using System.Buffers.Binary;
using Tender.Host;
using Tender.Host.Interop;

namespace Tender.Platform;

/// <summary>
/// One contiguous range of guest-physical memory backed by anonymous host memory. Every access
/// names a guest address and a length and is checked (overflow-safe) against this range before
/// any host pointer is formed, so guest-supplied values can be passed in directly.
/// </summary>
public sealed unsafe class GuestMemory : IDisposable
{
    // Null when the host memory belongs to someone else (Vm.AddExternalMemory): then Dispose
    // leaves it mapped and its owner unmaps it.
    private readonly MappedRegion? _region;
    private readonly byte* _pointer;

    internal GuestMemory(string name, ulong guestPhysicalAddress, ulong size)
        : this(name, guestPhysicalAddress, size, (byte*)null)
    {
    }

    /// <summary>Memory over a mapping the platform made (the process platform's memfd); disposed with it.</summary>
    public GuestMemory(string name, ulong guestPhysicalAddress, ulong size, MappedRegion region)
        : this(name, guestPhysicalAddress, size, region.Pointer)
    {
        if (region.Length < size) throw new ArgumentException($"{name}: the mapping is smaller than 0x{size:x}", nameof(region));
        _region = region;
    }

    internal GuestMemory(string name, ulong guestPhysicalAddress, ulong size, byte* externalHost)
    {
        if (size == 0 || (size & 0xFFF) != 0)
            throw new ArgumentException($"{name}: size 0x{size:x} is not a non-zero multiple of 4096", nameof(size));
        if ((guestPhysicalAddress & 0xFFF) != 0 || size - 1 > ulong.MaxValue - guestPhysicalAddress)
            throw new ArgumentException($"{name}: bad guest-physical range 0x{guestPhysicalAddress:x} + 0x{size:x}", nameof(guestPhysicalAddress));
        Name = name;
        GuestPhysicalAddress = guestPhysicalAddress;
        Size = size;
        if (externalHost is null)
        {
            _region = MappedRegion.Anonymous(size, name);
            _pointer = _region.Pointer;
        }
        else
        {
            if (((ulong)externalHost & 0xFFF) != 0)
                throw new ArgumentException($"{name}: host address 0x{(ulong)externalHost:x} is not page aligned", nameof(externalHost));
            _pointer = externalHost;
        }
    }

    /// <summary>True if the host memory was mapped by someone else and outlives this object.</summary>
    public bool IsExternal => _region is null;

    /// <summary>What this memory is for, used in messages ("RAM", "tender tables", …).</summary>
    public string Name { get; }
    public ulong GuestPhysicalAddress { get; }
    public ulong Size { get; }
    /// <summary>One past the last guest-physical address.</summary>
    public ulong End => GuestPhysicalAddress + Size;

    internal ulong HostAddress => (ulong)_pointer;

    /// <summary>
    /// The host address of the first byte, for bulk loaders that check their own bounds against
    /// <see cref="Size"/> (the ELF loader). Everything else goes through the checked accessors.
    /// </summary>
    public byte* UnsafeHostPointer => _pointer;

    /// <summary>True if [address, address + length) lies wholly inside this memory.</summary>
    public bool Contains(ulong address, ulong length)
    {
        if (address < GuestPhysicalAddress) return false;
        ulong offset = address - GuestPhysicalAddress;
        return offset <= Size && length <= Size - offset;
    }

    /// <summary>
    /// The bytes at [address, address + length), or false with a reason if any of them lies
    /// outside this memory (or the length cannot be one span).
    /// </summary>
    public bool TryGetSpan(ulong address, ulong length, out Span<byte> span, out string? error)
    {
        if (!Contains(address, length))
        {
            span = default;
            error = Describe(address, length) + $" is outside {Name} [0x{GuestPhysicalAddress:x}, 0x{End:x})";
            return false;
        }
        if (length > int.MaxValue)
        {
            span = default;
            error = $"{length:#,0} bytes is longer than the tender handles at once";
            return false;
        }
        span = new Span<byte>(_pointer + (address - GuestPhysicalAddress), (int)length);
        error = null;
        return true;
    }

    /// <summary>As <see cref="TryGetSpan"/>, throwing <see cref="GuestMemoryException"/> on a bad range.</summary>
    public Span<byte> GetSpan(ulong address, ulong length)
    {
        if (!TryGetSpan(address, length, out var span, out var error)) throw new GuestMemoryException(error!);
        return span;
    }

    /// <summary>
    /// Makes the whole pages [address, address + length) read-only on the host side (mprotect), so
    /// a guest store there fails in KVM (solo5-hvt protects a Solo5 guest's read-only segments
    /// this way; its page tables are the guest's own). The tender must then write there only
    /// through access checks that know it (GuestAccessMap), or it would fault itself.
    /// </summary>
    public void ProtectReadOnly(ulong address, ulong length) => Protect(address, length, LibC.PROT_READ);

    /// <summary>Undoes <see cref="ProtectReadOnly"/> (a debugger writing a breakpoint into read-only text).</summary>
    public void ProtectReadWrite(ulong address, ulong length) => Protect(address, length, LibC.PROT_READ | LibC.PROT_WRITE);

    /// <summary>
    /// Makes the whole pages inaccessible on the host side, so any guest access there fails in KVM
    /// (a debugger's read watchpoint without debug registers). The tender must open them again
    /// (<see cref="ProtectReadWrite"/>) before it touches them itself.
    /// </summary>
    public void ProtectNone(ulong address, ulong length) => Protect(address, length, LibC.PROT_NONE);

    private void Protect(ulong address, ulong length, int protection)
    {
        const ulong page = 4096;
        if (_region is null) throw new InvalidOperationException($"{Name} is not the tender's own mapping");
        if (((address | length) & (page - 1)) != 0 || length == 0 || !Contains(address, length))
            throw new ArgumentException($"{Describe(address, length)} is not whole pages inside {Name}");
        if (LibC.Mprotect((nint)(_pointer + (address - GuestPhysicalAddress)), (nuint)length, protection) != 0)
            throw HostException.FromLastError($"mprotect of {Describe(address, length)} in {Name}");
    }

    public ulong ReadUInt64(ulong address) => BinaryPrimitives.ReadUInt64LittleEndian(GetSpan(address, 8));
    public uint ReadUInt32(ulong address) => BinaryPrimitives.ReadUInt32LittleEndian(GetSpan(address, 4));
    public void WriteUInt64(ulong address, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(GetSpan(address, 8), value);
    public void WriteUInt32(ulong address, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(GetSpan(address, 4), value);
    public void Write(ulong address, ReadOnlySpan<byte> bytes) => bytes.CopyTo(GetSpan(address, (ulong)bytes.Length));

    public bool TryReadUInt64(ulong address, out ulong value)
    {
        if (TryGetSpan(address, 8, out var span, out _))
        {
            value = BinaryPrimitives.ReadUInt64LittleEndian(span);
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>
    /// The bytes of a NUL-terminated string at <paramref name="address"/>, without the NUL, reading
    /// at most <paramref name="maxLength"/> bytes and never past the end of this memory. Returns
    /// false if the address is outside; an unterminated string is cut at the limit.
    /// </summary>
    public bool TryReadCString(ulong address, int maxLength, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (!Contains(address, 1)) return false;
        ulong available = End - address;
        int length = (int)Math.Min((ulong)maxLength, available);
        var span = new ReadOnlySpan<byte>(_pointer + (address - GuestPhysicalAddress), length);
        int nul = span.IndexOf((byte)0);
        text = nul >= 0 ? span[..nul] : span;
        return true;
    }

    internal static string Describe(ulong address, ulong length) =>
        length == 0 ? $"address 0x{address:x}" : $"[0x{address:x}, +0x{length:x})";

    public void Dispose() => _region?.Dispose();
}

/// <summary>A guest address range outside guest memory was used.</summary>
public sealed class GuestMemoryException(string message) : Exception(message);
