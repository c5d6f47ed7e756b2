namespace Tender.Fuzz;

/// <summary>Every fuzz target, by name (the first argument of the harness and of scripts/fuzz).</summary>
public static class Targets
{
    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        LoaderTargets.Elf,
        LoaderTargets.ManifestJson,
        LoaderTargets.ManifestNote,
        HypercallTarget.Target,
        RingTarget.Target,
        IxgbeTarget.Target,
        StackTargets.Ethernet,
        StackTargets.Arp,
        StackTargets.Ipv4,
        StackTargets.Icmp,
        StackTargets.Udp,
        StackTargets.Tcp,
        GdbTarget.Target,
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
