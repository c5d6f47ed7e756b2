using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;

// Benchmark cases shared by the guest (Program.cs) and the host JIT (host/Program.cs): the same C#
// measured on both, one line per case: "bench: case=NAME key=value ...". A new case is one more
// function and one more entry in Run.
public static class Cases
{
    public static readonly string[] Names = { "alloc", "gc-pause" };

    public static string Run(string name)
    {
        switch (name)
        {
            case "alloc": return Alloc();
            case "gc-pause": return GcPause();
            default: return "";
        }
    }

    private sealed class Small
    {
        public long A;
        public Small? Next;
    }

    // Allocation throughput: 20 million 32-byte objects, each kept in a ring of 1024 live ones (a small
    // live set) and pointing at one of 16 permanent ones (no chains of old objects); best of 3 rounds.
    private static string Alloc()
    {
        const int count = 20_000_000;
        var live = new Small[1024];
        var anchors = new Small[16];
        for (int i = 0; i < anchors.Length; i++) anchors[i] = new Small { A = i };
        long best = long.MaxValue;
        long checksum = 0;
        for (int round = 0; round < 3; round++)
        {
            long t0 = Stopwatch.GetTimestamp();
            checksum += AllocLoop(live, anchors, count);
            long ns = Nanoseconds(t0, Stopwatch.GetTimestamp());
            if (ns < best) best = ns;
        }
        return "bench: case=alloc objects=" + count.ToString() + " ns_per_object_x100=" + (best * 100 / count).ToString()
            + " total_ns=" + best.ToString() + " check=" + (checksum & 0xffff).ToString();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long AllocLoop(Small[] live, Small[] anchors, int count)
    {
        long sum = 0;
        for (int i = 0; i < count; i++)
        {
            var s = new Small { A = i, Next = anchors[i & 15] };
            live[i & 1023] = s;
            sum += s.A + live[(i + 1) & 1023]?.Next!.A ?? 0;
        }
        return sum;
    }

    private sealed class Node
    {
        public long Value;
        public Node? Left;
        public Node? Right;
        public byte[]? Payload;
    }

    // Collection pause with 64 MiB live: a tree of nodes with small payload arrays, then 5 full
    // collections timed one by one (best and worst, in microseconds).
    private static string GcPause()
    {
        Node root = BuildLive(64L << 20, out long nodes);
        long best = long.MaxValue, worst = 0;
        for (int i = 0; i < 5; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            GC.Collect();
            long ns = Nanoseconds(t0, Stopwatch.GetTimestamp());
            if (ns < best) best = ns;
            if (ns > worst) worst = ns;
        }
        long inUse = GC.GetTotalMemory(false);
        GC.KeepAlive(root);
        return "bench: case=gc-pause live_bytes=" + inUse.ToString() + " nodes=" + nodes.ToString()
            + " pause_best_us=" + (best / 1000).ToString() + " pause_worst_us=" + (worst / 1000).ToString();
    }

    private static Node BuildLive(long bytes, out long nodes)
    {
        // About 112 bytes per node: the node (48) and a 32-byte payload array (56 with its header).
        long count = bytes / 112;
        var all = new Node[count];
        for (long i = 0; i < count; i++) all[i] = new Node { Value = i, Payload = new byte[32] };
        for (long i = 1; i < count; i++)
        {
            Node parent = all[(i - 1) / 2];
            if ((i & 1) == 1) parent.Left = all[i]; else parent.Right = all[i];
        }
        nodes = count;
        return all[0];
    }

    private static long Nanoseconds(long from, long to) => (long)((to - from) * 1_000_000_000.0 / Stopwatch.Frequency);
}
