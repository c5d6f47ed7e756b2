using System;
using System.Runtime.CompilerServices;

// Exception-handling conformance cases. Each case records what ran, in order, into a Trace; the guest
// (Program.cs) prints "name: trace" per case and tests/Guest.Tests runs the same code on the host JIT
// and compares the two outputs case by case. Only behaviour .NET defines goes into a trace (order of
// handlers, which handler caught, filter side effects, exception identity): no message texts .NET
// words differently, no type names.
public sealed class Trace
{
    private string _text = "";
    public void Add(string step) => _text = _text.Length == 0 ? step : _text + " " + step;
    public override string ToString() => _text;
}

public class CaseException : Exception
{
    public int Code { get; }
    public CaseException(string message, int code = 0) : base(message) { Code = code; }
    public CaseException(string message, Exception inner) : base(message, inner) { }
}

public sealed class DerivedCaseException : CaseException
{
    public DerivedCaseException(string message) : base(message) { }
}

public class GenericException<T> : Exception
{
    public T Value { get; }
    public GenericException(T value) : base("generic") { Value = value; }
}

public interface IThrower { void Throw(Trace t); }
public abstract class ThrowerBase { public abstract void Throw(Trace t); }

public sealed class InterfaceThrower : IThrower
{
    public void Throw(Trace t) { t.Add("itf"); throw new CaseException("itf"); }
}

public sealed class VirtualThrower : ThrowerBase
{
    public override void Throw(Trace t) { t.Add("virt"); throw new CaseException("virt"); }
}

public sealed class Resource : IDisposable
{
    private readonly Trace _t;
    private readonly string _name;
    public Resource(Trace t, string name) { _t = t; _name = name; t.Add("open-" + name); }
    public void Dispose() => _t.Add("dispose-" + _name);
}

public struct ValueThrower
{
    public int Field;
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Throw() { Field++; throw new CaseException("struct", Field); }
}

public static class FailingStatics
{
    public static int Value = Init();
    private static int Init() => throw new CaseException("cctor");
}

public static class EhCases
{
    public static readonly string[] Names =
    [
        "catch-same-type", "catch-base-type", "catch-exception", "first-matching-catch", "outer-frame-catch",
        "finally-normal", "finally-then-outer-catch", "finally-order-three-frames", "filter-true", "filter-false-next-clause",
        "filter-before-finally", "filter-throws-is-false", "filter-catches-inside", "throw-in-finally-replaces", "throw-in-catch-outer",
        "rethrow-same-object", "rethrow-keeps-trace", "using-exception", "using-normal", "nested-using-order",
        "ten-frames-finallys", "generic-exception-match", "generic-exception-mismatch", "generic-method-throw", "interface-call",
        "virtual-call", "static-constructor", "filter-reads-local", "finally-in-catch", "try-catch-in-finally",
        "try-catch-in-catch", "return-through-finally", "break-through-finally", "rethrow-inner-in-catch", "exception-fields",
        "index-out-of-range", "invalid-cast", "checked-overflow", "many-throws", "catch-all-rethrow",
        "filter-second-exception", "delegate-throw", "closure-throw", "filter-with-finally-inside", "same-method-nested-finally",
        "sibling-catch-not-reentered", "finally-throw-caught-same-level", "inner-exception-chain", "catch-when-type-test", "struct-method-throw",
        "throw-null", "stack-trace-names", "catch-derived-first", "exception-after-catch-continues", "deep-recursion-catch",
        "null-dereference-fault", "divide-by-zero-fault", "fault-after-fault", "fault-in-catch-handler",
        "null-interface-call-first", "null-interface-call-cached",
    ];

    public static string Run(int index)
    {
        var t = new Trace();
        try
        {
            RunCase(index, t);
        }
        catch (Exception)
        {
            t.Add("escaped");
        }
        return t.ToString();
    }

    private static void RunCase(int index, Trace t)
    {
        switch (index)
        {
            case 0: CatchSameType(t); break;
            case 1: CatchBaseType(t); break;
            case 2: CatchException(t); break;
            case 3: FirstMatchingCatch(t); break;
            case 4: OuterFrameCatch(t); break;
            case 5: FinallyNormal(t); break;
            case 6: FinallyThenOuterCatch(t); break;
            case 7: FinallyOrderThreeFrames(t); break;
            case 8: FilterTrue(t); break;
            case 9: FilterFalseNextClause(t); break;
            case 10: FilterBeforeFinally(t); break;
            case 11: FilterThrowsIsFalse(t); break;
            case 12: FilterCatchesInside(t); break;
            case 13: ThrowInFinallyReplaces(t); break;
            case 14: ThrowInCatchOuter(t); break;
            case 15: RethrowSameObject(t); break;
            case 16: RethrowKeepsTrace(t); break;
            case 17: UsingException(t); break;
            case 18: UsingNormal(t); break;
            case 19: NestedUsingOrder(t); break;
            case 20: TenFramesFinallys(t); break;
            case 21: GenericExceptionMatch(t); break;
            case 22: GenericExceptionMismatch(t); break;
            case 23: GenericMethodThrow(t); break;
            case 24: InterfaceCall(t); break;
            case 25: VirtualCall(t); break;
            case 26: StaticConstructor(t); break;
            case 27: FilterReadsLocal(t); break;
            case 28: FinallyInCatch(t); break;
            case 29: TryCatchInFinally(t); break;
            case 30: TryCatchInCatch(t); break;
            case 31: ReturnThroughFinally(t); break;
            case 32: BreakThroughFinally(t); break;
            case 33: RethrowInnerInCatch(t); break;
            case 34: ExceptionFields(t); break;
            case 35: IndexOutOfRange(t); break;
            case 36: InvalidCast(t); break;
            case 37: CheckedOverflow(t); break;
            case 38: ManyThrows(t); break;
            case 39: CatchAllRethrow(t); break;
            case 40: FilterSecondException(t); break;
            case 41: DelegateThrow(t); break;
            case 42: ClosureThrow(t); break;
            case 43: FilterWithFinallyInside(t); break;
            case 44: SameMethodNestedFinally(t); break;
            case 45: SiblingCatchNotReentered(t); break;
            case 46: FinallyThrowCaughtSameLevel(t); break;
            case 47: InnerExceptionChain(t); break;
            case 48: CatchWhenTypeTest(t); break;
            case 49: StructMethodThrow(t); break;
            case 50: ThrowNull(t); break;
            case 51: StackTraceNames(t); break;
            case 52: CatchDerivedFirst(t); break;
            case 53: ExceptionAfterCatchContinues(t); break;
            case 54: DeepRecursionCatch(t); break;
            case 55: NullDereferenceFault(t); break;
            case 56: DivideByZeroFault(t); break;
            case 57: FaultAfterFault(t); break;
            case 58: FaultInCatchHandler(t); break;
            case 59: NullInterfaceCallFirst(t); break;
            case 60: NullInterfaceCallCached(t); break;
            default: throw new ArgumentOutOfRangeException(nameof(index));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(string message) => throw new CaseException(message);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowArg() => throw new ArgumentNullException("p");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool Log(Trace t, string step, bool result) { t.Add(step); return result; }

    private static void CatchSameType(Trace t)
    {
        try { t.Add("try"); Throw("a"); t.Add("unreached"); }
        catch (CaseException e) { t.Add("catch-" + e.Message); }
        t.Add("after");
    }

    private static void CatchBaseType(Trace t)
    {
        try { ThrowArg(); }
        catch (InvalidOperationException) { t.Add("wrong"); }
        catch (ArgumentException e) { t.Add("argument"); t.Add(e is ArgumentNullException ? "is-null-arg" : "other"); }
    }

    private static void CatchException(Trace t)
    {
        try { Throw("x"); }
        catch (Exception e) { t.Add("exception-" + e.Message); }
    }

    private static void FirstMatchingCatch(Trace t)
    {
        try { throw new DerivedCaseException("d"); }
        catch (ArgumentException) { t.Add("arg"); }
        catch (CaseException) { t.Add("case"); }
        catch (Exception) { t.Add("any"); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void NoMatchHere(Trace t)
    {
        try { Throw("deep"); }
        catch (ArgumentException) { t.Add("wrong"); }
        t.Add("unreached");
    }

    private static void OuterFrameCatch(Trace t)
    {
        try { NoMatchHere(t); }
        catch (CaseException e) { t.Add("outer-" + e.Message); }
    }

    private static void FinallyNormal(Trace t)
    {
        try { t.Add("try"); }
        finally { t.Add("finally"); }
        t.Add("after");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WithFinally(Trace t, string name, int depth)
    {
        try
        {
            t.Add("enter-" + name);
            if (depth == 0) Throw("bottom");
            else WithFinally(t, name + "i", depth - 1);
        }
        finally { t.Add("finally-" + name); }
    }

    private static void FinallyThenOuterCatch(Trace t)
    {
        try { WithFinally(t, "a", 0); }
        catch (CaseException) { t.Add("caught"); }
    }

    private static void FinallyOrderThreeFrames(Trace t)
    {
        try { WithFinally(t, "f", 2); }
        catch (CaseException e) { t.Add("caught-" + e.Message); }
    }

    private static void FilterTrue(Trace t)
    {
        try { Throw("f"); }
        catch (CaseException e) when (Log(t, "filter", e.Message == "f")) { t.Add("caught"); }
    }

    private static void FilterFalseNextClause(Trace t)
    {
        try { Throw("f"); }
        catch (CaseException) when (Log(t, "filter1", false)) { t.Add("wrong"); }
        catch (CaseException) when (Log(t, "filter2", true)) { t.Add("second"); }
    }

    private static void FilterBeforeFinally(Trace t)
    {
        // Pass 1 runs the filter before pass 2 runs the inner finally.
        try { WithFinally(t, "x", 1); }
        catch (CaseException) when (Log(t, "filter", true)) { t.Add("caught"); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ThrowingFilter(Trace t)
    {
        t.Add("filter-throws");
        throw new InvalidOperationException("in filter");
    }

    private static void FilterThrowsIsFalse(Trace t)
    {
        try
        {
            try { Throw("orig"); }
            catch (CaseException) when (ThrowingFilter(t)) { t.Add("wrong"); }
            catch (CaseException e) { t.Add("next-" + e.Message); }
        }
        catch (InvalidOperationException) { t.Add("filter-exception-escaped"); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool FilterWithInnerCatch(Trace t)
    {
        try { Throw("inner"); return false; }
        catch (CaseException e) { t.Add("filter-caught-" + e.Message); return true; }
    }

    private static void FilterCatchesInside(Trace t)
    {
        try { Throw("outer"); }
        catch (CaseException e) when (FilterWithInnerCatch(t)) { t.Add("caught-" + e.Message); }
    }

    private static void ThrowInFinallyReplaces(Trace t)
    {
        try
        {
            try { Throw("first"); }
            finally { t.Add("finally"); Throw("second"); }
        }
        catch (CaseException e) { t.Add("caught-" + e.Message); }
    }

    private static void ThrowInCatchOuter(Trace t)
    {
        try
        {
            try { Throw("one"); }
            catch (CaseException e) { t.Add("inner-" + e.Message); Throw("two"); }
        }
        catch (CaseException e) { t.Add("outer-" + e.Message); }
    }

    private static void RethrowSameObject(Trace t)
    {
        CaseException? first = null;
        try
        {
            try { Throw("r"); }
            catch (CaseException e) { first = e; t.Add("inner"); throw; }
        }
        catch (CaseException e) { t.Add(ReferenceEquals(e, first) ? "same-object" : "different-object"); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TraceThrower() => throw new CaseException("traced");

    private static void RethrowKeepsTrace(Trace t)
    {
        string? before = null;
        try
        {
            try { TraceThrower(); }
            catch (CaseException e) { before = e.StackTrace; throw; }
        }
        catch (CaseException e)
        {
            string? after = e.StackTrace;
            t.Add(before is null ? "no-trace" : "trace");
            string firstLine = before is null ? "" : (before.IndexOf('\n') >= 0 ? before.Substring(0, before.IndexOf('\n')) : before);
            t.Add(after is not null && firstLine.Length > 0 && after.Contains(firstLine) ? "kept" : "lost");
        }
    }

    private static void UsingException(Trace t)
    {
        try
        {
            using (new Resource(t, "r")) { Throw("u"); }
        }
        catch (CaseException) { t.Add("caught"); }
    }

    private static void UsingNormal(Trace t)
    {
        using (new Resource(t, "r")) { t.Add("body"); }
        t.Add("after");
    }

    private static void NestedUsingOrder(Trace t)
    {
        try
        {
            using var a = new Resource(t, "a");
            using var b = new Resource(t, "b");
            using (new Resource(t, "c")) Throw("n");
        }
        catch (CaseException) { t.Add("caught"); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Frames(Trace t, int n)
    {
        try
        {
            if (n == 0) Throw("ten");
            return Frames(t, n - 1) + 1;
        }
        finally { t.Add(n.ToString()); }
    }

    private static void TenFramesFinallys(Trace t)
    {
        try { Frames(t, 9); }
        catch (CaseException e) { t.Add("caught-" + e.Message); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowGeneric<T>(T value) => throw new GenericException<T>(value);

    private static void GenericExceptionMatch(Trace t)
    {
        try { ThrowGeneric(42); }
        catch (GenericException<string>) { t.Add("string"); }
        catch (GenericException<int> e) { t.Add("int-" + e.Value.ToString()); }
    }

    private static void GenericExceptionMismatch(Trace t)
    {
        try
        {
            try { ThrowGeneric("s"); }
            catch (GenericException<int>) { t.Add("wrong"); }
        }
        catch (GenericException<string> e) { t.Add("outer-" + e.Value); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T Pass<T>(Trace t, T value, bool fail)
    {
        try
        {
            if (fail) throw new CaseException("generic-method");
            return value;
        }
        finally { t.Add("generic-finally"); }
    }

    private static void GenericMethodThrow(Trace t)
    {
        try { Pass(t, "v", false); Pass(t, 3, true); }
        catch (CaseException e) { t.Add(e.Message); }
    }

    private static void InterfaceCall(Trace t)
    {
        IThrower thrower = new InterfaceThrower();
        try { thrower.Throw(t); }
        catch (CaseException e) { t.Add("caught-" + e.Message); }
    }

    private static void VirtualCall(Trace t)
    {
        ThrowerBase thrower = new VirtualThrower();
        try { thrower.Throw(t); }
        catch (CaseException e) { t.Add("caught-" + e.Message); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadFailingStatic() => FailingStatics.Value;

    private static void StaticConstructor(Trace t)
    {
        for (int i = 0; i < 2; i++)
        {
            try { ReadFailingStatic(); t.Add("unreached"); }
            catch (TypeInitializationException e)
            {
                t.Add("type-init");
                t.Add(e.InnerException is CaseException c ? "inner-" + c.Message : "no-inner");
            }
        }
    }

    private static void FilterReadsLocal(Trace t)
    {
        int limit = 5;
        try { throw new CaseException("code", 7); }
        catch (CaseException e) when (e.Code > limit) { t.Add("code-" + e.Code.ToString()); }
    }

    private static void FinallyInCatch(Trace t)
    {
        try
        {
            try { Throw("a"); }
            catch (CaseException)
            {
                try { t.Add("catch"); Throw("b"); }
                finally { t.Add("catch-finally"); }
            }
        }
        catch (CaseException e) { t.Add("outer-" + e.Message); }
    }

    private static void TryCatchInFinally(Trace t)
    {
        try
        {
            try { Throw("orig"); }
            finally
            {
                try { Throw("in-finally"); }
                catch (CaseException e) { t.Add("handled-" + e.Message); }
                t.Add("finally-done");
            }
        }
        catch (CaseException e) { t.Add("outer-" + e.Message); }
    }

    private static void TryCatchInCatch(Trace t)
    {
        try { Throw("a"); }
        catch (CaseException a)
        {
            try { Throw("b"); }
            catch (CaseException b) { t.Add(a.Message + b.Message); }
            t.Add("still-" + a.Message);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReturnWithFinally(Trace t)
    {
        try { t.Add("try"); return 1; }
        finally { t.Add("finally"); }
    }

    private static void ReturnThroughFinally(Trace t) => t.Add("ret-" + ReturnWithFinally(t).ToString());

    private static void BreakThroughFinally(Trace t)
    {
        for (int i = 0; i < 3; i++)
        {
            try
            {
                if (i == 1) continue;
                if (i == 2) break;
                t.Add("body" + i.ToString());
            }
            finally { t.Add("finally" + i.ToString()); }
        }
    }

    private static void RethrowInnerInCatch(Trace t)
    {
        try
        {
            try { Throw("outer"); }
            catch (CaseException)
            {
                try { Throw("inner"); }
                catch (CaseException) { throw; }
            }
        }
        catch (CaseException e) { t.Add("got-" + e.Message); }
    }

    private static void ExceptionFields(Trace t)
    {
        try { throw new CaseException("fields", 99); }
        catch (CaseException e) { t.Add(e.Code.ToString() + "-" + e.Message); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int At(int[] a, int i) => a[i];

    private static void IndexOutOfRange(Trace t)
    {
        try { At(new int[2], 5); }
        catch (IndexOutOfRangeException) { t.Add("index"); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static object Boxed(int kind) => kind == 0 ? "str" : new int[1];

    private static void InvalidCast(Trace t)
    {
        try { var s = (int[])Boxed(0); t.Add(s.Length.ToString()); }
        catch (InvalidCastException) { t.Add("cast"); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Add(int a, int b) => checked(a + b);

    private static void CheckedOverflow(Trace t)
    {
        try { Add(int.MaxValue, 1); }
        catch (OverflowException) { t.Add("overflow"); }
        catch (ArithmeticException) { t.Add("wrong"); }
    }

    private static void ManyThrows(Trace t)
    {
        int caught = 0, finallys = 0;
        for (int i = 0; i < 1000; i++)
        {
            try
            {
                try { Throw("m"); }
                finally { finallys++; }
            }
            catch (CaseException) { caught++; }
        }
        t.Add(caught.ToString());
        t.Add(finallys.ToString());
    }

    private static void CatchAllRethrow(Trace t)
    {
        try
        {
            try { Throw("all"); }
            catch { t.Add("catch-all"); throw; }
        }
        catch (CaseException e) { t.Add("outer-" + e.Message); }
    }

    private static void FilterSecondException(Trace t)
    {
        int seen = 0;
        for (int i = 0; i < 2; i++)
        {
            try { Throw("n" + i.ToString()); }
            catch (CaseException e) when (++seen == 2) { t.Add("accepted-" + e.Message); }
            catch (CaseException e) { t.Add("rejected-" + e.Message); }
        }
    }

    private static void DelegateThrow(Trace t)
    {
        Action<string> thrower = Throw;
        try { thrower("delegate"); }
        catch (CaseException e) { t.Add(e.Message); }
    }

    private static void ClosureThrow(Trace t)
    {
        int captured = 3;
        Func<int> f = () => { t.Add("lambda-" + captured.ToString()); throw new CaseException("closure"); };
        try { f(); }
        catch (CaseException e) { t.Add(e.Message); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool FilterWithFinally(Trace t)
    {
        try
        {
            try { Throw("in-filter"); }
            finally { t.Add("filter-finally"); }
        }
        catch (CaseException) { t.Add("filter-catch"); }
        return true;
    }

    private static void FilterWithFinallyInside(Trace t)
    {
        try { Throw("x"); }
        catch (CaseException) when (FilterWithFinally(t)) { t.Add("caught"); }
    }

    private static void SameMethodNestedFinally(Trace t)
    {
        try
        {
            try
            {
                try { Throw("same"); }
                finally { t.Add("f1"); }
            }
            finally { t.Add("f2"); }
        }
        catch (CaseException) { t.Add("caught"); }
        finally { t.Add("f3"); }
    }

    private static void SiblingCatchNotReentered(Trace t)
    {
        try
        {
            try { Throw("a"); }
            catch (CaseException) { t.Add("first"); throw new InvalidOperationException("from-catch"); }
            catch (InvalidOperationException) { t.Add("sibling-wrong"); }
        }
        catch (InvalidOperationException e) { t.Add("outer-" + e.Message); }
    }

    private static void FinallyThrowCaughtSameLevel(Trace t)
    {
        try
        {
            try { WithFinallyThatThrows(t); }
            catch (InvalidOperationException e) { t.Add("caught-" + e.Message); }
        }
        catch (CaseException) { t.Add("wrong"); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WithFinallyThatThrows(Trace t)
    {
        try { Throw("lost"); }
        finally { t.Add("finally"); throw new InvalidOperationException("replacement"); }
    }

    private static void InnerExceptionChain(Trace t)
    {
        try
        {
            try { Throw("root"); }
            catch (CaseException e) { throw new CaseException("wrapper", e); }
        }
        catch (CaseException e) { t.Add(e.Message + "-" + (e.InnerException?.Message ?? "none")); }
    }

    private static void CatchWhenTypeTest(Trace t)
    {
        try { ThrowArg(); }
        catch (Exception e) when (e is InvalidOperationException) { t.Add("wrong"); }
        catch (Exception e) when (e is ArgumentException) { t.Add("argument"); }
    }

    private static void StructMethodThrow(Trace t)
    {
        var v = new ValueThrower();
        try { v.Throw(); }
        catch (CaseException e) { t.Add("struct-" + e.Code.ToString()); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Exception? Nothing() => null;

    private static void ThrowNull(Trace t)
    {
        try { throw Nothing()!; }
        catch (NullReferenceException) { t.Add("null-reference"); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void NamedThrower() => throw new CaseException("named");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StackTraceNames(Trace t)
    {
        try { NamedThrower(); }
        catch (CaseException e)
        {
            string trace = e.StackTrace ?? "";
            t.Add(trace.Contains("NamedThrower") ? "names-thrower" : "no-name");
            t.Add(trace.Contains("StackTraceNames") ? "names-catcher" : "no-catcher");
        }
    }

    private static void CatchDerivedFirst(Trace t)
    {
        try { Throw("c"); }
        catch (DerivedCaseException) { t.Add("derived-wrong"); }
        catch (CaseException) { t.Add("base"); }
    }

    private static void ExceptionAfterCatchContinues(Trace t)
    {
        int sum = 0;
        for (int i = 0; i < 3; i++)
        {
            try { if (i % 2 == 0) Throw("e"); sum += 10; }
            catch (CaseException) { sum += 1; }
        }
        t.Add(sum.ToString());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Recurse(int n) => n == 0 ? throw new CaseException("deep", 200) : Recurse(n - 1) + 1;

    private static void DeepRecursionCatch(Trace t)
    {
        try { Recurse(200); }
        catch (CaseException e) { t.Add("deep-" + e.Code.ToString()); }
    }

#pragma warning disable CS0649 // never assigned: read through null on purpose
    private sealed class Holder { public int Value; }

    private static Holder? s_none;
#pragma warning restore CS0649

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadNull(Trace t)
    {
        try { return s_none!.Value; }
        finally { t.Add("fault-finally"); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Zero() => 0;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Divide(int a, int b) => a / b;

    // Hardware faults (a null dereference, an integer division by zero) are .NET exceptions.
    private static void NullDereferenceFault(Trace t)
    {
        try { ReadNull(t); t.Add("unreached"); }
        catch (NullReferenceException) { t.Add("null-reference"); }
    }

    private static void DivideByZeroFault(Trace t)
    {
        try { Divide(7, Zero()); t.Add("unreached"); }
        catch (ArithmeticException e) { t.Add(e is DivideByZeroException ? "divide-by-zero" : "other"); }
    }

    private static void FaultAfterFault(Trace t)
    {
        for (int i = 0; i < 3; i++)
        {
            try { Divide(i, Zero()); }
            catch (DivideByZeroException) { t.Add("dbz" + i.ToString()); }
        }
    }

    private static void FaultInCatchHandler(Trace t)
    {
        try
        {
            try { Throw("first"); }
            catch (CaseException) { t.Add("catch"); ReadNull(t); }
        }
        catch (NullReferenceException) { t.Add("outer-null"); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CallThrower(IThrower? thrower, Trace t) => thrower!.Throw(t);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CallThrowerOnce(IThrower? thrower, Trace t) => thrower!.Throw(t);

    // A call through an interface on null: the dispatch stub's first look at `this` (a site that has
    // not resolved yet) and the cached path (a site that has) both become NullReferenceException.
    private static void NullInterfaceCallFirst(Trace t)
    {
        try { CallThrowerOnce(null, t); t.Add("unreached"); }
        catch (NullReferenceException) { t.Add("null-first"); }
    }

    private static void NullInterfaceCallCached(Trace t)
    {
        try { CallThrower(new InterfaceThrower(), t); }
        catch (CaseException) { t.Add("resolved"); }
        try { CallThrower(null, t); t.Add("unreached"); }
        catch (NullReferenceException) { t.Add("null-cached"); }
    }
}
