using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tender.Pci.Vfio;

namespace Tender.Pci.Tests;

/// <summary>
/// The VFIO ABI checked mechanically: no IOMMU here, so instead of calling the kernel the test
/// compiles a C program against the installed linux/vfio.h that prints every number and layout
/// the C# interop uses, and compares them one by one.
/// </summary>
public sealed class VfioAbiTests
{
    [Fact]
    public void EveryIoctlNumberStructSizeAndOffsetMatchesLinuxVfioH()
    {
        var entries = VfioAbi.Entries;
        Assert.True(entries.Count >= 50, $"the layout table has only {entries.Count} entries");

        var c = new StringBuilder();
        c.AppendLine("#include <stdio.h>");
        c.AppendLine("#include <stddef.h>");
        c.AppendLine("#include <linux/vfio.h>");
        c.AppendLine("int main(void) {");
        foreach (var (expression, _) in entries)
            c.AppendLine($"    printf(\"%llu\\n\", (unsigned long long)({expression}));");
        c.AppendLine("    return 0;");
        c.AppendLine("}");

        using var dir = new TempDir();
        string source = Path.Combine(dir.Path, "vfio_abi.c");
        string binary = Path.Combine(dir.Path, "vfio_abi");
        File.WriteAllText(source, c.ToString());
        var (compileCode, _, compileErr) = Run("gcc", $"-std=c11 -Wall -Werror -o {binary} {source}");
        Assert.True(compileCode == 0, $"gcc failed against linux/vfio.h:\n{compileErr}");
        var (runCode, output, runErr) = Run(binary, "");
        Assert.True(runCode == 0, runErr);

        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(entries.Count, lines.Length);
        var mismatches = new List<string>();
        for (int i = 0; i < entries.Count; i++)
        {
            ulong kernel = ulong.Parse(lines[i], CultureInfo.InvariantCulture);
            if (kernel != entries[i].Value)
                mismatches.Add($"{entries[i].CExpression}: C# {entries[i].Value} (0x{entries[i].Value:x}), vfio.h {kernel} (0x{kernel:x})");
        }
        Assert.True(mismatches.Count == 0, "VFIO ABI mismatches:\n" + string.Join("\n", mismatches));
    }

    [Fact]
    public void TableCoversEveryCallTheCodeMakes()
    {
        var names = VfioAbi.Entries.Select(e => e.CExpression).ToHashSet();
        foreach (string needed in new[]
                 {
                     "VFIO_GET_API_VERSION", "VFIO_CHECK_EXTENSION", "VFIO_SET_IOMMU", "VFIO_GROUP_GET_STATUS",
                     "VFIO_GROUP_SET_CONTAINER", "VFIO_GROUP_GET_DEVICE_FD", "VFIO_DEVICE_GET_INFO",
                     "VFIO_DEVICE_GET_REGION_INFO", "VFIO_DEVICE_RESET", "VFIO_IOMMU_MAP_DMA", "VFIO_IOMMU_UNMAP_DMA",
                     "sizeof(struct vfio_iommu_type1_dma_map)", "offsetof(struct vfio_region_info, offset)",
                 })
            Assert.Contains(needed, names);
        // _IO(';', 100) as the kernel computes it: a fixed point that needs no compiler.
        Assert.Equal(0x3B64UL, VfioAbi.Entries.Single(e => e.CExpression == "VFIO_GET_API_VERSION").Value);
    }

    internal static (int Code, string Out, string Err) Run(string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr);
    }
}

/// <summary>A temporary folder removed at the end of a test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tender-pci-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
