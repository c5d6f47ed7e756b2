using GuestBindings;

// Runs every exception-handling conformance case (EhCases.cs) and prints "name: trace" per case.
static class Program
{
    static int Main(string[] args)
    {
        for (int i = 0; i < EhCases.Names.Length; i++)
            GuestConsole.WriteLine(EhCases.Names[i] + ": " + EhCases.Run(i));
        GuestConsole.WriteLine("eh-conformance: done");
        return 0;
    }
}
