using Tender.Loader;

namespace Tender.Manifest;

/// <summary>Where a guest's manifest comes from, and which source wins.</summary>
public static class ManifestSource
{
    /// <summary>Largest JSON manifest file read (63 PCI devices spelled out take ~30 KiB).</summary>
    public const long MaxJsonFileSize = 1024 * 1024;

    /// <summary>Reads and validates a JSON manifest file; every failure is a ManifestFormatException naming the file.</summary>
    public static AppManifest FromJsonFile(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
                throw new ManifestFormatException($"{path}: manifest: file not found");
            if (info.Length > MaxJsonFileSize)
                throw new ManifestFormatException($"{path}: manifest: file is {info.Length} bytes; at most {MaxJsonFileSize} are read");
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ManifestFormatException($"{path}: manifest: cannot read the file: {e.Message}", e);
        }
        try
        {
            return ManifestJson.Parse(text);
        }
        catch (ManifestFormatException e)
        {
            throw new ManifestFormatException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>The manifest in the ELF's MFT1 note, decoded and validated; null when the ELF has none.</summary>
    public static AppManifest? FromElf(ElfImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.ManifestNote is null)
            return null;
        try
        {
            return Solo5Mft.Decode(image.ManifestNote);
        }
        catch (ManifestFormatException e)
        {
            throw new ManifestFormatException($"ELF manifest note: {e.Message}", e);
        }
    }

    /// <summary>
    /// The manifest a run uses: the JSON file when one is given (--manifest overrides the note), else
    /// the ELF's MFT1 note, else no devices at all.
    /// </summary>
    public static AppManifest Resolve(string? jsonPath, ElfImage image)
    {
        if (jsonPath is not null)
            return FromJsonFile(jsonPath);
        return FromElf(image) ?? AppManifest.Empty;
    }

    /// <summary>Which source <see cref="Resolve"/> used, for messages ("from app.json", "from the ELF note", "none").</summary>
    public static string DescribeSource(string? jsonPath, ElfImage image) =>
        jsonPath is not null ? jsonPath : image.ManifestNote is not null ? "the ELF's MFT1 note" : "none (no devices)";
}
