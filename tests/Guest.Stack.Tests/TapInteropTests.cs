using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Guest.Stack;
using Guest.Stack.Tests.Support;
using Tender.Host;
using Tender.TestSupport;
using Xunit.Abstractions;

namespace Guest.Stack.Tests;

/// <summary>
/// Interoperability with a real TCP/IP stack: Guest.Stack runs in this process over a TAP
/// interface and Linux talks to it (ping, TCP both ways, UDP and ICMP port unreachable).
/// Everything happens in a network namespace each test makes (<see cref="TapLink"/>): the TAP,
/// its Linux-side address, and the Linux peers (ping under `ip netns exec`, sockets opened on a
/// thread inside the namespace). Needs root and /dev/net/tun; without them the tests are skipped,
/// saying why, except under CI=true where they fail.
/// </summary>
public class TapInteropTests
{
    readonly ITestOutputHelper _out;
    public TapInteropTests(ITestOutputHelper o) => _out = o;

    /// <summary>Our stack on its own thread, with an echo service on TCP 7 and UDP 7 and an optional client job.</summary>
    sealed class Guest : IDisposable
    {
        public readonly NetStack<TapNic> Stack;
        readonly Epoll _waiter = new();
        readonly Thread _thread;
        volatile bool _stop;
        public volatile Exception? Failure;
        public Action<NetStack<TapNic>>? Job;   // runs on the stack thread every iteration
        readonly Stopwatch _clock = Stopwatch.StartNew();

        public readonly TapLoss Loss = new();

        public Guest(TapLink link, double loss = 0)
        {
            Loss.Rate = loss;
            var cfg = new StackConfig { Seed = (ulong)Environment.TickCount64 };
            Assert.Equal(ConfigError.None, cfg.ApplyCommandLine($"--ipv4={TapLink.StackIp}/24 --ipv4-gateway={TapLink.HostIp}"));
            cfg.TcpSendBufferSize = cfg.TcpReceiveBufferSize = 256 * 1024;
            var pool = new PacketPool(1024);
            _waiter.Add(link.Tap.Descriptor, 0);
            Stack = new NetStack<TapNic>(new TapNic(link.Tap, _waiter, pool, new MacAddress(0x02_00_5E_00_00_02), Loss), pool, cfg);
            _thread = new Thread(Loop) { IsBackground = true, Name = "guest-stack" };
            _thread.Start();
        }

        ulong Now => (ulong)(_clock.Elapsed.Ticks * 100);

        void Loop()
        {
            try
            {
                Assert.Equal(NetError.Ok, Stack.Listen(7, 8, out var l));
                Assert.Equal(NetError.Ok, Stack.UdpBind(7, out var u));
                var conns = new List<TcpHandle>();
                var buf = new byte[65536];
                while (!_stop)
                {
                    Stack.Poll(Now);
                    while (Stack.TryAccept(l, out var c)) conns.Add(c);
                    for (int i = conns.Count - 1; i >= 0; i--)
                    {
                        var c = conns[i];
                        int room = Math.Min(Stack.SendSpace(c), buf.Length);
                        int r = room > 0 ? Stack.Read(c, buf.AsSpan(0, room)) : 0;
                        if (r > 0) Assert.Equal(r, Stack.Write(c, buf.AsSpan(0, r)));
                        else if (r < 0) { Stack.Close(c); conns.RemoveAt(i); }
                    }
                    while (Stack.UdpReceive(u, buf, out var from, out var port) is int n && n > 0) Stack.UdpSend(u, from, port, buf.AsSpan(0, n));
                    Job?.Invoke(Stack);
                    Stack.Poll(Now);
                    ulong d = Stack.NextDeadline, now = Now;
                    if (d > now) Stack.Device.Wait((int)Math.Min((d - now) / 1_000_000 + 1, 5));
                }
            }
            catch (Exception e) { Failure = e; }
        }

        public void Dispose()
        {
            _stop = true;
            // The epoll set goes only once the loop that waits on it has ended.
            if (_thread.Join(5000)) _waiter.Dispose();
        }
    }

    static readonly IPAddress HostIp = IPAddress.Parse(TapLink.HostIp), StackIp = IPAddress.Parse(TapLink.StackIp);

    [RootFact]
    public void Linux_pings_the_stack()
    {
        using var link = new TapLink();
        using var g = new Guest(link);
        var (code, o) = link.Namespace.TryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", TapLink.StackIp);
        _out.WriteLine(o);
        Assert.Null(g.Failure);
        Assert.True(code == 0, $"ping exited {code}: {o}");
        Assert.Contains("3 received", o);
    }

    [RootFact]
    public Task Linux_tcp_client_echoes_8_MiB_through_the_stack() => Echo(8 << 20, 0);

    [RootFact]
    public Task Echo_with_linux_survives_2_percent_loss_each_way() => Echo(2 << 20, 0.02);

    async Task Echo(int size, double loss)
    {
        using var link = new TapLink();
        using var g = new Guest(link, loss);
        // Created inside the namespace, the socket belongs to it for good (connect included).
        using var client = link.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        await client.ConnectAsync(StackIp, 7).WaitAsync(TimeSpan.FromSeconds(10));
        using var stream = new NetworkStream(client, ownsSocket: false);
        var data = new byte[size];
        new Random(5).NextBytes(data);
        var sw = Stopwatch.StartNew();
        var writer = Task.Run(async () => { await stream.WriteAsync(data); client.Shutdown(SocketShutdown.Send); });
        var back = new MemoryStream();
        await stream.CopyToAsync(back).WaitAsync(TimeSpan.FromSeconds(60));
        await writer;
        _out.WriteLine($"echoed {data.Length} bytes in {sw.ElapsedMilliseconds} ms; counters: rto={g.Stack.Counters[Counter.TcpRetransmitTimeouts]} fr={g.Stack.Counters[Counter.TcpFastRetransmits]} dropped in/out {g.Loss.DroppedIn}/{g.Loss.DroppedOut}");
        if (loss > 0) Assert.True(g.Loss.DroppedIn > 0 && g.Loss.DroppedOut > 0);
        Assert.Null(g.Failure);
        Assert.Equal(data.Length, back.Length);
        Assert.True(data.AsSpan().SequenceEqual(back.ToArray()), "echoed data differs");
    }

    [RootFact]
    public async Task Stack_connects_to_a_linux_listener_and_sends_4_MiB()
    {
        using var link = new TapLink();
        using var g = new Guest(link);
        var listener = link.Namespace.Run(() =>
        {
            var l = new TcpListener(HostIp, 0);
            l.Start();
            return l;
        });
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var data = new byte[4 << 20];
        new Random(6).NextBytes(data);
        long sent = 0; bool closed = false; TcpHandle c = default; bool connecting = false;
        g.Job = st =>
        {
            if (!connecting) { Assert.Equal(NetError.Ok, st.Connect(new Ipv4Address(BitConverter.ToUInt32(HostIp.GetAddressBytes().Reverse().ToArray())), (ushort)port, out c)); connecting = true; }
            if (closed || st.GetState(c) != TcpState.Established) return;
            while (sent < data.Length)
            {
                int w = st.Write(c, data.AsSpan((int)sent, (int)Math.Min(65536, data.Length - sent)));
                if (w <= 0) break;
                sent += w;
            }
            if (sent == data.Length) { st.Close(c); closed = true; }
        };
        using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var got = new MemoryStream();
        await accepted.GetStream().CopyToAsync(got).WaitAsync(TimeSpan.FromSeconds(60));
        listener.Stop();
        Assert.Null(g.Failure);
        Assert.Equal(data.Length, got.Length);
        Assert.True(data.AsSpan().SequenceEqual(got.ToArray()), "received data differs");
    }

    [RootFact]
    public async Task Udp_echo_and_port_unreachable_reach_linux()
    {
        using var link = new TapLink();
        using var g = new Guest(link);
        using var udp = link.Namespace.Run(() => new UdpClient(new IPEndPoint(HostIp, 0)));
        var payload = "hello, unikernel"u8.ToArray();
        await udp.SendAsync(payload, new IPEndPoint(StackIp, 7));
        var r = await udp.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(payload, r.Buffer);
        // A connected UDP socket learns of ICMP port unreachable as "connection refused".
        using var closedPort = link.Namespace.Run(() => new UdpClient(new IPEndPoint(HostIp, 0)));
        closedPort.Connect(StackIp, 9999);
        await closedPort.SendAsync(payload);
        var e = await Assert.ThrowsAsync<SocketException>(async () => await closedPort.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.Null(g.Failure);
    }
}
