using System;
using Guest.Stack;
using GuestBindings;

// TCP echo (RFC 862): every byte a client sends comes back to it, on up to the stack's
// MaxTcpConnections connections at once; a connection is closed when its client has closed its
// side and every byte has been echoed. Back-pressure: a connection reads only as many bytes as its
// send buffer can take now, so a client that does not read its echo is slowed down by TCP's
// window instead of filling the guest's memory. Prints "ready" once listening, then runs until the
// tender stops it or --count connections were served, then prints the counters and exits 0.
//   --ipv4=A.B.C.D/N [--ipv4-gateway=A.B.C.D]   address (required)
//   --ring | --hypercalls                        I/O path (default: the ring when the tender offers it)
//   --port=N      the TCP port (default 7)
//   --count=N     exit after N connections were served (default 0: no limit)
static class Program
{
    static int Main()
    {
        ulong count = GuestArguments.NumberOption("count", 0);
        ulong port = GuestArguments.NumberOption("port", 7);
        if (port < 1 || port > 65535)
        {
            GuestConsole.WriteLine("tcp-echo: --port must be 1 to 65535");
            return 2;
        }
        var config = new StackConfig();
        NetApp? app = NetApp.Open("tcp-echo", config: config);
        if (app is null) return 2;
        NetStack<HvtNic> stack = app.Stack;
        int error = stack.Listen((ushort)port, config.TcpMaxBacklog, out ListenerHandle listener);
        if (error != NetError.Ok)
        {
            GuestConsole.WriteLine("tcp-echo: cannot listen on port " + port.ToString() + " (error " + error.ToString() + ")");
            return 2;
        }
        GuestConsole.WriteLine("tcp-echo: port " + port.ToString() + ", up to " + config.MaxTcpConnections.ToString() + " connections");
        GuestConsole.WriteLine("ready");

        // Everything the loop uses is allocated here, once.
        var connections = new TcpHandle[config.MaxTcpConnections];
        var open = new bool[config.MaxTcpConnections];
        byte[] chunk = new byte[16 * 1024];
        var totals = new Totals();
        long heapAtReady = NetApp.HeapAllocated;   // the loop must not allocate (zero allocation per packet in steady state)

        while (true)
        {
            app.Poll();
            // Accept into free slots; the rest wait in the listener's queue (then SYN cookies, then dropped SYNs).
            for (int i = 0; i < connections.Length && stack.AcceptPending(listener) > 0; i++)
            {
                if (!open[i] && stack.TryAccept(listener, out connections[i])) open[i] = true;
            }
            for (int i = 0; i < connections.Length; i++)
            {
                if (open[i] && Echo(stack, connections[i], chunk, totals)) open[i] = false;
            }
            // Checked before sleeping: Wait would otherwise sleep until the next frame.
            if (count != 0 && totals.Served >= count) break;
            app.Wait();
        }

        // Close what is still open (queued echo, then FIN) and give the last segments a moment to leave.
        stack.CloseListener(listener);
        for (int i = 0; i < connections.Length; i++)
        {
            if (open[i]) stack.Close(connections[i]);
        }
        ulong end = NetApp.Now + 2_000_000_000;
        while (stack.ConnectionsInUse > 0 && NetApp.Now < end)
        {
            app.Poll();
            app.Wait(end);
        }

        long heapGrowth = NetApp.HeapAllocated - heapAtReady;
        GuestConsole.WriteLine("tcp-echo: " + totals.Served.ToString() + " connections served (" + totals.Failed.ToString() + " ended by an error), "
            + totals.Bytes.ToString() + " bytes echoed, " + stack.Counters[Counter.TcpRetransmitTimeouts].ToString() + " retransmit timeouts, "
            + stack.Counters[Counter.TcpResetsReceived].ToString() + " resets received, heap +" + heapGrowth.ToString() + " bytes while serving");
        return 0;
    }

    private sealed class Totals
    {
        public ulong Served, Failed, Bytes;
    }

    /// <summary>
    /// Moves what the connection received back into its send buffer, never more than fits.
    /// Returns true when the connection is finished (the client's FIN after all data, or an error)
    /// and its handle was closed.
    /// </summary>
    private static bool Echo(NetStack<HvtNic> stack, TcpHandle connection, byte[] chunk, Totals totals)
    {
        while (true)
        {
            if (stack.GetState(connection) == TcpState.Closed)
            {
                // Reset or timed out: what was received can no longer be echoed.
                totals.Failed++;
                totals.Served++;
                stack.Close(connection);
                return true;
            }
            int space = stack.SendSpace(connection);
            // With no room, Read of nothing still reports the end of the stream (and returns 0 otherwise).
            int n = stack.Read(connection, chunk.AsSpan(0, Math.Min(space, chunk.Length)));
            if (n == 0) return false;                       // nothing now, or no room to echo it
            if (n > 0)
            {
                stack.Write(connection, chunk.AsSpan(0, n)); // takes all n: n <= SendSpace
                totals.Bytes += (ulong)n;
                continue;
            }
            // The client's FIN after its last byte (EndOfStream), or an error: close our side; the
            // echo still queued is sent before our FIN.
            if (n != NetError.EndOfStream) totals.Failed++;
            totals.Served++;
            stack.Close(connection);
            return true;
        }
    }
}
