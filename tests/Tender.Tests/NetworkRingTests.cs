using System.Diagnostics;
using Tender.Tests.Support;

namespace Tender.Tests;

/// <summary>
/// The shared network ring through the built tender: offered in the boot info with a network
/// device, and a hostile ring ends the guest with a report. Each test makes its own network
/// namespace with a TAP inside (nothing leaves it) and deletes it afterwards.
/// </summary>
public sealed class NetworkRingTests : IDisposable
{
    private readonly string _namespace = $"tdr{Environment.ProcessId % 10000}x{Random.Shared.Next(1000)}";
    private readonly string _dir = Directory.CreateTempSubdirectory("tender-ring-").FullName;

    private static void Ip(params string[] arguments)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: {error}");
    }

    private TenderResult RunRingGuest(string bad)
    {
        Ip("netns", "add", _namespace);
        Ip("-n", _namespace, "tuntap", "add", "tap0", "mode", "tap");
        Ip("-n", _namespace, "link", "set", "tap0", "up");
        string manifest = Path.Combine(_dir, "net.json");
        File.WriteAllText(manifest, """{ "type": "solo5.manifest", "version": 1, "devices": [ { "name": "net0", "type": "NET_BASIC" } ] }""");
        return TenderProcess.RunInNamespace(_namespace, "run", "--mem=32", "--timeout=30s", "--manifest", manifest, "--net:net0=tap0",
            TestGuests.Build("ring_bad", ("BAD", bad)));
    }

    [GuestFact]
    public void A_ring_entry_with_a_buffer_in_the_null_page_ends_the_guest()
    {
        var r = RunRingGuest("1");
        Assert.True(r.ExitCode == 125, r.ToString());
        var lines = r.Stdout.Split('\n');
        Assert.Equal("0000000000000001", lines[0]);          // host_features: ring I/O offered
        Assert.Equal("0000000002000000", lines[1]);          // net_ring right above mem_size (32 MiB)
        Assert.Equal("0000000002000000", lines[2]);          // mem_size unchanged
        Assert.Contains("tender: guest crashed: network ring: ", r.Stderr);
        Assert.Contains("0x10 is unmapped", r.Stderr);
    }

    [GuestFact]
    public void A_ring_tail_far_ahead_ends_the_guest()
    {
        var r = RunRingGuest("2");
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("network ring: ", r.Stderr);
        Assert.Contains("ent_tail 5000", r.Stderr);
    }

    public void Dispose()
    {
        try { Ip("netns", "del", _namespace); } catch (InvalidOperationException) { }
        Directory.Delete(_dir, recursive: true);
    }
}
