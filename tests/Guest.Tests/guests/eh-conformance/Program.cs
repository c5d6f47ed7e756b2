using GuestBindings;

// Runs every exception-handling conformance case (EhCases.cs) and prints "name: trace" per case;
// with --bench, runs EhBench instead and prints "eh-bench: throw_catch_10_ns=N".
static class Program
{
    static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--bench")
        {
            long ns = EhBench.BestNanosecondsPerThrow(5, 20000);
            GuestConsole.WriteLine("eh-bench: throw_catch_10_ns=" + ns.ToString());
            return ns < 0 ? 1 : 0;
        }
        for (int i = 0; i < EhCases.Names.Length; i++)
            GuestConsole.WriteLine(EhCases.Names[i] + ": " + EhCases.Run(i));
        GuestConsole.WriteLine("eh-conformance: done");
        return 0;
    }
}
