using System;

namespace Internal.Runtime
{
    // The collector's summary, printed on the console when the guest exits if the guest argument
    // `--gc-stats` was given (the core library takes it out of Main's arguments). Formatted into a
    // buffer in the image: printing must not allocate.
    internal static unsafe class GcStats
    {
        internal const string Argument = "--gc-stats";

        private struct LineBuffer
        {
            internal fixed byte Bytes[256];
        }

        private static LineBuffer s_line;
        private static int s_length;
        internal static bool s_requested;

        internal static void PrintIfRequested()
        {
            if (!s_requested) return;
            s_requested = false;
            s_length = 0;
            Put("gc: collections ");
            PutNumber((ulong)GcCollector.s_count);
            Put(", pause total ");
            PutNumber(TicksToMicroseconds(GcCollector.s_pauseTotalTicks));
            Put(" us, max ");
            PutNumber(TicksToMicroseconds(GcCollector.s_pauseMaxTicks));
            Put(" us, allocated ");
            PutNumber(GcHeap.s_allocatedTotal);
            Put(" bytes, heap ");
            PutNumber((ulong)GcHeap.s_blocksInUse << GcHeap.BlockShift);
            Put(" bytes, in use ");
            PutNumber(GcCollector.BytesInUse);
            Put(" bytes, capacity ");
            PutNumber((ulong)GcHeap.s_blockCount << GcHeap.BlockShift);
            Put(" bytes\n");
            fixed (byte* p = s_line.Bytes) Hvt.Write(p, (nuint)s_length);
        }

        private static ulong TicksToMicroseconds(ulong ticks)
        {
            ulong hz = Hvt.BootInfo()->CpuCycleFreq;
            if (hz == 0) return 0;
            return ticks / hz * 1000000 + ticks % hz * 1000000 / hz;
        }

        private static void Put(string s)
        {
            for (int i = 0; i < s.Length && s_length < 255; i++) s_line.Bytes[s_length++] = (byte)s[i];
        }

        private static void PutNumber(ulong v)
        {
            byte* tmp = stackalloc byte[20];
            int k = 0;
            do { tmp[k++] = (byte)('0' + (int)(v % 10)); v /= 10; } while (v != 0);
            while (k > 0 && s_length < 255) s_line.Bytes[s_length++] = tmp[--k];
        }

        [System.Runtime.RuntimeExport("GuestRuntime_OnExit")]
        private static int OnExit(int status)
        {
            PrintIfRequested();
            return status;
        }
    }
}
