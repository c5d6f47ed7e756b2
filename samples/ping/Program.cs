using Guest.Stack;
using GuestBindings;

// Ping responder: the stack answers ARP and ICMP echo requests by itself (in the buffer they came
// in), so the application only runs the event loop. Prints "ready" once the stack is up, then runs
// until the tender stops it or a bound is reached, then prints the counters and exits 0.
//   --ipv4=A.B.C.D/N [--ipv4-gateway=A.B.C.D]   address (required)
//   --ring | --hypercalls                        I/O path (default: the ring when the tender offers it)
//   --count=N     exit after N echo replies (default 0: no limit)
//   --seconds=S   exit after S seconds (default 0: no limit)
static class Program
{
    static int Main()
    {
        ulong count = GuestArguments.NumberOption("count", 0);
        ulong seconds = GuestArguments.NumberOption("seconds", 0);
        NetApp? app = NetApp.Open("ping");
        if (app is null) return 2;
        NetStack<HvtNic> stack = app.Stack;
        GuestConsole.WriteLine("ready");
        long heapAtReady = NetApp.HeapAllocated;   // the loop must not allocate (zero allocation per packet in steady state)

        ulong end = seconds == 0 ? ulong.MaxValue : NetApp.Now + seconds * 1_000_000_000;
        while (true)
        {
            app.Poll();      // receive, answer, send
            // Checked before sleeping: Wait would otherwise sleep until the next frame.
            if (count != 0 && stack.Counters[Counter.IcmpEchoReplies] >= count) break;
            if (NetApp.Now >= end) break;
            app.Wait(end);   // sleep until a frame, a timer or the end
        }

        long heapGrowth = NetApp.HeapAllocated - heapAtReady;
        GuestConsole.WriteLine("ping: " + stack.Counters[Counter.IcmpEchoReplies].ToString() + " echo replies, "
            + stack.Counters[Counter.IcmpEchoRequests].ToString() + " echo requests, "
            + stack.Counters[Counter.ArpRepliesSent].ToString() + " ARP replies, "
            + stack.Counters[Counter.IpFragmentDropped].ToString() + " fragments dropped, heap +" + heapGrowth.ToString() + " bytes while serving");
        return 0;
    }
}
