using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tender.Oci.Spec;

namespace Tender.Oci.Networking;

/// <summary>
/// Gives a guest the network a container's namespace was set up with (by CNI, or by hand): the
/// namespace's interface keeps its address, MAC and routes, and a TAP made beside it carries the
/// guest's frames. Two tc ingress filters redirect every frame one way each (mirred), as urunc
/// does, so the guest, using the interface's MAC and IPv4 address, is the host the peer sees. The
/// namespace's own stack never receives a frame (the ingress redirect takes them all first), so
/// it does not answer for the guest although the address stays on the interface, and `Detach`
/// has nothing to restore but what `Attach` added.
/// <para>
/// The work is done by iproute2's `ip` and `tc` in the namespace (through `nsenter --net=PATH`,
/// since CNI's namespaces are paths, not `ip netns` names), each argument passed separately,
/// never through a shell: the namespace path comes from the bundle and is checked first, and the
/// names and addresses passed on come from the kernel's own JSON output or from a hash.
/// </para>
/// </summary>
public static class ContainerNetworking
{
    /// <summary>The prefix of the TAPs this runtime makes (which an interface scan skips).</summary>
    public const string TapPrefix = "tnd";

    /// <summary>
    /// In the namespace at <paramref name="netnsPath"/>: the first non-loopback Ethernet interface
    /// with an IPv4 address gets a TAP beside it; null when there is none (the guest then has no
    /// network device).
    /// </summary>
    public static AttachedNetwork? Attach(string netnsPath, string containerId)
    {
        CheckNamespace(netnsPath);
        var found = FindInterface(netnsPath);
        if (found is null) return null;
        var (iface, cidr, mac) = found.Value;
        var network = new AttachedNetwork
        {
            TapName = TapName(containerId),
            Interface = iface,
            Ipv4Cidr = cidr,
            Gateway = DefaultGateway(netnsPath, iface),
            Mac = mac,
        };
        try
        {
            Run(netnsPath, "ip", "tuntap", "add", "dev", network.TapName, "mode", "tap");
            Run(netnsPath, "ip", "link", "set", "dev", network.TapName, "up");
            Redirect(netnsPath, iface, network.TapName);
            Redirect(netnsPath, network.TapName, iface);
        }
        catch
        {
            Detach(netnsPath, network);
            throw;
        }
        return network;
    }

    /// <summary>Removes what <see cref="Attach"/> made; idempotent, and a namespace already gone is fine.</summary>
    public static void Detach(string netnsPath, AttachedNetwork network)
    {
        if (!File.Exists(netnsPath)) return;
        TryRun(netnsPath, "tc", "qdisc", "del", "dev", network.Interface, "ingress");
        TryRun(netnsPath, "ip", "link", "del", "dev", network.TapName);
    }

    /// <summary>A TAP name from the container id: deterministic, at most 15 characters (IFNAMSIZ), [a-z0-9] only.</summary>
    public static string TapName(string containerId)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(containerId));
        return TapPrefix + Convert.ToHexStringLower(hash, 0, 6);
    }

    /// <summary>
    /// The guest's view of <paramref name="network"/>: its arguments (Guest.Stack's --ipv4 and
    /// --ipv4-gateway) and the MAC its NIC is given.
    /// </summary>
    public static IReadOnlyList<string> GuestArguments(AttachedNetwork network) =>
        network.Gateway is string gateway
            ? ["--ipv4=" + network.Ipv4Cidr, "--ipv4-gateway=" + gateway]
            : ["--ipv4=" + network.Ipv4Cidr];

    private static void Redirect(string netnsPath, string from, string to)
    {
        Run(netnsPath, "tc", "qdisc", "add", "dev", from, "ingress");
        // u32 matching everything: the matchall classifier is not built into every kernel.
        Run(netnsPath, "tc", "filter", "add", "dev", from, "parent", "ffff:", "protocol", "all",
            "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", to);
    }

    private static void CheckNamespace(string netnsPath)
    {
        if (!Path.IsPathFullyQualified(netnsPath))
            throw new OciException($"network namespace {netnsPath}: not an absolute path");
        if (!File.Exists(netnsPath))
            throw new OciException($"network namespace {netnsPath}: no such file");
    }

    private static (string Interface, string Cidr, string Mac)? FindInterface(string netnsPath)
    {
        using var links = JsonDocument.Parse(Run(netnsPath, "ip", "-j", "addr", "show"));
        foreach (var link in links.RootElement.EnumerateArray())
        {
            if (Text(link, "link_type") != "ether") continue;
            string? name = Text(link, "ifname");
            string? mac = Text(link, "address");
            if (name is null || mac is null || name.StartsWith(TapPrefix, StringComparison.Ordinal)) continue;
            if (!link.TryGetProperty("addr_info", out var addresses)) continue;
            foreach (var address in addresses.EnumerateArray())
            {
                if (Text(address, "family") != "inet") continue;
                if (Text(address, "local") is string local && address.TryGetProperty("prefixlen", out var prefix))
                    return (name, $"{local}/{prefix.GetInt32()}", mac);
            }
        }
        return null;
    }

    private static string? DefaultGateway(string netnsPath, string iface)
    {
        using var routes = JsonDocument.Parse(Run(netnsPath, "ip", "-j", "-4", "route", "show", "default"));
        foreach (var route in routes.RootElement.EnumerateArray())
            if (Text(route, "dev") == iface && Text(route, "gateway") is string gateway) return gateway;
        return null;
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Run(string netnsPath, params string[] command)
    {
        var (code, output, error) = Execute(netnsPath, command);
        if (code != 0)
            throw new OciException($"network namespace {netnsPath}: `{string.Join(' ', command)}` failed ({code}): {error.Trim()}");
        return output;
    }

    private static void TryRun(string netnsPath, params string[] command) => Execute(netnsPath, command);

    private static (int Code, string Output, string Error) Execute(string netnsPath, string[] command)
    {
        var info = new System.Diagnostics.ProcessStartInfo("nsenter");
        info.ArgumentList.Add("--net=" + netnsPath);
        info.ArgumentList.Add("--");
        foreach (string c in command) info.ArgumentList.Add(c);
        var r = ChildProcess.Run(info, stdin: null, TimeSpan.FromSeconds(30), $"network namespace {netnsPath}: `{string.Join(' ', command)}`");
        return (r.ExitCode, r.Stdout, r.Stderr);
    }
}
