using System.Buffers.Binary;
using System.Diagnostics;

namespace Tender.Devices.Tests;

/// <summary>
/// The ring engine over in-process guest memory and a real TAP in a test namespace, with a
/// packet socket as the Linux-side peer.
/// </summary>
public sealed class NetRingTests
{
    private const ulong MemoryBase = 0x10_0000;
    private const ulong MemorySize = 4 << 20;
    private const ulong RingAddress = MemoryBase + 0x1000;
    private const ulong BufferPool = MemoryBase + 0x10_0000;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    /// <summary>A namespace with one TAP, its device, a peer socket, guest memory.</summary>
    private sealed class Rig : IDisposable
    {
        public readonly TestNamespace Ns = new();
        public readonly TapDevice Tap;
        public readonly PacketSocket Peer;
        public readonly BufferGuestMemory Memory = new(MemoryBase, MemorySize);

        public Rig(int mtu = 1500)
        {
            try
            {
                Ns.AddTap("tdv0", mtu);
                (Tap, Peer) = Ns.Run(() => (TapDevice.Open("tdv0"), new PacketSocket("tdv0")));
            }
            catch
            {
                Ns.Dispose();
                throw;
            }
        }

        public byte[] ToGuest(int length, int seed) => Frames.Make(Tap.GuestMac.ToArray(), Peer.InterfaceMac, length, seed);
        public byte[] FromGuest(int length, int seed) => Frames.Make(Peer.InterfaceMac, Tap.GuestMac.ToArray(), length, seed);

        public void Dispose()
        {
            Tap.Dispose();
            Peer.Dispose();
            Memory.Dispose();
            Ns.Dispose();
        }
    }

    private static NetRingService Manual(Rig rig) => new(rig.Memory, new NetRingOptions { StartThread = false });

    private static TestGuestRing Attach(Rig rig, NetRingService service, uint rx = 16, uint tx = 16, int handle = 0, ulong ring = RingAddress)
    {
        var guest = new TestGuestRing(rig.Memory, service, ring, rx, tx, BufferPool, rig.Tap.MaxFrameSize);
        Assert.True(service.TryAttach(handle, rig.Tap, ring, out var error), error);
        // Awake at attach; a running I/O thread with nothing to do may already sleep.
        Assert.True(guest.TenderState is (uint)NetRingState.Awake or (uint)NetRingState.Sleeping, $"state {guest.TenderState}");
        return guest;
    }

    [RootFact]
    public void Frames_flow_both_ways_through_the_io_thread()
    {
        using var rig = new Rig();
        using var service = new NetRingService(rig.Memory);
        var faults = new List<NetRingFault>();
        service.Faulted += faults.Add;
        var guest = Attach(rig, service, rx: 32, tx: 32);
        guest.FillRx();

        // Linux → guest: 200 frames of varying sizes, received in order and intact.
        const int count = 200;
        var sent = new List<byte[]>();
        var received = new List<byte[]>();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            var f = rig.ToGuest(60 + i * 37 % 1455, i);
            sent.Add(f);
            rig.Peer.Send(f);
            // Reap as we go so the TAP's queue never overflows.
            while (guest.TryReceive(out var frame, out var status))
            {
                Assert.Equal(DeviceResult.Ok, status);
                if (Frames.IsTestFrame(frame)) received.Add(frame);
            }
            guest.FillRx();
        }
        while (received.Count < count && Stopwatch.GetElapsedTime(start) < Wait)
        {
            while (guest.TryReceive(out var frame, out var status))
            {
                Assert.Equal(DeviceResult.Ok, status);
                if (Frames.IsTestFrame(frame)) received.Add(frame);
            }
            guest.FillRx();
            Thread.Sleep(1);
        }
        Assert.Equal(sent.Count, received.Count);
        for (int i = 0; i < count; i++) Assert.Equal(sent[i], received[i]);

        // Guest → Linux: 200 frames, maximum size included.
        for (int i = 0; i < count; i++)
        {
            guest.Send(rig.FromGuest(i == 0 ? 1514 : 14 + i * 53 % 1500, 1000 + i), Wait);
            var seen = rig.Peer.Receive(Wait);
            Assert.NotNull(seen);
            Assert.Equal(rig.FromGuest(i == 0 ? 1514 : 14 + i * 53 % 1500, 1000 + i), seen);
        }
        Assert.True(SpinUntil(() => guest.TxDone), "TX completions not published");
        for (uint s = 0; s < 32; s++) Assert.Equal((ushort)DeviceResult.Ok, TestGuestRing.ReadDescriptor(guest.TxDescriptor(s)).Status);

        var stats = service.GetStatistics(0);
        Assert.Equal(count, stats.TxFrames);
        Assert.True(stats.RxFrames >= count);
        Assert.Equal(0, stats.TxErrors);
        Assert.Equal(0, stats.RxErrors);
        Assert.Empty(faults);
        Assert.Null(service.Fault);
    }

    [RootFact]
    public void A_sleeping_io_thread_is_woken_by_the_guests_kick_and_only_then()
    {
        using var rig = new Rig();
        using var service = new NetRingService(rig.Memory, new NetRingOptions { SpinBeforeSleep = TimeSpan.Zero });
        var guest = Attach(rig, service);
        Assert.True(SpinUntil(() => Volatile.Read(ref guest.TenderState) == (uint)NetRingState.Sleeping), "the idle I/O thread never said it sleeps");
        long sleeps = service.Sleeps;
        Assert.True(sleeps >= 1);

        var frame = rig.FromGuest(100, 7);
        guest.Send(frame, Wait);
        Assert.Equal(1, guest.Kicks); // it slept, so the guest had to kick
        Assert.Equal(frame, rig.Peer.Receive(Wait));
        Assert.Equal(1, service.Kicks);

        // RX: a frame waits in the TAP while no buffer is posted; posting one (and kicking,
        // since the thread sleeps again) delivers it.
        Assert.True(SpinUntil(() => Volatile.Read(ref guest.TenderState) == (uint)NetRingState.Sleeping));
        var inbound = rig.ToGuest(200, 8);
        rig.Peer.Send(inbound);
        Thread.Sleep(50);
        Assert.False(guest.TryReceive(out _, out _));
        guest.FillRx();
        Assert.True(guest.Kicks >= 2);
        byte[]? got = null;
        Assert.True(SpinUntil(() => guest.TryReceive(out got, out _)), "frame not delivered after posting buffers");
        Assert.Equal(inbound, got);
    }

    [RootFact]
    public void One_kick_per_sleep_however_fast_the_guest_posts()
    {
        using var rig = new Rig();
        // A long spin: once woken, the I/O thread stays awake for the rest of the test.
        using var service = new NetRingService(rig.Memory, new NetRingOptions { SpinBeforeSleep = TimeSpan.FromSeconds(2) });
        var guest = Attach(rig, service, tx: 64);
        Assert.True(SpinUntil(() => Volatile.Read(ref guest.TenderState) == (uint)NetRingState.Sleeping), "never slept");
        for (int i = 0; i < 40; i++) guest.Send(rig.FromGuest(60, i), Wait);
        Assert.Equal(1, guest.Kicks);
        for (int i = 0; i < 40; i++) Assert.Equal(rig.FromGuest(60, i), rig.Peer.Receive(Wait));
    }

    [RootFact]
    public void Ring_input_wakes_a_poll_through_the_receive_signal()
    {
        using var rig = new Rig();
        using var service = new NetRingService(rig.Memory);
        var guest = Attach(rig, service, handle: 9);
        using var poller = new DevicePoller();
        poller.Add(9, service.ReceiveSignal(9));
        Assert.True(poller.Poll(30_000_000).TimedOut);
        guest.FillRx();
        rig.Peer.Send(rig.ToGuest(64, 1));
        var r = poller.Poll(5_000_000_000);
        Assert.Equal(1ul << 9, r.ReadySet);
        Assert.True(guest.TryReceive(out var frame, out _));
        Assert.Equal(rig.ToGuest(64, 1), frame);
    }

    [RootFact]
    public void Bad_tx_descriptors_are_marked_invalid_and_the_good_one_after_them_is_sent()
    {
        using var rig = new Rig();
        using var service = Manual(rig);
        var guest = Attach(rig, service);
        var good = rig.FromGuest(80, 1);
        good.CopyTo(rig.Memory.Span(BufferPool, good.Length));
        var cases = new (ulong Address, uint Length, ushort Flags)[]
        {
            (0x1000, 64, 0),                          // below guest memory
            (MemoryBase + MemorySize, 64, 0),         // just past the end
            (MemoryBase + MemorySize - 10, 64, 0),    // straddles the end
            (ulong.MaxValue - 5, 64, 0),              // address + length overflows
            (BufferPool, 1515, 0),                    // longer than MTU + 14
            (BufferPool, 13, 0),                      // shorter than an Ethernet header
            (BufferPool, uint.MaxValue, 0),           // absurd length
            (BufferPool, 80, 1),                      // reserved flags set
            (BufferPool, 80, 0),                      // the good one
        };
        for (int i = 0; i < cases.Length; i++)
            TestGuestRing.WriteDescriptor(guest.TxDescriptor((uint)i), cases[i].Address, cases[i].Length, cases[i].Flags);
        Volatile.Write(ref guest.TxProducer, (uint)cases.Length);

        var batches = new List<NetRingBatch>();
        service.Trace = batches.Add;
        Assert.Equal(cases.Length, service.ServiceOnce());
        for (int i = 0; i < cases.Length - 1; i++)
            Assert.Equal((ushort)DeviceResult.InvalidArgument, TestGuestRing.ReadDescriptor(guest.TxDescriptor((uint)i)).Status);
        Assert.Equal((ushort)DeviceResult.Ok, TestGuestRing.ReadDescriptor(guest.TxDescriptor((uint)cases.Length - 1)).Status);
        Assert.Equal((uint)cases.Length, guest.TxConsumer);
        Assert.Equal(good, rig.Peer.Receive(Wait));
        Assert.Null(rig.Peer.Receive(TimeSpan.FromMilliseconds(100)));

        var batch = Assert.Single(batches);
        Assert.Equal(NetRingDirection.Transmit, batch.Direction);
        Assert.Equal(1, batch.Frames);
        Assert.Equal(cases.Length - 1, batch.Errors);
        Assert.Contains("outside guest memory", batch.FirstError);
        Assert.Equal(cases.Length - 1, service.GetStatistics(0).TxErrors);
        Assert.Null(service.Fault); // bad descriptors are the guest's errors, not a ring fault
    }

    [RootFact]
    public void Bad_rx_buffers_are_handed_back_empty_and_the_frame_goes_to_the_next_good_one()
    {
        using var rig = new Rig();
        using var service = Manual(rig);
        var guest = Attach(rig, service);
        var cases = new (ulong Address, uint Capacity, ushort Flags)[]
        {
            (BufferPool, 1513, 0),                     // smaller than the largest frame
            (MemoryBase - 4096, 4096, 0),              // below guest memory
            (MemoryBase + MemorySize - 1000, 1514, 0), // straddles the end
            (ulong.MaxValue - 100, 1514, 0),           // overflows
            (BufferPool, 1514, 4),                     // reserved flags
            (BufferPool, 1514, 0),                     // good
        };
        for (int i = 0; i < cases.Length; i++)
            TestGuestRing.WriteDescriptor(guest.RxDescriptor((uint)i), cases[i].Address, cases[i].Capacity, cases[i].Flags);
        Volatile.Write(ref guest.RxProducer, (uint)cases.Length);

        var inbound = rig.ToGuest(300, 5);
        rig.Peer.Send(inbound);
        Assert.True(SpinUntil(() => service.ServiceOnce() > 0 && guest.RxConsumer == (uint)cases.Length), "RX descriptors not completed");
        for (int i = 0; i < cases.Length - 1; i++)
        {
            var (_, length, status) = TestGuestRing.ReadDescriptor(guest.RxDescriptor((uint)i));
            Assert.Equal((ushort)DeviceResult.InvalidArgument, status);
            Assert.Equal(0u, length);
        }
        var (address, len, st) = TestGuestRing.ReadDescriptor(guest.RxDescriptor((uint)cases.Length - 1));
        Assert.Equal((ushort)DeviceResult.Ok, st);
        Assert.Equal(inbound, rig.Memory.Span(address, (int)len).ToArray());
        Assert.Equal(cases.Length - 1, service.GetStatistics(0).RxErrors);
    }

    [RootTheory]
    [InlineData(true, 17u)]
    [InlineData(true, 0x8000_0000u)]
    [InlineData(false, 17u)]
    [InlineData(false, uint.MaxValue)]
    public void A_producer_index_beyond_the_ring_stops_it_with_a_report(bool transmit, uint producer)
    {
        using var rig = new Rig();
        using var service = Manual(rig);
        var guest = Attach(rig, service);
        var faults = new List<NetRingFault>();
        service.Faulted += faults.Add;
        for (uint s = 0; s < 16; s++)
        {
            TestGuestRing.WriteDescriptor(guest.TxDescriptor(s), BufferPool, 60);
            TestGuestRing.WriteDescriptor(guest.RxDescriptor(s), BufferPool, 1514);
        }
        if (transmit) Volatile.Write(ref guest.TxProducer, producer);
        else Volatile.Write(ref guest.RxProducer, producer);

        Assert.Equal(0, service.ServiceOnce());
        var fault = Assert.Single(faults);
        Assert.Equal(0, fault.Handle);
        Assert.Contains($"{(transmit ? "TX" : "RX")} producer index {producer}", fault.Message);
        Assert.Contains("16 entries", fault.Message);
        Assert.Same(fault, service.Fault);
        Assert.Equal((uint)NetRingState.Failed, guest.TenderState);
        Assert.Equal(0u, guest.TxConsumer);
        Assert.Equal(0u, guest.RxConsumer);

        // A failed ring stays stopped even if the guest "repairs" it.
        Volatile.Write(ref guest.TxProducer, 1u);
        Assert.Equal(0, service.ServiceOnce());
        Assert.Null(rig.Peer.Receive(TimeSpan.FromMilliseconds(100)));
    }

    [RootFact]
    public void The_tender_trusts_its_own_indices_not_the_copies_in_guest_memory()
    {
        using var rig = new Rig();
        using var service = Manual(rig);
        var guest = Attach(rig, service);
        var f1 = rig.FromGuest(60, 1);
        f1.CopyTo(rig.Memory.Span(BufferPool, 60));
        TestGuestRing.WriteDescriptor(guest.TxDescriptor(0), BufferPool, 60);
        Volatile.Write(ref guest.TxProducer, 1u);
        Assert.Equal(1, service.ServiceOnce());
        Assert.Equal(f1, rig.Peer.Receive(Wait));

        // The guest scribbles over the tender's consumer index: the frame is not sent again,
        // and the next completion rewrites the index from the tender's own copy.
        Volatile.Write(ref guest.TxConsumer, 0u);
        Assert.Equal(0, service.ServiceOnce());
        Assert.Null(rig.Peer.Receive(TimeSpan.FromMilliseconds(100)));
        TestGuestRing.WriteDescriptor(guest.TxDescriptor(1), BufferPool, 60);
        Volatile.Write(ref guest.TxProducer, 2u);
        Assert.Equal(1, service.ServiceOnce());
        Assert.Equal(2u, guest.TxConsumer);
    }

    [RootFact]
    public void Bad_ring_headers_are_refused_at_attach_with_the_reason()
    {
        using var rig = new Rig();
        using var service = Manual(rig);
        string Refused(ulong address, Action<Span<byte>>? edit = null, uint rx = 16, uint tx = 16, int handle = 0)
        {
            if (address >= MemoryBase && address - MemoryBase <= MemorySize - 0x200)
            {
                _ = new TestGuestRing(rig.Memory, null, address, rx, tx, BufferPool, 1514);
                edit?.Invoke(rig.Memory.Span(address, 0x200));
            }
            bool attachedBefore = service.IsAttached(handle);
            Assert.False(service.TryAttach(handle, rig.Tap, address, out var error));
            Assert.Equal(attachedBefore, service.IsAttached(handle));
            return error!;
        }
        Assert.Contains("not 64-byte aligned", Refused(RingAddress + 8));
        Assert.Contains("outside guest memory", Refused(MemoryBase - 0x1000));
        Assert.Contains("outside guest memory", Refused(ulong.MaxValue & ~63UL));
        Assert.Contains("magic", Refused(RingAddress, h => h[0] = (byte)'X'));
        Assert.Contains("version 2", Refused(RingAddress, h => BinaryPrimitives.WriteUInt32LittleEndian(h[4..], 2)));
        Assert.Contains("flags", Refused(RingAddress, h => BinaryPrimitives.WriteUInt32LittleEndian(h[0x10..], 1)));
        Assert.Contains("RX ring size 0", Refused(RingAddress, rx: 0));
        Assert.Contains("TX ring size 24", Refused(RingAddress, tx: 24));
        Assert.Contains("RX ring size 8192", Refused(RingAddress, rx: 8192));
        Assert.Contains("consumer indices", Refused(RingAddress, h => BinaryPrimitives.WriteUInt32LittleEndian(h[0x100..], 3)));
        // Header inside memory, descriptors running past its end.
        Assert.Contains("ring area", Refused(MemoryBase + MemorySize - 0x400, rx: 4096, tx: 4096));
        Assert.Contains("not in 0..63", Refused(RingAddress, handle: 64));

        _ = new TestGuestRing(rig.Memory, null, RingAddress, 16, 16, BufferPool, 1514);
        Assert.True(service.TryAttach(0, rig.Tap, RingAddress, out var ok), ok);
        Assert.Contains("already has a ring", Refused(RingAddress + 0x1000));
        Assert.Contains("already serves the ring of NIC handle 0", Refused(RingAddress + 0x2000, handle: 1));
    }

    [RootFact]
    public void Two_nics_with_their_own_rings_are_serviced_by_one_thread()
    {
        using var rig = new Rig();
        rig.Ns.AddTap("tdv1");
        var (tap1, peer1) = rig.Ns.Run(() => (TapDevice.Open("tdv1"), new PacketSocket("tdv1")));
        using (tap1)
        using (peer1)
        {
            using var service = new NetRingService(rig.Memory);
            var ring0 = Attach(rig, service, handle: 0);
            var ring1 = new TestGuestRing(rig.Memory, service, RingAddress + 0x4000, 16, 16, BufferPool + 0x10_0000, tap1.MaxFrameSize);
            Assert.True(service.TryAttach(1, tap1, RingAddress + 0x4000, out var error), error);

            for (int i = 0; i < 20; i++)
            {
                var a = rig.FromGuest(60 + i, i);
                var b = Frames.Make(peer1.InterfaceMac, tap1.GuestMac.ToArray(), 90 + i, 500 + i);
                ring0.Send(a, Wait);
                ring1.Send(b, Wait);
                Assert.Equal(a, rig.Peer.Receive(Wait));
                Assert.Equal(b, peer1.Receive(Wait));
            }
            Assert.Equal(20, service.GetStatistics(0).TxFrames);
            Assert.Equal(20, service.GetStatistics(1).TxFrames);
        }
    }

    [RootFact]
    public void Random_descriptors_and_indices_never_make_the_engine_fail_or_reach_outside_guest_memory()
    {
        // A hostile guest: every descriptor and both producer indices random (a fixed seed, so a
        // failure reproduces), many rounds. Each round either completes descriptors with a
        // status or faults the ring; the engine itself never throws.
        using var rig = new Rig();
        var random = new Random(4242);
        int faults = 0, completed = 0;
        for (int round = 0; round < 100; round++)
        {
            using var service = Manual(rig);
            rig.Memory.Span(RingAddress, 0x200 + 16 * 32).Clear();
            var guest = Attach(rig, service, rx: 16, tx: 16);
            for (uint slot = 0; slot < 16; slot++)
            {
                RandomDescriptor(random, guest.TxDescriptor(slot));
                RandomDescriptor(random, guest.RxDescriptor(slot));
            }
            Volatile.Write(ref guest.TxProducer, random.Next(4) == 0 ? (uint)random.NextInt64(0, 1L << 32) : (uint)random.Next(0, 17));
            Volatile.Write(ref guest.RxProducer, random.Next(4) == 0 ? (uint)random.NextInt64(0, 1L << 32) : (uint)random.Next(0, 17));
            for (int pass = 0; pass < 3; pass++) completed += service.ServiceOnce();
            if (service.Fault is NetRingFault fault)
            {
                Assert.Equal(0, fault.Handle);
                Assert.Contains("producer index", fault.Message);
                faults++;
            }
        }
        // Both outcomes were exercised.
        Assert.True(faults > 0 && completed > 0, $"faults {faults}, completed {completed}");
    }

    private static void RandomDescriptor(Random random, Span<byte> d)
    {
        ulong address = random.Next(3) switch
        {
            0 => (ulong)random.NextInt64(),                                               // anywhere
            1 => MemoryBase + MemorySize - (ulong)random.Next(0, 20_000),                  // near the end
            _ => BufferPool + (ulong)random.Next(0, 1 << 20),                              // inside
        };
        uint length = random.Next(3) switch
        {
            0 => (uint)random.NextInt64(0, 1L << 32),
            1 => (uint)random.Next(0, 20),
            _ => (uint)random.Next(1400, 1600),
        };
        TestGuestRing.WriteDescriptor(d, address, length, random.Next(8) == 0 ? (ushort)random.Next(1, 65536) : (ushort)0);
    }

    [RootFact]
    public void A_guest_scribbling_over_its_ring_while_the_io_thread_runs_cannot_break_the_engine()
    {
        using var rig = new Rig();
        using var service = new NetRingService(rig.Memory, new NetRingOptions { SpinBeforeSleep = TimeSpan.FromMilliseconds(1) });
        var guest = Attach(rig, service, rx: 16, tx: 16);
        var random = new Random(99);
        var area = RingAddress;
        long start = Stopwatch.GetTimestamp();
        int writes = 0;
        while (Stopwatch.GetElapsedTime(start) < TimeSpan.FromMilliseconds(300) && service.Fault is null)
        {
            // Random bytes anywhere in the header's guest fields and the descriptors, with a kick.
            int offset = random.Next(4) == 0 ? 0x40 * random.Next(1, 4) : 0x200 + random.Next(0, 32 * 16 - 8);
            BinaryPrimitives.WriteUInt64LittleEndian(rig.Memory.Span(area + (ulong)offset, 8), (ulong)random.NextInt64());
            service.Kick();
            writes++;
        }
        Assert.True(SpinUntil(() => service.Fault is not null), $"after {writes} random writes the ring never faulted");
        // Random indices end as a ring fault (handle 0), never as the engine's own failure (-1).
        Assert.Equal(0, service.Fault!.Handle);
        Assert.Equal((uint)NetRingState.Failed, guest.TenderState);
    }

    /// <summary>Polls a condition every millisecond for at most 5 s.</summary>
    private static bool SpinUntil(Func<bool> condition)
    {
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < Wait)
        {
            if (condition()) return true;
            Thread.Sleep(1);
        }
        return condition();
    }
}
