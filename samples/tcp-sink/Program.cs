using System;
using BulkTcp;
using Guest.Stack;
using GuestBindings;

// TCP sink (issue 5): listens, reads and discards everything each connection sends, and when the
// peer closes prints "tcp-sink: connection N: BYTES bytes, checksum X, T ms (R Mbit/s)" (checksum:
// StreamHash.cs; time from accept to the peer's FIN). Prints "ready" once listening.
//   --ipv4=A.B.C.D/N [--ipv4-gateway=…] [--ring|--hypercalls]   (NetApp)
//   --port=N        port to listen on (default 5001)
//   --count=N       connections to take before exiting 0 (default 1; 0 = no limit)
//   --seconds=S     give up (exit 1) after S seconds (default 300)
//   --batch=N       frames per receive batch (the stack's RxBatchSize; ring: NET_READs per round trip; default 32)
//   --buffer=BYTES  TCP receive buffer per connection (default 1 MiB; window scaling follows; 4 MiB
//                   measured no faster here)
// Zero allocation: every buffer is allocated before "ready"; "heap: before=B after=A" gives the
// guest heap's bytes in use when the first connection was accepted and when the last one ended
// (before its report line; with --count=1 nothing but the transfer lies between the two).
// At the end a "profile:" line says where the loop's time went (BulkText.Profile).
static class TcpSink
{
    private const int MaxActive = 4;

    static int Main(string[] args)
    {
        ulong port = 5001, count = 1, seconds = 300, buffer = 1 << 20, batch = 32;
        foreach (string a in args)
        {
            bool ok = true;
            if (a.StartsWith("--port=")) ok = GuestArguments.TryParseNumber(a.Substring(7), out port) && port > 0 && port < 65536;
            else if (a.StartsWith("--count=")) ok = GuestArguments.TryParseNumber(a.Substring(8), out count);
            else if (a.StartsWith("--seconds=")) ok = GuestArguments.TryParseNumber(a.Substring(10), out seconds) && seconds > 0 && seconds < 1_000_000;
            else if (a.StartsWith("--buffer=")) ok = GuestArguments.TryParseNumber(a.Substring(9), out buffer) && buffer >= 4096 && buffer <= (16 << 20);
            else if (a.StartsWith("--batch=")) ok = GuestArguments.TryParseNumber(a.Substring(8), out batch) && batch > 0 && batch <= 256;
            if (!ok)
            {
                GuestConsole.WriteLine("tcp-sink: bad argument: " + a);
                return 2;
            }
        }
        var cfg = new StackConfig
        {
            MaxTcpConnections = MaxActive + 2,
            TcpReceiveBufferSize = (int)buffer,
            TcpSendBufferSize = 64 * 1024,
            RxBatchSize = (int)batch,
        };
        NetApp? app = NetApp.Open("tcp-sink", config: cfg, poolSlots: 1024);
        if (app is null) return 2;
        NetStack<HvtNic> stack = app.Stack;
        if (stack.Listen((ushort)port, MaxActive, out ListenerHandle listener) != NetError.Ok)
        {
            GuestConsole.WriteLine("tcp-sink: cannot listen on port " + port.ToString());
            return 2;
        }

        // Everything the loop uses, allocated once.
        byte[] scratch = new byte[256 * 1024];
        var conns = new TcpHandle[MaxActive];
        var live = new bool[MaxActive];
        var hashes = new StreamHash[MaxActive];
        var started = new ulong[MaxActive];

        GuestConsole.WriteLine("tcp-sink: listening on port " + port.ToString() + ", receive buffer " + buffer.ToString() + " bytes");
        GuestConsole.WriteLine("ready");

        ulong end = NetApp.Now + seconds * 1_000_000_000;
        ulong done = 0;
        long heapBefore = -1, heapAfter = -1;
        ulong pollNs = 0, waitNs = 0, appNs = 0;   // where the loop's time went (the profile line)
        while (count == 0 || done < count)
        {
            if (NetApp.Now > end)
            {
                GuestConsole.WriteLine("tcp-sink: timed out after " + seconds.ToString() + " s with " + done.ToString() + " connections done");
                return 1;
            }
            ulong t0 = NetApp.Now;
            app.Poll();
            ulong now = NetApp.Now;
            pollNs += now - t0;
            for (int s = 0; s < MaxActive; s++)
            {
                if (live[s]) continue;
                if (!stack.TryAccept(listener, out conns[s])) break;
                if (heapBefore < 0) heapBefore = NetApp.HeapAllocated;
                live[s] = true;
                hashes[s] = StreamHash.Create();
                started[s] = now;
            }
            for (int s = 0; s < MaxActive; s++)
            {
                if (!live[s]) continue;
                int n;
                ulong r0 = NetApp.Now;
                while ((n = stack.Read(conns[s], scratch)) > 0) hashes[s].Update(new ReadOnlySpan<byte>(scratch, 0, n));
                appNs += NetApp.Now - r0;
                if (n == 0) continue;
                // The peer closed (EndOfStream) or the connection failed.
                ulong took = NetApp.Now - started[s];
                live[s] = false;
                stack.Close(conns[s]);
                done++;
                if (count != 0 && done == count) heapAfter = NetApp.HeapAllocated;
                GuestConsole.WriteLine("tcp-sink: connection " + done.ToString() + ": "
                    + (n == NetError.EndOfStream ? "" : "failed (error " + n.ToString() + ") after ")
                    + BulkText.Report(hashes[s].Length, hashes[s].Value, took));
                if (n != NetError.EndOfStream) return 1;
            }
            ulong w0 = NetApp.Now;
            app.Wait(end);
            waitNs += NetApp.Now - w0;
        }
        // Finish the closing handshakes (a FIN lost on the wire is sent again after an RTO).
        app.Linger(3_000_000_000);
        GuestConsole.WriteLine("tcp-sink: " + BulkText.Profile(stack, pollNs, waitNs, appNs, "read+checksum"));
        GuestConsole.WriteLine("tcp-sink: heap: before=" + heapBefore.ToString() + " after=" + heapAfter.ToString());
        return 0;
    }
}
