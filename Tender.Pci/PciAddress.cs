using System.Globalization;

namespace Tender.Pci;

/// <summary>
/// A PCI function's address as Linux names it in sysfs: <c>DDDD:BB:DD.F</c> (domain, bus, device
/// 0..31, function 0..7), lower-case hex. <see cref="ToString"/> gives the canonical form used for
/// sysfs paths and VFIO_GROUP_GET_DEVICE_FD.
/// </summary>
public readonly record struct PciAddress(ushort Domain, byte Bus, byte Device, byte Function)
{
    /// <summary>Parses <c>0000:03:00.0</c>; the domain may be left out (<c>03:00.0</c> means domain 0).</summary>
    public static bool TryParse(string text, out PciAddress address)
    {
        address = default;
        string[] parts = text.Split(':');
        if (parts.Length is < 2 or > 3) return false;
        string domainText = parts.Length == 3 ? parts[0] : "0000";
        string busText = parts[^2];
        string[] deviceFunction = parts[^1].Split('.');
        if (deviceFunction.Length != 2) return false;
        if (!Hex(domainText, 4, out uint domain) || !Hex(busText, 2, out uint bus) ||
            !Hex(deviceFunction[0], 2, out uint device) || !Hex(deviceFunction[1], 1, out uint function))
            return false;
        if (device > 31 || function > 7) return false;
        address = new PciAddress((ushort)domain, (byte)bus, (byte)device, (byte)function);
        return true;
    }

    /// <summary>Parses or throws <see cref="FormatException"/> naming the expected form.</summary>
    public static PciAddress Parse(string text) =>
        TryParse(text, out PciAddress address)
            ? address
            : throw new FormatException($"'{text}' is not a PCI address (expected DDDD:BB:DD.F, e.g. 0000:03:00.0)");

    private static bool Hex(string text, int maxDigits, out uint value)
    {
        value = 0;
        return text.Length >= 1 && text.Length <= maxDigits &&
               uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    public override string ToString() => $"{Domain:x4}:{Bus:x2}:{Device:x2}.{Function:x1}";
}
