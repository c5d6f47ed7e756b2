using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using GuestBindings;

// The garbage collector under load. Each case builds data whose contents it checksums, then makes
// garbage and collections, and checks the data again; a freed-too-early object shows up as a changed
// checksum (its cell reused), a crash, or a heap that does not stay within memory.
// usage: gc-torture all|graph|sizes|churn|volume|interior|statics|wide [--seed=N]
static class Program
{
    private static int s_failures;
    private static ulong s_seed = 0x9E3779B97F4A7C15;

    private static int Main(string[] args)
    {
        string which = args.Length > 0 ? args[0] : "all";
        for (int i = 1; i < args.Length; i++)
            if (args[i].StartsWith("--seed=")) s_seed = ParseSeed(args[i].Substring(7));
        bool all = which == "all";
        bool known = false;
        if (all || which == "graph") { known = true; GraphFreed(); Graph(); }
        if (all || which == "sizes") { known = true; Sizes(); }
        if (all || which == "churn") { known = true; Churn(); }
        if (all || which == "volume") { known = true; Volume(); }
        if (all || which == "interior") { known = true; Interior(); }
        if (all || which == "statics") { known = true; Statics(); }
        if (all || which == "wide") { known = true; Wide(); }
        if (!known)
        {
            GuestConsole.WriteLine("usage: gc-torture all|graph|sizes|churn|volume|interior|statics|wide [--seed=N]");
            return 2;
        }
        GuestConsole.WriteLine("gc-torture: " + (s_failures == 0 ? "ok" : s_failures.ToString() + " failed")
            + ", collections " + GC.CollectionCount(0).ToString()
            + ", allocated " + GC.GetTotalAllocatedBytes().ToString() + " bytes, in use " + GC.GetTotalMemory(false).ToString() + " bytes");
        return s_failures == 0 ? 0 : 1;
    }

    private static ulong ParseSeed(string digits)
    {
        ulong v = 0;
        for (int i = 0; i < digits.Length; i++) v = v * 10 + (ulong)(digits[i] - '0');
        return v | 1;
    }

    private static void Check(string name, bool ok, string detail)
    {
        GuestConsole.WriteLine((ok ? "PASS " : "FAIL ") + name + ": " + detail);
        if (!ok) s_failures++;
    }

    private static uint Next()
    {
        s_seed ^= s_seed << 13;
        s_seed ^= s_seed >> 7;
        s_seed ^= s_seed << 17;
        return (uint)(s_seed >> 16);
    }

    private static int Below(int n) => (int)(Next() % (uint)n);

    private static ulong Mix(ulong h, ulong v) => (h ^ v) * 0x100000001B3UL + (h >> 29);

    // Garbage of mixed sizes that reuses the cells of whatever was freed.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong MakeGarbage(int count)
    {
        ulong sink = 0;
        for (int i = 0; i < count; i++)
        {
            switch (i % 4)
            {
                case 0: sink += (ulong)new Node(i, i).Id; break;
                case 1: sink += (ulong)new byte[Below(300)].Length; break;
                case 2: sink += (ulong)("g" + i.ToString()).Length; break;
                default: sink += (ulong)new object[1 + Below(20)].Length; break;
            }
        }
        return sink;
    }

    // ---- graph: random object graphs with cycles, struct arrays with references, strings ----

    private struct Slot
    {
        public long Tag;
        public string? Name;
        public int Weight;
        public Node? Target;
    }

    private sealed class Node
    {
        public readonly int Id;
        public int Value;
        public Node? A;
        public Node? B;
        public Node[]? Kids;
        public Slot[]? Slots;
        public string? Label;
        public int Visit;

        public Node(int id, int value) { Id = id; Value = value; }
    }

    private static int s_epoch;

    // Visits everything reachable from the root and hashes ids, values, labels and edges.
    private static ulong GraphChecksum(Node root, out int reached)
    {
        int epoch = ++s_epoch;
        var stack = new List<Node>();
        stack.Add(root);
        root.Visit = epoch;
        ulong h = 1469598103934665603UL;
        reached = 0;
        while (stack.Count > 0)
        {
            Node n = stack[stack.Count - 1];
            stack.RemoveAt(stack.Count - 1);
            reached++;
            h = Mix(h, (ulong)n.Id * 31 + (ulong)n.Value);
            if (n.Label is not null) h = Mix(h, (ulong)n.Label.GetHashCode());
            Push(stack, n.A, epoch, ref h);
            Push(stack, n.B, epoch, ref h);
            if (n.Kids is not null)
                for (int i = 0; i < n.Kids.Length; i++) Push(stack, n.Kids[i], epoch, ref h);
            if (n.Slots is not null)
                for (int i = 0; i < n.Slots.Length; i++)
                {
                    h = Mix(h, (ulong)n.Slots[i].Tag + (ulong)n.Slots[i].Weight);
                    if (n.Slots[i].Name is not null) h = Mix(h, (ulong)n.Slots[i].Name!.GetHashCode());
                    Push(stack, n.Slots[i].Target, epoch, ref h);
                }
        }
        return h;
    }

    private static void Push(List<Node> stack, Node? n, int epoch, ref ulong h)
    {
        if (n is null) { h = Mix(h, 7); return; }
        h = Mix(h, (ulong)n.Id);
        if (n.Visit == epoch) return;
        n.Visit = epoch;
        stack.Add(n);
    }

    private static Node BuildGraph(int count)
    {
        var all = new Node[count];
        for (int i = 0; i < count; i++)
        {
            all[i] = new Node(i, (int)Next());
            if (i % 3 == 0) all[i].Label = "node-" + i.ToString() + "-" + Below(1000).ToString();
        }
        for (int i = 0; i < count; i++)
        {
            Node n = all[i];
            n.A = all[(i + 1) % count];                 // a ring: every node reachable, one big cycle
            if (Below(2) == 0) n.B = all[Below(count)];  // random edges: more cycles
            if (Below(8) == 0)
            {
                n.Kids = new Node[1 + Below(12)];
                for (int k = 0; k < n.Kids.Length; k++) if (Below(4) != 0) n.Kids[k] = all[Below(count)];
            }
            if (Below(10) == 0)
            {
                n.Slots = new Slot[1 + Below(6)];
                for (int k = 0; k < n.Slots.Length; k++)
                {
                    n.Slots[k].Tag = (long)Next() << 8;
                    n.Slots[k].Weight = Below(100);
                    if (Below(2) == 0) n.Slots[k].Name = "slot" + k.ToString() + "/" + i.ToString();
                    // Some targets only reachable through a struct array element.
                    n.Slots[k].Target = Below(3) == 0 ? new Node(count + i * 8 + k, Below(50)) : all[Below(count)];
                }
            }
        }
        return all[0];
    }

    private static void Graph()
    {
        const int count = 20000;
        Node root = BuildGraph(count);
        // Unreachable side graphs: garbage with cycles of their own.
        for (int g = 0; g < 5; g++) BuildGraph(2000);
        ulong before = GraphChecksum(root, out int reachedBefore);
        int collections = GC.CollectionCount(0);
        for (int round = 0; round < 4; round++)
        {
            GC.Collect();
            MakeGarbage(50000);
            BuildGraph(3000);
        }
        ulong after = GraphChecksum(root, out int reachedAfter);
        Check("graph", before == after && reachedBefore == reachedAfter && reachedBefore >= count,
            reachedBefore.ToString() + " nodes, checksum " + before.ToString("x") + " before, " + after.ToString("x") + " after "
            + (GC.CollectionCount(0) - collections).ToString() + " collections");

        // Cut the ring: half the graph becomes garbage; what stays reachable must stay intact.
        Node cut = root;
        for (int i = 0; i < count / 2; i++) cut = cut.A!;
        cut.A = null;
        ulong partial = GraphChecksum(root, out int reachedPartial);
        long inUseBefore = GC.GetTotalMemory(true);
        MakeGarbage(100000);
        GC.Collect();
        ulong partialAfter = GraphChecksum(root, out int reachedPartialAfter);
        Check("graph-cut", partial == partialAfter && reachedPartial == reachedPartialAfter,
            reachedPartial.ToString() + " nodes still reachable, checksum " + partial.ToString("x") + " / " + partialAfter.ToString("x")
            + ", in use " + inUseBefore.ToString() + " bytes");

    }

    // Graphs that only a static field refers to are freed once the field is cleared. A conservative
    // collector keeps whatever a stale word on the stack still points at, so there are 50 separate
    // graphs and the check asks for at least four fifths of their bytes back.
    private static Node[]? s_graphs;

    private static void GraphFreed()
    {
        ClearStack();
        long empty = GC.GetTotalMemory(true);
        BuildIntoStatic();
        ClearStack();
        long held = GC.GetTotalMemory(true);
        s_graphs = null;
        ClearStack();
        long dropped = GC.GetTotalMemory(true);
        long graphBytes = held - empty;
        Check("graph-freed", graphBytes > 0 && dropped - empty < graphBytes / 5,
            "in use " + empty.ToString() + " bytes, " + held.ToString() + " with 50 graphs, " + dropped.ToString() + " after dropping them");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildIntoStatic()
    {
        s_graphs = new Node[50];
        for (int i = 0; i < s_graphs.Length; i++) s_graphs[i] = BuildGraph(400);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ClearStack()
    {
        Span<byte> wipe = stackalloc byte[32768];
        wipe.Clear();
        return wipe[100];
    }

    // ---- sizes: strings and arrays of every size class and large sizes ----

    private static void Sizes()
    {
        var kept = new List<object>();
        var lengths = new List<int>();
        int made = 0;
        for (int len = 0; len < 40000; len += len < 64 ? 1 : len < 1024 ? 13 : len < 8192 ? 97 : 1531)
        {
            string s = MakeString(len);
            byte[] b = new byte[len];
            for (int i = 0; i < len; i++) b[i] = (byte)(i * 7 + len);
            long[] l = new long[len / 4];
            for (int i = 0; i < l.Length; i++) l[i] = (long)i * len - 3;
            object?[] o = new object?[len / 8];
            for (int i = 0; i < o.Length; i++) o[i] = (i & 1) == 0 ? MakeString(i % 40) : null;
            made += 4;
            if (len % 3 != 1) { kept.Add(s); kept.Add(b); kept.Add(l); kept.Add(o); lengths.Add(len); }
            if (made % 64 == 0) MakeGarbage(500);
        }
        GC.Collect();
        MakeGarbage(200000);
        GC.Collect();
        int bad = 0;
        for (int k = 0; k < lengths.Count; k++)
        {
            int len = lengths[k];
            string s = (string)kept[k * 4];
            byte[] b = (byte[])kept[k * 4 + 1];
            long[] l = (long[])kept[k * 4 + 2];
            object?[] o = (object?[])kept[k * 4 + 3];
            if (s != MakeString(len)) bad++;
            if (b.Length != len) bad++;
            for (int i = 0; i < b.Length; i++) if (b[i] != (byte)(i * 7 + len)) { bad++; break; }
            for (int i = 0; i < l.Length; i++) if (l[i] != (long)i * len - 3) { bad++; break; }
            for (int i = 0; i < o.Length; i++)
            {
                bool ok = (i & 1) == 0 ? o[i] is string t && t == MakeString(i % 40) : o[i] is null;
                if (!ok) { bad++; break; }
            }
        }
        Check("sizes", bad == 0, made.ToString() + " strings and arrays of 0..40000 elements, " + lengths.Count.ToString() + " lengths kept, " + bad.ToString() + " damaged");
    }

    private static string MakeString(int len)
    {
        char[] c = new char[len];
        for (int i = 0; i < len; i++) c[i] = (char)('a' + (i * 5 + len) % 26);
        return new string(c);
    }

    // ---- churn: millions of short-lived objects around a live set that changes ----

    private sealed class Cell
    {
        public int Key;
        public string? Text;
        public Cell? Next;
    }

    private static void Churn()
    {
        const int liveCount = 4000;
        var live = new Cell[liveCount];
        var map = new Dictionary<int, string>();
        for (int i = 0; i < liveCount; i++)
        {
            live[i] = new Cell { Key = i, Text = "v" + i.ToString() };
            map[i] = "m" + i.ToString();
        }
        int collections = GC.CollectionCount(0);
        long allocatedBefore = GC.GetTotalAllocatedBytes();
        const int iterations = 3000000;
        ulong sink = 0;
        for (int it = 0; it < iterations; it++)
        {
            // Short-lived: a chain of three and a small array, dead at the end of the iteration.
            var t = new Cell { Key = it, Next = new Cell { Key = it + 1, Next = new Cell { Key = it + 2 } } };
            sink += (ulong)(t.Next!.Next!.Key + new int[it & 15].Length);
            if ((it & 255) == 0)
            {
                // Replace a member of the live set: the old one becomes garbage.
                int k = Below(liveCount);
                live[k] = new Cell { Key = k + it, Text = "v" + (k + it).ToString(), Next = live[(k + 1) % liveCount] };
                map[k] = "m" + (k + it).ToString();
            }
        }
        int bad = 0;
        for (int i = 0; i < liveCount; i++)
        {
            Cell c = live[i];
            if (c.Text != "v" + c.Key.ToString()) bad++;
            if (c.Key != i && (c.Key - i) % 256 != 0) bad++;
            if (!map.TryGetValue(i, out string? m) || m != "m" + c.Key.ToString()) bad++;
            if (c.Next is not null && c.Next.Text != "v" + c.Next.Key.ToString()) bad++;
        }
        int n = GC.CollectionCount(0) - collections;
        long allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        Check("churn", bad == 0 && n > 0, iterations.ToString() + " iterations, " + allocated.ToString() + " bytes allocated, "
            + n.ToString() + " collections, live set of " + liveCount.ToString() + " intact: " + (bad == 0 ? "yes" : bad.ToString() + " damaged") + " (" + (sink & 1).ToString() + ")");
    }

    // ---- volume: ten times the guest's memory, in small and large objects ----

    private static void Volume()
    {
        ulong memory = Unikernel.MemorySize;
        ulong target = memory * 10;
        ulong total = 0;
        var ring = new byte[8][];
        long maxInUse = 0;
        int bad = 0;
        int i = 0;
        while (total < target)
        {
            int size = (i % 16) == 0 ? 64 * 1024 + Below(1024 * 1024) : 16 + Below(2000);
            byte[] b = new byte[size];
            b[0] = (byte)i; b[size - 1] = (byte)(i >> 8);
            byte[]? old = ring[i & 7];
            if (old is not null && (old[0] != (byte)(i - 8) || old[old.Length - 1] != (byte)((i - 8) >> 8))) bad++;
            ring[i & 7] = b;
            total += (ulong)size;
            i++;
            if ((i & 1023) == 0)
            {
                long inUse = GC.GetTotalMemory(false);
                if (inUse > maxInUse) maxInUse = inUse;
            }
        }
        Check("volume", bad == 0 && (ulong)maxInUse < memory,
            total.ToString() + " bytes allocated in " + i.ToString() + " arrays with " + (memory >> 20).ToString() + " MiB of memory, at most "
            + maxInUse.ToString() + " bytes in use, " + GC.CollectionCount(0).ToString() + " collections");
    }

    // ---- interior: a span into the middle of an array is its only reference ----

    private static void Interior()
    {
        Span<int> middle = MakeMiddle(100000);
        Span<char> text = MakeText();
        GC.Collect();
        MakeGarbage(300000);
        GC.Collect();
        MakeGarbage(300000);
        int bad = 0;
        for (int i = 0; i < middle.Length; i++) if (middle[i] != (40000 + i) * 3) bad++;
        for (int i = 0; i < text.Length; i++) if (text[i] != (char)('A' + (1000 + i) % 26)) bad++;
        Check("interior", bad == 0, "int span of " + middle.Length.ToString() + " and char span of " + text.Length.ToString() + " into dropped arrays, " + bad.ToString() + " damaged");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Span<int> MakeMiddle(int n)
    {
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i * 3;
        return a.AsSpan(40000, 20000);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Span<char> MakeText()
    {
        var a = new char[3000];
        for (int i = 0; i < a.Length; i++) a[i] = (char)('A' + i % 26);
        return a.AsSpan(1000, 500);
    }

    // ---- wide: one array refers to more objects with references than the mark stack holds ----

    private static void Wide()
    {
        const int count = 400000;
        var cells = new Cell[count];
        for (int i = 0; i < count; i++) cells[i] = new Cell { Key = i, Next = new Cell { Key = -i, Text = (i % 1000 == 0) ? i.ToString() : null } };
        GC.Collect();
        MakeGarbage(200000);
        GC.Collect();
        int bad = 0;
        for (int i = 0; i < count; i++)
        {
            Cell c = cells[i];
            if (c.Key != i || c.Next is null || c.Next.Key != -i) { bad++; continue; }
            if (i % 1000 == 0 && c.Next.Text != i.ToString()) bad++;
        }
        Check("wide", bad == 0, count.ToString() + " cells with a child each, from one array (the mark stack overflows and is rescanned), " + bad.ToString() + " damaged");
    }

    // ---- statics: static and thread-static fields are roots ----

    private static List<string>? s_names;
    [ThreadStatic] private static Cell? t_chain;

    private static void Statics()
    {
        s_names = new List<string>();
        for (int i = 0; i < 2000; i++) s_names.Add("name" + i.ToString());
        Cell? chain = null;
        for (int i = 0; i < 2000; i++) chain = new Cell { Key = i, Text = i.ToString(), Next = chain };
        t_chain = chain;
        chain = null;
        GC.Collect();
        MakeGarbage(300000);
        GC.Collect();
        int bad = 0;
        for (int i = 0; i < s_names.Count; i++) if (s_names[i] != "name" + i.ToString()) bad++;
        int k = 1999;
        for (Cell? c = t_chain; c is not null; c = c.Next, k--) if (c.Key != k || c.Text != k.ToString()) bad++;
        if (k != -1) bad++;
        Check("statics", bad == 0, "a static list of 2000 strings and a thread-static chain of 2000 cells, " + bad.ToString() + " damaged");
    }
}
