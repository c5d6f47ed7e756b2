using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;

// Benchmark "throw + catch across 10 frames": the same code runs in the guest (eh-conformance
// --bench) and on the host JIT (host/, for scripts/bench-guest). Each iteration throws at the
// bottom of 10 non-inlined frames and catches at the top; a round's cost per iteration is its time
// divided by the count, the reported figure the best round.
public static class EhBench
{
    private sealed class BenchException : Exception
    {
        public BenchException() : base("bench") { }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Down(int depth)
    {
        if (depth == 0) throw new BenchException();
        return Down(depth - 1) + 1;
    }

    // Throws and catches `iterations` times across 10 frames; returns how many were caught.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int ThrowCatch10(int iterations)
    {
        int caught = 0;
        for (int i = 0; i < iterations; i++)
        {
            try { Down(9); }
            catch (BenchException) { caught++; }
        }
        return caught;
    }

    // The best of `rounds` rounds, in nanoseconds per throw + catch.
    public static long BestNanosecondsPerThrow(int rounds, int iterations)
    {
        long best = long.MaxValue;
        ThrowCatch10(iterations / 10 + 1); // warm-up (the host JIT tiers up)
        for (int r = 0; r < rounds; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            int caught = ThrowCatch10(iterations);
            long t1 = Stopwatch.GetTimestamp();
            if (caught != iterations) return -1;
            long ns = (long)((double)(t1 - t0) * 1e9 / Stopwatch.Frequency / iterations);
            if (ns < best) best = ns;
        }
        return best;
    }
}
