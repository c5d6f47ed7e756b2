using System;
using Guest.Ixgbe;
using Guest.Stack;
using GuestBindings;

// A minimal HTTP/1.0-style server on Guest.Stack over the ixgbe driver (decision 6: the stack runs
// over IxgbeNic unchanged). Address 10.0.0.2/24 unless `--ip=A.B.C.D`; every request on port 80
// gets "hello from ixgbe <n>\n" and the connection is closed. `--requests=N` exits after N answers.
static unsafe class Program
{
    static int Main(string[] args)
    {
        ulong limit = 0;
        Ipv4Address address = new Ipv4Address(10, 0, 0, 2);
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--requests=")) limit = GuestArguments.TryParseNumber(args[i].Substring(11), out ulong n) ? n : 0;
            if (args[i].StartsWith("--ip=") && !TryParseIp(args[i].Substring(5), out address))
            {
                GuestConsole.WriteLine("ixgbe-http: bad --ip " + args[i]);
                return 2;
            }
        }
        DmaAllocator? dma = IxgbePorts.OpenDma("ixgbe-http");
        if (dma is null) return 2;
        if (PciDevice.TryAcquire("port0", out PciDevice? device) != DeviceStatus.Ok || device is null || device.GetBarAddress(0) == 0)
        {
            GuestConsole.WriteLine("ixgbe-http: PCI device 'port0' is not attached with BAR0");
            return 3;
        }
        var clock = new IxgbePorts.GuestClock();
        PacketPool pool = IxgbeNic<MmioRegisters>.CreatePool(dma, 1024);
        var nic = IxgbeNic<MmioRegisters>.Create(new MmioRegisters((byte*)device.GetBarAddress(0), IxgbePorts.Bar0Size), pool, dma,
            IxgbeConfig.Default, ref clock, out IxgbeInitResult result);
        if (result != IxgbeInitResult.Ok)
        {
            GuestConsole.WriteLine("ixgbe-http: port0 did not come up (" + ((int)result).ToString() + ")");
            return 3;
        }
        var stack = new NetStack<IxgbeNic<MmioRegisters>>(nic, pool, new StackConfig { Address = address });
        if (stack.Listen(80, 16, out ListenerHandle listener) != NetError.Ok)
        {
            GuestConsole.WriteLine("ixgbe-http: cannot listen on port 80");
            return 4;
        }
        GuestConsole.WriteLine("ixgbe-http: serving on port 80");
        var open = new TcpHandle[16];
        var seen = new int[16];
        int count = 0;
        ulong answered = 0;
        byte[] buffer = new byte[2048];
        while (limit == 0 || answered < limit)
        {
            stack.Poll(Clock.MonotonicNanoseconds);
            while (count < open.Length && stack.TryAccept(listener, out TcpHandle c))
            {
                open[count] = c;
                seen[count] = 0;
                count++;
            }
            for (int i = 0; i < count; i++)
            {
                TcpHandle c = open[i];
                int n = stack.Read(c, buffer);
                bool done = n < 0;
                if (n > 0 && EndsRequest(buffer, n, ref seen[i]))
                {
                    answered++;
                    stack.Write(c, Ascii("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nhello from ixgbe " + answered.ToString() + "\n"));
                    done = true;
                }
                if (done)
                {
                    stack.Close(c);
                    open[i] = open[count - 1];
                    seen[i] = seen[count - 1];
                    count--;
                    i--;
                }
            }
        }
        // Let the last answers and FINs go out before halting.
        ulong end = Clock.MonotonicNanoseconds + 500_000_000;
        while (Clock.MonotonicNanoseconds < end) stack.Poll(Clock.MonotonicNanoseconds);
        GuestConsole.WriteLine("ixgbe-http: answered " + answered.ToString());
        return 0;
    }

    // Tracks "\r\n\r\n" across reads: state = how many of its bytes were seen last.
    private static bool EndsRequest(byte[] data, int length, ref int state)
    {
        for (int i = 0; i < length; i++)
        {
            byte b = data[i];
            bool expectCr = state == 0 || state == 2;
            if (expectCr ? b == (byte)'\r' : b == (byte)'\n') state++;
            else state = b == (byte)'\r' ? 1 : 0;
            if (state == 4) return true;
        }
        return false;
    }

    private static byte[] Ascii(string s)
    {
        byte[] bytes = new byte[s.Length];
        for (int i = 0; i < s.Length; i++) bytes[i] = (byte)s[i];
        return bytes;
    }

    private static bool TryParseIp(string s, out Ipv4Address address)
    {
        address = default;
        uint value = 0;
        int parts = 0, part = -1;
        for (int i = 0; i <= s.Length; i++)
        {
            if (i == s.Length || s[i] == '.')
            {
                if (part < 0 || part > 255) return false;
                value = value << 8 | (uint)part;
                parts++;
                part = -1;
            }
            else if (s[i] >= '0' && s[i] <= '9') part = (part < 0 ? 0 : part * 10) + (s[i] - '0');
            else return false;
        }
        if (parts != 4) return false;
        address = new Ipv4Address(value);
        return true;
    }
}
