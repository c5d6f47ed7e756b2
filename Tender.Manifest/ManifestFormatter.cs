using System.Text;
using Tender.Loader;

namespace Tender.Manifest;

/// <summary>Readable text for `tender manifest show`.</summary>
public static class ManifestFormatter
{
    /// <summary>One block of text describing the manifest, one device per line.</summary>
    public static string Format(AppManifest manifest)
    {
        var b = new StringBuilder();
        b.Append("manifest version ").Append(manifest.Version).Append('\n');
        b.Append("dma_size: ").Append(manifest.DmaSize is { } d and > 0 ? $"{d} bytes ({ElfImage.FormatSizeText(d)})" : "none").Append('\n');
        b.Append("devices: ").Append(manifest.Devices.Count).Append('\n');
        for (int i = 0; i < manifest.Devices.Count; i++)
        {
            Device dev = manifest.Devices[i];
            b.Append($"  [{i}] handle {AppManifest.HandleOf(i)}  {dev.Name,-16} {dev.TypeName}");
            if (dev is PciBasicDevice p)
            {
                var bars = Enumerable.Range(0, PciBasicDevice.BarCount).Where(p.MapsBar).Select(n => $"BAR{n}").ToArray();
                b.Append($"  vendor 0x{p.VendorId:x4} device 0x{p.DeviceId:x4} class 0x{p.ClassCode:x2} subclass 0x{p.Subclass:x2} progif 0x{p.ProgIf:x2}");
                b.Append($"  bus master {(p.BusMasterEnable ? "yes" : "no")}  maps {(bars.Length == 0 ? "no BARs" : string.Join(",", bars))}");
            }
            b.Append('\n');
        }
        return b.ToString();
    }

    /// <summary>The boot mode and layout of an ELF, then its manifest (or a line saying it has none).</summary>
    public static string Format(ElfImage image, AppManifest? manifest)
    {
        var b = new StringBuilder();
        switch (image.Kind)
        {
            case GuestKind.Deprivileged:
                TenderDeprivilegedNote t = image.Deprivileged!.Value;
                b.Append($"boot mode: deprivileged (CPL 3; Tender note version {t.Version}, stack {ElfImage.FormatSizeText(t.EffectiveStackSize)}");
                b.Append(t.StackSize == 0 ? " (default)" : "").Append(")\n");
                break;
            case GuestKind.Solo5:
                Solo5AbiNote a = image.Solo5Abi!.Value;
                b.Append($"boot mode: Solo5 (CPL 0; ABI target {Solo5AbiNote.TargetName(a.Target)}, version {a.Version})\n");
                break;
        }
        b.Append($"entry: 0x{image.Entry:x}\n");
        b.Append($"kernel_end: 0x{image.KernelEnd:x}\n");
        foreach (LoadSegment s in image.LoadSegments)
            b.Append($"  PT_LOAD {s.FlagsText} [0x{s.VirtualAddress:x},0x{s.End:x}) file 0x{s.FileSize:x} bytes at 0x{s.FileOffset:x}\n");
        if (manifest is null)
            b.Append("manifest: none in the ELF (no MFT1 note); the guest gets no devices unless --manifest is given\n");
        else
            b.Append(Format(manifest));
        return b.ToString();
    }
}
