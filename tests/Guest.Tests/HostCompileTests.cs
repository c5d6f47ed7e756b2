namespace Guest.Tests;

/// <summary>
/// Guest programs compile against real .NET too (the core library adds no API of its own): each
/// sample's sources, with GuestBindings, compiled by the SDK's C# compiler against .NET 10's
/// reference assemblies.
/// </summary>
public class HostCompileTests
{
    [Theory]
    [InlineData("samples/hello")]
    [InlineData("samples/crash")]
    [InlineData("samples/compute")]
    [InlineData("samples/bench")]
    [InlineData("samples/corelib-checks")]
    [InlineData("tests/Guest.Tests/guests/stack-loopback", "Guest.Stack")]
    [InlineData("samples/blk")]
    [InlineData("samples/reflect", "Guest.Stack;GuestBindings.Stack")]
    [InlineData("samples/tcp-sink", "Guest.Stack;GuestBindings.Stack")]
    [InlineData("samples/tcp-source", "Guest.Stack;GuestBindings.Stack;samples/tcp-sink")]
    [InlineData("samples/ping", "Guest.Stack;GuestBindings.Stack")]
    [InlineData("samples/udp-echo", "Guest.Stack;GuestBindings.Stack")]
    [InlineData("samples/tcp-echo", "Guest.Stack;GuestBindings.Stack")]
    [InlineData("samples/http", "Guest.Stack;GuestBindings.Stack")]
    public void Sample_compiles_against_dotnet(string dir, string? extraSourceDir = null)
    {
        string dotnetRoot = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        string sdk = Directory.GetDirectories(Path.Combine(dotnetRoot, "sdk")).Where(d => File.Exists(Path.Combine(d, "Roslyn", "bincore", "csc.dll")))
            .OrderBy(d => d, StringComparer.Ordinal).Last();
        string refDir = Directory.GetDirectories(Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref")).OrderBy(d => d, StringComparer.Ordinal).Last();
        string outDir = Path.Combine(Path.GetTempPath(), "guest-host-compile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(outDir);
        try
        {
            var args = new List<string>
            {
                Path.Combine(sdk, "Roslyn", "bincore", "csc.dll"),
                "-nologo", "-noconfig", "-nostdlib", "-unsafe", "-nullable:enable", "-langversion:latest", "-warnaserror", "-t:library",
                "-out:" + Path.Combine(outDir, "compiled.dll"),
            };
            args.AddRange(Directory.GetFiles(Path.Combine(refDir, "ref", "net10.0"), "*.dll").Select(r => "-r:" + r));
            args.AddRange(Sources(Path.Combine(Repo.Root, dir)));
            args.AddRange(Sources(Path.Combine(Repo.Root, "GuestBindings")));
            args.AddRange(Sources(Path.Combine(Repo.Root, "Abi"))); // GuestBindings.csproj compiles these in too
            foreach (string extra in (extraSourceDir ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
                args.AddRange(Sources(Path.Combine(Repo.Root, extra)));
            ProcessResult r = Repo.Run("dotnet", args, TimeSpan.FromMinutes(5));
            Assert.True(r.ExitCode == 0, $"{dir} does not compile against .NET:\n{r}");
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    // The project's own sources (not bin/obj, not the host twin under compute/host).
    private static IEnumerable<string> Sources(string dir) =>
        Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/host/", StringComparison.Ordinal));
}
