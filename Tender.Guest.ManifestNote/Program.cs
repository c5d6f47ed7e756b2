using System.Globalization;
using System.Text;
using Tender.Loader;
using Tender.Manifest;

// usage: manifest-note MANIFEST.json OUT.S
// A bad manifest: one line saying what is wrong (naming the field) on stdout and exit code 1; the SDK's
// targets turn it into a build error on the manifest file.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: manifest-note MANIFEST.json OUT.S");
    return 2;
}
string jsonPath = args[0];
string outPath = args[1];
byte[] descriptor;
try
{
    descriptor = Solo5Mft.EncodeNoteDescriptor(ManifestSource.FromJsonFile(jsonPath));
}
catch (ManifestFormatException e)
{
    // FromJsonFile's messages start with the path already; strip it so it is not said twice.
    string message = e.Message.StartsWith(jsonPath + ": ", StringComparison.Ordinal) ? e.Message[(jsonPath.Length + 2)..] : e.Message;
    Console.Out.WriteLine(message);
    return 1;
}

// Solo5's note layout: namesz, descsz, type, "Solo5\0" padded to 4, then the descriptor (4 padding
// bytes + struct mft, as EncodeNoteDescriptor gives it).
var s = new StringBuilder();
s.AppendLine("# Generated from " + jsonPath + " by Tender.Guest.ManifestNote; do not edit.");
s.AppendLine("    .section .note.solo5.manifest, \"a\", @note");
s.AppendLine("    .balign 4");
s.AppendLine("    .long 6");
s.AppendLine("    .long " + descriptor.Length.ToString(CultureInfo.InvariantCulture));
s.AppendLine("    .long 0x" + ElfImage.Solo5ManifestNoteType.ToString("x8", CultureInfo.InvariantCulture));
s.AppendLine("    .asciz \"Solo5\"");
s.AppendLine("    .balign 4");
for (int i = 0; i < descriptor.Length; i += 16)
{
    s.Append("    .byte ");
    int end = Math.Min(i + 16, descriptor.Length);
    for (int j = i; j < end; j++)
    {
        if (j > i) s.Append(',');
        s.Append(descriptor[j].ToString(CultureInfo.InvariantCulture));
    }
    s.AppendLine();
}
s.AppendLine("    .balign 4");
try
{
    File.WriteAllText(outPath, s.ToString());
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Out.WriteLine($"{outPath}: cannot write: {e.Message}");
    return 1;
}
return 0;
