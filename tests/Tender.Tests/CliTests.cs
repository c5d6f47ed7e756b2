using Tender.Tests.Support;

namespace Tender.Tests;

/// <summary>Command-line errors: one clear line, exit code 1, no stack trace (no KVM needed).</summary>
public class CliTests
{
    private static void AssertOneLineError(TenderResult r, string expected)
    {
        Assert.True(r.ExitCode == 1, r.ToString());
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, r.ToString());
        Assert.StartsWith("tender: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Missing_kernel_file()
    {
        AssertOneLineError(TenderProcess.Run("run", "/nonexistent/kernel.elf"), "/nonexistent/kernel.elf: ELF: file not found");
    }

    [Fact]
    public void Missing_kernel_argument()
    {
        AssertOneLineError(TenderProcess.Run("run", "--mem=32"), "missing the kernel ELF");
    }

    [Fact]
    public void Unknown_option()
    {
        AssertOneLineError(TenderProcess.Run("run", "--frobnicate", "x.elf"), "--frobnicate");
    }

    [Fact]
    public void Not_an_elf_file()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "#!/bin/sh\necho hi\n");
            AssertOneLineError(TenderProcess.Run("run", file), "not an ELF file");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--mem=lots", "--mem=lots: expected a positive whole number of MiB")]
    [InlineData("--mem=0", "--mem=0")]
    [InlineData("--timeout=soon", "--timeout: 'soon' is not a duration")]
    [InlineData("--trace-format=xml", "--trace-format=xml: expected text or json")]
    [InlineData("--log-level=loud", "--log-level=loud")]
    [InlineData("--net:service=tap0", "--net:service=tap0: the manifest declares no device 'service'")]
    [InlineData("--block:disk=/tmp/disk.img", "--block:disk=/tmp/disk.img: the manifest declares no device 'disk'")]
    [InlineData("--net:service", "expected --net:NAME=IFACE")]
    public void Bad_or_unsupported_flags(string flag, string expected)
    {
        AssertOneLineError(TenderProcess.Run("run", flag, "--trace", TestGuests.Build("exit7")), expected);
    }

    [Fact]
    public void Help_lists_the_options()
    {
        var r = TenderProcess.Run("run", "--help");
        Assert.True(r.ExitCode == 0, r.ToString());
        foreach (var option in new[] { "--manifest", "--mem", "--trace", "--trace-format", "--timeout", "--quiet", "--log-level", "--net:NAME=TAP", "--block:NAME=PATH", "--block-sector-size:NAME=BYTES", "125" })
            Assert.Contains(option, r.Stdout);
    }

    [Fact]
    public void Manifest_command_is_available()
    {
        var r = TenderProcess.Run("--help");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("manifest", r.Stdout);
        Assert.Contains("run", r.Stdout);
    }
}
