using Xunit.Abstractions;
using TestNamespace = Tender.TestSupport.TestNamespace;

namespace Guest.Tests;

/// <summary>
/// The guest build embeds manifest.json as Solo5's MFT1 note: `tender manifest show` reads it from the
/// ELF and `tender run` uses it without -\-manifest (samples/ping answering Linux's ping proves the
/// NET_BASIC device it declares was attached), while -\-manifest still overrides it.
/// </summary>
public sealed class EmbeddedManifestTests(ITestOutputHelper output)
{
    [Fact]
    public void Manifest_show_reads_the_note_the_build_embedded()
    {
        ProcessResult r = Repo.Run(Path.Combine(Repo.Root, "scripts", "tender"), ["manifest", "show", GuestBuilds.Elf("ping")], TimeSpan.FromMinutes(10));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches(@"\[0\] handle \d+\s+service0\s+NET_BASIC", r.Stdout);
    }

    [GuestFact(HostNeeds.Root | HostNeeds.Tun)]
    public void Run_without_manifest_attaches_the_devices_of_the_embedded_note()
    {
        using var ns = new TestNamespace("mftnote");
        ns.AddTap("tap0", "10.0.0.1/24");
        using var guest = new NetGuest(ns, GuestBuilds.Elf("ping"), manifest: null,
            ["--net:service0=tap0", "--net-mac:service0=02:00:00:00:00:02", "--timeout=120s"],
            ["--ipv4=10.0.0.2/24", "--hypercalls", "--count=3"]);
        var (code, text) = Command.TryRun(TimeSpan.FromSeconds(60), "ip", ["netns", "exec", ns.Name, "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.0.0.2"]);
        output.WriteLine(text);
        Assert.True(code == 0, text + "\n" + guest.Output);
        Assert.Contains("3 packets transmitted, 3 received, 0% packet loss", text);
    }

    [GuestFact]
    public void Manifest_option_still_overrides_the_embedded_note()
    {
        // A manifest without service0: the tender must refuse -\-net:service0 since the override, not
        // the note, is what counts.
        string empty = Path.Combine(Path.GetTempPath(), $"tender-empty-manifest-{Environment.ProcessId}.json");
        File.WriteAllText(empty, """{ "type": "solo5.manifest", "version": 1, "devices": [] }""");
        try
        {
            ProcessResult r = Tender.Run(GuestBuilds.Elf("ping"), ["--ipv4=10.0.0.2/24"], ["--manifest", empty, "--net:service0=tap-none"], timeoutSeconds: 30);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("service0", r.Stderr);
        }
        finally
        {
            File.Delete(empty);
        }
    }
}
