namespace Guest.Tests;

/// <summary>
/// Exception handling in guests behaves as .NET's: the conformance cases of
/// guests/eh-conformance/EhCases.cs run in the guest and, compiled into this assembly, on the host
/// JIT; every case's trace (which handlers ran, in which order, which one caught) must be identical.
/// </summary>
public class EhConformanceTests
{
    [Fact]
    public void There_are_at_least_forty_cases_with_distinct_names()
    {
        Assert.True(EhCases.Names.Length >= 40, $"{EhCases.Names.Length} cases");
        Assert.Equal(EhCases.Names.Length, EhCases.Names.Distinct().Count());
    }

    [Fact]
    public void No_case_lets_an_exception_escape_on_the_host()
    {
        for (int i = 0; i < EhCases.Names.Length; i++)
            Assert.DoesNotContain("escaped", EhCases.Run(i).Split(' '));
    }

    [GuestFact]
    public void Every_case_traces_as_on_the_host_jit()
    {
        ProcessResult r = Tender.Run(GuestBuilds.ElfAt(Path.Combine("tests", "Guest.Tests", "guests", "eh-conformance")), []);
        Assert.True(r.ExitCode == 0, r.ToString());
        var guest = new Dictionary<string, string>();
        foreach (string line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0) guest[line[..colon]] = line[(colon + 2)..];
        }
        Assert.Equal("done", guest.GetValueOrDefault("eh-conformance"));
        for (int i = 0; i < EhCases.Names.Length; i++)
        {
            string name = EhCases.Names[i];
            Assert.True(guest.TryGetValue(name, out string? trace), $"case {name} missing from the guest's output:\n{r}");
            Assert.Equal($"{name}: {EhCases.Run(i)}", $"{name}: {trace}");
        }
    }
}
