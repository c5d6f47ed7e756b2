using GuestBindings;

/// <summary>Operations per class and the checks that failed; printed as one parsable line.</summary>
static class Tally
{
    // Order is the output order; the test and scripts/hostile parse "name=count" pairs.
    public static readonly string[] Names =
    [
        "WALLTIME", "PUTS", "POLL", "BLKWRITE", "BLKREAD", "NETWRITE", "NETREAD",
        "ring-entry", "ring-rewrite", "ring-index", "ring-kick", "ixgbe-reg", "ixgbe-desc",
    ];

    public const int Walltime = 0, Puts = 1, Poll = 2, BlkWrite = 3, BlkRead = 4, NetWrite = 5, NetRead = 6;
    public const int RingEntry = 7, RingRewrite = 8, RingIndex = 9, RingKick = 10, IxgbeReg = 11, IxgbeDesc = 12;

    public static readonly ulong[] Counts = new ulong[Names.Length];
    public static ulong Failures;

    public static ulong Total
    {
        get
        {
            ulong t = 0;
            for (int i = 0; i < Counts.Length; i++) t += Counts[i];
            return t;
        }
    }

    /// <summary>A result the ABI does not allow: reported (the first few) and counted; the guest exits 3.</summary>
    public static void Fail(string what)
    {
        if (++Failures <= 20) GuestConsole.WriteLine("hostile: FAIL op " + Total.ToString() + ": " + what);
    }

    public static string Line()
    {
        string s = "hostile: counts total=" + Total.ToString();
        for (int i = 0; i < Names.Length; i++) s += " " + Names[i] + "=" + Counts[i].ToString();
        return s + " failures=" + Failures.ToString();
    }
}
