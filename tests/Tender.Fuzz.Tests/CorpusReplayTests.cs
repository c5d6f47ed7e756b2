using Tender.Fuzz;

namespace Tender.Fuzz.Tests;

/// <summary>
/// Every file of every target's corpus and regressions through the target: it must be taken or
/// rejected with the target's documented exception. One case per file, so a failure names it.
/// </summary>
public class CorpusReplayTests
{
    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in Targets.All)
            foreach (var file in Corpus.Files(target.Name))
                data.Add(target.Name, Path.GetRelativePath(Corpus.RepositoryRoot, file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Committed_input_is_taken_or_cleanly_rejected(string target, string file)
    {
        var t = Targets.Find(target)!;
        var outcome = t.Run(File.ReadAllBytes(Path.Combine(Corpus.RepositoryRoot, file)));
        Assert.True(outcome is FuzzOutcome.Accepted or FuzzOutcome.Rejected);
    }

    public static TheoryData<string> TargetNames()
    {
        var data = new TheoryData<string>();
        foreach (var t in Targets.All) data.Add(t.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void Every_target_has_a_committed_corpus_within_the_limits(string target)
    {
        var files = Directory.GetFiles(Corpus.CorpusDirectory(target));
        Assert.NotEmpty(files);
        Assert.InRange(files.Length, 1, 200);
        Assert.InRange(files.Sum(f => new FileInfo(f).Length), 1, 1024 * 1024);
    }

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void Generated_seeds_are_committed_unchanged(string target)
    {
        foreach (var (name, bytes) in Seeds.For(target))
        {
            string path = Path.Combine(Corpus.CorpusDirectory(target), name);
            Assert.True(File.Exists(path), $"seed {name} of {target} is not in {Corpus.CorpusDirectory(target)} (run: Tender.Fuzz seed {target} DIR)");
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }
    }

    [Fact]
    public void Target_names_are_unique_and_match_the_corpus_folders()
    {
        var names = Targets.All.Select(t => t.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        var folders = Directory.GetDirectories(Path.Combine(Corpus.RepositoryRoot, "fuzz", "corpus")).Select(d => Path.GetFileName(d)!).Order().ToList();
        Assert.Equal(names.Order().ToList(), folders);
    }
}
