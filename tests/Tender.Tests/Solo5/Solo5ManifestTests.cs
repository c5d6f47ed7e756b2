using System.Buffers.Binary;
using Tender.Loader;

namespace Tender.Tests.Solo5;

/// <summary>
/// The manifest checks solo5-hvt makes before booting (docs/solo5-mode.md, section 2), on copies of
/// the probe whose MFT1 note is corrupted one field at a time. Each must be refused with exit
/// code 1 and a message naming the problem, before any guest code runs.
/// </summary>
public class Solo5ManifestTests
{
    public static TheoryData<string, int, byte[], string> Corruptions => new()
    {
        // name, offset inside struct mft, bytes written there, expected text in the message
        { "version 2", 0, BitConverter.GetBytes(2u), "version" },
        { "entries says 2 but the note holds 1", 4, BitConverter.GetBytes(2u), "entries" },
        { "entry 0 not the reserved type", 8 + 68, BitConverter.GetBytes(1u), "reserved" },
        { "entry 0 with a name", 8, "x"u8.ToArray(), "name" },
        { "entry 0 already attached", 8 + 96, [1], "attached" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void A_corrupt_manifest_note_is_refused_before_booting(string what, int offset, byte[] bytes, string expected)
    {
        string elf = Corrupt(Solo5Guests.Probe, offset, bytes, what);
        var r = Solo5Run.Run(elf, "state");
        Assert.True(r.ExitCode == 1, $"{what}:\n{r}");
        Assert.Contains(expected, r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("cmdline=", r.Stdout); // the guest never ran
    }

    [Fact]
    public void A_device_name_without_its_terminating_nul_is_refused()
    {
        // Entry 1 of the block probe is "storage"; fill all 68 name bytes.
        string elf = Corrupt(Solo5Guests.ProbeWithBlock, 8 + 104, Enumerable.Repeat((byte)'y', 68).ToArray(), "name");
        var r = Solo5Run.Run(elf, "state");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("NUL", r.Stderr);
    }

    [Fact]
    public void A_declared_device_must_be_attached()
    {
        // solo5-hvt: "Device 'storage' of type BLOCK_BASIC declared but not attached".
        var r = Solo5Run.Run(Solo5Guests.ProbeWithBlock, "state");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("storage", r.Stderr);
        Assert.DoesNotContain("cmdline=", r.Stdout);
    }

    /// <summary>A copy of <paramref name="elfPath"/> with bytes replaced at an offset inside its struct mft.</summary>
    private static string Corrupt(string elfPath, int offsetInMft, byte[] bytes, string what)
    {
        var elf = ElfImage.Load(elfPath);
        ElfNote note = elf.Notes.Single(n => n.Owner == "Solo5" && n.Type == ElfImage.Solo5ManifestNoteType);
        byte[] file = File.ReadAllBytes(elfPath);
        int mft = checked((int)note.DescriptorFileOffset + ElfImage.Solo5ManifestDescriptorPadding);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(mft))); // found the manifest
        bytes.CopyTo(file, mft + offsetInMft);
        string path = Path.Combine(Path.GetDirectoryName(elfPath)!, $"corrupt-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(path, file);
        return path;
    }
}
