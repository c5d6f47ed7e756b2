using System.Text.RegularExpressions;
using Tender.Oci;
using Tender.Oci.Networking;
using Tender.Tests.Support;

namespace Tender.Tests.Oci;

/// <summary>
/// A container's network as CNI's bridge plugin leaves it: a namespace for the container with one
/// end of a veth pair (an address, a default route), the other end in a second namespace standing
/// for the host with the gateway address. ContainerNetworking puts a TAP beside the veth end and
/// redirects frames both ways; the http sample, run by containerd through `tender oci` in that
/// namespace, then answers curl from the host side. Both namespaces are the test's, deleted after.
/// </summary>
public sealed class ContainerNetworkTests(ContainerdFixture containerd) : IClassFixture<ContainerdFixture>
{
    private const string GuestAddress = "10.77.0.2", Gateway = "10.77.0.1";

    private static string PathOf(TestNamespace ns) => Path.Combine(Tender.Host.NetworkNamespace.BindDirectory, ns.Name);

    /// <summary>The container's namespace (veth end "eth0", 10.77.0.2/24, default via .1) and the host's (the peer, 10.77.0.1/24).</summary>
    private static (TestNamespace Container, TestNamespace Host) Wire()
    {
        var container = new TestNamespace("tcnc");
        var host = new TestNamespace("tcnh");
        try
        {
            container.Ip("link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
            container.Ip("link", "set", "peer0", "netns", host.Name);
            container.Ip("addr", "add", GuestAddress + "/24", "dev", "eth0");
            container.Ip("link", "set", "eth0", "up");
            container.Ip("route", "add", "default", "via", Gateway);
            host.Ip("addr", "add", Gateway + "/24", "dev", "peer0");
            host.Ip("link", "set", "peer0", "up");
            return (container, host);
        }
        catch
        {
            container.Dispose();
            host.Dispose();
            throw;
        }
    }

    [Fact]
    public void Attach_puts_a_tap_beside_the_interface_with_redirects_both_ways_and_detach_removes_them()
    {
        HostRequirements.Ensure(HostNeeds.Root);
        var (container, host) = Wire();
        using (container)
        using (host)
        {
            string mac = Regex.Match(container.Ip("link", "show", "eth0"), @"link/ether ([0-9a-f:]{17})").Groups[1].Value;
            var network = ContainerNetworking.Attach(PathOf(container), "web-1");
            Assert.NotNull(network);
            Assert.Equal(ContainerNetworking.TapName("web-1"), network.TapName);
            Assert.True(network.TapName.Length <= 15);
            Assert.Equal("eth0", network.Interface);
            Assert.Equal(GuestAddress + "/24", network.Ipv4Cidr);
            Assert.Equal(Gateway, network.Gateway);
            Assert.Equal(mac, network.Mac);
            Assert.Equal(["--ipv4=10.77.0.2/24", "--ipv4-gateway=10.77.0.1"], ContainerNetworking.GuestArguments(network));
            Assert.Contains(network.TapName, container.Ip("link", "show"));
            Assert.Contains("redirect to device " + network.TapName, Command.Run("ip", "netns", "exec", container.Name, "tc", "filter", "show", "dev", "eth0", "ingress"), StringComparison.OrdinalIgnoreCase);
            Assert.Contains("redirect to device eth0", Command.Run("ip", "netns", "exec", container.Name, "tc", "filter", "show", "dev", network.TapName, "ingress"), StringComparison.OrdinalIgnoreCase);

            ContainerNetworking.Detach(PathOf(container), network);
            Assert.DoesNotContain(network.TapName, container.Ip("link", "show"));
            Assert.DoesNotContain("ingress", Command.Run("ip", "netns", "exec", container.Name, "tc", "qdisc", "show", "dev", "eth0"));
            Assert.Contains(GuestAddress + "/24", container.Ip("addr", "show", "dev", "eth0"));
            ContainerNetworking.Detach(PathOf(container), network);   // idempotent
        }
    }

    [Fact]
    public void A_namespace_with_only_loopback_gives_no_network_and_a_bad_path_a_clear_error()
    {
        HostRequirements.Ensure(HostNeeds.Root);
        using var empty = new TestNamespace("tcne");
        Assert.Null(ContainerNetworking.Attach(PathOf(empty), "none-1"));
        Assert.Contains("no such file", Assert.Throws<OciException>(() => ContainerNetworking.Attach("/var/run/netns/no-such-namespace-x", "x")).Message);
        Assert.Contains("not an absolute path", Assert.Throws<OciException>(() => ContainerNetworking.Attach("netns", "x")).Message);
    }

    [GuestFact(HostNeeds.Root)]
    public void The_http_sample_in_a_containers_namespace_answers_curl_from_the_host_side_and_delete_removes_the_tap()
    {
        string elf = GuestProjects.Sample("http");
        string rootfs = Directory.CreateTempSubdirectory("tender-rootfs-").FullName;
        var (container, host) = Wire();
        try
        {
            File.Copy(elf, Path.Combine(rootfs, "http.elf"));
            File.Copy(Path.Combine(Repository.Root, "samples", "http", "manifest.json"), Path.Combine(rootfs, "manifest.json"));
            string id = $"web-{TestPlatform.Current}-{Environment.ProcessId}";
            string tap = ContainerNetworking.TapName(id);
            using var run = containerd.StartCtr("run", "--rm", "--runc-binary", containerd.Launcher,
                "--annotation", $"org.tender.platform={TestPlatform.Current}", "--annotation", "org.tender.manifest=/manifest.json",
                "--with-ns", "network:" + PathOf(container), "--rootfs", rootfs, id, "/http.elf", "--port=8080");
            // The guest answers ARP and TCP as 10.77.0.2, with eth0's MAC, through the TAP.
            string page = "";
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                var (code, output) = host.TryExec("curl", "-sS", "--max-time", "3", $"http://{GuestAddress}:8080/");
                if (code == 0) { page = output; break; }
                Thread.Sleep(300);
            }
            if (page.Length == 0)
            {
                string ctr = run.HasExited ? run.Wait(TimeSpan.FromSeconds(5)).Output : "(ctr still running)";
                Assert.Fail("curl got no page from the guest in 60 s; ctr: " + ctr);
            }
            Assert.Contains("<h1>A C# unikernel serving HTTP</h1>", page);
            Assert.Contains(tap, container.Ip("link", "show"));
            var (killCode, killOutput) = containerd.Ctr("task", "kill", id);
            Assert.True(killCode == 0, killOutput);
            var (exit, text) = run.Wait(TimeSpan.FromSeconds(30));
            Assert.True(exit == 143, $"exit {exit}: {text}");
            Assert.Contains("http: listening on port 8080", text);
            // ctr run --rm deleted the container: the runtime's delete took the TAP and the redirect away.
            Assert.DoesNotContain(tap, container.Ip("link", "show"));
            Assert.DoesNotContain("ingress", Command.Run("ip", "netns", "exec", container.Name, "tc", "qdisc", "show", "dev", "eth0"));
        }
        finally
        {
            container.Dispose();
            host.Dispose();
            Directory.Delete(rootfs, recursive: true);
        }
    }
}
