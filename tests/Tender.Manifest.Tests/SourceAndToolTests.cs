using Tender.Loader;

namespace Tender.Manifest.Tests;

public class SourceAndToolTests
{
    private static string Temp(string suffix) => Path.Combine(Path.GetTempPath(), $"tender-mft-{Guid.NewGuid():N}{suffix}");

    private static ElfImage GuestWithNote(AppManifest? manifest)
    {
        byte[] elf = Toolchain.Build(Examples.GuestAssembly(manifest is null ? null : Solo5Mft.EncodeNoteDescriptor(manifest)), null, "-Ttext-segment=0x100000");
        return ElfImage.Parse(elf);
    }

    [Fact]
    public void ManifestNoteInARealElfDecodes()
    {
        AppManifest pci = ManifestSource.FromJsonFile(Examples.PathOf("pci-ixgbe.json"));
        ElfImage img = GuestWithNote(pci);
        Assert.Equal(GuestKind.Deprivileged, img.Kind);
        Assert.Equal(pci, ManifestSource.FromElf(img));
        Assert.Equal(pci, ManifestSource.Resolve(null, img));
        Assert.Equal("the ELF's MFT1 note", ManifestSource.DescribeSource(null, img));
    }

    [Fact]
    public void JsonOverridesTheNote()
    {
        ElfImage img = GuestWithNote(ManifestSource.FromJsonFile(Examples.PathOf("pci-ixgbe.json")));
        AppManifest net = ManifestSource.Resolve(Examples.PathOf("net.json"), img);
        Assert.Equal(new Device[] { new NetBasicDevice("service0") }, net.Devices);
    }

    [Fact]
    public void NoNoteAndNoJsonMeansNoDevices()
    {
        ElfImage img = GuestWithNote(null);
        Assert.Null(ManifestSource.FromElf(img));
        Assert.Same(AppManifest.Empty, ManifestSource.Resolve(null, img));
    }

    [Fact]
    public void CorruptNoteIsReportedAsTheElfsManifest()
    {
        byte[] desc = Solo5Mft.EncodeNoteDescriptor(ManifestSource.FromJsonFile(Examples.PathOf("net.json")));
        desc[4] = 9; // version
        byte[] elf = Toolchain.Build(Examples.GuestAssembly(desc), null, "-Ttext-segment=0x100000");
        ElfImage img = ElfImage.Parse(elf);
        var e = Assert.Throws<ManifestFormatException>(() => ManifestSource.FromElf(img));
        Assert.Equal("ELF manifest note: manifest: binary manifest version is 9; expected 1", e.Message);
    }

    [Fact]
    public void MissingJsonFileIsAManifestError()
    {
        string path = Temp(".json");
        var e = Assert.Throws<ManifestFormatException>(() => ManifestSource.FromJsonFile(path));
        Assert.Equal($"{path}: manifest: file not found", e.Message);
    }

    [Fact]
    public void JsonFileErrorsNameTheFile()
    {
        string path = Temp(".json");
        File.WriteAllText(path, """{ "type": "solo5.manifest", "version": 3 }""");
        try
        {
            var e = Assert.Throws<ManifestFormatException>(() => ManifestSource.FromJsonFile(path));
            Assert.Equal($"{path}: manifest: field \"version\": must be 1, got 3", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ShowJsonListsEveryDeviceWithItsFields()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int rc = ManifestTool.Show(Examples.PathOf("pci-ixgbe.json"), output, error);
        Assert.Equal(0, rc);
        Assert.Equal("", error.ToString());
        string text = output.ToString();
        Assert.Contains("JSON manifest", text);
        Assert.Contains("dma_size: 16777216 bytes (16 MiB)", text);
        Assert.Contains("devices: 3", text);
        Assert.Contains("[0] handle 1  pci0", text);
        Assert.Contains("vendor 0x8086 device 0x10fb class 0x02 subclass 0x00 progif 0x00", text);
        Assert.Contains("bus master yes  maps BAR0,BAR2", text);
        Assert.Contains("[1] handle 2  service0", text);
        Assert.Contains("NET_BASIC", text);
        Assert.Contains("maps BAR0\n", text);
    }

    [Fact]
    public void ShowElfGivesBootModeAndManifest()
    {
        byte[] elf = Toolchain.Build(Examples.GuestAssembly(Solo5Mft.EncodeNoteDescriptor(ManifestSource.FromJsonFile(Examples.PathOf("block.json")))), null, "-Ttext-segment=0x100000");
        string path = Temp(".bin"); // named oddly on purpose: the magic decides, not the name
        File.WriteAllBytes(path, elf);
        try
        {
            var output = new StringWriter();
            int rc = ManifestTool.Show(path, output, new StringWriter());
            Assert.Equal(0, rc);
            string text = output.ToString();
            Assert.Contains("ELF executable", text);
            Assert.Contains("boot mode: deprivileged (CPL 3; Tender note version 1, stack 1 MiB (default))", text);
            Assert.Contains("PT_LOAD R-X", text);
            Assert.Contains("storage", text);
            Assert.Contains("BLOCK_BASIC", text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ShowElfWithoutNoteSaysSo()
    {
        ElfImage img = GuestWithNote(null);
        string text = ManifestFormatter.Format(img, ManifestSource.FromElf(img));
        Assert.Contains("manifest: none in the ELF", text);
    }

    [Fact]
    public void ShowReportsBadInputWithExitCodeOne()
    {
        string path = Temp(".json");
        File.WriteAllText(path, """{ "type": "solo5.manifest", "version": 1, "devices": [ { "name": "x", "type": "USB" } ] }""");
        string elfPath = Temp(".elf");
        File.WriteAllBytes(elfPath, new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', 9 });
        try
        {
            var error = new StringWriter();
            Assert.Equal(1, ManifestTool.Show(path, new StringWriter(), error));
            Assert.Contains("unknown device type \"USB\"", error.ToString());
            error = new StringWriter();
            Assert.Equal(1, ManifestTool.Show(elfPath, new StringWriter(), error));
            Assert.StartsWith($"tender: {elfPath}: ELF: ", error.ToString());
            error = new StringWriter();
            Assert.Equal(1, ManifestTool.Show(Temp(".json"), new StringWriter(), error));
            Assert.Contains("file not found", error.ToString());
        }
        finally
        {
            File.Delete(path);
            File.Delete(elfPath);
        }
    }

    [Fact]
    public void EncodeWritesSolo5BinaryOrNoteDescriptor()
    {
        string out1 = Temp(".bin"), out2 = Temp(".bin");
        try
        {
            var output = new StringWriter();
            Assert.Equal(0, ManifestTool.Encode(Examples.PathOf("pci-ixgbe.json"), out1, false, output, new StringWriter()));
            AppManifest m = ManifestSource.FromJsonFile(Examples.PathOf("pci-ixgbe.json"));
            Assert.Equal(Solo5Mft.Encode(m), File.ReadAllBytes(out1));
            Assert.Contains("424 bytes, 3 device(s)", output.ToString());
            Assert.Equal(0, ManifestTool.Encode(Examples.PathOf("pci-ixgbe.json"), out2, true, new StringWriter(), new StringWriter()));
            Assert.Equal(Solo5Mft.EncodeNoteDescriptor(m), File.ReadAllBytes(out2));
        }
        finally
        {
            File.Delete(out1);
            File.Delete(out2);
        }
    }

    [Fact]
    public void EncodeReportsBadInputAndUnwritableOutput()
    {
        var error = new StringWriter();
        Assert.Equal(1, ManifestTool.Encode(Temp(".json"), Temp(".bin"), false, new StringWriter(), error));
        Assert.Contains("file not found", error.ToString());
        error = new StringWriter();
        string unwritable = Path.Combine(Temp(""), "no", "such", "dir", "out.bin");
        Assert.Equal(1, ManifestTool.Encode(Examples.PathOf("net.json"), unwritable, false, new StringWriter(), error));
        Assert.Contains("cannot write", error.ToString());
    }
}
