using Tender.Loader;
using Tender.Manifest;

namespace Tender.Fuzz;

/// <summary>The guest image and its manifest: what the tender reads before the guest exists.</summary>
public static class LoaderTargets
{
    /// <summary>Guest memory the elf target loads into: the tender's default (--mem 32 MiB) would
    /// make every input cost a 32 MiB clear; 4 MiB still holds every seed.</summary>
    private const int MemorySize = 4 << 20;
    private static readonly byte[] s_memory = new byte[MemorySize];

    public static readonly FuzzTarget Elf = new("elf",
        "Tender.Loader ElfImage.Parse, Validate, RequiredMemory, LoadInto; the MFT1 note through ManifestSource.FromElf",
        ["Tender.Loader.dll", "Tender.Manifest.dll"], RunElf, typeof(ElfFormatException), typeof(ManifestFormatException));

    public static readonly FuzzTarget ManifestJson = new("manifest-json",
        "Tender.Manifest ManifestJson.Parse (System.Text.Json source-generated reader, the integer-or-hex converter, every field check); Serialize and Parse again",
        ["Tender.Manifest.dll"], RunManifestJson, typeof(ManifestFormatException));

    public static readonly FuzzTarget ManifestNote = new("manifest-note",
        "Tender.Manifest Solo5Mft.Decode of Solo5's binary struct mft (MFT1 note descriptor); Encode and Decode again",
        ["Tender.Manifest.dll"], RunManifestNote, typeof(ManifestFormatException));

    private static void RunElf(ReadOnlySpan<byte> input)
    {
        var image = ElfImage.Parse(input);
        // As the tender: the manifest from the note (when there is one), then the size checks.
        ManifestSource.FromElf(image);
        image.RequiredMemory(0);
        image.RequiredMemory(0x2000);
        image.Validate(MemorySize, 0);
        image.LoadInto(s_memory);
    }

    private static void RunManifestJson(ReadOnlySpan<byte> input)
    {
        var manifest = Manifest.ManifestJson.Parse(System.Text.Encoding.UTF8.GetString(input));
        // What the tender accepted it must be able to write and read back the same.
        string again = Manifest.ManifestJson.Serialize(manifest);
        var reread = Manifest.ManifestJson.Parse(again);
        if (Manifest.ManifestJson.Serialize(reread) != again)
            throw new InvalidOperationException("manifest-json: Serialize(Parse(Serialize(m))) differs from Serialize(m)");
        Solo5Mft.Decode(Solo5Mft.Encode(manifest));
    }

    private static void RunManifestNote(ReadOnlySpan<byte> input)
    {
        var manifest = Solo5Mft.Decode(input);
        var encoded = Solo5Mft.Encode(manifest);
        var again = Solo5Mft.Decode(encoded);
        if (!Solo5Mft.Encode(again).AsSpan().SequenceEqual(encoded))
            throw new InvalidOperationException("manifest-note: Encode(Decode(Encode(m))) differs from Encode(m)");
    }
}
