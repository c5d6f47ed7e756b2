using Tender.Loader;

namespace Tender.Manifest;

/// <summary>
/// What `tender manifest show|encode` do, kept here (not in the CLI project) so that tests can run it.
/// Both return the process exit code: 0 on success, 1 for any bad input (docs/abi.md: tender error).
/// </summary>
public static class ManifestTool
{
    /// <summary>
    /// Prints the manifest of a JSON manifest file, or the boot mode, layout and manifest note of an ELF
    /// (recognised by its magic bytes, whatever its name).
    /// </summary>
    public static int Show(string path, TextWriter output, TextWriter error)
    {
        try
        {
            if (LooksLikeElf(path))
            {
                ElfImage image = ElfImage.Load(path);
                AppManifest? manifest = ManifestSource.FromElf(image);
                output.Write($"{path}: ELF executable\n");
                output.Write(ManifestFormatter.Format(image, manifest));
            }
            else
            {
                AppManifest manifest = ManifestSource.FromJsonFile(path);
                output.Write($"{path}: JSON manifest\n");
                output.Write(ManifestFormatter.Format(manifest));
            }
            return 0;
        }
        catch (Exception e) when (e is ElfFormatException or ManifestFormatException)
        {
            error.WriteLine($"tender: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// Writes the Solo5 binary form of a JSON manifest to <paramref name="outputPath"/> (struct mft, or
    /// with <paramref name="noteDescriptor"/> the MFT1 note descriptor including its 4 padding bytes).
    /// </summary>
    public static int Encode(string jsonPath, string outputPath, bool noteDescriptor, TextWriter output, TextWriter error)
    {
        try
        {
            AppManifest manifest = ManifestSource.FromJsonFile(jsonPath);
            byte[] bytes = noteDescriptor ? Solo5Mft.EncodeNoteDescriptor(manifest) : Solo5Mft.Encode(manifest);
            File.WriteAllBytes(outputPath, bytes);
            output.WriteLine($"{outputPath}: {bytes.Length} bytes, {manifest.Devices.Count} device(s){(noteDescriptor ? " (MFT1 note descriptor)" : "")}");
            return 0;
        }
        catch (ManifestFormatException e)
        {
            error.WriteLine($"tender: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"tender: {outputPath}: cannot write: {e.Message}");
            return 1;
        }
    }

    private static bool LooksLikeElf(string path)
    {
        try
        {
            using FileStream f = File.OpenRead(path);
            Span<byte> magic = stackalloc byte[4];
            return f.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4
                && magic[0] == 0x7F && magic[1] == (byte)'E' && magic[2] == (byte)'L' && magic[3] == (byte)'F';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // FromJsonFile then reports why the file cannot be read.
        }
    }
}
