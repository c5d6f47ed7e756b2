using System;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using GuestBindings;

// Run with the arguments `alpha βeta`. Each check returns null when it passes or a description of what went wrong.
static class Program
{
    private static int s_failures;

    static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--environment-exit")
        {
            Console.WriteLine("exiting through Environment.Exit(7)");
            Environment.Exit(7);
        }
        Run("strings", Checks.Strings());
        Run("string-format", Checks.StringFormat());
        Run("spans", Checks.Spans());
        Run("span-slicing-bounds", Checks.SpanBounds());
        Run("arrays", Checks.Arrays());
        Run("generics-struct-constrained", Checks.GenericsOverStructs());
        Run("generics-class", Checks.GenericsOverClasses());
        Run("interface-dispatch", Checks.InterfaceDispatch());
        Run("interface-dispatch-megamorphic", Dispatch.Check());
        Run("virtual-calls", Checks.VirtualCalls());
        Run("casts", Checks.Casts());
        Run("static-constructors", Checks.StaticConstructors());
        Run("static-readonly", Checks.StaticReadonly());
        Run("thread-statics", Checks.ThreadStatics());
        Run("delegates", Checks.Delegates());
        Run("lists", Checks.Lists());
        Run("dictionaries", Checks.Dictionaries());
        Run("timespan-stopwatch", Checks.Time());
        Run("checked-overflow-throws", Checks.CheckedOverflow());
        Run("interlocked-volatile", Checks.InterlockedVolatile());
        Run("binary-primitives", Checks.BinaryPrimitivesCheck());
        Run("memory-marshal", Checks.MemoryMarshalCheck());
        Run("unsafe", Checks.UnsafeCheck());
        Run("math-bitops", Checks.MathBits());
        Run("allocation", Checks.Allocation());
        Run("boxing", Checks.Boxing());
        Run("struct-equality", Checks.StructEquality());
        Run("interpolation", Checks.Interpolation());
        Run("clock", Checks.ClockCheck());
        Run("hashset", LibraryChecks.HashSets());
        Run("queue", LibraryChecks.Queues());
        Run("stack", LibraryChecks.Stacks());
        Run("stringbuilder", LibraryChecks.StringBuilders());
        Run("interpolation-alignment", LibraryChecks.Interpolation());
        Run("composite-format", LibraryChecks.CompositeFormat());
        Run("double-formatting", LibraryChecks.DoubleFormatting());
        Run("double-round-trip", LibraryChecks.DoubleRoundTrip());
        Run("number-parsing", LibraryChecks.NumberParsing());
        Run("span-tryformat", LibraryChecks.SpanTryFormat());
        Run("random", LibraryChecks.RandomSequences());
        Run("datetime", LibraryChecks.DatesAndTimes());
        Run("arraypool", LibraryChecks.ArrayPools());
        Run("yield-deadline", BindingChecks.Yield());
        Run("no-devices", BindingChecks.NoDevices());
        Run("arguments-environment", BindingChecks.Environment());
        Run("console-environment", ConsoleCheck());
        GuestConsole.WriteLine(s_failures == 0 ? "ALL PASSED" : "FAILURES: " + s_failures.ToString());
        return s_failures == 0 ? 0 : 1;
    }

    // System.Console and System.Environment (the .NET API, backed by the tender).
    private static string? ConsoleCheck()
    {
        Console.Write("console: ");
        Console.Write(42);
        Console.Write(' ');
        Console.Write(true);
        Console.WriteLine(" end");
        Console.Write(0.1 + 0.2);
        Console.WriteLine(" {0,4}|{1:F1}", 7, 2.25f);
        long t0 = Environment.TickCount64;
        ulong until = Clock.MonotonicNanoseconds + 30_000_000;
        while (Clock.MonotonicNanoseconds < until) { }
        long t1 = Environment.TickCount64;
        if (t1 - t0 < 20 || t1 - t0 > 10_000) return "TickCount64 advanced " + (t1 - t0).ToString() + " ms over a 30 ms spin";
        if (Environment.ProcessorCount != 1 || !Environment.Is64BitProcess) return "environment";
        return null;
    }

    private static void Run(string name, string? failure)
    {
        if (failure is null) GuestConsole.WriteLine("PASS " + name);
        else { s_failures++; GuestConsole.WriteLine("FAIL " + name + ": " + failure); }
    }
}
