using Guest.Stack;
using GuestBindings;

// NetStack<HvtNic> on device service0: answers ARP and ICMP echo until --count=N echo replies were
// sent (exit 0) or --seconds=S passed (exit 1). --hypercalls / --ring choose the path (default: ring
// when offered). Needs --ipv4=A.B.C.D/N.
static class Program
{
    static int Main(string[] args)
    {
        ulong count = 5, seconds = 30;
        NetPath path = NetPath.Auto;
        foreach (string a in args)
        {
            if (a.StartsWith("--count=")) count = Parse(a.Substring(8));
            else if (a.StartsWith("--seconds=")) seconds = Parse(a.Substring(10));
            else if (a == "--ring") path = NetPath.Ring;
            else if (a == "--hypercalls") path = NetPath.Hypercalls;
        }
        if (NetDevice.TryAcquire("service0", path, out NetDevice? dev) != DeviceStatus.Ok || dev is null)
        {
            GuestConsole.WriteLine("stack-ping: no device service0 on that path");
            return 2;
        }
        var cfg = new StackConfig { Seed = Clock.MonotonicNanoseconds };
        if (cfg.ApplyCommandLine(Unikernel.CommandLine) != ConfigError.None)
        {
            GuestConsole.WriteLine("stack-ping: bad --ipv4");
            return 2;
        }
        var pool = new PacketPool(256, 2048);
        var stack = new NetStack<HvtNic>(new HvtNic(dev, pool), pool, cfg);
        GuestConsole.WriteLine("stack-ping: via " + (dev.UsesRing ? "ring" : "hypercalls"));
        GuestConsole.WriteLine("ready");
        ulong end = Clock.MonotonicNanoseconds + seconds * 1_000_000_000;
        while (stack.Counters[Counter.IcmpEchoReplies] < count)
        {
            ulong now = Clock.MonotonicNanoseconds;
            if (now > end)
            {
                GuestConsole.WriteLine("stack-ping: timed out after " + stack.Counters[Counter.IcmpEchoReplies].ToString() + " replies");
                return 1;
            }
            stack.Poll(now);
            ulong due = stack.NextDeadline;
            if (due > Clock.MonotonicNanoseconds) Unikernel.Yield(due < end ? due : end);
        }
        // Let the last reply leave (it is queued until the next Poll hands it to the device).
        stack.Poll(Clock.MonotonicNanoseconds);
        GuestConsole.WriteLine("stack-ping: " + stack.Counters[Counter.IcmpEchoReplies].ToString() + " echo replies, " + stack.Counters[Counter.ArpRepliesSent].ToString() + " ARP replies");
        return 0;
    }

    private static ulong Parse(string s)
    {
        ulong v = 0;
        for (int i = 0; i < s.Length; i++) if (s[i] >= (char)48 && s[i] <= (char)57) v = v * 10 + (ulong)(s[i] - 48);
        return v;
    }
}
