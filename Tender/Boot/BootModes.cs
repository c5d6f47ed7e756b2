using Tender.Boot.Deprivileged;
using Tender.Loader;

namespace Tender.Boot;

/// <summary>Chooses the boot mode the ELF's notes ask for (docs/abi.md).</summary>
public static class BootModes
{
    public static IBootMode For(GuestKind kind) => kind switch
    {
        GuestKind.Deprivileged => new DeprivilegedBootMode(),
        GuestKind.Solo5 => new Solo5.Solo5BootMode(),
        _ => throw new TenderException($"unknown guest kind {kind}"),
    };
}
