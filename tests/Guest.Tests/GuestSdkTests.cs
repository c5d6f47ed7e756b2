using System.Diagnostics;
using System.Text;

namespace Guest.Tests;

/// <summary>
/// Tender.Guest.Sdk as a user outside the repository sees it: the SDK packed into a temporary local
/// feed, a project in a temporary directory that says only <c>&lt;Project Sdk="Tender.Guest.Sdk/VERSION"&gt;</c>
/// plus its source, built by the real dotnet CLI with a private package cache (so no stale copy of the
/// SDK from an earlier run is used) and booted by the tender.
/// </summary>
public sealed class GuestSdkFixture : IDisposable
{
    public const string Version = "0.1.0";
    public string Root { get; } = Directory.CreateTempSubdirectory("tender-guest-sdk-").FullName;
    public string Feed => Path.Combine(Root, "feed");
    private string PackageCache => Path.Combine(Root, "packages");
    public string Hive => Path.Combine(Root, "template-hive");

    /// <summary>`dotnet new TEMPLATE -n NAME` in the temporary directory (the fixture's hive); returns the project's directory.</summary>
    public string New(string template, string name)
    {
        ProcessResult r = Run("dotnet", ["new", template, "-n", name, "-o", Path.Combine(Root, name), "--debug:custom-hive", Hive], Root);
        Assert.True(r.ExitCode == 0, $"dotnet new {template} failed:\n" + r);
        return Path.Combine(Root, name);
    }

    public GuestSdkFixture()
    {
        ProcessResult pack = Run("dotnet", ["pack", Path.Combine(Repo.Root, "Tender.Guest.Sdk", "Tender.Guest.Sdk.csproj"), "-o", Feed, "-nologo", "-p:TenderVersion=" + Version], Repo.Root);
        Assert.True(pack.ExitCode == 0, "dotnet pack Tender.Guest.Sdk failed:\n" + pack);
        ProcessResult templates = Run("dotnet", ["pack", Path.Combine(Repo.Root, "templates", "Tender.Guest.Templates.csproj"), "-o", Feed, "-nologo", "-p:TenderVersion=" + Version], Repo.Root);
        Assert.True(templates.ExitCode == 0, "dotnet pack Tender.Guest.Templates failed:\n" + templates);
        // The templates go into a private template hive, not the machine's.
        ProcessResult install = Run("dotnet", ["new", "install", Path.Combine(Feed, $"Tender.Guest.Templates.{Version}.nupkg"), "--debug:custom-hive", Hive], Root);
        Assert.True(install.ExitCode == 0, "dotnet new install of the templates failed:\n" + install);
        // Only the local feed for the SDK; nuget.org and the offline registry (as the repository's
        // nuget.config) for the ILCompiler package.
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="tender" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                <add key="offline" value="/opt/nuget/packages" />
              </packageSources>
            </configuration>
            """);
    }

    /// <summary>Creates project <paramref name="name"/> under the temporary directory with the given files.</summary>
    public string CreateProject(string name, string projectBody, params (string File, string Text)[] files)
    {
        string dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, name + ".csproj"), $"<Project Sdk=\"Tender.Guest.Sdk/{Version}\">\n{projectBody}\n</Project>\n");
        foreach ((string file, string text) in files) File.WriteAllText(Path.Combine(dir, file), text);
        return dir;
    }

    public ProcessResult Dotnet(string projectDir, params string[] args) => Run("dotnet", args, projectDir);

    /// <summary>The environment the fixture's dotnet commands run with (its private package cache).</summary>
    public void Apply(ProcessStartInfo psi) => psi.Environment["NUGET_PACKAGES"] = PackageCache;

    private ProcessResult Run(string file, string[] args, string workingDirectory)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["NUGET_PACKAGES"] = PackageCache;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        // A build server started with this cache would outlive the test; keep builds in-process.
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        TestPlatform.Apply(psi);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 10 minutes");
        }
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public sealed class GuestSdkTests(GuestSdkFixture sdk) : IClassFixture<GuestSdkFixture>
{
    private const string HelloProgram = """
        using GuestBindings;

        static class Program
        {
            static int Main(string[] args)
            {
                for (int i = 0; i < args.Length; i++) GuestConsole.WriteLine(args[i]);
                return args.Length + 40;
            }
        }
        """;

    private static readonly object s_buildLock = new();
    private static string? s_helloElf;

    /// <summary>Builds the one-file project once (the package cache is shared by the fixture's tests).</summary>
    private string HelloElf()
    {
        lock (s_buildLock)
        {
            if (s_helloElf is not null && File.Exists(s_helloElf)) return s_helloElf;
            string dir = sdk.CreateProject("app", "", ("Program.cs", HelloProgram));
            ProcessResult build = sdk.Dotnet(dir, "build", "-c", "Release", "-nologo");
            Assert.True(build.ExitCode == 0, "dotnet build of a Tender.Guest.Sdk project failed:\n" + build);
            string elf = Path.Combine(dir, "bin", "Release", "app.elf");
            Assert.True(File.Exists(elf), "no ELF at " + elf + ":\n" + build);
            Assert.Contains("Guest ELF: " + elf, build.Stdout);
            return s_helloElf = elf;
        }
    }

    [GuestFact]
    public void A_project_outside_the_repository_with_only_the_Sdk_attribute_builds_into_a_guest_that_boots()
    {
        ProcessResult r = Tender.Run(HelloElf(), ["a", "b"]);
        Assert.True(r.ExitCode == 42, r.ToString());
        Assert.Equal("a\nb\n", r.Stdout);
    }

    [GuestFact]
    public void Dotnet_run_builds_and_boots_the_guest_with_the_arguments_after_the_double_dash()
    {
        string dir = sdk.CreateProject("runme", "", ("Program.cs", HelloProgram));
        ProcessResult r = sdk.Dotnet(dir, "run", "-p:TenderPath=" + Path.Combine(Repo.Root, "scripts", "tender"),
            "-p:TenderRunOptions=--mem=32", "--", "a", "b");
        Assert.True(r.ExitCode == 42, "dotnet run should exit with the guest's status 42:\n" + r);
        Assert.EndsWith("a\nb\n", r.Stdout);
    }

    [Fact]
    public void Dotnet_run_without_a_tender_says_how_to_get_one()
    {
        string dir = sdk.CreateProject("notender", "", ("Program.cs", HelloProgram));
        ProcessResult r = sdk.Dotnet(dir, "run", "-p:TenderPath=" + Path.Combine(sdk.Root, "no-such-tender"));
        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains("TenderPath: " + Path.Combine(sdk.Root, "no-such-tender") + ": no such file", r.Stdout + r.Stderr);
    }

    [Fact]
    public void A_manifest_with_a_bad_field_fails_the_build_naming_the_file_and_the_field()
    {
        string dir = sdk.CreateProject("badmanifest", "", ("Program.cs", HelloProgram),
            ("manifest.json", """{ "type": "solo5.manifest", "version": 1, "devices": [ { "name": "service0", "type": "NET_FANCY" } ] }"""));
        ProcessResult build = sdk.Dotnet(dir, "build", "-c", "Release", "-nologo");
        Assert.True(build.ExitCode != 0, "the build accepted a bad manifest:\n" + build);
        string manifestPath = Path.Combine(dir, "manifest.json");
        // MSBuild prints the tool's canonical error as "FILE : error CODE: text".
        string errorLine = build.Stdout.Split('\n').FirstOrDefault(l => l.Contains(manifestPath + " : error TGM001:")) ?? "";
        Assert.True(errorLine != "", "no error naming " + manifestPath + ":\n" + build);
        Assert.Contains("type", errorLine);
        Assert.Contains("NET_FANCY", errorLine);
        Assert.Contains("field \"type\"", errorLine);
        Assert.DoesNotContain("MSB3073", build.Stdout);
        Assert.False(File.Exists(Path.Combine(dir, "bin", "Release", "badmanifest.elf")), "an ELF was written despite the bad manifest");
    }

    [GuestFact]
    public void A_manifest_json_beside_the_project_is_embedded_and_shown_by_the_tender()
    {
        string dir = sdk.CreateProject("withmanifest", "", ("Program.cs", HelloProgram),
            ("manifest.json", """{ "type": "solo5.manifest", "version": 1, "devices": [ { "name": "disk0", "type": "BLOCK_BASIC" } ] }"""));
        ProcessResult build = sdk.Dotnet(dir, "build", "-c", "Release", "-nologo");
        Assert.True(build.ExitCode == 0, build.ToString());
        string elf = Path.Combine(dir, "bin", "Release", "withmanifest.elf");
        ProcessResult show = Repo.Run(Path.Combine(Repo.Root, "scripts", "tender"), ["manifest", "show", elf], TimeSpan.FromMinutes(10));
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Matches(@"\[0\] handle \d+\s+disk0\s+BLOCK_BASIC", show.Stdout);
        // No -\-manifest: the tender takes the note's device and insists it be attached...
        ProcessResult unattached = Tender.Run(elf, ["x"]);
        Assert.True(unattached.ExitCode != 0, unattached.ToString());
        Assert.Contains("BLOCK_BASIC device 'disk0'", unattached.Stderr);
        // ...and boots the guest once it is.
        string disk = Path.Combine(dir, "disk.img");
        File.WriteAllBytes(disk, new byte[64 * 1024]);
        ProcessResult r = Tender.Run(elf, ["x"], ["--block:disk0=" + disk]);
        Assert.True(r.ExitCode == 41, r.ToString());
        Assert.Equal("x\n", r.Stdout);
    }

    /// <summary>The README's three commands: dotnet new tender-guest, dotnet build, dotnet run -- a b.</summary>
    [GuestFact]
    public void Dotnet_new_tender_guest_then_build_and_run_boots_it_with_the_arguments()
    {
        string dir = sdk.New("tender-guest", "newapp" + TestPlatform.Current);
        Assert.Contains($"Sdk=\"Tender.Guest.Sdk/{GuestSdkFixture.Version}\"", File.ReadAllText(Path.Combine(dir, $"newapp{TestPlatform.Current}.csproj")));
        ProcessResult build = sdk.Dotnet(dir, "build", "-nologo");
        Assert.True(build.ExitCode == 0, build.ToString());
        ProcessResult r = sdk.Dotnet(dir, "run", "-p:TenderPath=" + Path.Combine(Repo.Root, "scripts", "tender"), "--", "a", "b");
        Assert.True(r.ExitCode == 2, "dotnet run should exit with the guest's status (its argument count, 2):\n" + r);
        Assert.EndsWith($"hello from newapp{TestPlatform.Current}\na\nb\n", r.Stdout);
    }

    /// <summary>The network template: its embedded manifest's service0 on a TAP in a test namespace, curl from Linux.</summary>
    [GuestFact(HostNeeds.Root | HostNeeds.Tun)]
    public void Dotnet_new_tender_net_guest_builds_a_service_that_answers_curl()
    {
        string name = "newweb-" + TestPlatform.Current;
        string dir = sdk.New("tender-net-guest", name);
        ProcessResult build = sdk.Dotnet(dir, "build", "-c", "Release", "-nologo");
        Assert.True(build.ExitCode == 0, build.ToString());
        string elf = Path.Combine(dir, "bin", "Release", name + ".elf");
        using var ns = new global::Tender.TestSupport.TestNamespace("newweb");
        ns.AddTap("tap0", "10.0.0.1/24");
        using var guest = new NetGuest(ns, elf, manifest: null, ["--net:service0=tap0", "--timeout=120s"], ["--ipv4=10.0.0.2/24", "--port=8080"],
            ready: "listening on port 8080");
        var (code, text) = Command.TryRun(TimeSpan.FromSeconds(60), "ip", ["netns", "exec", ns.Name, "curl", "-sS", "--max-time", "10", "http://10.0.0.2:8080/"]);
        Assert.True(code == 0, text + "\n" + guest.Output);
        Assert.Equal("hello from a C# unikernel\n", text.Replace("\r", "") + (text.EndsWith('\n') ? "" : "\n"));
    }

    [Fact]
    public void The_package_carries_the_prebuilt_guest_libraries_and_the_build_files()
    {
        string nupkg = Path.Combine(sdk.Feed, $"Tender.Guest.Sdk.{GuestSdkFixture.Version}.nupkg");
        Assert.True(File.Exists(nupkg), "no package at " + nupkg);
        using var zip = System.IO.Compression.ZipFile.OpenRead(nupkg);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (string expected in new[] { "Sdk/Sdk.props", "Sdk/Sdk.targets", "guest/Guest.targets", "guest/boot.S", "guest/eh.S", "guest/guest.ld",
                     "guest-lib/System.Private.CoreLib.dll", "tools/manifest-note/Tender.Guest.ManifestNote.dll", "tools/manifest-note/Tender.Manifest.dll", "guest-lib/GuestBindings.dll", "GuestBindings.Stack/NetApp.cs", "Guest.Stack/NetStack.cs" })
            Assert.True(names.Contains(expected), expected + " missing from the package; it has: " + string.Join(", ", names.Order()));
        string nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec")).Open(), Encoding.UTF8).ReadToEnd();
        Assert.Contains("<packageType name=\"MSBuildSdk\"", nuspec);
    }
}
