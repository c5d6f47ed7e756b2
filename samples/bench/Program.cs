using GuestBindings;

// The benchmark guest: runs the case named by the first argument (Cases.cs) and prints its line.
// usage: bench alloc|gc-pause
static class Program
{
    static int Main(string[] args)
    {
        string line = args.Length > 0 ? Cases.Run(args[0]) : "";
        if (line.Length == 0)
        {
            GuestConsole.WriteLine("usage: bench alloc|gc-pause");
            return 2;
        }
        GuestConsole.WriteLine(line);
        return 0;
    }
}
