namespace Tender.Boot;

/// <summary>
/// The guest-virtual ranges a guest may itself read or write, so that a hypercall can only make
/// the tender touch memory the guest could have touched (deprivileged mode: not the null page,
/// not the guard page, not text for writes). Ranges are identity-mapped RAM.
/// </summary>
public sealed class GuestAccessMap
{
    private readonly List<(ulong Start, ulong End, bool Writable)> _ranges = [];

    /// <summary>All of [0, memorySize) readable and writable (Solo5 mode, as solo5-hvt checks only bounds).</summary>
    public static GuestAccessMap WholeMemory(ulong memorySize)
    {
        var map = new GuestAccessMap();
        map.Add(0, memorySize, writable: true);
        return map;
    }

    /// <summary>Adds [start, end). Adjacent or overlapping ranges are kept as given; lookups scan all.</summary>
    public GuestAccessMap Add(ulong start, ulong end, bool writable)
    {
        if (end <= start) throw new ArgumentException($"empty or inverted range [0x{start:x}, 0x{end:x})");
        _ranges.Add((start, end, writable));
        _ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
        return this;
    }

    /// <summary>Null if the guest may read [address, address + length), else why not.</summary>
    public string? CheckRead(ulong address, ulong length) => Check(address, length, write: false);

    /// <summary>Null if the guest may write [address, address + length), else why not.</summary>
    public string? CheckWrite(ulong address, ulong length) => Check(address, length, write: true);

    private string? Check(ulong address, ulong length, bool write)
    {
        if (length == 0) return null; // nothing is accessed
        if (length - 1 > ulong.MaxValue - address)
            return $"[0x{address:x}, +0x{length:x}) wraps around the end of the address space";
        ulong last = address + (length - 1);
        // Every byte must be covered; ranges are sorted, so contiguous ones chain.
        ulong at = address;
        foreach (var r in _ranges)
        {
            if ((write && !r.Writable) || r.End <= at) continue;
            if (r.Start > at) break;
            if (r.End - 1 >= last) return null;
            at = r.End;
        }
        string kind = write ? "writable" : "readable";
        return at == address
            ? $"[0x{address:x}, +0x{length:x}) is not {kind} guest memory (0x{at:x} is {Describe(at)})"
            : $"[0x{address:x}, +0x{length:x}) is not {kind} guest memory from 0x{at:x} on ({Describe(at)})";
    }

    private string Describe(ulong address)
    {
        foreach (var r in _ranges)
            if (address >= r.Start && address < r.End) return "read-only";
        return "unmapped";
    }
}
