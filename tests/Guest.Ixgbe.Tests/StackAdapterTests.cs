using Guest.Ixgbe.Tests.Support;
using Guest.Stack;
using Tender.Pci.Emulation;
using Tender.Pci.Wire;

namespace Guest.Ixgbe.Tests;

/// <summary>
/// Guest.Stack over the driver (design decision 6): <c>NetStack&lt;IxgbeNic&lt;…&gt;&gt;</c> on two
/// emulated ports joined by a cable. Frames go between the stack and the device in the stack's own
/// pool buffers, which live in the DMA area (no copies).
/// </summary>
public class StackAdapterTests
{
    private static readonly Ipv4Address AddrA = new(10, 0, 0, 1);
    private static readonly Ipv4Address AddrB = new(10, 0, 0, 2);

    private sealed class TwoStacks
    {
        public required Harness H;
        public required NetStack<IxgbeNic<ModelRegisters>> A, B;
        public required EthernetCable Cable;
        public ulong Now = 1_000_000;

        public void Step()
        {
            Now += 1_000_000; // 1 ms of virtual time per round
            A.Poll(Now);
            B.Poll(Now);
        }
    }

    private static TwoStacks Build(int ring = 128, int poolSlots = 1024)
    {
        var h = new Harness(32 << 20);
        Ixgbe82599 da = h.Device(1), db = h.Device(2);
        var cable = EthernetCable.Between(da, db);
        da.AttachWire(cable.EndA);
        db.AttachWire(cable.EndB);
        var clock = new HostClock();
        NetStack<IxgbeNic<ModelRegisters>> Stack(Ixgbe82599 d, Ipv4Address address)
        {
            PacketPool pool = IxgbeNic<ModelRegisters>.CreatePool(h.Dma, poolSlots);
            var nic = IxgbeNic<ModelRegisters>.Create(new ModelRegisters(d), pool, h.Dma, Harness.Config(ring), ref clock, out IxgbeInitResult init);
            Assert.Equal(IxgbeInitResult.Ok, init);
            return new NetStack<IxgbeNic<ModelRegisters>>(nic, pool, new StackConfig { Address = address, PrefixLength = 24 });
        }
        return new TwoStacks { H = h, A = Stack(da, AddrA), B = Stack(db, AddrB), Cable = cable };
    }

    [Fact]
    public void Stack_sees_the_ports_mac_and_mtu()
    {
        TwoStacks s = Build();
        Assert.Equal(0x02_00_00_00_00_01UL, s.A.Mac.Value);
        Assert.Equal(0x02_00_00_00_00_02UL, s.B.Mac.Value);
        Assert.Equal(1500, s.A.Device.Mtu);
    }

    [Fact]
    public void Udp_datagrams_cross_after_arp_resolves()
    {
        TwoStacks s = Build();
        Assert.Equal(NetError.Ok, s.A.UdpBind(7000, out UdpHandle ua));
        Assert.Equal(NetError.Ok, s.B.UdpBind(7001, out UdpHandle ub));
        // The first datagram waits for ARP (the stack queues at most ArpQueueSize per destination).
        Assert.Equal(3, s.A.UdpSend(ua, AddrB, 7001, "arp"u8));
        for (int round = 0; round < 10 && s.B.UdpPending(ub) == 0; round++) s.Step();
        var buffer = new byte[2048];
        Assert.Equal(3, s.B.UdpReceive(ub, buffer, out _, out _));
        for (int i = 0; i < 20; i++)
        {
            byte[] payload = new byte[100 + i * 50];
            for (int k = 0; k < payload.Length; k++) payload[k] = (byte)(i + k);
            Assert.Equal(payload.Length, s.A.UdpSend(ua, AddrB, 7001, payload));
        }
        for (int round = 0; round < 20 && s.B.UdpPending(ub) < 20; round++) s.Step();
        Assert.Equal(20, s.B.UdpPending(ub));
        for (int i = 0; i < 20; i++)
        {
            int n = s.B.UdpReceive(ub, buffer, out Ipv4Address from, out ushort fromPort);
            Assert.Equal(100 + i * 50, n);
            Assert.Equal(AddrA.Value, from.Value);
            Assert.Equal(7000, fromPort);
            for (int k = 0; k < n; k++) Assert.Equal((byte)(i + k), buffer[k]);
        }
        // And back.
        Assert.Equal(5, s.B.UdpSend(ub, AddrA, 7000, "hello"u8));
        for (int round = 0; round < 5 && s.A.UdpPending(ua) == 0; round++) s.Step();
        Assert.Equal(5, s.A.UdpReceive(ua, buffer, out _, out _));
        Assert.Equal("hello"u8.ToArray(), buffer[..5]);
        Assert.Empty(s.H.Errors);
    }

    [Fact]
    public void Tcp_transfer_of_a_mebibyte_arrives_intact()
    {
        TwoStacks s = Build();
        Assert.Equal(NetError.Ok, s.A.Listen(80, 4, out ListenerHandle listener));
        Assert.Equal(NetError.Ok, s.B.Connect(AddrA, 80, out TcpHandle client));
        TcpHandle server = default;
        bool accepted = false;
        const int Total = 1 << 20;
        byte Pattern(long i) => (byte)(i * 31 + (i >> 10));
        long sent = 0, received = 0, mismatches = 0;
        var chunk = new byte[16384];
        var rbuf = new byte[16384];
        for (int round = 0; round < 20_000 && received < Total; round++)
        {
            s.Step();
            if (!accepted) accepted = s.A.TryAccept(listener, out server);
            if (s.B.GetState(client) == TcpState.Established)
            {
                while (sent < Total)
                {
                    int n = (int)Math.Min(chunk.Length, Total - sent);
                    for (int i = 0; i < n; i++) chunk[i] = Pattern(sent + i);
                    int w = s.B.Write(client, chunk.AsSpan(0, n));
                    Assert.True(w >= 0, "write failed");
                    sent += w;
                    if (w < n) break;
                }
            }
            if (accepted)
            {
                int r;
                while ((r = s.A.Read(server, rbuf)) > 0)
                {
                    for (int i = 0; i < r; i++) if (rbuf[i] != Pattern(received + i)) mismatches++;
                    received += r;
                }
            }
        }
        Assert.Equal(Total, received);
        Assert.Equal(0, mismatches);
        Assert.Equal(0, s.Cable.FramesRefused); // nothing dropped by the receiving ports
        Assert.Empty(s.H.Errors);
        IxgbeStats stats = s.A.Device.Driver.ReadStats();
        Assert.True(stats.RxBytes > Total, "port A's device counted the transfer's octets");
    }

    [Fact]
    public void Stack_pool_outside_the_dma_area_is_refused()
    {
        var h = new Harness(8 << 20);
        var clock = new HostClock();
        var managed = new PacketPool(1024);
        Assert.ThrowsAny<Exception>(() =>
            IxgbeNic<ModelRegisters>.Create(new ModelRegisters(h.Device(1)), managed, h.Dma, Harness.Config(64), ref clock, out _));
        PacketPool tooSmall = IxgbeNic<ModelRegisters>.CreatePool(h.Dma, 100);
        Assert.Throws<ArgumentException>(() =>
            IxgbeNic<ModelRegisters>.Create(new ModelRegisters(h.Device(2)), tooSmall, h.Dma, Harness.Config(64), ref clock, out _));
    }
}
