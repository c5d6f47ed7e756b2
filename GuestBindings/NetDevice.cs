using System;

namespace GuestBindings
{
    /// <summary>How a <see cref="NetDevice"/> moves frames.</summary>
    public enum NetPath
    {
        /// <summary>The ring when the tender offers it, else hypercalls.</summary>
        Auto = 0,
        /// <summary>One NETREAD/NETWRITE hypercall (one exit) per frame.</summary>
        Hypercalls = 1,
        /// <summary>Solo5's shared ring (HVT_FEATURE_RING_IO); acquiring fails with NotSupported if the tender does not offer it.</summary>
        Ring = 2,
    }

    /// <summary>
    /// One frame buffer of a batch: <see cref="Data"/> points to guest memory the caller owns; on receive
    /// <see cref="Length"/> is the buffer's size going in and the frame's size coming out; on send it is
    /// the frame's size. <see cref="Tag"/> is the caller's and travels with the buffer.
    /// </summary>
    public unsafe struct FrameBuffer
    {
        public byte* Data;
        public int Length;
        public int Tag;

        public FrameBuffer(byte* data, int length, int tag = 0) { Data = data; Length = length; Tag = tag; }
    }

    /// <summary>
    /// A network interface (NET_BASIC) the tender backs with a TAP (<c>--net:NAME=TAP</c>). Frames are
    /// whole Ethernet frames without FCS, 14 .. <see cref="Mtu"/> + 14 bytes; a receive buffer must hold
    /// <see cref="MaxFrameSize"/> bytes. With the ring, frames up to 2048 bytes are copied into the
    /// ring's own buffers (the caller's buffer is free at once) and larger ones are sent by NETWRITE
    /// after the ring has drained, as Solo5's bindings do; receives go straight into the caller's buffer.
    /// </summary>
    public sealed unsafe class NetDevice
    {
        private NetDevice(ManifestDevice d, bool ring)
        {
            Name = d.Name;
            Handle = d.Handle;
            MacAddress = d.MacAddress;
            Mtu = d.Mtu;
            UsesRing = ring;
        }

        public string Name { get; }
        /// <summary>The Solo5 handle (manifest index; bit <c>Handle</c> of <see cref="Unikernel.Yield"/>'s ready set).</summary>
        public int Handle { get; }
        /// <summary>The MAC address (6 bytes) the tender gave the interface.</summary>
        public byte[] MacAddress { get; }
        /// <summary>The interface's MTU (largest Ethernet payload).</summary>
        public int Mtu { get; }
        /// <summary>Largest frame: MTU plus the 14-byte Ethernet header; the least a receive buffer must hold.</summary>
        public int MaxFrameSize => Mtu + 14;
        /// <summary>Whether this device moves frames through the shared ring.</summary>
        public bool UsesRing { get; }

        /// <summary>Whether the tender offers Solo5's ring I/O (it does whenever the guest has a network device).</summary>
        public static bool RingOffered => NetRing.Offered;

        /// <summary>Kicks (port 0x600 writes) made so far: near zero per frame while the tender's I/O thread polls.</summary>
        public static ulong RingKicks => NetRing.Kicks;

        /// <summary>Acquires the attached NET_BASIC device named <paramref name="name"/>, on the ring if offered.</summary>
        public static DeviceStatus TryAcquire(string name, out NetDevice? device) => TryAcquire(name, NetPath.Auto, out device);

        /// <summary>Acquires the device on the path asked for; <see cref="NetPath.Ring"/> without the tender's offer is NotSupported.</summary>
        public static DeviceStatus TryAcquire(string name, NetPath path, out NetDevice? device)
        {
            device = null;
            if (!Manifest.TryFind(name, DeviceKind.NetBasic, out ManifestDevice? d) || !d.Attached) return DeviceStatus.NotPresent;
            bool ring = path != NetPath.Hypercalls && NetRing.TryOpen();
            if (path == NetPath.Ring && !ring) return DeviceStatus.NotSupported;
            device = new NetDevice(d, ring);
            return DeviceStatus.Ok;
        }

        /// <summary>Sends one frame. Hypercalls: the tender's answer; ring: Ok once queued (the ring has no write results).</summary>
        public Solo5Result Write(ReadOnlySpan<byte> frame)
        {
            fixed (byte* p = frame)
            {
                if (!UsesRing) return DeviceCalls.NetworkWrite((ulong)Handle, p, (ulong)frame.Length);
                Span<FrameBuffer> one = stackalloc FrameBuffer[1];
                one[0] = new FrameBuffer(p, frame.Length);
                NetRing.Send(Handle, one);
                return Solo5Result.Ok;
            }
        }

        /// <summary>Receives one frame into <paramref name="buffer"/> if one waits (else <see cref="Solo5Result.Again"/>).</summary>
        public Solo5Result Read(Span<byte> buffer, out int length)
        {
            fixed (byte* p = buffer)
            {
                if (!UsesRing) return DeviceCalls.NetworkRead((ulong)Handle, p, (ulong)buffer.Length, out length);
                Span<FrameBuffer> one = stackalloc FrameBuffer[1];
                one[0] = new FrameBuffer(p, buffer.Length);
                int got = NetRing.Receive(Handle, one, out Solo5Result error);
                length = got == 1 ? one[0].Length : 0;
                return got == 1 ? Solo5Result.Ok : error;
            }
        }

        /// <summary>
        /// Receives up to frames.Length frames. The received ones are moved to the front (with their Tag)
        /// and their Length set; returns how many. Hypercalls: NETREAD until AGAIN; ring: one NET_READ
        /// entry per buffer, submitted together, at most one kick.
        /// </summary>
        public int ReceiveBatch(Span<FrameBuffer> frames)
        {
            if (UsesRing) return NetRing.Receive(Handle, frames, out _);
            for (int i = 0; i < frames.Length; i++)
            {
                FrameBuffer f = frames[i];
                if (DeviceCalls.NetworkRead((ulong)Handle, f.Data, (ulong)Math.Max(f.Length, 0), out int length) != Solo5Result.Ok) return i;
                frames[i].Length = length;
            }
            return frames.Length;
        }

        /// <summary>Sends the frames in order; returns how many were handed to the tender (all of them).</summary>
        public int SendBatch(ReadOnlySpan<FrameBuffer> frames)
        {
            if (UsesRing) return NetRing.Send(Handle, frames);
            for (int i = 0; i < frames.Length; i++) DeviceCalls.NetworkWrite((ulong)Handle, frames[i].Data, (ulong)Math.Max(frames[i].Length, 0));
            return frames.Length;
        }

        /// <summary>Waits (POLL) until this device has input or the monotonic deadline passes; true if it has input.</summary>
        public bool WaitForInput(ulong deadlineNanoseconds) => (Unikernel.Yield(deadlineNanoseconds) & (1UL << Handle)) != 0;
    }
}
