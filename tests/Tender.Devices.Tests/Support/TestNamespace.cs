using System.Security.Cryptography;
using Tender.Host;

namespace Tender.Devices.Tests;

/// <summary>
/// A network namespace made for one test (`ip netns add tdv-RANDOM`) and deleted when disposed,
/// whether the test passed or not. IPv6 is off inside it so the kernel sends no router
/// solicitations or MLD reports of its own through the test's TAP; nothing in it can reach the
/// host's interfaces.
///
/// The test's descriptors (TAP, packet sockets) are opened inside it through
/// <see cref="NetworkNamespace.Run{T}"/>: a dedicated thread does setns(2) on
/// /var/run/netns/NAME and opens them there. That keeps the code under test in-process (a child
/// under `ip netns exec` would need its own program and a way to hand descriptors back), and
/// since a network namespace is per thread, no other thread of the test host changes namespace.
/// </summary>
internal sealed class TestNamespace : IDisposable
{
    public TestNamespace()
    {
        Name = "tdv-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        Command.Run("ip", "netns", "add", Name);
        try
        {
            Exec("sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6");
            Ip("link", "set", "lo", "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name { get; }

    /// <summary>Runs `ip -n NAME args…`.</summary>
    public string Ip(params string[] args) => Command.Run("ip", ["-n", Name, .. args]);

    /// <summary>Runs a program inside the namespace (`ip netns exec NAME …`).</summary>
    public string Exec(params string[] args) => Command.Run("ip", ["netns", "exec", Name, .. args]);

    /// <summary>Creates a persistent TAP interface, brings it up with the MTU given.</summary>
    public void AddTap(string name, int mtu = 1500)
    {
        Ip("tuntap", "add", "dev", name, "mode", "tap");
        Ip("link", "set", "dev", name, "mtu", mtu.ToString(), "up");
    }

    /// <summary>Runs code on a thread inside the namespace.</summary>
    public T Run<T>(Func<T> action) => NetworkNamespace.Run(Name, action);

    public void Dispose()
    {
        // Deleting the namespace destroys its interfaces (persistent TAPs included).
        Command.TryRun("ip", "netns", "del", Name);
    }
}
