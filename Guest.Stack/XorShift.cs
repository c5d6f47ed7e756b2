namespace Guest.Stack;

/// <summary>xorshift64* generator: deterministic, seeded by the caller, not cryptographic.</summary>
public struct XorShift
{
    private ulong _state;

    public XorShift(ulong seed) => _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

    public ulong Next()
    {
        ulong x = _state;
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
        _state = x;
        return x * 0x2545F4914F6CDD1DUL;
    }

    public uint NextUInt() => (uint)(Next() >> 32);

    /// <summary>Uniform-ish value in [0, bound).</summary>
    public int NextInt(int bound) => bound <= 0 ? 0 : (int)((Next() >> 33) % (ulong)bound);

    /// <summary>splitmix64 finaliser, used as a keyed mixing function (ISNs, SYN cookies).</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
