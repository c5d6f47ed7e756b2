using System;
using System.Threading;

namespace GuestBindings
{
    /// <summary>
    /// The guest half of Solo5's ring I/O (hvt_ring.h; docs/ring-io.md): one ring for all network
    /// devices, at the address the tender gives in the boot info. The guest writes ent_tail and
    /// com_head, the tender ent_head, com_tail and needs_kick; each side only reads the other's.
    /// Written from docs/ring-io.md.
    /// </summary>
    internal static unsafe class NetRing
    {
        private const int Size = 1024;               // HVT_RING_SIZE
        private const uint MaxOutstanding = Size - 1; // as Solo5's bindings
        internal const int CopyBufferSize = 2048;    // HVT_RING_BUF_SIZE: larger writes use NETWRITE
        private const int OffsetEntTail = 0, OffsetComHead = 4, OffsetEntHead = 64, OffsetComTail = 68, OffsetNeedsKick = 72;
        private const int OffsetEntries = 128, EntrySize = 32;
        private const int OffsetCommits = 128 + Size * EntrySize, CommitSize = 16;
        private const uint OpWrite = 1, OpRead = 2;
        private const uint KickPort = Solo5.HvtAbi.RingKickPort;
        // A tender that stops answering would otherwise leave the guest spinning for ever.
        private const ulong CommitTimeoutNs = 10_000_000_000;

        private static byte* s_ring;
        private static byte* s_copy;   // Size buffers of CopyBufferSize: a write's frame is copied into its slot's buffer
        private static uint s_entTail; // our copies of the indices we own
        private static uint s_comHead;
        private static uint s_nextId;
        private static bool s_tried;

        internal static ulong Kicks;

        /// <summary>Whether the tender offers the ring (host_features bit 0 and a ring address).</summary>
        internal static bool Offered => (DeviceCalls.HostFeatures & DeviceCalls.FeatureRingIo) != 0 && DeviceCalls.NetRingAddress != 0;

        /// <summary>Takes the ring on first use. Solo5's tender accepts by use (it never reads guest_features); we also set the bit.</summary>
        internal static bool TryOpen()
        {
            if (s_ring != null) return true;
            if (s_tried || !Offered) return false;
            s_tried = true;
            byte[] copy = new byte[Size * CopyBufferSize];
            // The collector never moves objects, and s_copy (a static, which it scans) keeps the array alive.
            fixed (byte* p = copy) s_copy = p;
            s_ring = (byte*)DeviceCalls.NetRingAddress;
            // Start from the indices the ring holds (0 for a fresh ring).
            s_entTail = Volatile.Read(ref *(uint*)(s_ring + OffsetEntTail));
            s_comHead = Volatile.Read(ref *(uint*)(s_ring + OffsetComHead));
            DeviceCalls.AcceptFeatures(DeviceCalls.FeatureRingIo);
            return true;
        }

        private static ref uint Field(int offset) => ref *(uint*)(s_ring + offset);

        // Waits until a submission slot is free: the tender has consumed all but MaxOutstanding - 1.
        private static void WaitForSpace()
        {
            if (s_entTail - Volatile.Read(ref Field(OffsetEntHead)) < MaxOutstanding) return;
            Kick(force: false);
            ulong start = Clock.MonotonicNanoseconds;
            uint spins = 0;
            while (s_entTail - Volatile.Read(ref Field(OffsetEntHead)) >= MaxOutstanding) Wait(ref spins, start, "a free submission slot");
        }

        private static void Submit(uint op, int handle, byte* data, uint length, uint id)
        {
            WaitForSpace();
            byte* e = s_ring + OffsetEntries + (s_entTail % Size) * EntrySize;
            *(uint*)e = op;
            *(uint*)(e + 4) = (uint)handle;
            *(ulong*)(e + 8) = (ulong)data;
            *(uint*)(e + 16) = length;
            *(uint*)(e + 20) = id;
            *(ulong*)(e + 24) = 0;
            s_entTail++;
            // Release: the entry's fields are visible before the index that covers them.
            Volatile.Write(ref Field(OffsetEntTail), s_entTail);
        }

        /// <summary>
        /// After publishing: store ent_tail; full barrier; load needs_kick (the I/O thread does the mirror
        /// image), so either it sees our entries or we see that it sleeps and kick it.
        /// </summary>
        private static void Kick(bool force)
        {
            Interlocked.MemoryBarrier();
            if (force || Volatile.Read(ref Field(OffsetNeedsKick)) != 0)
            {
                Kicks++;
                Hypercalls.Hypercall(KickPort, 0);
            }
        }

        private static void Wait(ref uint spins, ulong start, string what)
        {
            // Spin while the tender's thread works; now and then leave the CPU (a zero POLL is one exit)
            // so a host thread starved on a busy machine gets to run, and give up after a long silence.
            if (++spins % 4096 != 0) return;
            Hypercalls.DoPoll(0, out _);
            if (spins % (4096 * 64) == 0 && Clock.MonotonicNanoseconds - start > CommitTimeoutNs)
                Unikernel.Abort("network ring: the tender gave no " + what + " for 10 s");
        }

        /// <summary>Queues frames for sending (copied, so the caller's buffers are free at once). Returns the count.</summary>
        internal static int Send(int handle, ReadOnlySpan<FrameBuffer> frames)
        {
            bool published = false;
            for (int i = 0; i < frames.Length; i++)
            {
                FrameBuffer f = frames[i];
                if ((uint)f.Length > CopyBufferSize)
                {
                    // Too big for a ring buffer: NETWRITE, as Solo5's bindings do, after the ring has
                    // drained so the frames leave in order.
                    if (published) Kick(force: false);
                    Drain();
                    published = false;
                    DeviceCalls.NetworkWrite((ulong)handle, f.Data, (ulong)f.Length);
                    continue;
                }
                WaitForSpace();
                byte* copy = s_copy + (s_entTail % Size) * CopyBufferSize;
                Buffer.MemoryCopy(f.Data, copy, CopyBufferSize, f.Length);
                Submit(OpWrite, handle, copy, (uint)f.Length, s_nextId++);
                published = true;
            }
            if (published) Kick(force: false);
            return frames.Length;
        }

        // Waits until the tender has consumed every entry (writes are complete when consumed).
        private static void Drain()
        {
            ulong start = Clock.MonotonicNanoseconds;
            uint spins = 0;
            while (Volatile.Read(ref Field(OffsetEntHead)) != s_entTail) Wait(ref spins, start, "progress on queued writes");
        }

        /// <summary>
        /// Asks for up to frames.Length frames (one NET_READ per buffer, one kick at most) and waits for
        /// their commits. Received frames are moved to the front (their Tag with them); returns how many.
        /// </summary>
        internal static int Receive(int handle, Span<FrameBuffer> frames, out Solo5Result firstError)
        {
            firstError = Solo5Result.Ok;
            int n = Math.Min(frames.Length, Size / 2);
            uint firstId = s_nextId;
            for (int i = 0; i < n; i++)
                Submit(OpRead, handle, frames[i].Data, (uint)Math.Max(frames[i].Length, 0), s_nextId++);
            Kick(force: false);
            int got = 0;
            ulong start = Clock.MonotonicNanoseconds;
            uint spins = 0;
            for (int i = 0; i < n; i++)
            {
                while (Volatile.Read(ref Field(OffsetComTail)) == s_comHead) Wait(ref spins, start, "commit for a read");
                byte* c = s_ring + OffsetCommits + (s_comHead % Size) * CommitSize;
                uint id = *(uint*)c;
                int ret = *(int*)(c + 4);
                uint len = *(uint*)(c + 8);
                s_comHead++;
                Volatile.Write(ref Field(OffsetComHead), s_comHead);
                // Reads are the only operations with commits, and the tender commits them in order.
                if (id != firstId + (uint)i) Unikernel.Abort("network ring: commit id " + id.ToString() + " where " + (firstId + (uint)i).ToString() + " was expected");
                if (ret == (int)Solo5Result.Ok && len <= (uint)frames[i].Length)
                {
                    FrameBuffer f = frames[i];
                    f.Length = (int)len;
                    frames[i] = frames[got];
                    frames[got++] = f;
                }
                else if (firstError == Solo5Result.Ok)
                {
                    firstError = ret == (int)Solo5Result.Ok ? Solo5Result.Unspecified : (Solo5Result)ret;
                }
            }
            return got;
        }
    }
}
