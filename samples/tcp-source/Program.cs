using System;
using BulkTcp;
using Guest.Stack;
using GuestBindings;

// TCP source (issue 5): connects to a listener (--to=A.B.C.D:PORT), sends --bytes of a deterministic
// pattern, shuts its side down and waits for the peer to close, then prints
// "tcp-source: sent BYTES bytes, checksum X, T ms (R Mbit/s)" (checksum: StreamHash.cs; time from
// the connection's establishment to the peer's FIN, i.e. everything delivered and read).
// The pattern: a 1 MiB block repeated; the block is 131072 little-endian 64-bit words of xorshift64
// (x ^= x << 13; x ^= x >> 7; x ^= x << 17) from x = 0x9E3779B97F4A7C15, each word the state after
// its step. tests/Guest.Tests/BulkTcpTests.cs and scripts/bench-stack rebuild it.
//   --ipv4=A.B.C.D/N [--ipv4-gateway=…] [--ring|--hypercalls]   (NetApp)
//   --to=A.B.C.D:PORT   the listener (required); a refused connection is retried every 100 ms
//   --bytes=N           bytes to send (default 64 MiB)
//   --seconds=S         give up (exit 1) after S seconds (default 300)
//   --batch=N       frames per receive batch (the stack's RxBatchSize; ring: NET_READs per round trip; default 32)
//   --buffer=BYTES      TCP send buffer (default 4 MiB: the window must cover round trips of milliseconds)
// Zero allocation: every buffer is allocated before "ready"; "heap: before=B after=A" gives the guest
// heap's bytes in use when the connection was established and when the peer closed it. At the end a
// "profile:" line says where the loop's time went (BulkText.Profile).
static class TcpSource
{
    public const int PatternBytes = 1 << 20;

    static int Main(string[] args)
    {
        ulong total = 64UL << 20, seconds = 300, buffer = 4 << 20, batch = 32, port = 0;
        Ipv4Address to = default;
        foreach (string a in args)
        {
            bool ok = true;
            if (a.StartsWith("--bytes=")) ok = GuestArguments.TryParseNumber(a.Substring(8), out total);
            else if (a.StartsWith("--seconds=")) ok = GuestArguments.TryParseNumber(a.Substring(10), out seconds) && seconds > 0 && seconds < 1_000_000;
            else if (a.StartsWith("--buffer=")) ok = GuestArguments.TryParseNumber(a.Substring(9), out buffer) && buffer >= 4096 && buffer <= (16 << 20);
            else if (a.StartsWith("--batch=")) ok = GuestArguments.TryParseNumber(a.Substring(8), out batch) && batch > 0 && batch <= 256;
            else if (a.StartsWith("--to="))
            {
                string v = a.Substring(5);
                int colon = v.IndexOf(':');
                ok = colon > 0 && Ipv4Address.TryParse(v.Substring(0, colon), out to)
                    && GuestArguments.TryParseNumber(v.Substring(colon + 1), out port) && port > 0 && port < 65536;
            }
            if (!ok)
            {
                GuestConsole.WriteLine("tcp-source: bad argument: " + a);
                return 2;
            }
        }
        if (port == 0)
        {
            GuestConsole.WriteLine("tcp-source: give --to=A.B.C.D:PORT");
            return 2;
        }
        var cfg = new StackConfig
        {
            MaxTcpConnections = 2,
            TcpSendBufferSize = (int)buffer,
            TcpReceiveBufferSize = 64 * 1024,   // the peer sends nothing back
            RxBatchSize = (int)batch,
        };
        NetApp? app = NetApp.Open("tcp-source", config: cfg, poolSlots: 1024);
        if (app is null) return 2;
        NetStack<HvtNic> stack = app.Stack;

        byte[] pattern = new byte[PatternBytes];
        ulong x = 0x9E3779B97F4A7C15UL;
        for (int i = 0; i < PatternBytes; i += 8)
        {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            for (int b = 0; b < 8; b++) pattern[i + b] = (byte)(x >> (8 * b));
        }
        byte[] scratch = new byte[4096];
        StreamHash hash = StreamHash.Create();

        GuestConsole.WriteLine("tcp-source: sending " + total.ToString() + " bytes to " + NetApp.Format(to) + ":" + port.ToString() + ", send buffer " + buffer.ToString() + " bytes");
        GuestConsole.WriteLine("ready");

        ulong end = NetApp.Now + seconds * 1_000_000_000;
        TcpHandle c = default;
        bool connecting = false;
        ulong retryAt = 0;
        // Connect, retrying while the listener is not there yet.
        while (true)
        {
            if (NetApp.Now > end) return TimedOut(seconds, "connecting");
            app.Poll();
            if (!connecting && NetApp.Now >= retryAt)
            {
                int r = stack.Connect(to, (ushort)port, out c);
                if (r != NetError.Ok)
                {
                    GuestConsole.WriteLine("tcp-source: connect failed (error " + r.ToString() + ")");
                    return 1;
                }
                connecting = true;
            }
            if (connecting)
            {
                TcpState st = stack.GetState(c);
                if (st == TcpState.Established) break;
                if (st == TcpState.Closed)
                {
                    stack.Close(c);
                    connecting = false;
                    retryAt = NetApp.Now + 100_000_000;
                }
            }
            app.Wait(connecting ? end : retryAt);
        }

        long heapBefore = NetApp.HeapAllocated;
        ulong started = NetApp.Now;
        ulong sent = 0;
        int offset = 0;
        bool shut = false;
        int rd;
        ulong pollNs = 0, waitNs = 0, appNs = 0;   // where the loop's time went (the profile line)
        while (true)
        {
            if (NetApp.Now > end) return TimedOut(seconds, "after " + sent.ToString() + " bytes");
            ulong t0 = NetApp.Now;
            app.Poll();
            ulong t1 = NetApp.Now;
            pollNs += t1 - t0;
            while (sent < total)
            {
                int want = (int)Math.Min((ulong)(PatternBytes - offset), total - sent);
                int n = stack.Write(c, new ReadOnlySpan<byte>(pattern, offset, want));
                if (n <= 0)
                {
                    if (n < 0) return Failed(n, sent);
                    break;
                }
                hash.Update(new ReadOnlySpan<byte>(pattern, offset, n));
                sent += (ulong)n;
                offset += n;
                if (offset == PatternBytes) offset = 0;
            }
            if (sent == total && !shut)
            {
                stack.ShutdownWrite(c);
                shut = true;
            }
            // The peer sends nothing but its FIN; anything else is read and ignored.
            while ((rd = stack.Read(c, scratch)) > 0) { }
            ulong t2 = NetApp.Now;
            appNs += t2 - t1;
            if (rd < 0)
            {
                if (rd != NetError.EndOfStream || !shut) return Failed(rd, sent);
                break;
            }
            app.Wait(end);
            waitNs += NetApp.Now - t2;
        }
        ulong took = NetApp.Now - started;
        long heapAfter = NetApp.HeapAllocated;
        stack.Close(c);
        GuestConsole.WriteLine("tcp-source: sent " + BulkText.Report(hash.Length, hash.Value, took));
        app.Linger(3_000_000_000);
        GuestConsole.WriteLine("tcp-source: " + BulkText.Profile(stack, pollNs, waitNs, appNs, "write+checksum"));
        GuestConsole.WriteLine("tcp-source: heap: before=" + heapBefore.ToString() + " after=" + heapAfter.ToString());
        return 0;
    }

    private static int TimedOut(ulong seconds, string when)
    {
        GuestConsole.WriteLine("tcp-source: timed out after " + seconds.ToString() + " s, " + when);
        return 1;
    }

    private static int Failed(int error, ulong sent)
    {
        GuestConsole.WriteLine("tcp-source: connection failed (error " + error.ToString() + ") after " + sent.ToString() + " bytes");
        return 1;
    }
}
