using System.Text.RegularExpressions;
using Tender.Tests.Support;

namespace Tender.Tests;

/// <summary>scripts/pack's feed, packed once for the class into a temporary directory.</summary>
public sealed class PackedFeed : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("tender-feed-").FullName;
    public string Feed { get; }

    public PackedFeed()
    {
        Feed = Path.Combine(Directory, "feed");
        string output = Command.Run(TimeSpan.FromMinutes(15), Path.Combine(Repository.Root, "scripts", "pack"), Feed);
        // stdout (the feed's path) comes first in Command.Run's output, the build's stderr after it.
        Assert.StartsWith(Feed + "\n", output + "\n");
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>
/// The tender as a .NET tool: scripts/pack's feed holds the pointer package Tender and the
/// NativeAOT Tender.linux-x64; `dotnet tool install` from that feed alone (a nuget.config that
/// clears every other source) gives a `tender` that boots the hello sample on each platform.
/// </summary>
public sealed class PackagingTests(PackedFeed packed) : IClassFixture<PackedFeed>
{
    private static string Version()
    {
        string props = File.ReadAllText(Path.Combine(Repository.Root, "Directory.Build.props"));
        return Regex.Match(props, @"<TenderVersion[^>]*>([^<]+)</TenderVersion>").Groups[1].Value;
    }

    [Fact]
    public void The_feed_holds_the_tool_its_native_package_the_guest_sdk_and_the_templates_at_the_repositorys_version()
    {
        string version = Version();
        Assert.Matches(@"^\d+\.\d+\.\d+", version);
        Assert.True(File.Exists(Path.Combine(packed.Feed, $"Tender.{version}.nupkg")), string.Join(", ", System.IO.Directory.GetFiles(packed.Feed)));
        foreach (string package in new[] { "Tender.linux-x64", "Tender.Guest.Sdk", "Tender.Guest.Templates" })
            Assert.True(File.Exists(Path.Combine(packed.Feed, $"{package}.{version}.nupkg")), package + ": " + string.Join(", ", System.IO.Directory.GetFiles(packed.Feed)));
    }

    [GuestFact]
    public void Dotnet_tool_install_from_the_feed_gives_a_tender_that_boots_a_guest()
    {
        string home = Path.Combine(packed.Directory, "install-" + TestPlatform.Current);
        System.IO.Directory.CreateDirectory(home);
        string config = Path.Combine(home, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="feed" value="{packed.Feed}" />
              </packageSources>
            </configuration>
            """);
        string tools = Path.Combine(home, "tools");
        string install = Command.Run(TimeSpan.FromMinutes(5), "dotnet", "tool", "install", "--tool-path", tools, "--configfile", config, "Tender", "--version", Version());
        Assert.Contains("successfully installed", install);
        string tender = Path.Combine(tools, "tender");
        Assert.StartsWith(Version(), Command.Run(tender, "--version"));

        string elf = GuestProjects.Sample("hello");
        var (code, output) = Command.TryRun(TimeSpan.FromSeconds(60), tender, "run", $"--platform={TestPlatform.Current}", elf, "--", "a", "b", "--exit=3");
        Assert.True(code == 3, $"exit {code}: {output}");
        Assert.Contains("hello\na\nb", output);
    }
}
