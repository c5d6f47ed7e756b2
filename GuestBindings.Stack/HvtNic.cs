using System;
using Guest.Stack;

namespace GuestBindings
{
    /// <summary>
    /// Guest.Stack's <see cref="INetDevice"/> over a <see cref="NetDevice"/>: NETREAD/NETWRITE hypercalls
    /// or Solo5's ring, whichever the device was acquired on, so <c>NetStack&lt;HvtNic&gt;</c> runs over
    /// either. A copying device: a sent buffer goes back to the pool as soon as SendBatch returns (the
    /// hypercall has written it, or the ring has copied it). Receive buffers are pool slots, so the slot
    /// size must hold <see cref="NetDevice.MaxFrameSize"/> bytes.
    /// </summary>
    public unsafe struct HvtNic : INetDevice
    {
        private readonly NetDevice _device;
        private readonly PacketPool _pool;
        private readonly FrameBuffer[] _frames;
        private readonly PacketBuffer[] _rented;

        /// <param name="batch">Most frames one ReceiveBatch/SendBatch asks the device for (ring: entries submitted at once).</param>
        public HvtNic(NetDevice device, PacketPool pool, int batch = 32)
        {
            if (pool.SlotSize < device.MaxFrameSize) throw new ArgumentException("packet pool slots are smaller than the device's largest frame (MTU + 14)");
            if (batch <= 0) throw new ArgumentException("batch must be positive");
            _device = device;
            _pool = pool;
            _frames = new FrameBuffer[batch];
            _rented = new PacketBuffer[batch];
        }

        public NetDevice Device => _device;

        public MacAddress Mac => MacAddress.Read(_device.MacAddress);

        public int Mtu => _device.Mtu;

        public int ReceiveBatch(Span<PacketBuffer> into)
        {
            int n = Math.Min(into.Length, _frames.Length);
            int rented = 0;
            while (rented < n && _pool.TryRent(out PacketBuffer b))
            {
                _rented[rented] = b;
                _frames[rented] = new FrameBuffer(SlotAddress(b.Slot), _pool.SlotSize, rented);
                rented++;
            }
            int got = rented == 0 ? 0 : _device.ReceiveBatch(new Span<FrameBuffer>(_frames, 0, rented));
            for (int i = 0; i < got; i++)
            {
                int tag = _frames[i].Tag;
                into[i] = new PacketBuffer(_rented[tag].Slot, 0, _frames[i].Length);
                _rented[tag] = PacketBuffer.None;
            }
            for (int i = 0; i < rented; i++)
                if (!_rented[i].IsNone) _pool.Return(_rented[i]);
            return got;
        }

        public int SendBatch(ReadOnlySpan<PacketBuffer> frames)
        {
            int done = 0;
            while (done < frames.Length)
            {
                int n = Math.Min(frames.Length - done, _frames.Length);
                for (int i = 0; i < n; i++)
                {
                    PacketBuffer b = frames[done + i];
                    _pool.Data(b); // bounds check: the frame lies inside its slot
                    _frames[i] = new FrameBuffer(SlotAddress(b.Slot) + b.Offset, b.Length);
                }
                _device.SendBatch(new ReadOnlySpan<FrameBuffer>(_frames, 0, n));
                for (int i = 0; i < n; i++) _pool.Return(frames[done + i]);
                done += n;
            }
            return done;
        }

        // The guest's collector never moves objects, and the pool keeps its slots alive, so a slot's
        // address stays valid after `fixed`.
        private byte* SlotAddress(int slot)
        {
            fixed (byte* p = _pool.SlotSpan(slot)) return p;
        }
    }
}
