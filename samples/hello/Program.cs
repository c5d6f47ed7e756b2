using GuestBindings;

// Prints "hello", then each argument on its own line; `--exit=N` sets the exit status (0-254).
static class Program
{
    static int Main(string[] args)
    {
        GuestConsole.WriteLine("hello");
        int status = 0;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            GuestConsole.WriteLine(arg);
            if (arg.StartsWith("--exit=") && !TryParse(arg.Substring(7), out status))
            {
                GuestConsole.WriteLine("hello: bad --exit value: " + arg);
                return 2;
            }
        }
        return status;
    }

    private static bool TryParse(string s, out int value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 3) return false;
        for (int i = 0; i < s.Length; i++)
        {
            if (!char.IsAsciiDigit(s[i])) return false;
            value = value * 10 + (s[i] - '0');
        }
        return value <= 254;
    }
}
