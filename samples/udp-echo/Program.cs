using System;
using Guest.Stack;
using GuestBindings;

// UDP echo (RFC 862): every datagram that arrives on the port goes back to its sender unchanged.
// Prints "ready" once bound, then runs until the tender stops it or --count datagrams were echoed,
// then prints the counters and exits 0.
//   --ipv4=A.B.C.D/N [--ipv4-gateway=A.B.C.D]   address (required)
//   --ring | --hypercalls                        I/O path (default: the ring when the tender offers it)
//   --port=N      the UDP port (default 7)
//   --count=N     exit after N datagrams echoed (default 0: no limit)
static class Program
{
    static int Main()
    {
        ulong count = GuestArguments.NumberOption("count", 0);
        ulong port = GuestArguments.NumberOption("port", 7);
        if (port < 1 || port > 65535)
        {
            GuestConsole.WriteLine("udp-echo: --port must be 1 to 65535");
            return 2;
        }
        // One Poll can hand the socket up to 8 receive batches before this loop drains it; the
        // default queue (32) would drop most of a back-to-back burst, so let it hold them all.
        var config = new StackConfig();
        config.UdpQueuePerSocket = 8 * config.RxBatchSize;
        NetApp? app = NetApp.Open("udp-echo", config: config);
        if (app is null) return 2;
        NetStack<HvtNic> stack = app.Stack;
        int error = stack.UdpBind((ushort)port, out UdpHandle socket);
        if (error != NetError.Ok)
        {
            GuestConsole.WriteLine("udp-echo: cannot bind port " + port.ToString() + " (error " + error.ToString() + ")");
            return 2;
        }
        GuestConsole.WriteLine("udp-echo: port " + port.ToString());
        GuestConsole.WriteLine("ready");

        // One datagram at a time: allocated once, as large as the device's largest payload.
        byte[] datagram = new byte[app.Device.Mtu];
        ulong echoed = 0, bytes = 0;
        // A datagram already taken from the socket that the stack could not send yet (no transmit
        // buffer free): it is sent first after the next Poll, so nothing is dropped here.
        bool held = false;
        int heldLength = 0;
        Ipv4Address heldFrom = default;
        ushort heldPort = 0;
        long heapAtReady = NetApp.HeapAllocated;   // the loop must not allocate (zero allocation per packet in steady state)

        while (true)
        {
            app.Poll();
            while (count == 0 || echoed < count)
            {
                if (!held)
                {
                    if (stack.UdpPending(socket) == 0) break;
                    // The length is the whole datagram's; the buffer holds any datagram the device can carry.
                    heldLength = stack.UdpReceive(socket, datagram, out heldFrom, out heldPort);
                    if (heldLength < 0) break;
                    held = true;
                }
                int sent = stack.UdpSend(socket, heldFrom, heldPort, datagram.AsSpan(0, heldLength));
                if (sent == NetError.NoResources) break;    // back-pressure: retry after the next Poll
                held = false;
                if (sent >= 0)
                {
                    echoed++;
                    bytes += (ulong)sent;
                }
            }
            // Checked before sleeping: Wait would otherwise sleep until the next frame.
            if (count != 0 && echoed >= count) break;
            // A held datagram is retried within a millisecond even if no frame comes.
            app.Wait(held ? NetApp.Now + 1_000_000 : ulong.MaxValue);
        }
        app.Poll();          // hand the last echoes to the device

        long heapGrowth = NetApp.HeapAllocated - heapAtReady;
        GuestConsole.WriteLine("udp-echo: " + echoed.ToString() + " datagrams echoed, " + bytes.ToString() + " bytes, "
            + stack.Counters[Counter.UdpQueueFull].ToString() + " dropped (queue full), "
            + stack.Counters[Counter.IcmpUnreachableSent].ToString() + " port unreachable sent, heap +" + heapGrowth.ToString() + " bytes while serving");
        return 0;
    }
}
