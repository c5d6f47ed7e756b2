namespace Tender.Oci.Bundle;

/// <summary>
/// Resolves a path that the bundle names (process.args[0], an annotation's file) inside the
/// container's root file system and nowhere else. Every such path is untrusted (urunc's advisory
/// GHSA-3385-hmpj-4678: path traversal through annotations): the walk goes one component at a
/// time, a ".." that would climb above the rootfs is refused, and a symbolic link is followed only
/// by splicing its target into the walk — an absolute target restarts at the rootfs, never at the
/// host's "/" — with a bound on how many links are followed. The host path returned is then
/// made only of real directories inside the rootfs and the final file, which must be a regular file.
/// </summary>
public static class RootfsPath
{
    /// <summary>Linux's own bound on symbolic links in one path (MAXSYMLINKS).</summary>
    private const int MaxLinks = 40;

    /// <param name="rootfs">The rootfs directory on the host (absolute).</param>
    /// <param name="path">The path as the bundle gives it (absolute or relative: both start at the rootfs).</param>
    /// <param name="what">What the path is, for the error ("process.args[0]", "annotation org.tender.manifest").</param>
    public static string ResolveFile(string rootfs, string path, string what)
    {
        if (path.Length == 0) throw new OciException($"{what}: the path is empty");
        if (path.Contains('\0')) throw new OciException($"{what}: the path contains a NUL byte");
        var pending = new Stack<string>(); // components still to walk, next on top
        PushComponents(pending, path);
        var resolved = new List<string>(); // components walked, all real directories (the last: the file)
        int links = 0;
        while (pending.Count > 0)
        {
            string component = pending.Pop();
            if (component is "" or ".") continue;
            if (component == "..")
            {
                if (resolved.Count == 0)
                    throw new OciException($"{what}: \"{path}\" climbs out of the container's rootfs with \"..\"");
                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            string candidate = Path.Combine(rootfs, Path.Combine([.. resolved, component]));
            var info = new FileInfo(candidate);
            if (info.LinkTarget is string target)
            {
                if (++links > MaxLinks) throw new OciException($"{what}: \"{path}\": more than {MaxLinks} symbolic links");
                // The link's target is walked from here (relative) or from the rootfs (absolute):
                // an absolute link is the image's own "/", which is the rootfs.
                if (target.StartsWith('/')) resolved.Clear();
                PushComponents(pending, target);
                continue;
            }
            if (!info.Exists && !Directory.Exists(candidate))
                throw new OciException($"{what}: \"{path}\" does not exist in the container's rootfs");
            if (pending.Count > 0 && !Directory.Exists(candidate))
                throw new OciException($"{what}: \"{path}\": \"{component}\" is not a directory");
            resolved.Add(component);
        }
        string result = Path.Combine(rootfs, Path.Combine([.. resolved]));
        if (resolved.Count == 0 || !Tender.Host.FileKind.IsRegularFile(result))
            throw new OciException($"{what}: \"{path}\" is not a regular file in the container's rootfs");
        return result;
    }

    private static void PushComponents(Stack<string> pending, string path)
    {
        var parts = path.Split('/');
        for (int i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }
}
