using System;
using Guest.Stack;

namespace GuestBindings
{
    /// <summary>
    /// One guest's network application: a <see cref="NetStack{TNic}"/> over a NET_BASIC device
    /// (<see cref="HvtNic"/>) and the event loop around it. There are no threads: the application
    /// calls <see cref="Poll"/>, does its work with the stack's socket calls, and calls
    /// <see cref="Wait"/>, which sleeps in the tender (POLL) until a frame arrives or the stack's
    /// next timer is due, whichever comes first.
    /// <code>
    /// NetApp? app = NetApp.Open("tcp-echo");      // --ipv4=…, --ring / --hypercalls from the command line
    /// app.Stack.Listen(7, 16, out ListenerHandle l);
    /// while (true) { app.Poll(); /* accept, read, write */ app.Wait(); }
    /// </code>
    /// </summary>
    public sealed class NetApp
    {
        /// <summary>The stack; its socket calls are the application API.</summary>
        public readonly NetStack<HvtNic> Stack;

        /// <summary>The device it runs on.</summary>
        public readonly NetDevice Device;

        private readonly string _name;

        private NetApp(string name, NetDevice device, NetStack<HvtNic> stack)
        {
            _name = name;
            Device = device;
            Stack = stack;
        }

        /// <summary>
        /// Opens the NET_BASIC device <paramref name="device"/> and a stack on it, configured from
        /// the guest's command line: <c>--ipv4=A.B.C.D/N</c> (required), <c>--ipv4-gateway=A.B.C.D</c>,
        /// and <c>--ring</c> or <c>--hypercalls</c> for the I/O path (neither: the ring when the tender
        /// offers it). Prints one line saying what it opened, or why it could not and returns null.
        /// </summary>
        /// <param name="poolSlots">Packet buffers, each holding the device's largest frame.</param>
        public static NetApp? Open(string name, string device = "service0", int poolSlots = 512, StackConfig? config = null)
        {
            NetPath path = NetPath.Auto;
            string[] args = Unikernel.GetArguments();
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == "--ring") path = NetPath.Ring;
                else if (args[i] == "--hypercalls") path = NetPath.Hypercalls;
            }
            DeviceStatus status = NetDevice.TryAcquire(device, path, out NetDevice? dev);
            if (status != DeviceStatus.Ok || dev is null)
            {
                GuestConsole.WriteLine(status == DeviceStatus.NotSupported
                    ? name + ": --ring asked for, but the tender does not offer ring I/O"
                    : name + ": no attached NET_BASIC device '" + device + "' (manifest and --net:" + device + "=TAP)");
                return null;
            }
            StackConfig cfg = config ?? new StackConfig();
            // Real entropy for ISNs, ephemeral ports and SYN cookies: the TSC's low bits at boot and the wall clock.
            cfg.Seed = Clock.MonotonicNanoseconds ^ Clock.WallClockNanoseconds ^ 0x9E3779B97F4A7C15UL;
            ConfigError error = cfg.ApplyCommandLine(Unikernel.CommandLine);
            if (error != ConfigError.None)
            {
                GuestConsole.WriteLine(name + ": bad network configuration (" + Describe(error) + "); give --ipv4=A.B.C.D/N [--ipv4-gateway=A.B.C.D]");
                return null;
            }
            int slot = Math.Max(2048, (dev.MaxFrameSize + 63) / 64 * 64);
            var pool = new PacketPool(poolSlots, slot);
            var stack = new NetStack<HvtNic>(new HvtNic(dev, pool, cfg.RxBatchSize), pool, cfg);
            GuestConsole.WriteLine(name + ": " + Format(cfg.Address) + "/" + cfg.PrefixLength.ToString()
                + " mtu " + dev.Mtu.ToString() + " via " + (dev.UsesRing ? "ring" : "hypercalls"));
            return new NetApp(name, dev, stack);
        }

        /// <summary>Monotonic nanoseconds (the stack's clock).</summary>
        public static ulong Now => Clock.MonotonicNanoseconds;

        /// <summary>
        /// Receives and processes what the device has, runs due timers and sends what is queued.
        /// Returns the frames received.
        /// </summary>
        public int Poll() => Stack.Poll(Clock.MonotonicNanoseconds);

        /// <summary>
        /// Sleeps (POLL) until a frame arrives, the stack's next timer or <paramref name="latest"/>
        /// (monotonic ns), whichever is first; returns at once if a frame is already waiting or the
        /// application queued output since the last <see cref="Poll"/> (the stack's next deadline
        /// is then now, and the loop's next Poll sends it). It does not poll the stack itself:
        /// frames taken here would pile up behind the ones the application has not read yet and
        /// overflow its socket queues in a burst.
        /// </summary>
        public void Wait(ulong latest = ulong.MaxValue)
        {
            ulong due = Stack.NextDeadline;
            if (latest < due) due = latest;
            if (due > Clock.MonotonicNanoseconds) Unikernel.Yield(due);
        }

        /// <summary>
        /// Keeps the stack running before the application exits: at least one poll (the last ACKs
        /// leave), then until every closed connection is through its closing handshake
        /// (<see cref="NetStack{TNic}.ClosesInProgress"/>) or <paramref name="maxNanoseconds"/> pass.
        /// A FIN lost on the wire is retransmitted after an RTO (200 ms at least, doubling), so a
        /// deadline of a few seconds covers several losses in a row.
        /// </summary>
        public void Linger(ulong maxNanoseconds)
        {
            ulong end = Clock.MonotonicNanoseconds + maxNanoseconds;
            do
            {
                Poll();
                if (Stack.ClosesInProgress == 0) return;
                Wait(end);
            }
            while (Clock.MonotonicNanoseconds < end);
        }

        /// <summary>Heap bytes allocated since boot (GC.GetAllocatedBytesForCurrentThread: allocated, not in use).</summary>
        public static long HeapAllocated => GC.GetAllocatedBytesForCurrentThread();

        /// <summary>Dotted-quad text of an address.</summary>
        public static string Format(Ipv4Address a)
        {
            uint v = a.Value;
            return (v >> 24).ToString() + "." + ((v >> 16) & 255).ToString() + "." + ((v >> 8) & 255).ToString() + "." + (v & 255).ToString();
        }

        private static string Describe(ConfigError e) => e switch
        {
            ConfigError.MissingAddress => "no --ipv4",
            ConfigError.BadAddress => "bad address",
            ConfigError.BadPrefix => "bad prefix length",
            ConfigError.GatewayOutsideSubnet => "the gateway is outside the subnet",
            _ => "error " + ((int)e).ToString(),
        };
    }
}
