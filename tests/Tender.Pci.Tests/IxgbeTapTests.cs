using System.Buffers.Binary;
using System.Diagnostics;
using Tender.Devices;
using Tender.Pci.Dma;
using Tender.Pci.Emulation;
using Tender.Pci.Tests.Support;
using Tender.Pci.Wire;
using Tender.TestSupport;

namespace Tender.Pci.Tests;

/// <summary>
/// The emulated 82599 on a real TAP: Linux in a namespace of its own pings an address that the
/// test driver answers (ARP and ICMP echo) through the device's rings, so every frame crosses
/// the kernel, the TAP, the wire adapter, the model's RX and TX paths and the DMA memory.
/// </summary>
public sealed class IxgbeTapTests
{
    private static readonly byte[] GuestMac = [0x02, 0x00, 0x00, 0x82, 0x59, 0x77];
    private static readonly byte[] GuestIp = [10, 99, 0, 2];

    /// <summary>TapDevice as the emulated port's host frame port.</summary>
    private sealed class TapFramePort(TapDevice tap) : IFramePort
    {
        public int MaxFrameSize => tap.MaxFrameSize;
        public bool TrySend(ReadOnlySpan<byte> frame) => tap.Write(frame) == DeviceResult.Ok;
        public int TryReceive(Span<byte> buffer) => tap.Read(buffer, out int length) == DeviceResult.Ok ? length : 0;
    }

    [RootFact]
    public void LinuxPingsThroughATapIntoTheEmulatedPortAndGetsReplies()
    {
        using var ns = new TestNamespace("tpci");
        ns.AddTap("tpci0", "10.99.0.1/24");
        using TapDevice tap = ns.Run(() => TapDevice.Open("tpci0", new MacAddress(GuestMac)));

        var memory = new ArrayDmaMemory(TestIxgbeDriver.DmaBase, 4 << 20);
        var device = new Ixgbe82599(memory, new IxgbeOptions { MacAddress = GuestMac });
        var wire = new FramePortWire(new TapFramePort(tap), device);
        device.AttachWire(wire);
        device.Config.SetBusMaster(true);
        var driver = new TestIxgbeDriver(device, memory, 64, 64);
        Assert.Equal(10000, driver.Initialise(promiscuous: false));

        using var pinger = ns.StartExec("ping", "-c", "3", "-i", "0.2", "-W", "2", "10.99.0.2");
        int arpReplies = 0, echoReplies = 0;
        var deadline = Stopwatch.StartNew();
        while (!pinger.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            wire.Pump();
            foreach (byte[] frame in driver.ReceiveBatch())
            {
                byte[]? reply = Answer(frame);
                if (reply is null) continue;
                if (reply[13] == 0x06) arpReplies++; else echoReplies++;
                Assert.Equal(1, driver.TransmitBatch([reply]));
            }
            Thread.Sleep(1);
        }
        var (exitCode, output) = pinger.Wait(TimeSpan.FromSeconds(5));
        Assert.True(exitCode == 0, $"ping failed ({exitCode}): {output}");
        Assert.Contains("3 received", output);
        Assert.True(arpReplies >= 1);
        Assert.Equal(3, echoReplies);
        Assert.Equal(0, device.ErrorCount);
        Assert.Equal(0L, wire.SendFailures);
        var stats = driver.ReadStats();
        Assert.True(stats.RxPackets >= 4 && stats.TxPackets >= 4, $"rx {stats.RxPackets} tx {stats.TxPackets}");
    }

    /// <summary>An ARP reply or ICMP echo reply for a frame addressed to the guest, or null.</summary>
    private static byte[]? Answer(byte[] frame)
    {
        if (frame.Length < 42) return null;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
        if (etherType == 0x0806 && BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(20)) == 1 && frame.AsSpan(38, 4).SequenceEqual(GuestIp))
        {
            var reply = new byte[42];
            frame.AsSpan(6, 6).CopyTo(reply);                  // to the asker
            GuestMac.CopyTo(reply, 6);
            frame.AsSpan(12, 8).CopyTo(reply.AsSpan(12));      // type, htype, ptype, hlen, plen
            BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(20), 2);
            GuestMac.CopyTo(reply, 22);
            GuestIp.CopyTo(reply, 28);
            frame.AsSpan(22, 10).CopyTo(reply.AsSpan(32));     // target = the asker's MAC and IP
            return reply;
        }
        if (etherType != 0x0800 || frame[23] != 1 || !frame.AsSpan(30, 4).SequenceEqual(GuestIp)) return null;
        int ihl = (frame[14] & 0xF) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(16));
        int icmp = 14 + ihl;
        if (frame[icmp] != 8 || 14 + totalLength > frame.Length) return null;
        byte[] echo = frame[..(14 + totalLength)];             // without the padding
        frame.AsSpan(6, 6).CopyTo(echo);
        GuestMac.CopyTo(echo, 6);
        frame.AsSpan(30, 4).CopyTo(echo.AsSpan(26));           // swap addresses: the IP checksum stays right
        frame.AsSpan(26, 4).CopyTo(echo.AsSpan(30));
        echo[icmp] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(echo.AsSpan(icmp + 2), 0);
        BinaryPrimitives.WriteUInt16BigEndian(echo.AsSpan(icmp + 2), Checksum(echo.AsSpan(icmp, 14 + totalLength - icmp)));
        return echo;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0) sum += (uint)data[^1] << 8;
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
