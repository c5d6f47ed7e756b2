using System;
using System.Runtime.CompilerServices;
using GuestBindings;

// Fails on purpose, in the way the first argument selects. How each failure ends (docs/guests.md):
//   CPU faults reach the tender's fault stub: crash report, exit 125
//     null       read through a null reference (page fault at a small address)
//     stack      unbounded recursion into the stack guard page (page fault)
//     divide     integer division by zero (#DE)
//     write-code write into the program's own code (text is mapped read-only + executable)
//     exec-heap  call into a heap buffer (data and heap are mapped no-execute)
//   caught in the guest (the fault comes back as .NET's exception; docs/guests.md), exit 0
//     null-caught    the `null` read inside try/catch (NullReferenceException)
//     divide-caught  the `divide` division inside try/catch (DivideByZeroException), twice (re-armed)
//   managed exceptions no catch takes: "Unhandled exception: <type>: <message> (thrown at RIP ...)", exit 255
//     index      array index out of range (IndexOutOfRangeException)
//     throw      explicit throw (InvalidOperationException)
//     overflow   checked arithmetic overflow (OverflowException)
//     cast       invalid cast (InvalidCastException)
//     custom     the program's own exception type (named from the build's type-name table)
//   allocation failure is reported by the allocator, exit 255
//     oom        allocate 16 MiB blocks until the heap is exhausted ("Out of memory: ...")
//     oom-small  allocate small objects until the very last bytes of the heap are used
//   abort      GuestBindings' Unikernel.Abort(message), exit 255
static class Program
{
#pragma warning disable CS0649 // never assigned: the point is to read them through null
    private sealed class Node { public int Value; public Node? Next; }
    private sealed class SampleFailure(string message) : InvalidOperationException(message);

    private static Node? s_nothing;
    private static int s_depth;
#pragma warning restore CS0649

    static int Main(string[] args)
    {
        string what = args.Length > 0 ? args[0] : "";
        GuestConsole.WriteLine("crash: " + what);
        switch (what)
        {
            case "null":
                return ReadThroughNull(s_nothing);
            case "stack":
                return Recurse(1);
            case "divide":
                return Divide(1, Zero());
            case "null-caught":
                try { return ReadThroughNull(s_nothing); }
                catch (NullReferenceException) { GuestConsole.WriteLine("crash: caught NullReferenceException"); return 0; }
            case "divide-caught":
                for (int i = 0; i < 2; i++)
                {
                    try { return Divide(1, Zero()); }
                    catch (DivideByZeroException) { GuestConsole.WriteLine("crash: caught DivideByZeroException"); }
                }
                return 0;
            case "write-code":
                return WriteCode();
            case "exec-heap":
                return ExecHeap();
            case "index":
                int[] small = new int[4];
                return small[Index(args)];
            case "throw":
                throw new InvalidOperationException("explicit failure requested");
            case "overflow":
                return checked(int.MaxValue + Index(args));
            case "cast":
                object o = args.Length > 100 ? new Node() : "not a node";
                return ((Node)o).Value;
            case "custom":
                throw new SampleFailure("a failure of the sample's own kind");
            case "oom":
                return Exhaust();
            case "oom-small":
                return ExhaustSmall();
            case "abort":
                Unikernel.Abort("crash: abort requested");
                return 0;
            default:
                GuestConsole.WriteLine("usage: crash null|null-caught|stack|divide|divide-caught|write-code|exec-heap|index|throw|overflow|cast|custom|oom|oom-small|abort");
                return 2;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadThroughNull(Node? n) => n!.Next!.Value + n.Value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Recurse(int n)
    {
        Span<byte> frame = stackalloc byte[256];
        frame[n & 255] = (byte)n;
        s_depth = n;
        return Recurse(n + 1) + frame[(n * 7) & 255];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Zero() => 0;

    private static unsafe int WriteCode()
    {
        byte* code = (byte*)(delegate*<int>)&Zero;
        *code = 0xC3; // ret
        return Zero();
    }

    private static unsafe int ExecHeap()
    {
        byte[] buffer = new byte[16];
        buffer[0] = 0x31; buffer[1] = 0xC0; buffer[2] = 0xC3; // xor eax, eax; ret
        fixed (byte* p = buffer) return ((delegate*<int>)p)();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Divide(int a, int b) => a / b;

    // args.Length + 3: 4 with one argument, so `small[4]` is out of range and MaxValue + 4 overflows.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Index(string[] args) => args.Length + 3;

    private static int ExhaustSmall()
    {
        Node? list = null;
        for (int i = 0; ; i++) list = new Node { Value = i, Next = list };
    }

    private static int Exhaust()
    {
        byte[][] keep = new byte[4096][];
        for (int i = 0; ; i++)
        {
            keep[i & 4095] = new byte[16 << 20];
            keep[i & 4095][0] = 1;
        }
    }
}
