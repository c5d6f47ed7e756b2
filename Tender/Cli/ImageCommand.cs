using System.CommandLine;
using Tender.Oci;
using Tender.Oci.Image;

namespace Tender.Cli;

/// <summary>
/// `tender image build`: a unikernel as an OCI image layout tar (Tender.Oci.Image.ImageLayout;
/// docs/containers.md), for `ctr images import` or any registry tool that reads OCI archives.
/// </summary>
internal static class ImageCommand
{
    public static Command Create()
    {
        var elf = new Option<string>("--elf") { Description = "The guest ELF (the image's entrypoint).", Required = true };
        var elfPath = new Option<string?>("--elf-path") { Description = "Its path in the image (default: /FILENAME)." };
        var manifest = new Option<string?>("--manifest") { Description = "A JSON manifest, stored as /manifest.json and named by org.tender.manifest." };
        var add = new Option<string[]>("--add") { Description = "HOST_FILE:/PATH — another file in the image (repeatable).", AllowMultipleArgumentsPerToken = false };
        var annotation = new Option<string[]>("--annotation") { Description = "KEY=VALUE — an annotation the runtime reads (repeatable; checked as `tender oci` checks it)." };
        var tag = new Option<string>("--tag", "-t") { Description = "The image's name, e.g. hello:1.0 or registry.example/app:latest.", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "The tar to write.", Required = true };
        var build = new Command("build", "Write an OCI image layout tar holding a guest ELF, its manifest and annotations.");
        foreach (var option in new Option[] { elf, elfPath, manifest, add, annotation, tag, output }) build.Options.Add(option);
        build.SetAction(parse =>
        {
            try
            {
                var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (string a in parse.GetValue(annotation) ?? [])
                {
                    int equals = a.IndexOf('=');
                    if (equals <= 0) throw new OciException($"--annotation {a}: expected KEY=VALUE");
                    if (!annotations.TryAdd(a[..equals], a[(equals + 1)..])) throw new OciException($"--annotation {a[..equals]}: given twice");
                }
                var files = new List<(string, string)>();
                foreach (string f in parse.GetValue(add) ?? [])
                {
                    int colon = f.IndexOf(":/", StringComparison.Ordinal);
                    if (colon <= 0) throw new OciException($"--add {f}: expected HOST_FILE:/PATH");
                    files.Add((f[..colon], f[(colon + 1)..]));
                }
                var spec = new ImageSpec
                {
                    ElfPath = parse.GetRequiredValue(elf),
                    ElfImagePath = parse.GetValue(elfPath),
                    ManifestPath = parse.GetValue(manifest),
                    Files = files,
                    Annotations = annotations,
                    Reference = parse.GetRequiredValue(tag),
                };
                // The same checks `tender oci create` makes, now rather than on the node.
                var checkedAnnotations = new Dictionary<string, string>(annotations);
                if (spec.ManifestPath is not null) checkedAnnotations[Tender.Oci.Bundle.BundleAnnotations.ManifestKey] = ImageLayout.ManifestImagePath;
                Tender.Oci.Bundle.BundleAnnotations.Parse(checkedAnnotations);
                if (spec.ManifestPath is not null) Tender.Manifest.ManifestSource.FromJsonFile(spec.ManifestPath);
                Tender.Loader.ElfImage.Load(spec.ElfPath);
                string target = parse.GetRequiredValue(output);
                string temporary = target + ".partial";
                var archive = new MemoryStream();
                ImageLayout.Write(spec, archive);
                File.WriteAllBytes(temporary, archive.ToArray());
                File.Move(temporary, target, overwrite: true);
                var (name, version) = ImageLayout.SplitReference(spec.Reference);
                parse.InvocationConfiguration.Output.WriteLine($"{target}: {name}:{version}");
                return 0;
            }
            catch (Exception e) when (e is OciException or Tender.Manifest.ManifestFormatException or Tender.Loader.ElfFormatException or IOException or UnauthorizedAccessException)
            {
                parse.InvocationConfiguration.Error.WriteLine($"tender: image build: {e.Message}");
                return Tender.Run.RunOutcome.TenderError;
            }
        });
        var command = new Command("image", "Build unikernel images for containerd and registries (docs/containers.md).");
        command.Subcommands.Add(build);
        return command;
    }
}
