namespace Tender.Manifest.Tests;

/// <summary>Paths of the repository's example manifests (manifests/*.json).</summary>
internal static class Examples
{
    public static string Dir => Path.Combine(Repository.Root, "manifests");

    public static string PathOf(string name) => Path.Combine(Dir, name);

    /// <summary>Assembly for a minimal deprivileged guest carrying the Tender note and, optionally, an MFT1 note.</summary>
    public static string GuestAssembly(byte[]? mftNoteDescriptor)
    {
        var s = new System.Text.StringBuilder();
        s.AppendLine("    .section .note.tender, \"a\", @note");
        s.AppendLine("    .balign 4");
        s.AppendLine("    .long 7, 16, 0x56504454");
        s.AppendLine("    .asciz \"Tender\"");
        s.AppendLine("    .byte 0");
        s.AppendLine("    .long 1, 0");
        s.AppendLine("    .quad 0");
        if (mftNoteDescriptor is not null)
        {
            s.AppendLine("    .section .note.solo5.manifest, \"a\", @note");
            s.AppendLine("    .balign 8");
            s.AppendLine($"    .long 6, {mftNoteDescriptor.Length}, 0x3154464d");
            s.AppendLine("    .asciz \"Solo5\"");
            s.AppendLine("    .byte 0, 0");
            for (int i = 0; i < mftNoteDescriptor.Length; i += 16)
                s.AppendLine("    .byte " + string.Join(", ", mftNoteDescriptor.Skip(i).Take(16)));
        }
        s.AppendLine("    .text");
        s.AppendLine("    .globl _start");
        s.AppendLine("_start:");
        s.AppendLine("    jmp _start");
        return s.ToString();
    }
}
