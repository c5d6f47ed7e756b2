using System;
using System.Runtime.InteropServices;

namespace BulkTcp
{
    /// <summary>
    /// The bulk samples' stream checksum: FNV-1a 64 taken over the stream's little-endian 64-bit
    /// words instead of its bytes (8 times fewer multiplies, so it costs the guest little next to the
    /// stack), the last partial word zero-padded, then the length mixed in:
    /// <code>h = 0xcbf29ce484222325; for each word w: h = (h ^ w) * 0x100000001b3; h = (h ^ length) * 0x100000001b3</code>
    /// It depends only on the bytes and their order, not on how the stream was cut into reads.
    /// tests/Guest.Tests/BulkTcpTests.cs and scripts/bench-stack compute the same.
    /// </summary>
    public struct StreamHash
    {
        private const ulong Offset = 0xcbf29ce484222325UL;
        private const ulong Prime = 0x100000001b3UL;

        private ulong _h;
        private ulong _partial;      // bytes of an unfinished word, low byte first
        private int _partialBytes;

        /// <summary>Bytes hashed so far.</summary>
        public ulong Length;

        public static StreamHash Create() => new StreamHash { _h = Offset };

        public void Update(ReadOnlySpan<byte> data)
        {
            Length += (ulong)data.Length;
            int i = 0;
            if (_partialBytes > 0)
            {
                while (_partialBytes < 8 && i < data.Length) { _partial |= (ulong)data[i] << (8 * _partialBytes); _partialBytes++; i++; }
                if (_partialBytes < 8) return;
                _h = (_h ^ _partial) * Prime;
                _partial = 0;
                _partialBytes = 0;
            }
            int whole = (data.Length - i) & ~7;
            ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(data.Slice(i, whole));
            ulong h = _h;
            for (int k = 0; k < words.Length; k++) h = (h ^ words[k]) * Prime;
            _h = h;
            for (i += whole; i < data.Length; i++) { _partial |= (ulong)data[i] << (8 * _partialBytes); _partialBytes++; }
        }

        /// <summary>The checksum of everything hashed so far.</summary>
        public ulong Value
        {
            get
            {
                ulong h = _partialBytes > 0 ? (_h ^ _partial) * Prime : _h;
                return (h ^ Length) * Prime;
            }
        }

        /// <summary>16 hex digits.</summary>
        public static string Hex(ulong v) => v.ToString("x16");
    }

    /// <summary>Small helpers both samples use for their reports.</summary>
    public static class BulkText
    {
        /// <summary>
        /// Where a bulk loop's time went and what the stack did: milliseconds in Poll, in Wait (which
        /// sleeps in the tender when there is nothing to do), in the application's own work;
        /// frames and batches each way, ring kicks, and the TCP events that cost throughput.
        /// </summary>
        public static string Profile(Guest.Stack.NetStack<GuestBindings.HvtNic> stack, ulong pollNs, ulong waitNs, ulong appNs, string app)
        {
            Guest.Stack.StackCounters k = stack.Counters;
            return "profile: poll " + (pollNs / 1_000_000).ToString() + " ms, wait " + (waitNs / 1_000_000).ToString() + " ms, "
                + app + " " + (appNs / 1_000_000).ToString() + " ms; rx " + k[Guest.Stack.Counter.RxFrames].ToString() + " frames in "
                + k[Guest.Stack.Counter.RxBatches].ToString() + " batches, tx " + k[Guest.Stack.Counter.TxFrames].ToString() + " frames in "
                + k[Guest.Stack.Counter.TxBatches].ToString() + " batches, ring kicks " + GuestBindings.NetDevice.RingKicks.ToString()
                + "; tcp: " + k[Guest.Stack.Counter.TcpRetransmitTimeouts].ToString() + " RTOs, " + k[Guest.Stack.Counter.TcpFastRetransmits].ToString()
                + " fast retransmits, " + k[Guest.Stack.Counter.TcpDuplicateAcks].ToString() + " dup ACKs, "
                + k[Guest.Stack.Counter.TcpOutOfOrderQueued].ToString() + " out-of-order, "
                + k[Guest.Stack.Counter.TcpOutOfOrderDropped].ToString() + " out-of-order dropped, " + k[Guest.Stack.Counter.TxQueueFull].ToString() + " tx queue full";
        }

        /// <summary>"BYTES bytes, checksum X, T ms (R Mbit/s)" for a transfer that took <paramref name="ns"/> nanoseconds.</summary>
        public static string Report(ulong bytes, ulong checksum, ulong ns)
        {
            if (ns == 0) ns = 1;
            // bytes·8 / (ns / 1000) = Mbit/s; bytes·8000 fits a ulong up to ~2 PB.
            ulong mbits = bytes * 8000 / ns;
            return bytes.ToString() + " bytes, checksum " + StreamHash.Hex(checksum) + ", " + (ns / 1_000_000).ToString() + " ms (" + mbits.ToString() + " Mbit/s)";
        }
    }
}
