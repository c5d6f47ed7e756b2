namespace Guest.Tests;

/// <summary>
/// A guest built with <c>GuestSeparateDebugInfo=true</c> (tests/Guest.Tests/guests/stripped): the ELF
/// has no symbol table and points at ELF.debug by its .gnu_debuglink; it still runs, its exception
/// stack traces still name methods (from the table in the image), and gdb finds its symbols in the
/// debug file: a breakpoint on Main by ilc's name, a backtrace down to the boot stub. Both platforms.
/// </summary>
public sealed class StrippedGuestTests
{
    private static string Elf => GuestBuilds.ElfAt("tests/Guest.Tests/guests/stripped");

    private static string Readelf(params string[] args)
    {
        ProcessResult r = Repo.Run("readelf", args, TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout;
    }

    [Fact]
    public void The_ELF_has_no_symbols_and_links_to_a_debug_file_that_has_them()
    {
        string elf = Elf;
        string debug = elf + ".debug";
        Assert.True(File.Exists(debug), debug + " was not built");
        string sections = Readelf("-S", "-W", elf);
        Assert.DoesNotContain(".symtab", sections);
        Assert.Contains(".gnu_debuglink", sections);
        Assert.Contains(".eh_frame_hdr", sections);                 // what the runtime unwinds with
        Assert.Contains(".guest_methodnames", sections);            // what StackTrace names frames from
        Assert.Contains(Path.GetFileName(debug), Readelf("--string-dump=.gnu_debuglink", elf));
        Assert.Contains("stripped_Program__Main", Readelf("-s", "-W", debug));
    }

    [GuestFact]
    public void A_stripped_guest_runs_and_its_stack_traces_name_methods()
    {
        ProcessResult r = Tender.Run(Elf, ["a", "b", "c"]);
        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Contains("caught: thrown in a stripped guest", r.Stdout);
        Assert.Matches(@"at stripped_Program__Thrower \+ 0x[0-9a-f]+\n\s*at stripped_Program__Main \+ 0x[0-9a-f]+", r.Stdout.Replace("\r", ""));
    }

    [GuestFact]
    public void Gdb_finds_the_debug_file_breaks_at_Main_and_walks_to_the_boot_stub()
    {
        string elf = Elf;
        using var tender = new GdbTests.DebuggedTender(elf, "x", "y", "z");
        string gdb = GdbTests.Gdb(elf, tender.Port,
            "break stripped_Program__Main",
            "continue",
            "bt",
            "continue");
        Assert.Matches(@"Breakpoint 1 at 0x[0-9a-f]+", gdb);
        Assert.Matches(@"Breakpoint 1, 0x[0-9a-f]+ in stripped_Program__Main \(\)", gdb);
        Assert.Matches(@"#\d+ +0x[0-9a-f]+ in _start \(\)", gdb);
        Assert.Contains("exited with code 03", gdb);
        Assert.Equal(3, tender.WaitForExit());
    }
}
