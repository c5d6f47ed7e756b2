using System;
using GuestBindings;

// The hostile guest (issue 16; docs/security.md "The hostile guest"). From --seed it runs --ops
// adversarial operations that the ABI answers without ending the guest: hypercalls with bad
// handles, pointers and lengths; scribbles on the net ring while the tender's I/O thread serves
// it; random 82599 register writes and descriptors. It checks every answer, and at the end the
// checksum of a canary region no operation may touch, prints the operations per class in one
// line and exits 0 (3 if a check failed).
//
// --fatal=NAME (or --fatal=auto: chosen from the seed) ends the run instead with one operation the
// tender must answer by ending the guest; the guest first prints
//   hostile: fatal NAME expect EXIT "TEXT"
// and the caller checks the tender's exit code and its report against it.
//   --seed=N  (default 1)   --ops=N  (default 100000)   --fatal=none|auto|NAME
static unsafe class Program
{
    static int Main()
    {
        ulong seed = GuestArguments.NumberOption("seed", 1);
        ulong ops = GuestArguments.NumberOption("ops", 100_000);
        string fatal = FatalOperations.FromArguments(seed);
        if (fatal.Length == 0) return 2;

        Layout? layout = Layout.Open();
        if (layout is null) return 2;
        ulong canary = layout.FillCanary(seed);
        var rng = new Rng(seed);
        var hypercalls = new HypercallAttacks(rng, layout);
        var ring = new RingAttacks(rng, layout);
        var ixgbe = new IxgbeAttacks(rng, layout);
        GuestConsole.WriteLine("hostile: seed " + seed.ToString() + ", " + ops.ToString() + " operations, fatal " + fatal);
        ulong start = Clock.MonotonicNanoseconds;

        for (ulong i = 0; i < ops; i++)
        {
            int c = rng.Below(10);
            if (c < 4) hypercalls.One();
            else if (c < 7) ring.One();
            else ixgbe.One();
        }
        ring.Drain();

        ulong after = Layout.Checksum(layout.Canary, Layout.CanarySize);
        ulong ms = (Clock.MonotonicNanoseconds - start) / 1_000_000;
        GuestConsole.WriteLine(Tally.Line() + " ms=" + ms.ToString());
        if (after != canary)
        {
            GuestConsole.WriteLine("hostile: checksum MISMATCH 0x" + after.ToString("x") + ", expected 0x" + canary.ToString("x"));
            return 3;
        }
        GuestConsole.WriteLine("hostile: checksum ok 0x" + canary.ToString("x"));
        if (fatal != "none") FatalOperations.Run(fatal, layout, ring, ixgbe);
        return Tally.Failures == 0 ? 0 : 3;
    }
}
