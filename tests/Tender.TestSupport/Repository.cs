namespace Tender.TestSupport;

/// <summary>The repository checkout the tests run from: the directory holding Tender.slnx above the test assembly.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    /// <summary>A script of the repository's stable entry points (scripts/tender, scripts/build-guest, …).</summary>
    public static string Script(string name) => Path.Combine(Root, "scripts", name);

    private static string Find()
    {
        for (string? d = AppContext.BaseDirectory; d is not null; d = Path.GetDirectoryName(d))
            if (File.Exists(Path.Combine(d, "Tender.slnx"))) return d;
        throw new InvalidOperationException("the repository (Tender.slnx) is not above " + AppContext.BaseDirectory);
    }
}
