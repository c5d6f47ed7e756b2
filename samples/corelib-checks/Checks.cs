using System;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using GuestBindings;

interface IShape
{
    int Area();
    string Name { get; }
}

interface ICounter
{
    int Next();
}

struct Square : IShape
{
    public int Side;
    public int Area() => Side * Side;
    public string Name => "square";
}

sealed class Rect : IShape
{
    private readonly int _w, _h;
    public Rect(int w, int h) { _w = w; _h = h; }
    public int Area() => _w * _h;
    public string Name => "rect";
}

class Animal
{
    public virtual string Speak() => "...";
    public int Legs = 4;
}

class Dog : Animal
{
    public override string Speak() => "woof";
}

sealed class Puppy : Dog, ICounter
{
    private int _n;
    public override string Speak() => "yip";
    public int Next() => ++_n;
}

abstract class Shape2 { public abstract int Sides(); }
sealed class Triangle : Shape2 { public override int Sides() => 3; }

struct Accumulator<T> where T : struct, IShape
{
    public int Total;
    public void Add(T item) => Total += item.Area();
}

static class Lazy
{
    public static int Runs;
    public static readonly int[] Table;
    public static readonly string Greeting;
    static Lazy()
    {
        Runs++;
        Table = new int[16];
        for (int i = 0; i < Table.Length; i++) Table[i] = i * i;
        Greeting = "hi " + Table[3].ToString();
    }
}

static class ThreadLocal
{
    [ThreadStatic] public static int Counter;
    [ThreadStatic] public static string? Name;
}

static class Preinit
{
    public static readonly uint[] Crc = { 0x00000000, 0x77073096, 0xEE0E612C };
    public static readonly int Answer = 42;
}

static class Checks
{
    public static string? Strings()
    {
        string a = "hello";
        string b = "hel" + "lo".ToString();
        if (a != b) return "concat/equality";
        if (a.Length != 5 || a[1] != 'e') return "length/index";
        if (!a.StartsWith("he") || !a.EndsWith("llo") || a.IndexOf('l') != 2 || a.Contains('z')) return "search";
        if (a.Substring(1, 3) != "ell") return "substring";
        string[] parts = "a,,b,c".Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || parts[2] != "c") return "split";
        if (string.Concat("x", "y", "z") != "xyz") return "concat3";
        if (new string('-', 3) != "---") return "ctor(char,int)";
        if ("äé€".Length != 3) return "non-ascii literal";
        if (a.GetHashCode() != b.GetHashCode()) return "hash";
        if (string.CompareOrdinal("a", "b") >= 0) return "compare";
        return null;
    }

    public static string? StringFormat()
    {
        if (12345.ToString() != "12345") return "int";
        if ((-7).ToString() != "-7") return "negative";
        if (int.MinValue.ToString() != "-2147483648") return "int.MinValue";
        if (ulong.MaxValue.ToString() != "18446744073709551615") return "ulong.MaxValue";
        if (255.ToString("X") != "FF" || 255.ToString("x4") != "00ff") return "hex";
        if ((-1).ToString("X") != "FFFFFFFF") return "negative hex";
        if (7.ToString("D3") != "007") return "D3";
        if (true.ToString() != "True") return "bool";
        return null;
    }

    public static string? Spans()
    {
        byte[] data = new byte[32];
        Span<byte> s = data;
        s.Fill(7);
        if (data[31] != 7) return "fill";
        s.Slice(8, 8).Clear();
        if (data[8] != 0 || data[15] != 0 || data[16] != 7) return "clear";
        ReadOnlySpan<byte> r = data.AsSpan(16);
        if (r.Length != 16 || r[0] != 7) return "asspan";
        Span<byte> copy = new byte[32];
        s.CopyTo(copy);
        if (!copy.SequenceEqual(s)) return "copy/sequence-equal";
        Span<int> stack = stackalloc int[4];
        for (int i = 0; i < stack.Length; i++) stack[i] = i + 1;
        int sum = 0;
        foreach (int v in stack) sum += v;
        if (sum != 10) return "stackalloc/foreach";
        ReadOnlySpan<char> chars = "abc".AsSpan();
        if (chars[2] != 'c' || chars.ToString() != "abc") return "char span";
        if (new ReadOnlySpan<byte>(new byte[] { 1, 2, 3 }).IndexOf((byte)3) != 2) return "indexof";
        return null;
    }

    public static string? SpanBounds()
    {
        Span<byte> s = new byte[4];
        if (s.TryCopyTo(new byte[2])) return "trycopyto should fail";
        if (s.Slice(4).Length != 0) return "empty slice";
        return null;
    }

    public static string? Arrays()
    {
        int[] a = { 5, 3, 9 };
        int[] b = new int[3];
        Array.Copy(a, b, 3);
        if (b[2] != 9) return "copy";
        Array.Resize(ref b, 5);
        if (b.Length != 5 || b[0] != 5) return "resize";
        string[] names = { "x", "y" };
        object[] objs = names;
        if (objs[1] is not string) return "covariance";
        if (Array.Empty<int>().Length != 0) return "empty";
        if (Array.IndexOf(a, 9) != 2) return "indexof";
        return null;
    }

    public static string? GenericsOverStructs()
    {
        var acc = new Accumulator<Square>();
        for (int i = 1; i <= 3; i++) acc.Add(new Square { Side = i });
        if (acc.Total != 14) return "constrained call";
        if (Max(3, 9) != 9 || Max(2.5, 1.0) != 2.5) return "generic max";
        return null;
    }

    private static T Max<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b) >= 0 ? a : b;

    public static string? GenericsOverClasses()
    {
        var box = new Holder<string>("v");
        if (box.Value != "v") return "holder";
        var boxes = new Holder<Animal>[] { new Holder<Animal>(new Dog()), new Holder<Animal>(new Animal()) };
        if (boxes[0].Value.Speak() != "woof" || boxes[1].Value.Speak() != "...") return "shared generic";
        return null;
    }

    private sealed class Holder<T> where T : class
    {
        public Holder(T v) { Value = v; }
        public T Value { get; }
    }

    public static string? InterfaceDispatch()
    {
        IShape[] shapes = { new Rect(2, 3), new Square { Side = 4 } };
        int total = 0;
        string names = "";
        foreach (IShape s in shapes) { total += s.Area(); names += s.Name; }
        if (total != 22) return "area " + total.ToString();
        if (names != "rectsquare") return "names " + names;
        ICounter c = new Puppy();
        c.Next();
        if (c.Next() != 2) return "counter";
        IEquatable<int> eq = 5;
        if (!eq.Equals(5)) return "boxed IEquatable";
        return null;
    }

    public static string? VirtualCalls()
    {
        Animal[] zoo = { new Animal(), new Dog(), new Puppy() };
        string said = "";
        foreach (Animal x in zoo) said += x.Speak();
        if (said != "...woofyip") return said;
        Shape2 t = new Triangle();
        if (t.Sides() != 3) return "abstract";
        if (zoo[2].Legs != 4) return "inherited field";
        object o = new Dog();
        if (o.ToString() is null) return "object.ToString";
        return null;
    }

    public static string? Casts()
    {
        object o = new Puppy();
        if (o is not Dog) return "is class";
        if (o is not ICounter) return "is interface";
        if (o is Rect) return "is unrelated";
        if (o as IShape is not null) return "as interface";
        Animal a = (Animal)o;
        if (a.Speak() != "yip") return "cast";
        object[] arr = new string[1];
        if (arr is not string[]) return "array is";
        return null;
    }

    public static string? StaticConstructors()
    {
        if (Lazy.Runs != 0 && Lazy.Table[4] != 16) return "ran early";
        if (Lazy.Table[5] != 25) return "table";
        if (Lazy.Greeting != "hi 9") return "greeting " + Lazy.Greeting;
        if (Lazy.Runs != 1) return "runs " + Lazy.Runs.ToString();
        return null;
    }

    private static int s_actionCalls;
    private static void CountCall() => s_actionCalls++;
    private static T Twice<T>(Func<T, T> f, T x) => f(f(x));

    public static string? Delegates()
    {
        int k = 3;
        Func<int, int> add = x => x + k;               // closure over a local
        Func<int, int> square = static x => x * x;     // static lambda
        Action count = CountCall;                      // static method group
        Holder<string> h = new Holder<string>("held");
        Func<string?> get = h.ToString;                // instance method group (virtual)
        count(); count();
        if (add(4) != 7 || square(5) != 25) return "lambdas";
        k = 10;
        if (add(4) != 14) return "captured variable";
        if (s_actionCalls != 2) return "action";
        if (Twice(add, 1) != 21 || Twice<string>(s => s + "!", "a") != "a!!") return "generic";
        Predicate<int> even = x => (x & 1) == 0;
        if (!even(4) || even(5)) return "predicate";
        if (get() is null) return "method group";
        Comparison<int> cmp = (a, b) => a - b;
        if (cmp(1, 2) >= 0) return "comparison";
        return null;
    }

    public static string? Lists()
    {
        var list = new System.Collections.Generic.List<int>();
        for (int i = 0; i < 10; i++) list.Add(9 - i);
        if (list.Count != 10 || list[0] != 9) return "add";
        list.Sort((a, b) => a - b);
        for (int i = 0; i < 10; i++) if (list[i] != i) return "sort";
        list.RemoveAt(0);
        list.Insert(0, 42);
        list.RemoveRange(8, 2);
        int sum = 0;
        foreach (int v in list) sum += v;
        if (sum != 42 + 1 + 2 + 3 + 4 + 5 + 6 + 7) return "foreach " + sum.ToString();
        if (list.FindIndex(x => x == 3) != 3 || list.Exists(x => x > 100)) return "find";
        var names = new System.Collections.Generic.List<string>(2) { "b", "a" };
        names.Sort(string.CompareOrdinal);
        if (names[0] != "a" || names.ToArray().Length != 2) return "strings";
        if (!names.Contains("b") || names.IndexOf("b") != 1 || names.Contains("c")) return "contains";
        if (!names.Remove("a") || names.Remove("a") || names.Count != 1) return "remove item";
        return null;
    }

    private enum Color { Red, Green, Blue }

    public static string? Dictionaries()
    {
        var byName = new System.Collections.Generic.Dictionary<string, int>();
        for (int i = 0; i < 100; i++) byName.Add("k" + i.ToString(), i);
        if (byName.Count != 100 || byName["k42"] != 42) return "string keys";
        if (!byName.TryGetValue("k99", out int v) || v != 99 || byName.TryGetValue("nope", out _)) return "trygetvalue";
        if (!byName.Remove("k0") || byName.Remove("k0") || byName.ContainsKey("k0") || byName.Count != 99) return "remove";
        if (byName.TryAdd("k1", 5) || !byName.TryAdd("k0", 7) || byName["k0"] != 7) return "tryadd";
        byName["k1"] = 1000;
        long sum = 0;
        foreach (var pair in byName) sum += pair.Value;
        if (sum != 4950 - 0 - 1 + 7 + 1000) return "foreach sum " + sum.ToString();

        var byInt = new System.Collections.Generic.Dictionary<int, string> { [3] = "three", [-1] = "minus one" };
        if (byInt[3] != "three" || byInt[-1] != "minus one" || byInt.ContainsKey(0)) return "int keys";
        var byColor = new System.Collections.Generic.Dictionary<Color, int> { [Color.Blue] = 2 };
        if (!byColor.ContainsKey(Color.Blue) || byColor.ContainsKey(Color.Red)) return "enum keys";
        var byPoint = new System.Collections.Generic.Dictionary<Point, int> { [new Point { X = 1, Y = 2 }] = 12 };
        if (!byPoint.TryGetValue(new Point { X = 1, Y = 2 }, out int p) || p != 12) return "struct keys";
        byName.Clear();
        if (byName.Count != 0 || byName.ContainsKey("k5")) return "clear";
        if (!System.Collections.Generic.EqualityComparer<int>.Default.Equals(4, 4)) return "comparer";
        return null;
    }

    public static string? Time()
    {
        var ts = new TimeSpan(1, 2, 3) + TimeSpan.FromMilliseconds(450);
        if (ts.ToString() != "01:02:03.4500000" || ts.Seconds != 3 || ts.Milliseconds != 450) return "timespan " + ts.ToString();
        if (new TimeSpan(-TimeSpan.TicksPerDay - 1).ToString() != "-1.00:00:00.0000001") return "negative " + new TimeSpan(-TimeSpan.TicksPerDay - 1).ToString();
        if (TimeSpan.Zero.ToString() != "00:00:00" || TimeSpan.FromSeconds(90) <= TimeSpan.FromSeconds(89)) return "compare";
        var sw = System.Diagnostics.Stopwatch.StartNew();
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        ulong spin = 0;
        while (System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds < 20) spin++;
        sw.Stop();
        if (sw.ElapsedMilliseconds < 19 || sw.Elapsed.TotalSeconds > 10 || sw.IsRunning) return "stopwatch " + sw.ElapsedMilliseconds.ToString();
        if (System.Diagnostics.Stopwatch.Frequency < 1_000_000) return "frequency";
        return null;
    }

    public static string? ThreadStatics()
    {
        if (ThreadLocal.Counter != 0 || ThreadLocal.Name is not null) return "not zero-initialised";
        ThreadLocal.Counter += 5;
        ThreadLocal.Name = "t" + ThreadLocal.Counter.ToString();
        if (ThreadLocal.Counter != 5 || ThreadLocal.Name != "t5") return "read back";
        return null;
    }

    public static string? StaticReadonly()
    {
        if (Preinit.Crc[1] != 0x77073096) return "preinit array";
        if (Preinit.Answer != 42) return "preinit int";
        return null;
    }

    public static string? CheckedOverflow()
    {
        // A managed exception ends the guest (fail-fast), so only the non-throwing paths are checked
        // here; the crash sample's "overflow" variant checks the throw.
        int big = int.MaxValue - 1;
        int ok = checked(big + 1);
        if (ok != int.MaxValue) return "checked add";
        uint u = unchecked((uint)-1);
        if (u != uint.MaxValue) return "unchecked";
        long m = checked(3_000_000_000L * 2);
        if (m != 6_000_000_000L) return "checked mul";
        return null;
    }

    public static string? InterlockedVolatile()
    {
        int x = 5;
        if (Interlocked.Increment(ref x) != 6 || x != 6) return "increment";
        if (Interlocked.CompareExchange(ref x, 10, 6) != 6 || x != 10) return "cas hit";
        if (Interlocked.CompareExchange(ref x, 11, 6) != 10 || x != 10) return "cas miss";
        if (Interlocked.Exchange(ref x, 1) != 10 || x != 1) return "exchange";
        long l = 0;
        Interlocked.Add(ref l, 1L << 40);
        if (Volatile.Read(ref l) != 1L << 40) return "add long";
        string? s = null;
        Interlocked.CompareExchange(ref s, "set", null);
        if (s != "set") return "cas ref";
        Volatile.Write(ref x, 3);
        if (Volatile.Read(ref x) != 3) return "volatile";
        return null;
    }

    public static string? BinaryPrimitivesCheck()
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(b, 0x01020304);
        if (b[0] != 1 || b[3] != 4) return "write be";
        if (BinaryPrimitives.ReadUInt32LittleEndian(b) != 0x04030201) return "read le";
        BinaryPrimitives.WriteUInt16BigEndian(b.Slice(4), 0xABCD);
        if (BinaryPrimitives.ReadUInt16BigEndian(b.Slice(4)) != 0xABCD) return "u16";
        if (BinaryPrimitives.ReverseEndianness(0x1122334455667788UL) != 0x8877665544332211UL) return "reverse";
        BinaryPrimitives.WriteInt64LittleEndian(b, -2);
        if (BinaryPrimitives.ReadInt64LittleEndian(b) != -2) return "i64";
        return null;
    }

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct Header
    {
        public ushort Kind;
        public uint Length;
    }

    public static string? MemoryMarshalCheck()
    {
        byte[] raw = { 1, 0, 2, 0, 0, 0, 9 };
        Header h = MemoryMarshal.Read<Header>(raw);
        if (h.Kind != 1 || h.Length != 2) return "read struct";
        Span<int> ints = stackalloc int[2];
        ints[0] = 0x01020304;
        Span<byte> bytes = MemoryMarshal.AsBytes(ints);
        if (bytes.Length != 8 || bytes[0] != 4) return "asbytes";
        Span<ushort> shorts = MemoryMarshal.Cast<byte, ushort>(bytes);
        if (shorts.Length != 4 || shorts[0] != 0x0304) return "cast";
        ref byte first = ref MemoryMarshal.GetReference(bytes);
        if (first != 4) return "getreference";
        return null;
    }

    public static unsafe string? UnsafeCheck()
    {
        long v = 0x1122334455667788;
        byte* p = (byte*)&v;
        if (p[0] != 0x88) return "pointer";
        if (Unsafe.ReadUnaligned<ushort>(p + 1) != 0x6677) return "readunaligned";
        ref int lo = ref Unsafe.As<long, int>(ref v);
        if (lo != 0x55667788) return "as";
        if (Unsafe.Add(ref lo, 1) != 0x11223344) return "add";
        if (Unsafe.SizeOf<Header>() != 6) return "sizeof " + Unsafe.SizeOf<Header>().ToString();
        return null;
    }

    public static string? MathBits()
    {
        if (Math.Max(3, 7) != 7 || Math.Min(-1L, 2L) != -1L || Math.Abs(-5) != 5 || Math.Clamp(12, 0, 10) != 10) return "math";
        if (BitOperations.PopCount(0xF0F0u) != 8 || BitOperations.LeadingZeroCount(1u) != 31 || BitOperations.TrailingZeroCount(8UL) != 3) return "bitops";
        if (BitOperations.RotateLeft(0x80000001u, 1) != 3u) return "rotate";
        double d = 1.5;
        if ((int)(d * 4) != 6) return "double";
        // `%` on doubles is IEEE fmod (exact); expected values from C's fmod.
        if (Rem(5.5, 2.0) != 1.5 || Rem(-7.25, 2.0) != -1.25 || Rem(1e300, 3.0) != 0.0 || Rem(7.0, -3.0) != 1.0) return "fmod simple";
        if (BitConverter.DoubleToInt64Bits(Rem(3.0, 1e-300)) != BitConverter.DoubleToInt64Bits(6.8895595841191346e-301)) return "fmod tiny divisor";
        if (Rem(0.1, 0.03) != 0.010000000000000009 || Rem(1e-310, 3e-311) != 1.0000000000004e-311) return "fmod subnormal";
        if (!double.IsNaN(Rem(1.0, 0.0)) || Rem(2.5, double.PositiveInfinity) != 2.5) return "fmod special";
        if (RemF(5.5f, 2f) != 1.5f) return "float fmod";
        if (Math.Sqrt(2.0) != 1.4142135623730951 || Math.Sqrt(1e-300) != 1e-150 || !double.IsNaN(Math.Sqrt(-1))) return "sqrt";
        if (Math.Floor(-1.5) != -2 || Math.Ceiling(1.2) != 2 || Math.Truncate(-3.7) != -3 || Math.Floor(1e300) != 1e300) return "floor/ceiling/truncate";
        if (BitConverter.DoubleToInt64Bits(Math.Ceiling(-0.5)) != BitConverter.DoubleToInt64Bits(-0.0)) return "ceiling sign of zero";
        if (Math.Round(2.5) != 2 || Math.Round(3.5) != 4 || Math.Round(-2.5) != -2 || Math.Round(0.49999999999999994) != 0 || Math.Round(-1.2) != -1) return "round half to even";
        return null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)] private static double Rem(double a, double b) => a % b;
    [MethodImpl(MethodImplOptions.NoInlining)] private static float RemF(float a, float b) => a % b;

    public static string? Allocation()
    {
        byte[][] blocks = new byte[64][];
        for (int i = 0; i < blocks.Length; i++)
        {
            blocks[i] = new byte[4096 + i];
            blocks[i][i] = (byte)i;
        }
        for (int i = 0; i < blocks.Length; i++)
            if (blocks[i].Length != 4096 + i || blocks[i][i] != (byte)i || blocks[i][0] != (i == 0 ? 0 : 0)) return "block " + i.ToString();
        byte[] big = new byte[8 << 20];
        if (big[big.Length - 1] != 0) return "zeroed";
        var list = new Animal[1000];
        for (int i = 0; i < list.Length; i++) list[i] = (i & 1) == 0 ? new Dog() : new Animal();
        if (list[998].Speak() != "woof") return "objects";
        return null;
    }

    public static string? Boxing()
    {
        object o = 42;
        if (o is not int i || i != 42) return "unbox";
        object e = DayKind.Weekend;
        if ((DayKind)e != DayKind.Weekend) return "enum";
        if (!o.Equals(42)) return "equals";
        return null;
    }

    private enum DayKind { Weekday, Weekend }

    private struct Point { public int X, Y; }

    public static string? StructEquality()
    {
        object a = new Point { X = 1, Y = 2 }, b = new Point { X = 1, Y = 2 }, c = new Point { X = 2, Y = 1 };
        if (!a.Equals(b) || a.Equals(c) || a.Equals(null) || a.Equals(5)) return "equals";
        if (a.GetHashCode() != b.GetHashCode()) return "hash";
        Point p = new Point { X = 7, Y = 8 };
        if (!p.Equals(new Point { X = 7, Y = 8 })) return "unboxed receiver";
        return null;
    }

    public static string? Interpolation()
    {
        int n = 3;
        string s = $"n={n} hex={255:X2} s={"x"}";
        if (s != "n=3 hex=FF s=x") return s;
        return null;
    }

    public static string? ClockCheck()
    {
        ulong t0 = Clock.MonotonicNanoseconds;
        ulong wall = Clock.WallClockNanoseconds;
        ulong spin = 0;
        for (int i = 0; i < 1_000_000; i++) spin += (ulong)i;
        ulong t1 = Clock.MonotonicNanoseconds;
        if (t1 < t0) return "monotonic went back";
        if (spin == 0) return "spin";
        // 2020-01-01 .. 2100-01-01 in Unix nanoseconds.
        if (wall < 1_577_836_800_000_000_000UL || wall > 4_102_444_800_000_000_000UL) return "wall clock " + wall.ToString();
        if (Clock.TscFrequency < 100_000_000UL) return "tsc frequency " + Clock.TscFrequency.ToString();
        return null;
    }
}

interface IOp
{
    int Apply(int x);
    int Twice(int x) => Apply(Apply(x));
}
sealed class AddOne : IOp { public int Apply(int x) => x + 1; }
sealed class Double2 : IOp { public int Apply(int x) => x * 2; }
sealed class Negate : IOp { public int Apply(int x) => -x; }
sealed class Square2 : IOp { public int Apply(int x) => x * x; }
class Const7 : IOp { public virtual int Apply(int x) => 7; }
sealed class Const8 : Const7 { public override int Apply(int x) => 8; }
struct Plus3 : IOp { public int Apply(int x) => x + 3; int IOp.Twice(int x) => x + 6; }
sealed class Generic<T> : IOp where T : IOp { private readonly T _inner; public Generic(T inner) { _inner = inner; } public int Apply(int x) => _inner.Apply(x) + 100; }

static class Dispatch
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static IOp[] Make() => new IOp[] { new AddOne(), new Double2(), new Negate(), new Square2(), new Const7(), new Const8(), new Plus3(), new Generic<AddOne>(new AddOne()) };

    public static string? Check()
    {
        IOp[] ops = Make();
        int[] expect = { 6, 10, -5, 25, 7, 8, 8, 106 };
        for (int i = 0; i < ops.Length; i++)
            if (ops[i].Apply(5) != expect[i]) return "apply " + i.ToString() + " = " + ops[i].Apply(5).ToString();
        int[] twice = { 7, 20, 5, 625, 7, 8, 11, 207 };
        for (int i = 0; i < ops.Length; i++)
            if (ops[i].Twice(5) != twice[i]) return "default method " + i.ToString() + " = " + ops[i].Twice(5).ToString();
        return null;
    }
}

// GuestBindings behaviour that needs the tender (so it is not part of the host-run table).
static class BindingChecks
{
    public static string? Yield()
    {
        ulong t0 = Clock.MonotonicNanoseconds;
        ulong ready = Unikernel.Yield(t0 + 20_000_000);
        ulong t1 = Clock.MonotonicNanoseconds;
        if (ready != 0) return "ready set " + ready.ToString() + " without devices";
        if (t1 - t0 < 15_000_000) return "returned after " + (t1 - t0).ToString() + " ns, before the 20 ms deadline";
        if (t1 - t0 > 5_000_000_000) return "took " + (t1 - t0).ToString() + " ns";
        if (Unikernel.Yield(0) != 0) return "past deadline";
        return null;
    }

    public static string? NoDevices()
    {
        if (Manifest.GetDevices().Length != 0) return "devices " + Manifest.GetDevices().Length.ToString();
        if (NetDevice.TryAcquire("service0", out NetDevice? net) != DeviceStatus.NotPresent || net is not null) return "net";
        if (BlockDevice.TryAcquire("storage", out BlockDevice? blk) != DeviceStatus.NotPresent || blk is not null) return "block";
        if (PciDevice.TryAcquire("pci0", out PciDevice? pci) != DeviceStatus.NotPresent || pci is not null) return "pci";
        if (DmaRegion.TryAcquire(out DmaRegion? dma) != DeviceStatus.NotPresent || dma is not null) return "dma";
        return null;
    }

    public static string? Environment()
    {
        string[] args = Unikernel.GetArguments();
        if (args.Length != 2 || args[0] != "alpha" || args[1] != "βeta") return "arguments '" + Unikernel.CommandLine + "'";
        if (Unikernel.MemorySize < (16UL << 20)) return "memory size " + Unikernel.MemorySize.ToString();
        if (Unikernel.ImageEnd <= 0x100000 || Unikernel.ImageEnd >= Unikernel.MemorySize) return "image end " + Unikernel.ImageEnd.ToString("x");
        return null;
    }
}
