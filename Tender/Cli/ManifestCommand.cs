using System.CommandLine;
using Tender.Manifest;

namespace Tender.Cli;

/// <summary>
/// `tender manifest show FILE` and `tender manifest encode FILE.json -o OUT`. The work is done by
/// Tender.Manifest.ManifestTool (tested there); this class only declares the command line.
/// </summary>
internal static class ManifestCommand
{
    public static Command Create()
    {
        var command = new Command("manifest", "Inspect and convert application manifests (Solo5 format, JSON or binary).");

        var showPath = new Argument<string>("file")
        {
            Description = "A JSON manifest, or a guest ELF (its boot mode, segments and MFT1 manifest note are shown).",
        };
        var show = new Command("show", "Print a manifest readably: every device with its fields.");
        show.Arguments.Add(showPath);
        show.SetAction(parse => ManifestTool.Show(
            parse.GetRequiredValue(showPath),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        command.Subcommands.Add(show);

        var encodePath = new Argument<string>("manifest.json") { Description = "The JSON manifest to encode." };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Where to write Solo5's binary manifest (struct mft).",
            Required = true,
        };
        var note = new Option<bool>("--note-descriptor")
        {
            Description = "Write the MFT1 note descriptor instead (4 padding bytes, then struct mft), ready to follow a 20-byte note header.",
        };
        var encode = new Command("encode", "Write the Solo5 binary form of a JSON manifest, for guest builds that embed a manifest note.");
        encode.Arguments.Add(encodePath);
        encode.Options.Add(output);
        encode.Options.Add(note);
        encode.SetAction(parse => ManifestTool.Encode(
            parse.GetRequiredValue(encodePath),
            parse.GetRequiredValue(output),
            parse.GetValue(note),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        command.Subcommands.Add(encode);

        return command;
    }
}
