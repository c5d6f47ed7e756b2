using System.Runtime.InteropServices;

// The boot stub's entry points, declared here rather than widened in GuestBindings: an attacker
// needs raw hypercalls (any port, any argument) and the boot info's ring address, which the
// bindings deliberately keep to themselves.
static unsafe class Native
{
    [DllImport("*", EntryPoint = "tender_hypercall")]
    [SuppressGCTransition]
    internal static extern void Hypercall(uint port, uint argument);

    [DllImport("*", EntryPoint = "tender_boot_info")]
    [SuppressGCTransition]
    internal static extern byte* BootInfo();

    internal const uint PortBase = 0x500;
    internal const uint KickPort = 0x600;

    // struct hvt_boot_info (docs/abi.md "State at entry").
    internal static ulong MemSize => *(ulong*)BootInfo();
    internal static ulong KernelEnd => *(ulong*)(BootInfo() + 8);
    internal static uint HostFeatures => *(uint*)(BootInfo() + 40);
    internal static ulong NetRing => *(ulong*)(BootInfo() + 48);
}

/// <summary>xorshift64*: small, fast and reproducible from the seed on any platform.</summary>
sealed class Rng(ulong seed)
{
    private ulong _s = seed == 0 ? 0x9E3779B97F4A7C15 : seed;

    public ulong Next()
    {
        _s ^= _s >> 12;
        _s ^= _s << 25;
        _s ^= _s >> 27;
        return _s * 0x2545F4914F6CDD1D;
    }

    /// <summary>Uniform in [0, n) (n small: the modulo bias does not matter here).</summary>
    public int Below(int n) => (int)(Next() % (ulong)n);

    public bool OneIn(int n) => Below(n) == 0;

    public T Pick<T>(T[] items) => items[Below(items.Length)];
}
