using System;
using Guest.Stack;
using GuestBindings;

// Reflector (thesis figures 5.5/5.6): every frame received is sent back out of the same interface
// with destination and source MAC swapped, nothing else changed. Prints "ready" once the device is
// up, then runs until it has reflected --count frames (then exits 0) or until the tender stops it.
//   --count=N       frames to reflect before exiting (default 0: no limit)
//   --ring          use Solo5's ring I/O; exit 2 if the tender does not offer it
//   --hypercalls    use NETREAD/NETWRITE hypercalls even when the ring is offered
//                   (neither: the ring when offered, which `tender run` does for every network device)
//   --batch=N       frames per receive/send batch (default 32)
//   --device=NAME   the NET_BASIC device (default service0)
static class Program
{
    static int Main(string[] args)
    {
        ulong count = 0, batch = 32;
        NetPath path = NetPath.Auto;
        string name = "service0";
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a.StartsWith("--count=") && GuestArguments.TryParseNumber(a.Substring(8), out count)) { }
            else if (a.StartsWith("--batch=") && GuestArguments.TryParseNumber(a.Substring(8), out batch) && batch > 0 && batch <= 512) { }
            else if (a == "--ring") path = NetPath.Ring;
            else if (a == "--hypercalls") path = NetPath.Hypercalls;
            else if (a.StartsWith("--device=")) name = a.Substring(9);
            else
            {
                GuestConsole.WriteLine("reflect: bad argument: " + a);
                return 2;
            }
        }
        DeviceStatus status = NetDevice.TryAcquire(name, path, out NetDevice? dev);
        if (status != DeviceStatus.Ok || dev is null)
        {
            GuestConsole.WriteLine(status == DeviceStatus.NotSupported
                ? "reflect: --ring asked for, but the tender does not offer ring I/O"
                : "reflect: no attached NET_BASIC device '" + name + "' (manifest and --net:" + name + "=TAP)");
            return 2;
        }
        // Slots hold the largest frame; the ring reads straight into them.
        int slot = Math.Max(2048, (dev.MaxFrameSize + 63) / 64 * 64);
        var pool = new PacketPool((int)batch * 2, slot);
        var nic = new HvtNic(dev, pool, (int)batch);
        PacketBuffer[] frames = new PacketBuffer[(int)batch];
        GuestConsole.WriteLine("reflect: " + name + " mac " + Mac(dev.MacAddress) + " mtu " + dev.Mtu.ToString() + " via " + (dev.UsesRing ? "ring" : "hypercalls")
            + (count > 0 ? ", " + count.ToString() + " frames" : ""));
        GuestConsole.WriteLine("ready");

        ulong reflected = 0, batches = 0;
        while (count == 0 || reflected < count)
        {
            int want = count == 0 ? frames.Length : (int)Math.Min((ulong)frames.Length, count - reflected);
            int n = nic.ReceiveBatch(frames.AsSpan(0, want));
            if (n == 0)
            {
                dev.WaitForInput(Clock.MonotonicNanoseconds + 1_000_000_000);
                continue;
            }
            for (int i = 0; i < n; i++)
            {
                Span<byte> f = pool.Data(frames[i]);
                // Swap destination (0..5) and source (6..11).
                for (int k = 0; k < 6; k++)
                {
                    byte t = f[k];
                    f[k] = f[k + 6];
                    f[k + 6] = t;
                }
            }
            nic.SendBatch(frames.AsSpan(0, n));
            reflected += (ulong)n;
            batches++;
        }
        GuestConsole.WriteLine("reflect: " + reflected.ToString() + " frames in " + batches.ToString() + " batches, " + NetDevice.RingKicks.ToString() + " kicks");
        return 0;
    }

    private static string Mac(byte[] mac)
    {
        string s = "";
        for (int i = 0; i < mac.Length; i++) s += (i > 0 ? ":" : "") + mac[i].ToString("x2");
        return s;
    }
}
