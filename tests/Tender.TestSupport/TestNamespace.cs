using System.Collections.Concurrent;
using System.Security.Cryptography;
using Tender.Host;

namespace Tender.TestSupport;

/// <summary>
/// A network namespace made for one test (`ip netns add PREFIX-RANDOM`) and deleted afterwards,
/// whether the test passed or not. Loopback is up and IPv6 is off inside it, so the kernel sends
/// no router solicitations or MLD reports of its own through the test's interfaces; nothing in it
/// can reach the host's interfaces, and the test's traffic never leaves it.
///
/// The test's descriptors (TAP, sockets) are opened inside it through <see cref="Run{T}"/>
/// (<see cref="NetworkNamespace.Run{T}"/>: a dedicated thread does setns(2) on
/// /var/run/netns/NAME and opens them there). That keeps the code under test in-process (a child
/// under `ip netns exec` would need its own program and a way to hand descriptors back), and
/// since a network namespace is per thread, no other thread of the test host changes namespace.
/// Linux-side programs (ping, sh) run inside it with <see cref="Exec"/>.
///
/// Deletion: <see cref="Dispose"/> deletes it; if a test forgets to, the finaliser does, and
/// namespaces still alive when the test process exits are deleted then. Deleting the name
/// destroys its virtual interfaces (TAPs included) as soon as the last descriptor or socket
/// opened inside it is closed.
/// </summary>
public sealed class TestNamespace : IDisposable
{
    private static readonly ConcurrentDictionary<string, byte> Live = new();

    static TestNamespace()
    {
        // Finalisers do not run at process exit in .NET: this is the last chance for a namespace
        // whose test neither disposed it nor lived long enough to be collected.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (string name in Live.Keys) Delete(name);
        };
    }

    // 1 until the namespace exists: a constructor that throws early leaves nothing to delete
    // (the finaliser still runs on such an object).
    private int _deleted = 1;

    /// <param name="prefix">Says which tests made it (a stale one in `ip netns list` names its owner): 1 to 8 of [a-z0-9].</param>
    public TestNamespace(string prefix = "tns")
    {
        if (prefix.Length is 0 or > 8 || !prefix.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9'))
            throw new ArgumentException($"namespace prefix '{prefix}' is not 1 to 8 of [a-z0-9]", nameof(prefix));
        HostRequirements.Ensure(HostNeeds.Root);
        Name = prefix + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        Command.Run("ip", "netns", "add", Name);
        Live.TryAdd(Name, 0);
        _deleted = 0;
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

    /// <summary>Runs `ip -n NAME args…`; throws with the output if it fails.</summary>
    public string Ip(params string[] args) => Command.Run("ip", ["-n", Name, .. args]);

    /// <summary>Runs a program inside the namespace (`ip netns exec NAME …`); throws with the output if it fails.</summary>
    public string Exec(params string[] args) => Command.Run("ip", ["netns", "exec", Name, .. args]);

    /// <summary>Runs a program inside the namespace and returns its exit status and output, whatever the status.</summary>
    public (int ExitCode, string Output) TryExec(params string[] args) => Command.TryRun("ip", ["netns", "exec", Name, .. args]);

    /// <summary>Starts a program inside the namespace and returns at once (a peer that runs while the test works).</summary>
    public RunningCommand StartExec(params string[] args) => Command.Start("ip", ["netns", "exec", Name, .. args]);

    /// <summary>Creates a persistent TAP interface in the namespace and brings it up with the MTU given.</summary>
    public void AddTap(string name, int mtu = 1500)
    {
        Ip("tuntap", "add", "dev", name, "mode", "tap");
        Ip("link", "set", "dev", name, "mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture), "up");
    }

    /// <summary>
    /// Creates a persistent TAP interface, gives the Linux side address (CIDR, e.g. 10.0.0.1/24)
    /// and brings it up.
    /// </summary>
    public void AddTap(string name, string address, int mtu = 1500)
    {
        Ip("tuntap", "add", "dev", name, "mode", "tap");
        Ip("addr", "add", address, "dev", name);
        Ip("link", "set", "dev", name, "mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture), "up");
    }

    /// <summary>Runs code on a thread inside the namespace (descriptors it opens stay in the namespace).</summary>
    public T Run<T>(Func<T> action) => NetworkNamespace.Run(Name, action);

    /// <summary>Runs code on a thread inside the namespace.</summary>
    public void Run(Action action) => NetworkNamespace.Run(Name, action);

    public void Dispose()
    {
        DeleteOnce();
        GC.SuppressFinalize(this);
    }

    // Only the name (a string) is touched, so this is safe from the finaliser thread too.
    ~TestNamespace() => DeleteOnce();

    private void DeleteOnce()
    {
        if (Interlocked.Exchange(ref _deleted, 1) != 0) return;
        Delete(Name);
    }

    private static void Delete(string name)
    {
        try
        {
            Command.TryRun("ip", "netns", "del", name);
        }
        catch (Exception)
        {
            // Never throw from Dispose, a finaliser or process exit; `ip netns list` shows a leftover.
        }
        Live.TryRemove(name, out _);
    }
}
