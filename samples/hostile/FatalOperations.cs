using System;
using GuestBindings;

/// <summary>
/// The operations that end the guest by design (docs/abi.md, docs/ring-io.md): an invalid
/// hypercall argument or port (solo5-hvt aborts too), a ring fault, a fault in the guest itself.
/// Each is announced with the exit code and the text the tender's report must contain.
/// </summary>
sealed class Fatal(string name, int exit, string report)
{
    public string Name { get; } = name;
    public int Exit { get; } = exit;
    public string Report { get; } = report;
}

static unsafe class FatalOperations
{
    // name, exit code, text of the tender's report
    public static readonly Fatal[] All =
    [
        new("puts-null", 125, "invalid hypercall argument: PUTS data/len"),
        new("puts-guard", 125, "invalid hypercall argument: PUTS data/len"),
        new("puts-wrap", 125, "invalid hypercall argument: PUTS data/len: [0x"),
        new("puts-ring", 125, "invalid hypercall argument: PUTS data/len"),
        new("puts-dma", 125, "invalid hypercall argument: PUTS data/len"),
        new("walltime-4g", 125, "invalid hypercall argument: WALLTIME argument struct: at 0xfffffffc"),
        new("walltime-code", 125, "invalid hypercall argument: WALLTIME argument struct"),
        new("poll-top", 125, "invalid hypercall argument: POLL argument struct"),
        new("netread-4g", 125, "invalid hypercall argument: NETREAD data/len"),
        new("netwrite-huge", 125, "invalid hypercall argument: NETWRITE data/len"),
        new("bad-port", 125, "invalid hypercall: port 0x5ff"),
        new("ring-bad-buffer", 125, "net ring NET_READ entry 7"),
        new("ring-corrupt-tail", 125, "is corrupt: ent_tail"),
        new("bar-beyond", 125, "#PF page fault"),
        new("halt-abort", 255, "hostile: aborting by HALT with a cookie"),
    ];

    /// <summary>The --fatal option: "none", a name, or "auto" (the seed picks one, or none); "" if invalid.</summary>
    public static string FromArguments(ulong seed)
    {
        string[] args = Unikernel.GetArguments();
        string fatal = "none";
        foreach (string a in args)
            if (a.StartsWith("--fatal=")) fatal = a.Substring(8);
        if (fatal == "auto")
        {
            int k = (int)(seed % (ulong)(All.Length + 1));
            return k == All.Length ? "none" : All[k].Name;
        }
        if (fatal == "none") return fatal;
        foreach (var f in All) if (f.Name == fatal) return fatal;
        GuestConsole.WriteLine("hostile: unknown --fatal=" + fatal);
        return "";
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct Args { public ulong A, B, C, D, E; }

    private static Args s_args;

    public static void Run(string name, Layout l, RingAttacks ring, IxgbeAttacks ixgbe)
    {
        foreach (var f in All)
            if (f.Name == name) GuestConsole.WriteLine("hostile: fatal " + f.Name + " expect " + f.Exit.ToString() + " \"" + f.Report + "\"");
        fixed (Args* a = &s_args)
        {
            uint s = (uint)(ulong)a;
            switch (name)
            {
                case "puts-null": Call(2, a, 0x100, 16); break;
                case "puts-guard": Call(2, a, l.GuardPage + 16, 16); break;
                case "puts-wrap": Call(2, a, (ulong)l.Scratch, ulong.MaxValue); break;
                case "puts-ring": Call(2, a, (ulong)l.Ring, 8); break;
                case "puts-dma": Call(2, a, l.DmaBase, 8); break;
                case "walltime-4g": Native.Hypercall(Native.PortBase + 1, 0xFFFFFFFC); break;
                case "walltime-code": Native.Hypercall(Native.PortBase + 1, (uint)l.Code); break;
                case "poll-top": Native.Hypercall(Native.PortBase + 3, (uint)(l.MemSize - 8)); break;
                case "netread-4g": Call(7, a, (ulong)l.NetHandle, 0xFFFFF000, 0x2000); break;
                case "netwrite-huge": Call(6, a, (ulong)l.NetHandle, (ulong)l.Scratch, 0xFFFFFFFF); break;
                case "bad-port": Native.Hypercall(0x5FF, s); break;
                case "ring-bad-buffer": ring.FatalBadBuffer(); break;
                case "ring-corrupt-tail": ring.FatalCorruptTail(); break;
                case "bar-beyond": ixgbe.FatalBeyondBar(); break;
                case "halt-abort":
                    byte* message = l.Scratch;
                    ReadOnlySpan<byte> text = "hostile: aborting by HALT with a cookie\0"u8;
                    text.CopyTo(new Span<byte>(message, text.Length));
                    Call(8, a, (ulong)message, 0);
                    break;
            }
        }
        // The ring faults are found by the I/O thread: give it time to end the guest.
        ulong until = Clock.MonotonicNanoseconds + 10_000_000_000;
        while (Clock.MonotonicNanoseconds < until) Unikernel.Yield(until);
        GuestConsole.WriteLine("hostile: still running after the fatal operation " + name);
        Unikernel.Exit(4);
    }

    private static void Call(int n, Args* a, ulong x, ulong y, ulong z = 0)
    {
        a->A = x; a->B = y; a->C = z; a->D = 0; a->E = 0;
        Native.Hypercall(Native.PortBase + (uint)n, (uint)(ulong)a);
    }
}
