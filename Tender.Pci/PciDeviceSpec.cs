using System.Globalization;

namespace Tender.Pci;

/// <summary>What an emulated 82599 port is plugged into.</summary>
public enum EmulatedWireKind
{
    /// <summary>Nothing: the link stays down.</summary>
    None,
    /// <summary>A TAP interface on the host (<c>tap=IFNAME</c>).</summary>
    Tap,
    /// <summary>A cable to the other port that names the same cable (<c>cable=NAME</c>).</summary>
    Cable,
}

/// <summary>
/// The value of <c>--pci:NAME=VALUE</c>: either a host device passed through VFIO
/// (<c>0000:BB:DD.F</c>) or an emulated 82599 port:
/// <c>emulated-ixgbe[,tap=IFNAME|,cable=NAME][,mac=02:00:00:00:00:01][,trace]</c>.
/// </summary>
public sealed record PciDeviceSpec
{
    public const string EmulatedIxgbe = "emulated-ixgbe";

    /// <summary>The host device, for a VFIO pass-through; null for an emulated device.</summary>
    public PciAddress? HostAddress { get; init; }
    public bool IsEmulated => HostAddress is null;
    public EmulatedWireKind Wire { get; init; }
    /// <summary>The TAP interface or cable name, per <see cref="Wire"/>.</summary>
    public string? WireName { get; init; }
    /// <summary>The emulated port's MAC address (its "EEPROM"), or null for the tender's default.</summary>
    public byte[]? Mac { get; init; }
    /// <summary>Trace every register access of the emulated device.</summary>
    public bool TraceRegisters { get; init; }

    /// <summary>Parses VALUE; on failure error says what is wrong, prefixed with option (e.g. "--pci:pci0").</summary>
    public static bool TryParse(string option, string value, out PciDeviceSpec spec, out string? error)
    {
        spec = new PciDeviceSpec();
        error = null;
        string[] parts = value.Split(',');
        if (parts[0] != EmulatedIxgbe)
        {
            if (parts.Length == 1 && PciAddress.TryParse(value, out PciAddress address))
            {
                spec = new PciDeviceSpec { HostAddress = address };
                return true;
            }
            error = $"{option}: '{value}' is neither a PCI address (0000:BB:DD.F) nor {EmulatedIxgbe}[,tap=IFNAME|,cable=NAME][,mac=MAC][,trace]";
            return false;
        }
        var seen = new HashSet<string>();
        foreach (string part in parts.Skip(1))
        {
            int eq = part.IndexOf('=');
            string key = eq < 0 ? part : part[..eq];
            string? arg = eq < 0 ? null : part[(eq + 1)..];
            if (!seen.Add(key))
            {
                error = $"{option}: '{key}' is given twice";
                return false;
            }
            switch (key)
            {
                case "tap" or "cable" when string.IsNullOrEmpty(arg):
                    error = $"{option}: '{key}=' needs a name";
                    return false;
                case "tap" or "cable" when spec.Wire != EmulatedWireKind.None:
                    error = $"{option}: an emulated port has one wire: give tap= or cable=, not both";
                    return false;
                case "tap" when arg!.Length >= 16 || arg.Any(c => c <= ' ' || c > '~' || c == '/' || c == ':'):
                    error = $"{option}: '{arg}' is not a network interface name";
                    return false;
                case "tap":
                    spec = spec with { Wire = EmulatedWireKind.Tap, WireName = arg };
                    break;
                case "cable" when !arg!.All(char.IsAsciiLetterOrDigit):
                    error = $"{option}: cable name '{arg}' may have only letters and digits";
                    return false;
                case "cable":
                    spec = spec with { Wire = EmulatedWireKind.Cable, WireName = arg };
                    break;
                case "mac":
                    if (arg is null || !TryParseMac(arg, out byte[] mac))
                    {
                        error = $"{option}: '{arg}' is not a MAC address (xx:xx:xx:xx:xx:xx)";
                        return false;
                    }
                    if ((mac[0] & 1) != 0)
                    {
                        error = $"{option}: {arg} is a multicast address; a port needs a unicast MAC";
                        return false;
                    }
                    spec = spec with { Mac = mac };
                    break;
                case "trace" when arg is null:
                    spec = spec with { TraceRegisters = true };
                    break;
                default:
                    error = $"{option}: unknown {EmulatedIxgbe} option '{part}' (known: tap=IFNAME, cable=NAME, mac=MAC, trace)";
                    return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Checks the cables across all devices: every cable name must join exactly two emulated ports.
    /// Returns null or the error.
    /// </summary>
    public static string? CheckCables(IEnumerable<(string DeviceName, PciDeviceSpec Spec)> devices)
    {
        foreach (var group in devices.Where(d => d.Spec.Wire == EmulatedWireKind.Cable).GroupBy(d => d.Spec.WireName))
        {
            int count = group.Count();
            if (count != 2)
                return $"cable '{group.Key}' joins {count} port(s) ({string.Join(", ", group.Select(d => d.DeviceName))}); a cable joins exactly two";
        }
        return null;
    }

    private static bool TryParseMac(string text, out byte[] mac)
    {
        mac = new byte[6];
        string[] octets = text.Split(':');
        if (octets.Length != 6) return false;
        for (int i = 0; i < 6; i++)
            if (octets[i].Length != 2 || !byte.TryParse(octets[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i]))
                return false;
        return true;
    }
}
