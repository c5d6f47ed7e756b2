using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

// Checks of the library pieces programs reach for first (collections, StringBuilder, number formatting
// and parsing, Random, DateTime, ArrayPool). Every expected string and digest is what .NET itself produces:
// tests/Guest.Tests runs this same table on the host JIT (HostChecksTests), so the guest passing it means
// it behaves as .NET does. Each check returns null when it passes, else what went wrong.
static class LibraryChecks
{
    // FNV-1a over UTF-16 code units: a digest of many formatted values, identical wherever the text is.
    private static ulong Digest(ulong h, string s)
    {
        for (int i = 0; i < s.Length; i++) h = (h ^ s[i]) * 1099511628211UL;
        return (h ^ 0xFF) * 1099511628211UL;
    }

    // A fixed pseudo-random sequence (xorshift64*), independent of System.Random.
    private static ulong NextBits(ref ulong x)
    {
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
        return x * 2685821657736338717UL;
    }

    private static string Join<T>(IEnumerable<T> items)
    {
        var sb = new StringBuilder();
        foreach (T item in items) sb.Append(item?.ToString() ?? "null").Append(',');
        return sb.ToString();
    }

    public static string? HashSets()
    {
        var set = new HashSet<int>();
        for (int i = 0; i < 100; i++) set.Add(i * 7 % 50);
        if (set.Count != 50 || !set.Contains(49) || set.Contains(50)) return "add/contains " + set.Count.ToString();
        if (set.Add(3) || !set.Remove(3) || set.Remove(3) || set.Count != 49) return "add/remove duplicates";
        var small = new HashSet<int> { 1, 2, 3 };
        small.Remove(2);
        small.Add(4);
        if (Join(small) != "1,4,3,") return "order after reuse " + Join(small);
        var words = new HashSet<string?> { "a", "b", null };
        if (!words.Contains(null) || !words.Contains("b") || words.Contains("c") || words.Count != 3) return "strings/null";
        var other = new HashSet<int> { 3, 4, 5, 6 };
        var copy = new HashSet<int>(new[] { 1, 3, 4, 1 });
        if (copy.Count != 3) return "from collection";
        copy.UnionWith(other);
        if (Join(copy) != "1,3,4,5,6,") return "union " + Join(copy);
        copy.IntersectWith(new[] { 4, 5, 9 });
        if (copy.Count != 2 || !copy.Contains(4) || !copy.Contains(5)) return "intersect " + Join(copy);
        copy.ExceptWith(new[] { 5 });
        if (!copy.SetEquals(new[] { 4 }) || copy.Overlaps(new[] { 1, 2 })) return "except/setequals";
        if (!copy.TryGetValue(4, out int found) || found != 4) return "trygetvalue";
        int[] arr = new int[2];
        copy.CopyTo(arr, 1);
        if (arr[1] != 4) return "copyto";
        set.Clear();
        if (set.Count != 0 || set.Contains(7)) return "clear";

        // Random adds and removes against a plain array of flags.
        var model = new bool[512];
        var stress = new HashSet<int>();
        ulong x = 77;
        for (int i = 0; i < 5000; i++)
        {
            int key = (int)(NextBits(ref x) % 512);
            bool add = (NextBits(ref x) & 3) != 0;
            bool changed = add ? stress.Add(key) : stress.Remove(key);
            if (changed != (add ? !model[key] : model[key])) return "stress step " + i.ToString();
            model[key] = add;
        }
        int expected = 0, seen = 0;
        for (int k = 0; k < model.Length; k++)
        {
            if (model[k]) expected++;
            if (stress.Contains(k) != model[k]) return "stress contains " + k.ToString();
        }
        foreach (int k in stress) { if (!model[k]) return "stress enumerates " + k.ToString(); seen++; }
        if (stress.Count != expected || seen != expected) return "stress count";
        return null;
    }

    public static string? Queues()
    {
        var q = new Queue<int>(2);
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 5; i++) q.Enqueue(round * 10 + i);
            if (q.Dequeue() != round || q.Peek() != round + 1) return "fifo round " + round.ToString();
        }
        if (q.Count != 12 || Join(q) != "3,4,10,11,12,13,14,20,21,22,23,24,") return "wrap-around " + Join(q);
        int[] a = q.ToArray();
        if (a.Length != 12 || a[4] != 12 || !q.Contains(22) || q.Contains(0)) return "toarray/contains";
        while (q.Count > 0) q.Dequeue();
        if (q.TryDequeue(out _) || q.TryPeek(out _)) return "empty";
        var names = new Queue<string>(new[] { "x", "y" });
        names.Enqueue("z");
        if (!names.TryDequeue(out string? first) || first != "x" || Join(names) != "y,z,") return "strings";
        return null;
    }

    public static string? Stacks()
    {
        var s = new Stack<int>();
        for (int i = 0; i < 10; i++) s.Push(i);
        if (s.Count != 10 || s.Peek() != 9 || s.Pop() != 9 || s.Pop() != 8) return "lifo";
        if (Join(s) != "7,6,5,4,3,2,1,0,") return "enumeration from the top " + Join(s);
        if (s.ToArray()[0] != 7 || !s.Contains(0) || s.Contains(9)) return "toarray/contains";
        s.Clear();
        if (s.TryPop(out _) || s.TryPeek(out _)) return "empty";
        var from = new Stack<string>(new[] { "a", "b" });
        if (from.Pop() != "b") return "from collection";
        return null;
    }

    public static string? StringBuilders()
    {
        var sb = new StringBuilder();
        sb.Append("x=").Append(42).Append(' ').Append(-7L).Append(' ').Append(3.25).Append(' ').Append(1.5f).Append(' ').Append(true)
          .Append(' ').Append(4000000000u).Append(' ').Append(ulong.MaxValue).Append(' ').Append((short)-3).Append(' ').Append((byte)200)
          .Append('-', 3).Append((string?)null).Append(new[] { 'a', 'b' }).Append("hello", 1, 3);
        if (sb.ToString() != "x=42 -7 3.25 1.5 True 4000000000 18446744073709551615 -3 200---abell") return "append " + sb.ToString();
        sb.Clear();
        sb.AppendLine("one").AppendLine().Append(0.1 + 0.2);
        if (sb.ToString() != "one\n\n0.30000000000000004") return "appendline " + sb.ToString();
        sb.Clear().Append("hello world");
        sb.Insert(0, "[").Insert(sb.Length, ']').Insert(6, 123);
        if (sb.ToString() != "[hello123 world]") return "insert " + sb.ToString();
        sb.Remove(6, 3).Replace("world", "there").Replace('l', 'L');
        if (sb.ToString() != "[heLLo there]" || sb.Length != 13 || sb[1] != 'h') return "remove/replace " + sb.ToString();
        sb[0] = '(';
        sb.Length = 6;
        if (sb.ToString() != "(heLLo" || sb.ToString(1, 3) != "heL") return "indexer/length " + sb.ToString();
        sb.Length = 8;
        if (sb[7] != '\0' || sb.Length != 8) return "length grows with NULs";
        var big = new StringBuilder(4);
        for (int i = 0; i < 1000; i++) big.Append(i % 10);
        if (big.Length != 1000 || big[999] != '9' || big.Capacity < 1000) return "growth";
        // Random edits against a List<char> model.
        var edited = new StringBuilder();
        var model = new List<char>();
        ulong x = 5;
        for (int i = 0; i < 2000; i++)
        {
            ulong r = NextBits(ref x);
            int op = (int)(r % 4);
            char c = (char)('a' + (int)(r >> 8) % 26);
            if (op == 0 || model.Count == 0) { edited.Append(c); model.Add(c); }
            else if (op == 1) { int at = (int)((r >> 16) % (ulong)(model.Count + 1)); edited.Insert(at, c); model.Insert(at, c); }
            else if (op == 2) { int at = (int)((r >> 16) % (ulong)model.Count); int n = Math.Min(3, model.Count - at); edited.Remove(at, n); model.RemoveRange(at, n); }
            else { int at = (int)((r >> 16) % (ulong)model.Count); edited[at] = c; model[at] = c; }
        }
        if (edited.ToString() != new string(model.ToArray())) return "random edits";
        var rep = new StringBuilder("aaaa").Replace("aa", "b");
        if (rep.ToString() != "bb" || new StringBuilder("abc").Replace("x", "y").ToString() != "abc") return "replace non-overlapping";
        return null;
    }

    public static string? Interpolation()
    {
        int n = 42;
        double d = 3.5;
        string? none = null;
        string s = $"[{n,6}] [{-n,-6}] [{255,8:X4}] [{d:F2}] [{"ab",4}] [{1.5}] [{none}] [{'c'}] [{true,-6}] [{0.1 + 0.2}] [{1e21}] [{-0.0}] [{ulong.MaxValue:N0}]";
        if (s != "[    42] [-42   ] [    00FF] [3.50] [  ab] [1.5] [] [c] [True  ] [0.30000000000000004] [1E+21] [-0] [18,446,744,073,709,551,615]") return s;
        var list = new List<string>();
        for (int i = 0; i < 3; i++) list.Add($"item {i:D3} of {3}: {i * 0.5,5:F1}|");
        if (list[2] != "item 002 of 3:   1.0|") return list[2];
        return null;
    }

    public static string? CompositeFormat()
    {
        string s = string.Format("[{0,5}] [{0,-5}] [{1:N0}] [{2:X8}] [{3:P1}] [{4,10:F3}] [{5:E2}] [{6:D5}] [{7:N2}] [{8:G}] {{x}}",
            42, 1234567, 255, 0.256, 3.14159, 12345.678, -42, -1234.567, 1e-7);
        if (s != "[   42] [42   ] [1,234,567] [000000FF] [25.6 %] [     3.142] [1.23E+004] [-00042] [-1,234.57] [1E-07] {x}") return s;
        if (string.Format("{0}-{1}-{2}", "a", null, 'c') != "a--c") return "nulls";
        if (string.Format(CultureInfo.InvariantCulture, "{0:F1}|{1,3}", 2.25, "x") != "2.2|  x") return "provider";
        string ints = (-1234567).ToString("N") + " " + 1234567.ToString("F") + " " + 1234.ToString("E") + " " + 12.ToString("P") + " " + 0.ToString("E2")
            + " " + (-5).ToString("P0") + " " + 123456789.ToString("G3") + " " + 123456789.ToString("E10") + " " + 99999.ToString("G2") + " " + 125.ToString("E1")
            + " " + long.MinValue.ToString("N0") + " " + ((sbyte)-1).ToString("x") + " " + 0.ToString("D4") + " " + (-12).ToString("D4") + " " + ((ushort)65535).ToString("G")
            + " " + 1234.ToString("C") + " " + (-5L).ToString("C0");
        if (ints != "-1,234,567.00 1234567.00 1.234000E+003 1,200.00 % 0.00E+000 -500 % 1.23E+08 1.2345678900E+008 1E+05 1.3E+002 -9,223,372,036,854,775,808 ff 0000 -0012 65535 \u00A41,234.00 (\u00A45)") return ints;
        return null;
    }

    // Formatted doubles and floats next to the text .NET prints for them.
    public static string? DoubleFormatting()
    {
        (double Value, string Format, string Expected)[] cases =
        {
            (0.1, "", "0.1"), (0.1, "G17", "0.10000000000000001"), (0.1, "E3", "1.000E-001"), (0.1, "F20", "0.10000000000000000555"),
            (1e23, "", "1E+23"), (1e23, "G17", "9.9999999999999992E+22"), (1e23, "F0", "99999999999999991611392"), (1e23, "E", "1.000000E+023"),
            (5e-324, "", "5E-324"), (5e-324, "G17", "4.9406564584124654E-324"), (5e-324, "E3", "4.941E-324"), (5e-324, "F2", "0.00"),
            (double.MaxValue, "R", "1.7976931348623157E+308"), (double.MaxValue, "G3", "1.8E+308"), (double.MinValue, "", "-1.7976931348623157E+308"),
            (-0.0, "", "-0"), (-0.0, "F2", "-0.00"), (-0.0, "E3", "-0.000E+000"), (0.0, "", "0"), (0.0, "E2", "0.00E+000"), (0.0, "P", "0.00 %"),
            (double.NaN, "", "NaN"), (double.NaN, "F2", "NaN"), (double.PositiveInfinity, "", "Infinity"), (double.NegativeInfinity, "E3", "-Infinity"),
            (1e15, "", "1000000000000000"), (1e16, "", "10000000000000000"), (1e17, "", "1E+17"), (1.5e17, "", "1.5E+17"),
            (123456789012345678.0, "", "1.2345678901234568E+17"), (1e16, "G15", "1E+16"), (9007199254740992.0, "", "9007199254740992"),
            (0.0001, "", "0.0001"), (0.00001, "", "1E-05"), (1.2345e-5, "G2", "1.2E-05"), (0.001234, "G17", "0.0012340000000000001"),
            (2.5, "F0", "2"), (3.5, "F0", "4"), (0.125, "F2", "0.12"), (0.375, "F2", "0.38"), (1.005, "F2", "1.00"), (12.345, "F2", "12.35"),
            (2.675, "F2", "2.67"), (0.125, "P0", "12 %"), (0.625, "P0", "62 %"), (0.125, "E1", "1.2E-001"), (1.5e16, "E0", "2E+016"),
            (-60, "", "-60"), (-60, "E", "-6.000000E+001"), (-1234.567, "N", "-1,234.57"), (-0.001, "N1", "-0.0"), (-0.001, "G1", "-0.001"),
            (1234.5, "N0", "1,234"), (1235.5, "N0", "1,236"), (123.456, "P1", "12,345.6 %"), (1e-10, "E20", "1.00000000000000003643E-010"),
            (12.345, "G20", "12.345000000000000639"), (0.3, "R", "0.3"), (0.1 + 0.2, "", "0.30000000000000004"), (1.0 / 3, "", "0.3333333333333333"),
            (2.0 / 3, "g5", "0.66667"), (1e-7, "e2", "1.00e-007"), (123456.0, "g2", "1.2e+05"), (100, "R", "100"), (1e21, "", "1E+21"),
            (-1234.567, "C", "(\u00A41,234.57)"), (0.5, "C0", "\u00A40"), (double.NaN, "X", "NaN"), (double.NegativeInfinity, "C", "-Infinity"),
            (4.35, "F1", "4.3"), (4.45, "F1", "4.5"), (1e300 * 10, "F0", "10000000000000000525047602552044202487044685811081591549158541155118024579889081957863713750804478640437044"
                + "438328838781769425232353604305756447921847867069828483872009265758037378302337947880900593689532349707999450811190389676408800746527427801"
                + "424945792587888200568428381156694721963868654594005401600"),
        };
        foreach (var (value, format, expected) in cases)
        {
            string actual = value.ToString(format, CultureInfo.InvariantCulture);
            if (actual != expected) return value.ToString("R", CultureInfo.InvariantCulture) + " '" + format + "' gave " + actual + ", .NET gives " + expected;
        }
        (float Value, string Format, string Expected)[] floats =
        {
            (0.1f, "", "0.1"), (0.1f, "G9", "0.100000001"), (1e10f, "", "1E+10"), (16777216f, "", "16777216"), (float.MaxValue, "", "3.4028235E+38"),
            (float.MaxValue, "F2", "340282346638528859811704183484516925440.00"), (float.Epsilon, "", "1E-45"), (float.Epsilon, "G9", "1.40129846E-45"),
            (1e7f, "", "10000000"), (1e9f, "", "1E+09"), (123456789f, "", "123456790"), (123456789f, "G9", "123456792"), (1.5e-5f, "E3", "1.500E-005"),
            (-0.0f, "", "-0"), (float.NaN, "", "NaN"), (1f / 3, "", "0.33333334"),
        };
        foreach (var (value, format, expected) in floats)
        {
            string actual = value.ToString(format, CultureInfo.InvariantCulture);
            if (actual != expected) return "float " + value.ToString("R", CultureInfo.InvariantCulture) + " '" + format + "' gave " + actual + ", .NET gives " + expected;
        }
        if (0.1.ToString() != "0.1" || 1e23.ToString() != "1E+23" || (-2.5f).ToString() != "-2.5") return "ToString()";
        return null;
    }

    // Thousands of bit patterns: ToString() reads back bit for bit, and a digest of several formats of
    // each equals the digest of the text .NET produces for the same values.
    public static string? DoubleRoundTrip()
    {
        ulong x = 0x9E3779B97F4A7C15UL;
        ulong digest = 14695981039346656037UL;
        for (int i = 0; i < 3000; i++)
        {
            ulong bits = NextBits(ref x);
            if (i % 4 == 1) bits = (bits & 0x800FFFFFFFFFFFFFUL) | ((ulong)(1023 - 40 + (int)(bits % 80)) << 52);  // moderate exponents
            if (i % 16 == 2) bits &= 0x800FFFFFFFFFFFFFUL;                                                         // subnormals
            double d = BitConverter.Int64BitsToDouble((long)bits);
            string s = d.ToString(CultureInfo.InvariantCulture);
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double back)) return "could not parse " + s;
            if (BitConverter.DoubleToInt64Bits(back) != BitConverter.DoubleToInt64Bits(d) && !double.IsNaN(d)) return s + " read back as " + back.ToString("R", CultureInfo.InvariantCulture);
            digest = Digest(digest, s);
            if (i % 3 == 0)
            {
                digest = Digest(digest, d.ToString("E16", CultureInfo.InvariantCulture));
                digest = Digest(digest, d.ToString("G5", CultureInfo.InvariantCulture));
                if (Math.Abs(d) < 1e25) digest = Digest(digest, d.ToString("F3", CultureInfo.InvariantCulture));
            }
            if (i % 3 == 1)
            {
                // Parsing long text: 25 significant digits must still round correctly.
                string e25 = d.ToString("E25", CultureInfo.InvariantCulture);
                double p = double.Parse(e25, CultureInfo.InvariantCulture);
                digest = Digest(digest, BitConverter.DoubleToInt64Bits(p).ToString("X16"));
            }
            float f = BitConverter.Int32BitsToSingle((int)(bits >> 32));
            string fs = f.ToString(CultureInfo.InvariantCulture);
            if (!float.TryParse(fs, NumberStyles.Float, CultureInfo.InvariantCulture, out float fback)) return "could not parse float " + fs;
            if (BitConverter.SingleToInt32Bits(fback) != BitConverter.SingleToInt32Bits(f) && !float.IsNaN(f)) return "float " + fs + " read back differently";
            digest = Digest(digest, fs);
        }
        string[] hard = { "0.1", "1e23", "5e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1.7976931348623157e308",
            "1.7976931348623158e308", "1.7976931348623159e308", "-0.0", "9007199254740993", "2.2250738585072011e-308",
            "2.2250738585072012e-308", "123456789012345678901234567890e-20", "0.000000000000000000000000000000000000000000001e300",
            "1.00000000000000011102230246251565404236316680908203125", "1.00000000000000011102230246251565404236316680908203124",
            "1.00000000000000011102230246251565404236316680908203126", "NaN", "-Infinity", "1e400", "-1e-400" };
        foreach (string h in hard)
        {
            double d = double.Parse(h, CultureInfo.InvariantCulture);
            digest = Digest(digest, BitConverter.DoubleToInt64Bits(d).ToString("X16"));
            digest = Digest(digest, d.ToString(CultureInfo.InvariantCulture));
        }
        if (digest != ExpectedRoundTripDigest) return "digest " + digest.ToString("X16") + ", .NET's is " + ExpectedRoundTripDigest.ToString("X16");
        return null;
    }

    private const ulong ExpectedRoundTripDigest = 0xBC7A7C974B2AC224;

    public static string? NumberParsing()
    {
        var inv = CultureInfo.InvariantCulture;
        if (double.Parse("0.1", inv) != 0.1 || double.Parse("1,234.5", inv) != 1234.5 || double.Parse("  12  ", inv) != 12 || double.Parse("+.5", inv) != 0.5 || double.Parse("5.", inv) != 5) return "double syntax";
        if (!double.IsPositiveInfinity(double.Parse("1e400", inv)) || !double.IsNegativeInfinity(double.Parse("-infinity", inv)) || !double.IsNaN(double.Parse("nan", inv))) return "special values";
        if (BitConverter.DoubleToInt64Bits(double.Parse("-1e-400", inv)) != long.MinValue) return "negative underflow is -0";
        string[] bad = { "", " ", "1e", "1e+", "abc", "0x10", "1_0", "1,,2x", "--1", "1.2.3", ".", "e5" };
        foreach (string b in bad)
            if (double.TryParse(b, NumberStyles.Float | NumberStyles.AllowThousands, inv, out _)) return "accepted '" + b + "'";
        if (double.TryParse("1,000", NumberStyles.Float, inv, out _)) return "thousands without AllowThousands";
        if (!double.TryParse("1e-2147483649", NumberStyles.Float, inv, out double tiny) || tiny != 0) return "huge negative exponent";
        if (float.Parse("3.4028235E+38", inv) != float.MaxValue || !float.IsPositiveInfinity(float.Parse("3.5e38", inv)) || float.Parse("1.4e-45", inv) != float.Epsilon) return "float";
        if (float.Parse("16777217", inv) != 16777216f || float.Parse("0.1", inv) != 0.1f) return "float rounding";

        if (int.Parse("123") != 123 || int.Parse(" -2147483648 ") != int.MinValue || int.Parse("+7") != 7) return "int";
        if (int.TryParse("2147483648", out _) || int.TryParse("4 2", out _) || int.TryParse("1,000", out _) || int.TryParse("", out _) || int.TryParse("-", out _)) return "int rejects";
        if (!int.TryParse("1,000", NumberStyles.Integer | NumberStyles.AllowThousands, inv, out int thousand) || thousand != 1000) return "int thousands";
        if (int.Parse("ff", NumberStyles.HexNumber) != 255 || int.Parse("FFFFFFFF", NumberStyles.HexNumber) != -1 || int.TryParse("1FFFFFFFF", NumberStyles.HexNumber, inv, out _)) return "int hex";
        if (long.Parse("-9223372036854775808") != long.MinValue || ulong.Parse("18446744073709551615") != ulong.MaxValue || ulong.TryParse("18446744073709551616", out _)) return "64-bit";
        if (uint.TryParse("-1", out _) || !uint.TryParse("-0", out uint zero) || zero != 0) return "unsigned sign";
        if (short.Parse("-32768") != short.MinValue || short.TryParse("32768", out _) || byte.Parse("255") != 255 || sbyte.Parse("-128") != -128) return "small types";
        if (!int.TryParse("42".AsSpan(), out int fromSpan) || fromSpan != 42 || double.Parse("2.5".AsSpan(), inv) != 2.5) return "spans";
        return null;
    }

    public static string? SpanTryFormat()
    {
        Span<char> small = stackalloc char[3];
        Span<char> big = stackalloc char[64];
        if (12345.TryFormat(small, out int w0) || w0 != 0) return "int into a short span";
        if (!12345.TryFormat(big, out int w1) || big.Slice(0, w1).ToString() != "12345") return "int";
        if (!(-42L).TryFormat(big, out int w2, "D5") || big.Slice(0, w2).ToString() != "-00042") return "long D5";
        if (!uint.MaxValue.TryFormat(big, out int w3, "X") || big.Slice(0, w3).ToString() != "FFFFFFFF") return "uint X";
        if (!ulong.MaxValue.TryFormat(big, out int w4, "N0", CultureInfo.InvariantCulture) || big.Slice(0, w4).ToString() != "18,446,744,073,709,551,615") return "ulong N0";
        if (!Math.PI.TryFormat(big, out int w5, "F2", CultureInfo.InvariantCulture) || big.Slice(0, w5).ToString() != "3.14") return "double F2";
        if (!(0.1 + 0.2).TryFormat(big, out int w6, default, CultureInfo.InvariantCulture) || big.Slice(0, w6).ToString() != "0.30000000000000004") return "double shortest";
        if (1e23.TryFormat(small, out _)) return "double into a short span";
        if (!2.5f.TryFormat(big, out int w7, "E2", CultureInfo.InvariantCulture) || big.Slice(0, w7).ToString() != "2.50E+000") return "float E2";

        Span<byte> utf8 = stackalloc byte[64];
        if (!(-1234).TryFormat(utf8, out int b1, "N0", CultureInfo.InvariantCulture) || b1 != 6 || utf8[0] != (byte)'-' || utf8[2] != (byte)',' || utf8[5] != (byte)'4') return "int utf8";
        if (!0.5.TryFormat(utf8, out int b2, "P0", CultureInfo.InvariantCulture) || b2 != 4 || utf8[0] != (byte)'5' || utf8[3] != (byte)'%') return "double utf8 " + b2.ToString();
        if (ulong.MaxValue.TryFormat(utf8.Slice(0, 19), out int b3, default, CultureInfo.InvariantCulture) || b3 != 0) return "utf8 too short";
        return null;
    }

    public static string? RandomSequences()
    {
        var r = new Random(42);
        int a = r.Next(), b = r.Next(100), c = r.Next(-5, 5);
        double d = r.NextDouble();
        if (a != 1434747710 || b != 14 || c != -4 || d != 0.5227642760252413) return "first values " + a.ToString() + " " + b.ToString() + " " + c.ToString() + " " + d.ToString("R", CultureInfo.InvariantCulture);
        ulong digest = 14695981039346656037UL;
        int[] seeds = { 0, 1, -1, 12345, int.MaxValue, int.MinValue };
        byte[] bytes = new byte[7];
        foreach (int seed in seeds)
        {
            var rs = new Random(seed);
            for (int i = 0; i < 200; i++)
            {
                digest = Digest(digest, rs.Next().ToString());
                digest = Digest(digest, rs.Next(1000).ToString());
                digest = Digest(digest, rs.Next(-1000, 1000).ToString());
                digest = Digest(digest, rs.Next(int.MinValue, int.MaxValue).ToString());
                digest = Digest(digest, rs.NextDouble().ToString("R", CultureInfo.InvariantCulture));
                digest = Digest(digest, rs.NextSingle().ToString("R", CultureInfo.InvariantCulture));
            }
            rs.NextBytes(bytes);
            foreach (byte x in bytes) digest = Digest(digest, x.ToString());
        }
        if (digest != ExpectedRandomDigest) return "digest " + digest.ToString("X16") + ", .NET's is " + ExpectedRandomDigest.ToString("X16");

        var u1 = new Random();
        var u2 = new Random();
        bool differ = false;
        for (int i = 0; i < 8; i++)
        {
            int v = u1.Next(10, 20);
            if (v < 10 || v >= 20) return "unseeded range";
            double g = u1.NextDouble();
            if (g < 0 || g >= 1) return "unseeded double";
            if (u1.Next() != u2.Next()) differ = true;
        }
        if (!differ) return "two unseeded generators gave the same sequence";
        if (Random.Shared.Next(5) >= 5) return "shared";
        return null;
    }

    private const ulong ExpectedRandomDigest = 0x0761813F73095993;

    public static string? DatesAndTimes()
    {
        var t = new DateTime(2024, 2, 29, 13, 4, 5, 123, DateTimeKind.Utc);
        if (t.Year != 2024 || t.Month != 2 || t.Day != 29 || t.Hour != 13 || t.Minute != 4 || t.Second != 5 || t.Millisecond != 123) return "components";
        if (t.DayOfWeek != DayOfWeek.Thursday || t.DayOfYear != 60 || t.Kind != DateTimeKind.Utc || t.Ticks != 638448086451230000) return "day of week/year/ticks " + t.Ticks.ToString();
        if (t.ToString("O") != "2024-02-29T13:04:05.1230000Z" || t.ToString("s") != "2024-02-29T13:04:05" || t.ToString("u") != "2024-02-29 13:04:05Z") return "formats " + t.ToString("O");
        if (t.ToString("R") != "Thu, 29 Feb 2024 13:04:05 GMT") return "R " + t.ToString("R");
        var plain = new DateTime(2024, 2, 29, 13, 4, 5, 123);
        if (plain.ToString("O") != "2024-02-29T13:04:05.1230000" || plain.ToString(CultureInfo.InvariantCulture) != "02/29/2024 13:04:05") return "unspecified kind " + plain.ToString("O");
        if (t.AddDays(1).ToString("s") != "2024-03-01T13:04:05" || t.AddMonths(12).ToString("s") != "2025-02-28T13:04:05" || t.AddMonths(-14).ToString("s") != "2022-12-29T13:04:05") return "add days/months";
        if (t.AddYears(-24).ToString("s") != "2000-02-29T13:04:05" || t.AddHours(-13.5).ToString("s") != "2024-02-28T23:34:05" || t.AddSeconds(0.5).Millisecond != 623) return "add years/hours/seconds";
        if (t.AddDays(1.0000001).Ticks != t.Ticks + TimeSpan.TicksPerDay + 86400) return "fractional days";
        if ((t - new DateTime(2024, 1, 1)).ToString() != "59.13:04:05.1230000" || (t + TimeSpan.FromMinutes(60)).Hour != 14 || t.Date.Hour != 0 || t.TimeOfDay.Minutes != 4) return "arithmetic";
        if (!DateTime.IsLeapYear(2000) || DateTime.IsLeapYear(1900) || DateTime.DaysInMonth(2023, 2) != 28 || DateTime.DaysInMonth(2024, 12) != 31) return "calendar";
        if (new DateTime(1, 1, 1).DayOfWeek != DayOfWeek.Monday || new DateTime(9999, 12, 31).DayOfYear != 365 || DateTime.MaxValue.Year != 9999) return "range ends";
        if (DateTime.UnixEpoch.ToString("O") != "1970-01-01T00:00:00.0000000Z" || t <= DateTime.UnixEpoch || t.CompareTo(t.AddTicks(1)) >= 0 || !t.Equals(t.AddTicks(0))) return "epoch/compare";

        var o = new DateTimeOffset(2024, 2, 29, 13, 4, 5, TimeSpan.FromHours(2));
        if (o.ToString("O") != "2024-02-29T13:04:05.0000000+02:00" || o.ToString("u") != "2024-02-29 11:04:05Z" || o.ToString("s") != "2024-02-29T13:04:05") return "offset formats " + o.ToString("O");
        if (o.ToString(CultureInfo.InvariantCulture) != "02/29/2024 13:04:05 +02:00" || o.UtcDateTime.Hour != 11 || o.Offset.Hours != 2) return "offset " + o.ToString(CultureInfo.InvariantCulture);
        if (o.ToUnixTimeSeconds() != 1709204645 || o.ToUnixTimeMilliseconds() != 1709204645000) return "unix time " + o.ToUnixTimeSeconds().ToString();
        if (DateTimeOffset.FromUnixTimeMilliseconds(1709204645123).ToString("O") != "2024-02-29T11:04:05.1230000+00:00") return "from unix time";
        if (o != new DateTimeOffset(2024, 2, 29, 11, 4, 5, TimeSpan.Zero) || o.EqualsExact(o.ToUniversalTime()) || o.ToOffset(TimeSpan.FromHours(-5)).Hour != 6) return "offset equality";
        if (new DateTimeOffset(t).ToString("O") != "2024-02-29T13:04:05.1230000+00:00") return "from utc DateTime";

        // Every 997th day from 0001-01-01 to 9999-12-31: components, formats and month arithmetic.
        ulong digest = 14695981039346656037UL;
        for (long day = 0; day < 3652059; day += 997)
        {
            var d = new DateTime(day * TimeSpan.TicksPerDay + day * 7919 % TimeSpan.TicksPerDay);
            if (new DateTime(d.Year, d.Month, d.Day).Ticks != day * TimeSpan.TicksPerDay) return "components of day " + day.ToString();
            digest = Digest(digest, d.ToString("O"));
            digest = Digest(digest, d.ToString("R"));
            digest = Digest(digest, ((int)d.DayOfWeek).ToString() + " " + d.DayOfYear.ToString());
            if (d.Year < 9999) digest = Digest(digest, d.AddMonths(13).ToString("s"));
            if (d.Year > 1) digest = Digest(digest, d.AddMonths(-7).ToString("s"));
        }
        if (digest != ExpectedDateDigest) return "dates digest " + digest.ToString("X16") + ", .NET's is " + ExpectedDateDigest.ToString("X16");

        DateTime now = DateTime.UtcNow;
        if (now.Kind != DateTimeKind.Utc || now.Year < 2020 || now.Year > 2100) return "UtcNow " + now.ToString("O");
        DateTimeOffset nowOffset = DateTimeOffset.UtcNow;
        if (nowOffset.Offset != TimeSpan.Zero || (nowOffset.UtcDateTime - now).Duration() > TimeSpan.FromSeconds(5)) return "DateTimeOffset.UtcNow";
        long unixNow = nowOffset.ToUnixTimeSeconds();
        if (unixNow < 1_577_836_800 || unixNow > 4_102_444_800) return "unix now " + unixNow.ToString();
        return null;
    }

    private const ulong ExpectedDateDigest = 0x3F66D3E2DA53BBCE;

    public static string? ArrayPools()
    {
        byte[] a = ArrayPool<byte>.Shared.Rent(100);
        if (a.Length != 128) return "rent length " + a.Length.ToString();
        a[5] = 9;
        ArrayPool<byte>.Shared.Return(a);
        byte[] b = ArrayPool<byte>.Shared.Rent(120);
        if (!ReferenceEquals(a, b) || b[5] != 9) return "returned array not reused";
        ArrayPool<byte>.Shared.Return(b, clearArray: true);
        if (b[5] != 0) return "clearArray";
        if (ArrayPool<int>.Shared.Rent(0).Length != 0 || ArrayPool<int>.Shared.Rent(1).Length != 16 || ArrayPool<int>.Shared.Rent(17).Length != 32) return "size classes";
        char[] c = ArrayPool<char>.Shared.Rent(5000);
        if (c.Length != 8192) return "large " + c.Length.ToString();
        ArrayPool<char>.Shared.Return(c);
        var own = ArrayPool<string>.Create();
        string[] s = own.Rent(10);
        if (s.Length != 16) return "own pool";
        own.Return(s);
        if (!ReferenceEquals(own.Rent(16), s)) return "own pool reuse";
        return null;
    }
}
