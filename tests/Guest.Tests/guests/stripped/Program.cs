using System;
using System.Runtime.CompilerServices;
using GuestBindings;

// Built with GuestSeparateDebugInfo=true: the ELF has no symbol table. Prints an exception's stack
// trace (named from the method-name table the build puts into the image, which stripping keeps),
// then exits with the number of its arguments.
static class Program
{
    static int Main(string[] args)
    {
        try
        {
            Thrower();
        }
        catch (InvalidOperationException e)
        {
            GuestConsole.WriteLine("caught: " + e.Message);
            GuestConsole.WriteLine(e.StackTrace ?? "no stack trace");
        }
        return args.Length;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Thrower() => throw new InvalidOperationException("thrown in a stripped guest");
}
