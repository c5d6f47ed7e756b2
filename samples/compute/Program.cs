using System;
using GuestBindings;

// Checksums a buffer (default 64 MiB, `--mib=N`) with CRC-32 and FNV-1a and reports the results and
// its own time, measured with the guest's monotonic clock:
//   compute: bytes=67108864 crc32=XXXXXXXX fnv1a=XXXXXXXXXXXXXXXX fill_ns=N crc32_ns=N fnv1a_ns=N
static class Program
{
    static int Main(string[] args)
    {
        int mib = 64;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--mib="))
            {
                mib = 0;
                string v = args[i].Substring(6);
                for (int k = 0; k < v.Length; k++)
                {
                    if (!char.IsAsciiDigit(v[k]) || mib > 100000) { GuestConsole.WriteLine("compute: bad " + args[i]); return 2; }
                    mib = mib * 10 + (v[k] - '0');
                }
            }
        }
        byte[] buffer = new byte[mib << 20];
        ulong t0 = Clock.MonotonicNanoseconds;
        Checksum.Fill(buffer, 0x9E3779B97F4A7C15UL);
        ulong t1 = Clock.MonotonicNanoseconds;
        uint crc = Checksum.Crc32(buffer);
        ulong t2 = Clock.MonotonicNanoseconds;
        ulong fnv = Checksum.Fnv1a64(buffer);
        ulong t3 = Clock.MonotonicNanoseconds;
        GuestConsole.WriteLine("compute: bytes=" + buffer.Length.ToString() + " crc32=" + crc.ToString("X8") +
            " fnv1a=" + fnv.ToString("X16") + " fill_ns=" + (t1 - t0).ToString() + " crc32_ns=" + (t2 - t1).ToString() +
            " fnv1a_ns=" + (t3 - t2).ToString());
        return 0;
    }
}
