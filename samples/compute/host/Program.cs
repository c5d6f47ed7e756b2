using System.Diagnostics;

// Runs the compute sample's checksums on the host, best of several rounds (after JIT warm-up), and
// prints the same line as the guest.
int mib = args.Length > 0 && args[0].StartsWith("--mib=") ? int.Parse(args[0].AsSpan(6)) : 64;
byte[] buffer = new byte[mib << 20];
long fillNs = long.MaxValue, crcNs = long.MaxValue, fnvNs = long.MaxValue;
uint crc = 0;
ulong fnv = 0;
for (int round = 0; round < 5; round++)
{
    long t0 = Stopwatch.GetTimestamp();
    Checksum.Fill(buffer, 0x9E3779B97F4A7C15UL);
    long t1 = Stopwatch.GetTimestamp();
    crc = Checksum.Crc32(buffer);
    long t2 = Stopwatch.GetTimestamp();
    fnv = Checksum.Fnv1a64(buffer);
    long t3 = Stopwatch.GetTimestamp();
    fillNs = Math.Min(fillNs, (long)Stopwatch.GetElapsedTime(t0, t1).TotalNanoseconds);
    crcNs = Math.Min(crcNs, (long)Stopwatch.GetElapsedTime(t1, t2).TotalNanoseconds);
    fnvNs = Math.Min(fnvNs, (long)Stopwatch.GetElapsedTime(t2, t3).TotalNanoseconds);
}
Console.WriteLine($"compute: bytes={buffer.Length} crc32={crc:X8} fnv1a={fnv:X16} fill_ns={fillNs} crc32_ns={crcNs} fnv1a_ns={fnvNs}");
