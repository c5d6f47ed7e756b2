using System;
using System.Runtime.CompilerServices;
using GuestBindings;
static class Program
{
    static int Main(string[] args)
    {
        try { Thrower(1); GuestConsole.WriteLine("no"); }
        catch (InvalidOperationException e) { GuestConsole.WriteLine("caught " + e.Message); }
        finally { GuestConsole.WriteLine("finally"); }
        return 0;
    }
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Thrower(int x) { try { if (x == 1) throw new InvalidOperationException("boom"); } finally { GuestConsole.WriteLine("inner finally"); } }
}
