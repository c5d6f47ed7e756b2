using Tender.Boot.Deprivileged;
using Tender.Loader;

namespace Tender.Boot;

/// <summary>Chooses the boot mode the ELF's notes ask for (docs/abi.md).</summary>
public static class BootModes
{
    public static IBootMode For(GuestKind kind) => kind switch
    {
        GuestKind.Deprivileged => new DeprivilegedBootMode(),
        GuestKind.Solo5 => throw new TenderException("Solo5 hvt guests are not supported by this build yet (Solo5 mode is being written)"),
        _ => throw new TenderException($"unknown guest kind {kind}"),
    };
}
