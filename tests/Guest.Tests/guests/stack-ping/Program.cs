using Guest.Stack;
using GuestBindings;

// NetStack<HvtNic> on device service0 (through NetApp): answers ARP and ICMP echo until --count=N
// echo replies were sent (exit 0) or --seconds=S passed (exit 1). --hypercalls / --ring choose the
// path (default: ring when offered). Needs --ipv4=A.B.C.D/N.
static class Program
{
    static int Main(string[] args)
    {
        ulong count = GuestArguments.NumberOption("count", 5), seconds = GuestArguments.NumberOption("seconds", 30);
        NetApp? app = NetApp.Open("stack-ping");
        if (app is null) return 2;
        NetStack<HvtNic> stack = app.Stack;
        GuestConsole.WriteLine("stack-ping: via " + (app.Device.UsesRing ? "ring" : "hypercalls"));
        GuestConsole.WriteLine("ready");
        ulong end = NetApp.Now + seconds * 1_000_000_000;
        while (stack.Counters[Counter.IcmpEchoReplies] < count)
        {
            if (NetApp.Now > end)
            {
                GuestConsole.WriteLine("stack-ping: timed out after " + stack.Counters[Counter.IcmpEchoReplies].ToString() + " replies");
                return 1;
            }
            app.Poll();
            app.Wait(end);
        }
        // Let the last reply leave (it is queued until the next Poll hands it to the device).
        app.Poll();
        GuestConsole.WriteLine("stack-ping: " + stack.Counters[Counter.IcmpEchoReplies].ToString() + " echo replies, " + stack.Counters[Counter.ArpRepliesSent].ToString() + " ARP replies");
        return 0;
    }
}
