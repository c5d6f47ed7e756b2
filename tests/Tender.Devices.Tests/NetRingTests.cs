using System.Buffers.Binary;
using System.Diagnostics;

namespace Tender.Devices.Tests;

/// <summary>
/// The Solo5 ring engine over in-process guest memory and real TAPs in a test namespace, with a
/// packet socket as the Linux-side peer. The guest side is <see cref="TestGuestRing"/>.
/// </summary>
public sealed unsafe class NetRingTests
{
    private const ulong MemoryBase = 0x10_0000;
    private const ulong MemorySize = 4 << 20;
    /// <summary>The ring at the top of memory, as the tender places it.</summary>
    private static readonly ulong RingAddress = MemoryBase + MemorySize - HvtRingLayout.AreaSize(4096);
    private const ulong Buffers = MemoryBase + 0x10_0000;
    private const uint Handle = 1; // manifest entry 0 is Solo5's reserved entry
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    /// <summary>A namespace with TAPs (handles 1, 2, …), peers, guest memory, an engine and a guest.</summary>
    private sealed class Rig : IDisposable
    {
        public readonly TestNamespace Ns = new();
        public readonly List<TapDevice> Taps = [];
        public readonly List<PacketSocket> Peers = [];
        public readonly BufferGuestMemory Memory = new(MemoryBase, MemorySize);
        public readonly NetRingService Service;
        public readonly TestGuestRing Guest;
        public readonly List<NetRingBatch> Batches = [];

        public Rig(int mtu = 1500, int nics = 1, NetRingOptions? options = null)
        {
            try
            {
                Memory.Reserved = (RingAddress, MemoryBase + MemorySize);
                for (int i = 0; i < nics; i++)
                {
                    Ns.AddTap($"tdv{i}", mtu);
                    var (tap, peer) = Ns.Run(() => (TapDevice.Open($"tdv{i}"), new PacketSocket($"tdv{i}")));
                    Taps.Add(tap);
                    Peers.Add(peer);
                }
                var byHandle = new TapDevice?[1 + nics];
                for (int i = 0; i < nics; i++) byHandle[1 + i] = Taps[i];
                Service = new NetRingService(new NetRingArea(Memory.Pointer(RingAddress), RingAddress), Memory, byHandle, options);
                Service.Trace = b => { lock (Batches) Batches.Add(b); };
                bool manual = options is { StartThread: false };
                Guest = new TestGuestRing(Memory, RingAddress, Service.Kick, manual ? () => Service.ServiceOnce() : null);
                if (!manual) Service.Start();
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public TapDevice Tap => Taps[0];
        public PacketSocket Peer => Peers[0];

        public byte[] ToGuest(int length, int seed, int nic = 0) => Frames.Make(Taps[nic].GuestMac.ToArray(), Peers[nic].InterfaceMac, length, seed);
        public byte[] FromGuest(int length, int seed, int nic = 0) => Frames.Make(Peers[nic].InterfaceMac, Taps[nic].GuestMac.ToArray(), length, seed);

        /// <summary>Puts a frame in guest memory at address.</summary>
        public ulong Place(byte[] frame, ulong address)
        {
            frame.CopyTo(Memory.Span(address, frame.Length));
            return address;
        }

        /// <summary>NET_READs until a test frame arrives (AGAIN in between; bounded).</summary>
        public byte[] ReadFrame(ulong buffer, uint size, uint handle = Handle)
        {
            long start = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(start) < Wait)
            {
                var (result, length, _) = Guest.Read(handle, buffer, size);
                if (result == (int)DeviceResult.Ok)
                {
                    var frame = Memory.Span(buffer, (int)length).ToArray();
                    if (Frames.IsTestFrame(frame)) return frame;
                    continue;
                }
                Assert.Equal((int)DeviceResult.Again, result);
                Thread.Sleep(1);
            }
            throw new TimeoutException("no frame came through the ring");
        }

        public void Dispose()
        {
            Service?.Dispose();
            foreach (var t in Taps) t.Dispose();
            foreach (var p in Peers) p.Dispose();
            Memory.Dispose();
            Ns.Dispose();
        }
    }

    private static NetRingOptions Manual => new() { StartThread = false };

    [RootFact]
    public void Frames_flow_both_ways_through_the_io_thread()
    {
        using var rig = new Rig();
        const int count = 200;
        // Linux → guest: frames of many sizes, each read by a NET_READ entry, in order and intact.
        for (int i = 0; i < count; i++)
        {
            var f = rig.ToGuest(60 + i * 37 % 1455, i);
            rig.Peer.Send(f);
            Assert.Equal(f, rig.ReadFrame(Buffers, 1514));
        }
        // Guest → Linux: NET_WRITE entries are fire-and-forget; the minimum and maximum included.
        var sent = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            int length = i == 0 ? 1514 : i == 1 ? 14 : 14 + i * 53 % 1500;
            var f = rig.FromGuest(length, 1000 + i);
            sent.Add(f);
            // A buffer per slot, as Solo5's bindings keep one per ring slot.
            rig.Guest.Write(Handle, rig.Place(f, Buffers + 0x1000 + (ulong)(i % 64) * 2048), (uint)length);
            if (i % 32 == 31 || i == count - 1)
            {
                // Reap in groups so the peer socket's receive buffer never overflows.
                rig.Guest.WaitDrained();
                for (int j = i - i % 32; j <= i; j++)
                {
                    var got = rig.Peer.Receive(Wait);
                    Assert.True(got is not null, $"frame {j} of {sent[j].Length} bytes did not arrive");
                    Assert.Equal(sent[j], got);
                }
            }
        }

        var stats = rig.Service.Statistics;
        Assert.Equal(count, stats.TxFrames);
        Assert.True(stats.RxFrames >= count);
        Assert.Equal(0, stats.Rejected);
        Assert.Null(rig.Service.Fault);
    }

    [RootFact]
    public void A_read_with_no_frame_waiting_is_committed_AGAIN_at_once_with_its_id()
    {
        using var rig = new Rig();
        rig.Guest.Read(Handle, Buffers, 1514); // the first wakes the thread
        for (int i = 0; i < 20; i++)
        {
            var (result, length, id) = rig.Guest.Read(Handle, Buffers, 1514);
            Assert.Equal((int)DeviceResult.Again, result);
            Assert.Equal(0u, length);
            Assert.Equal(rig.Guest.LastId, id);
        }
        Assert.True(rig.Service.Statistics.RxAgain >= 20);
    }

    [RootFact]
    public void The_io_thread_sleeps_until_the_first_kick_and_a_guest_that_does_not_kick_is_not_served()
    {
        using var rig = new Rig(options: new NetRingOptions { PollIterations = 0 });
        // needs_kick is 1 before the guest's first submission: a ring-using guest kicks once to start.
        Assert.Equal(1u, Volatile.Read(ref rig.Guest.NeedsKick));
        Assert.True(SpinUntil(() => rig.Service.Statistics.Sleeps == 1), "the I/O thread did not go to sleep");
        var f = rig.FromGuest(100, 7);
        rig.Guest.Fill(HvtRingLayout.NetWrite, Handle, rig.Place(f, Buffers), 100);
        rig.Guest.Publish(kickIfNeeded: false); // a guest that breaks the rule
        Thread.Sleep(100);
        Assert.False(rig.Guest.Drained);
        Assert.Null(rig.Peer.Receive(TimeSpan.FromMilliseconds(50)));

        rig.Service.Kick();
        rig.Guest.WaitDrained();
        Assert.Equal(f, rig.Peer.Receive(Wait));

        // With no polling the thread sleeps after each pass; every submission then costs a kick.
        Assert.True(SpinUntil(() => Volatile.Read(ref rig.Guest.NeedsKick) == 1), "the idle I/O thread never set needs_kick");
        var g = rig.FromGuest(90, 8);
        rig.Guest.Write(Handle, rig.Place(g, Buffers + 0x1000), 90);
        Assert.Equal(1, rig.Guest.Kicks);
        Assert.Equal(g, rig.Peer.Receive(Wait));
        Assert.True(SpinUntil(() => rig.Service.Statistics.Kicks == 2), $"kicks {rig.Service.Statistics.Kicks}");
        Assert.True(rig.Service.Statistics.Sleeps >= 2);
    }

    [RootFact]
    public void Entries_queued_just_before_the_guest_halts_go_out_when_the_service_finishes()
    {
        // The sleeping thread is never kicked (as when a guest halts right after publishing, before
        // the thread wakes): Finish serves the entries on the caller's thread, in order.
        using var rig = new Rig(options: new NetRingOptions { PollIterations = 0 });
        Assert.True(SpinUntil(() => rig.Service.Statistics.Sleeps == 1), "the I/O thread did not go to sleep");
        var frames = Enumerable.Range(0, 5).Select(i => rig.FromGuest(60 + i * 300, 40 + i)).ToList();
        for (int i = 0; i < frames.Count; i++)
            rig.Guest.Fill(HvtRingLayout.NetWrite, Handle, rig.Place(frames[i], Buffers + (ulong)i * 2048), (uint)frames[i].Length);
        uint readId = rig.Guest.Fill(HvtRingLayout.NetRead, Handle, Buffers + 0x10000, 1514);
        rig.Guest.Publish(kickIfNeeded: false);
        Thread.Sleep(50);
        Assert.False(rig.Guest.Drained);

        Assert.Equal(6, rig.Service.Finish());
        Assert.True(rig.Guest.Drained);
        foreach (var f in frames) Assert.Equal(f, rig.Peer.Receive(Wait));
        var (result, _, id) = rig.Guest.NextCommit();
        Assert.Equal((int)DeviceResult.Again, result);
        Assert.Equal(readId, id);
        Assert.Equal(0, rig.Service.Finish()); // nothing left; stopping twice is harmless
        Assert.Null(rig.Service.Fault);
    }

    [RootFact]
    public void A_kick_served_on_the_vcpu_thread_consumes_the_entries_at_once_and_wakes_the_io_thread()
    {
        using var rig = new Rig(options: new NetRingOptions { PollIterations = 0 });
        Assert.True(SpinUntil(() => rig.Service.Statistics.Sleeps == 1), "the I/O thread did not go to sleep");
        var frames = Enumerable.Range(0, 3).Select(i => rig.FromGuest(100 + i, 60 + i)).ToList();
        for (int i = 0; i < frames.Count; i++)
            rig.Guest.Fill(HvtRingLayout.NetWrite, Handle, rig.Place(frames[i], Buffers + (ulong)i * 2048), (uint)frames[i].Length);
        rig.Guest.Publish(kickIfNeeded: false);

        // Served by the caller before it returns: no waiting for the thread.
        Assert.Equal(3, rig.Service.KickFromVcpu());
        Assert.True(rig.Guest.Drained);
        foreach (var f in frames) Assert.Equal(f, rig.Peer.Receive(Wait));
        // The thread was woken as well, found nothing, and went back to sleep.
        Assert.True(SpinUntil(() => rig.Service.Statistics.Kicks == 1 && rig.Service.Statistics.Sleeps >= 2), "the I/O thread was not woken");
        Assert.Equal(0, rig.Service.KickFromVcpu()); // nothing pending
        Assert.Null(rig.Service.Fault);
    }

    [RootFact]
    public void A_polling_io_thread_needs_no_kicks()
    {
        // Polling long enough that, once woken, the thread stays awake for the whole test.
        using var rig = new Rig(options: new NetRingOptions { PollIterations = int.MaxValue });
        for (int i = 0; i < 100; i++)
        {
            if (i == 1) Assert.True(SpinUntil(() => Volatile.Read(ref rig.Guest.NeedsKick) == 0), "the kicked thread did not wake");
            var f = rig.FromGuest(60, i);
            rig.Guest.Write(Handle, rig.Place(f, Buffers + (ulong)i * 2048), 60);
        }
        rig.Guest.WaitDrained();
        for (int i = 0; i < 100; i++) Assert.Equal(rig.FromGuest(60, i), rig.Peer.Receive(Wait));
        Assert.Equal(1, rig.Guest.Kicks); // only the first submission found it asleep
        Assert.Equal(0u, Volatile.Read(ref rig.Guest.NeedsKick));
    }

    [RootFact]
    public void Writes_before_a_read_are_published_first_and_commits_carry_the_read_ids_in_order()
    {
        using var rig = new Rig(options: Manual);
        var inbound = rig.ToGuest(70, 3);
        rig.Peer.Send(inbound);
        Thread.Sleep(20);
        var w1 = rig.FromGuest(64, 1);
        var w2 = rig.FromGuest(65, 2);
        rig.Guest.Fill(HvtRingLayout.NetWrite, Handle, rig.Place(w1, Buffers), 64);
        rig.Guest.Fill(HvtRingLayout.NetWrite, Handle, rig.Place(w2, Buffers + 0x800), 65);
        uint read1 = rig.Guest.Fill(HvtRingLayout.NetRead, Handle, Buffers + 0x1000, 1514);
        uint read2 = rig.Guest.Fill(HvtRingLayout.NetRead, Handle, Buffers + 0x2000, 1514);
        rig.Guest.Publish();
        Assert.Equal(4, rig.Service.ServiceOnce());
        Assert.Equal(4u, Volatile.Read(ref rig.Guest.EntHead));
        Assert.Equal(2u, Volatile.Read(ref rig.Guest.ComTail));
        var c1 = rig.Guest.NextCommit();
        var c2 = rig.Guest.NextCommit();
        Assert.Equal(read1, c1.Id);
        Assert.Equal(read2, c2.Id);
        Assert.Equal((int)DeviceResult.Ok, c1.Result);
        Assert.Equal(inbound, rig.Memory.Span(Buffers + 0x1000, (int)c1.Length).ToArray());
        Assert.Equal((int)DeviceResult.Again, c2.Result);
        Assert.Equal(w1, rig.Peer.Receive(Wait));
        Assert.Equal(w2, rig.Peer.Receive(Wait));
        var batch = Assert.Single(rig.Batches);
        Assert.Equal(new NetRingBatch(4, 2, 129, 2, 1, 70, 1, 0, null), batch);
    }

    [RootFact]
    public void Entries_the_engine_cannot_serve_are_skipped_or_committed_EINVAL_and_the_ring_goes_on()
    {
        using var rig = new Rig(options: Manual);
        var good = rig.FromGuest(80, 1);
        rig.Place(good, Buffers);
        rig.Guest.Fill(HvtRingLayout.NetWrite, 0, Buffers, 80);          // handle 0: Solo5's reserved entry
        rig.Guest.Fill(HvtRingLayout.NetWrite, 63, Buffers, 80);         // no such device
        rig.Guest.Fill(HvtRingLayout.NetWrite, uint.MaxValue, Buffers, 80);
        rig.Guest.Fill(7, Handle, Buffers, 80);                          // unknown operation
        rig.Guest.Fill(0, Handle, Buffers, 80);
        rig.Guest.Fill(HvtRingLayout.NetWrite, Handle, Buffers, 1515);   // longer than MTU + 14
        rig.Guest.Fill(HvtRingLayout.NetWrite, Handle, Buffers, 13);     // shorter than a header
        rig.Guest.Fill(HvtRingLayout.NetWrite, Handle, Buffers, 0);
        uint badRead = rig.Guest.Fill(HvtRingLayout.NetRead, 5, Buffers + 0x1000, 1514);
        uint smallRead = rig.Guest.Fill(HvtRingLayout.NetRead, Handle, Buffers + 0x1000, 1513); // below MTU + 14
        rig.Guest.Fill(HvtRingLayout.NetWrite, Handle, Buffers, 80);     // good
        rig.Guest.Publish();
        Assert.Equal(11, rig.Service.ServiceOnce());
        Assert.Null(rig.Service.Fault);
        Assert.Equal(good, rig.Peer.Receive(Wait));
        Assert.Null(rig.Peer.Receive(TimeSpan.FromMilliseconds(50))); // nothing else went out
        var c1 = rig.Guest.NextCommit();
        Assert.Equal((badRead, (int)DeviceResult.InvalidArgument, 0u), (c1.Id, c1.Result, c1.Length));
        var c2 = rig.Guest.NextCommit();
        Assert.Equal((smallRead, (int)DeviceResult.InvalidArgument, 0u), (c2.Id, c2.Result, c2.Length));
        var stats = rig.Service.Statistics;
        Assert.Equal(10, stats.Rejected);
        Assert.Equal(1, stats.TxFrames);
        Assert.Contains(rig.Batches, b => b.FirstRejection!.Contains("handle 0 is not an attached NET_BASIC device"));
    }

    public static TheoryData<string, uint, ulong, uint> BadBuffers => new()
    {
        { "write below guest memory", HvtRingLayout.NetWrite, 0x1000, 64 },
        { "write past the end", HvtRingLayout.NetWrite, MemoryBase + MemorySize, 64 },
        { "write straddling the end", HvtRingLayout.NetWrite, MemoryBase + MemorySize - 10, 64 },
        { "write wrapping around", HvtRingLayout.NetWrite, ulong.MaxValue - 5, 64 },
        { "write from the ring area", HvtRingLayout.NetWrite, RingAddress + 64, 64 },
        { "read into the ring area", HvtRingLayout.NetRead, RingAddress - 100, 1514 },
        { "read into read-only memory", HvtRingLayout.NetRead, Buffers + 0x10000, 1514 },
        { "read with an absurd length", HvtRingLayout.NetRead, Buffers, uint.MaxValue },
    };

    [RootTheory]
    [MemberData(nameof(BadBuffers))]
    public void A_buffer_outside_the_guests_own_memory_stops_the_ring_with_a_report(string what, uint operation, ulong address, uint length)
    {
        using var rig = new Rig(options: Manual);
        rig.Memory.ReadOnly = (Buffers + 0x10000, Buffers + 0x20000);
        var faults = new List<NetRingFault>();
        rig.Service.Faulted += faults.Add;
        rig.Guest.Fill(operation, Handle, address, length);
        rig.Guest.Fill(HvtRingLayout.NetWrite, Handle, rig.Place(rig.FromGuest(60, 1), Buffers), 60); // never reached
        rig.Guest.Publish();
        Assert.Equal(0, rig.Service.ServiceOnce());
        var fault = Assert.Single(faults);
        Assert.Same(fault, rig.Service.Fault);
        Assert.Contains(operation == HvtRingLayout.NetWrite ? "NET_WRITE entry 0" : "NET_READ entry 0", fault.Message);
        Assert.Contains($"0x{address:x}", fault.Message);
        Assert.Equal(0u, Volatile.Read(ref rig.Guest.ComTail)); // no commit for the bad read
        Assert.Null(rig.Peer.Receive(TimeSpan.FromMilliseconds(50)));
        Assert.Equal(0, rig.Service.ServiceOnce()); // a stopped ring stays stopped
        Assert.True(rig.Service.Fault is not null, what);
    }

    [RootTheory]
    [InlineData(1025u)]
    [InlineData(0x8000_0000u)]
    [InlineData(uint.MaxValue)]
    public void An_ent_tail_further_ahead_than_the_ring_holds_stops_it_as_corrupt(uint tail)
    {
        using var rig = new Rig(options: Manual);
        Volatile.Write(ref rig.Guest.EntTail, tail);
        Assert.Equal(0, rig.Service.ServiceOnce());
        Assert.Contains($"ent_tail {tail} is {tail} entries ahead", rig.Service.Fault!.Message);
        Assert.Equal(0u, Volatile.Read(ref rig.Guest.EntHead));
    }

    [RootFact]
    public void A_full_ring_of_1024_entries_is_accepted_and_the_next_lap_reuses_the_slots()
    {
        using var fresh = new Rig(options: Manual);
        var f = fresh.FromGuest(60, 9);
        fresh.Place(f, Buffers);
        for (int i = 0; i < 1024; i++) fresh.Guest.Fill(HvtRingLayout.NetWrite, Handle, Buffers, 60);
        fresh.Guest.Publish();
        Assert.Equal(1024, fresh.Service.ServiceOnce());
        Assert.Null(fresh.Service.Fault);
        int received = 0;
        while (fresh.Peer.Receive(TimeSpan.FromMilliseconds(200)) is byte[] got)
        {
            Assert.Equal(f, got);
            received++;
        }
        // The TAP's queue toward Linux may drop under a burst; the engine sent all of them.
        Assert.Equal(1024, fresh.Service.Statistics.TxFrames);
        Assert.True(received > 0);
        // Another lap: indices past 1024 reuse the slots.
        for (int i = 0; i < 10; i++) fresh.Guest.Fill(HvtRingLayout.NetRead, Handle, Buffers + 0x1000, 1514);
        fresh.Guest.Publish();
        Assert.Equal(10, fresh.Service.ServiceOnce());
        for (int i = 0; i < 10; i++) Assert.Equal((int)DeviceResult.Again, fresh.Guest.NextCommit().Result);
    }

    [RootFact]
    public void The_tender_trusts_its_own_indices_not_the_copies_in_guest_memory()
    {
        using var rig = new Rig(options: Manual);
        var f = rig.FromGuest(60, 1);
        rig.Guest.Write(Handle, rig.Place(f, Buffers), 60);
        Assert.Equal(1, rig.Service.ServiceOnce());
        Assert.Equal(f, rig.Peer.Receive(Wait));
        // The guest scribbles over the tender's fields.
        Volatile.Write(ref rig.Guest.EntHead, 500);
        Volatile.Write(ref rig.Guest.ComTail, 77);
        Assert.Equal(0, rig.Service.ServiceOnce()); // nothing new: ent_tail is 1, the tender's ent_head is 1
        var g = rig.FromGuest(61, 2);
        rig.Guest.Fill(HvtRingLayout.NetWrite, Handle, rig.Place(g, Buffers + 0x800), 61);
        rig.Guest.Publish();
        Assert.Equal(1, rig.Service.ServiceOnce());
        Assert.Equal(g, rig.Peer.Receive(Wait));
        Assert.Equal(2u, Volatile.Read(ref rig.Guest.EntHead)); // rewritten from the tender's copy
    }

    [RootFact]
    public void One_ring_serves_two_nics_by_handle()
    {
        using var rig = new Rig(nics: 2);
        for (int i = 0; i < 20; i++)
        {
            rig.Guest.Write(1, rig.Place(rig.FromGuest(60, i, nic: 0), Buffers + (ulong)i * 4096), 60);
            rig.Guest.Write(2, rig.Place(rig.FromGuest(61, 100 + i, nic: 1), Buffers + (ulong)i * 4096 + 2048), 61);
        }
        rig.Guest.WaitDrained();
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(rig.FromGuest(60, i, nic: 0), rig.Peers[0].Receive(Wait));
            Assert.Equal(rig.FromGuest(61, 100 + i, nic: 1), rig.Peers[1].Receive(Wait));
        }
        var inbound = rig.ToGuest(99, 5, nic: 1);
        rig.Peers[1].Send(inbound);
        Assert.Equal(inbound, rig.ReadFrame(Buffers, 1514, handle: 2));
        Assert.Equal((int)DeviceResult.Again, rig.Guest.Read(1, Buffers, 1514).Result);
    }

    [RootFact]
    public void Poll_readiness_is_the_taps_and_a_ring_read_consumes_it()
    {
        using var rig = new Rig();
        using var poller = new DevicePoller();
        poller.Add((int)Handle, rig.Tap.Descriptor);
        Assert.True(poller.Poll(20_000_000).TimedOut);
        var f = rig.ToGuest(64, 1);
        rig.Peer.Send(f);
        Assert.Equal(1ul << (int)Handle, poller.Poll(5_000_000_000).ReadySet);
        Assert.Equal(f, rig.ReadFrame(Buffers, 1514));
        Assert.True(poller.Poll(20_000_000).TimedOut);
    }

    [RootFact]
    public void Jumbo_frames_move_through_the_ring_with_a_9000_byte_mtu()
    {
        using var rig = new Rig(mtu: 9000);
        var inbound = rig.ToGuest(9014, 1);
        rig.Peer.Send(inbound);
        Assert.Equal(inbound, rig.ReadFrame(Buffers, 9014));
        var outbound = rig.FromGuest(9014, 2);
        rig.Guest.Write(Handle, rig.Place(outbound, Buffers + 0x4000), 9014);
        Assert.Equal(outbound, rig.Peer.Receive(Wait));
        rig.Guest.Write(Handle, Buffers + 0x4000, 9015);
        rig.Guest.WaitDrained();
        Assert.Equal(1, rig.Service.Statistics.Rejected);
    }

    [RootFact]
    public void Random_entries_and_indices_never_make_the_engine_throw_or_reach_outside_guest_memory()
    {
        // A hostile guest: every entry field and ent_tail random (fixed seed: a failure reproduces).
        // Each round either consumes entries or stops the ring with a report; nothing else.
        var random = new Random(4242);
        int faults = 0, consumed = 0;
        using var rig = new Rig(options: Manual);
        for (int round = 0; round < 60; round++)
        {
            var memory = rig.Memory;
            memory.Span(RingAddress, HvtRingLayout.Size).Clear();
            using var service = new NetRingService(new NetRingArea(memory.Pointer(RingAddress), RingAddress), memory, [null, rig.Tap], Manual);
            for (uint slot = 0; slot < 64; slot++)
            {
                var e = memory.Span(RingAddress + 128 + 32 * slot, 32);
                BinaryPrimitives.WriteUInt32LittleEndian(e, (uint)random.Next(0, 4));
                BinaryPrimitives.WriteUInt32LittleEndian(e[4..], random.Next(3) == 0 ? (uint)random.Next() : Handle);
                BinaryPrimitives.WriteUInt64LittleEndian(e[8..], random.Next(3) switch
                {
                    0 => (ulong)random.NextInt64(),
                    1 => MemoryBase + MemorySize - (ulong)random.Next(0, 3_000_000),
                    _ => Buffers + (ulong)random.Next(0, 1 << 20),
                });
                BinaryPrimitives.WriteUInt32LittleEndian(e[16..], random.Next(3) switch
                {
                    0 => (uint)random.NextInt64(0, 1L << 32),
                    1 => (uint)random.Next(0, 20),
                    _ => (uint)random.Next(1400, 1600),
                });
            }
            uint tail = random.Next(4) == 0 ? (uint)random.NextInt64(0, 1L << 32) : (uint)random.Next(0, 65);
            Volatile.Write(ref rig.Guest.EntTail, tail);
            consumed += service.ServiceOnce();
            if (service.Fault is NetRingFault fault)
            {
                Assert.True(fault.Message.Contains("corrupt") || fault.Message.Contains("buffer"), fault.Message);
                faults++;
            }
        }
        Assert.True(faults > 0 && consumed > 0, $"faults {faults}, consumed {consumed}");
    }

    [RootFact]
    public void A_guest_scribbling_over_its_ring_while_the_io_thread_runs_cannot_break_the_engine()
    {
        using var rig = new Rig(options: new NetRingOptions { PollIterations = 1000 });
        var random = new Random(99);
        long start = Stopwatch.GetTimestamp();
        int writes = 0;
        while (Stopwatch.GetElapsedTime(start) < TimeSpan.FromMilliseconds(300) && rig.Service.Fault is null)
        {
            // Random 8-byte stores over the guest's indices and the entries, each with a kick.
            int offset = random.Next(4) == 0 ? 0 : 128 + 8 * random.Next(0, 64 * 4);
            BinaryPrimitives.WriteUInt64LittleEndian(rig.Memory.Span(RingAddress + (ulong)offset, 8), (ulong)random.NextInt64());
            rig.Service.Kick();
            writes++;
        }
        Assert.True(SpinUntil(() => rig.Service.Fault is not null), $"after {writes} random stores the ring never stopped");
        // It stopped on the guest's data (a corrupt index or a bad buffer), never on its own failure.
        Assert.DoesNotContain("I/O thread failed", rig.Service.Fault!.Message);
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
