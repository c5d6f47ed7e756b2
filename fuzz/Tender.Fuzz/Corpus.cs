namespace Tender.Fuzz;

/// <summary>Where a target's committed inputs live: fuzz/corpus/TARGET (seeds and what fuzzing found
/// that adds coverage) and fuzz/regressions/TARGET (inputs that once crashed, kept after the fix).</summary>
public static class Corpus
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string CorpusDirectory(string target) => Path.Combine(RepositoryRoot, "fuzz", "corpus", target);
    public static string RegressionDirectory(string target) => Path.Combine(RepositoryRoot, "fuzz", "regressions", target);

    /// <summary>Every committed input of the target, corpus then regressions, sorted.</summary>
    public static IEnumerable<string> Files(string target) =>
        new[] { CorpusDirectory(target), RegressionDirectory(target) }
            .Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal));

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tender.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException($"no repository (Tender.slnx) above {AppContext.BaseDirectory}");
    }
}
