using GuestBindings;

// Runs with no operating system under it: the tender boots it on KVM or its process platform.
static class Program
{
    static int Main(string[] args)
    {
        GuestConsole.WriteLine("hello from TenderApp");
        for (int i = 0; i < args.Length; i++) GuestConsole.WriteLine(args[i]);
        return args.Length;   // the guest's exit status is the tender's
    }
}
