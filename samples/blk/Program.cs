using System;
using System.Runtime.InteropServices;
using GuestBindings;

// Block device check (docs/guests.md "Devices"): one PASS/FAIL line per check, then a summary with
// throughput; exit 0 only if every check passed (1 if one failed, 2 for bad arguments or no device).
//   --device=NAME   the BLOCK_BASIC device (default: storage)
//   --chunk=BYTES   bytes per request for the whole-device passes (default 65536; rounded to whole sectors)
//   --read-only     the device is attached read-only (--block-ro): every write must fail and change nothing
static class Program
{
    private static int s_checks, s_failed;

    static int Main(string[] args)
    {
        string name = "storage";
        ulong chunk = 65536;
        bool readOnly = false;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a.StartsWith("--device=")) name = a.Substring(9);
            else if (a.StartsWith("--chunk=") && GuestArguments.TryParseNumber(a.Substring(8), out chunk) && chunk > 0) { }
            else if (a == "--read-only") readOnly = true;
            else
            {
                GuestConsole.WriteLine("blk: bad argument: " + a);
                return 2;
            }
        }
        if (BlockDevice.TryAcquire(name, out BlockDevice? dev) != DeviceStatus.Ok || dev is null)
        {
            GuestConsole.WriteLine("blk: no attached BLOCK_BASIC device '" + name + "' (manifest and --block:" + name + "=PATH)");
            return 2;
        }
        ulong capacity = dev.Capacity;
        ulong bs = (ulong)dev.BlockSize;
        GuestConsole.WriteLine("blk: device " + name + " handle " + dev.Handle.ToString() + ": " + capacity.ToString() + " bytes, sector " + bs.ToString() + (readOnly ? ", read-only" : ""));
        Check("info", bs >= 512 && (bs & (bs - 1)) == 0 && capacity >= bs && capacity % bs == 0, "capacity/sector size inconsistent");
        if (s_failed != 0) return 1;
        chunk = Math.Max(bs, chunk / bs * bs);
        byte[] buffer = new byte[(int)Math.Min(chunk, capacity)];
        byte[] sector = new byte[(int)bs];
        ulong writeNs = 0, readNs = 0;

        if (!readOnly)
        {
            // Pattern A over the whole device, then read back and compared.
            ulong t0 = Clock.MonotonicNanoseconds;
            bool ok = true;
            for (ulong off = 0; off < capacity && ok; off += chunk)
            {
                int n = (int)Math.Min(chunk, capacity - off);
                Fill(buffer.AsSpan(0, n), off, 0xA5);
                ok = Expect(dev.Write(off, buffer.AsSpan(0, n)), Solo5Result.Ok, "write-whole-device", off);
            }
            writeNs = Clock.MonotonicNanoseconds - t0;
            if (ok) Pass("write-whole-device");
            t0 = Clock.MonotonicNanoseconds;
            ulong bad = VerifyAll(dev, buffer, chunk, 0xA5, out ok);
            readNs = Clock.MonotonicNanoseconds - t0;
            if (ok) Check("read-verify-whole-device", bad == ulong.MaxValue, "first wrong byte at offset " + bad.ToString());

            // Pattern B in the first and the last sector, one sector per request.
            foreach (ulong off in new ulong[] { 0, capacity - bs })
            {
                Fill(sector, off, 0x3C);
                bool w = Expect(dev.WriteSectors(off / bs, sector), Solo5Result.Ok, "sector-write", off);
                sector.AsSpan().Clear();
                bool r = Expect(dev.ReadSectors(off / bs, sector), Solo5Result.Ok, "sector-read", off);
                if (w && r) Check("sector-round-trip@" + off.ToString(), Verify(sector, off, 0x3C) == -1, "contents differ");
            }
        }
        else
        {
            ulong t0 = Clock.MonotonicNanoseconds;
            ulong before = Checksum(dev, buffer, chunk, out bool ok);
            readNs = Clock.MonotonicNanoseconds - t0;
            if (ok) Pass("read-whole-device");
            foreach (ulong off in new ulong[] { 0, capacity / bs / 2 * bs, capacity - bs })
            {
                Fill(sector, off, 0x77);
                if (Expect(dev.Write(off, sector), Solo5Result.InvalidArgument, "read-only-write-refused@" + off.ToString(), off)) Pass("read-only-write-refused@" + off.ToString());
            }
            if (Expect(dev.Write(0, buffer), Solo5Result.InvalidArgument, "read-only-chunk-write-refused", 0)) Pass("read-only-chunk-write-refused");
            ulong after = Checksum(dev, buffer, chunk, out ok);
            if (ok) Check("read-only-contents-unchanged", before == after, "the device changed");
        }

        // Requests the tender must refuse (SOLO5_R_EINVAL), reads and writes alike; none may touch the device.
        byte[] two = new byte[(int)bs * 2];
        ulong lastBefore = SectorSum(dev, capacity - bs, sector);
        for (int w = 0; w < 2; w++)
        {
            bool write = w == 1;
            string op = write ? "write" : "read";
            Bad(dev, write, op + "-at-capacity", capacity, sector);
            Bad(dev, write, op + "-across-end", capacity - bs, two);
            Bad(dev, write, op + "-misaligned-offset", 1, sector);
            Bad(dev, write, op + "-misaligned-offset-half", bs / 2, sector);
            Bad(dev, write, op + "-partial-sector", 0, sector.AsSpan(0, (int)bs / 2));
            Bad(dev, write, op + "-sector-and-a-bit", 0, two.AsSpan(0, (int)bs + 1));
            Bad(dev, write, op + "-zero-length", 0, Span<byte>.Empty);
            Bad(dev, write, op + "-offset-wraps", ulong.MaxValue - bs + 1, sector);
            Bad(dev, write, op + "-far-beyond-end", capacity * 2 + bs * 8, sector);
        }
        Check("refused-requests-changed-nothing", SectorSum(dev, capacity - bs, sector) == lastBefore, "the last sector changed");

        string summary = "blk: " + s_checks.ToString() + " checks, " + s_failed.ToString() + " failed";
        if (writeNs > 0) summary += "; write " + Rate(capacity, writeNs) + " MiB/s";
        if (readNs > 0) summary += "; read " + Rate(capacity, readNs) + " MiB/s";
        GuestConsole.WriteLine(summary + " (" + capacity.ToString() + " bytes, " + chunk.ToString() + "-byte requests)");
        GuestConsole.WriteLine(s_failed == 0 ? "ALL PASSED" : "FAILED");
        return s_failed == 0 ? 0 : 1;
    }

    private static void Bad(BlockDevice dev, bool write, string check, ulong offset, Span<byte> data)
    {
        Solo5Result r = write ? dev.Write(offset, data) : dev.Read(offset, data);
        Check(check, r == Solo5Result.InvalidArgument, "got " + Name(r) + ", expected InvalidArgument");
    }

    // Fills with 64-bit words derived from each word's device offset and a seed: every sector differs.
    private static void Fill(Span<byte> span, ulong offset, ulong seed)
    {
        Span<ulong> words = MemoryMarshal.Cast<byte, ulong>(span);
        for (int i = 0; i < words.Length; i++) words[i] = Word(offset + (ulong)i * 8, seed);
    }

    private static ulong Word(ulong offset, ulong seed) => (offset + seed) * 0x9E3779B97F4A7C15UL ^ (seed << 56);

    // Index of the first byte that differs from the pattern, or -1.
    private static int Verify(ReadOnlySpan<byte> span, ulong offset, ulong seed)
    {
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(span);
        for (int i = 0; i < words.Length; i++)
            if (words[i] != Word(offset + (ulong)i * 8, seed)) return i * 8;
        return -1;
    }

    private static ulong VerifyAll(BlockDevice dev, byte[] buffer, ulong chunk, ulong seed, out bool ok)
    {
        ok = true;
        for (ulong off = 0; off < dev.Capacity; off += chunk)
        {
            int n = (int)Math.Min(chunk, dev.Capacity - off);
            Span<byte> s = buffer.AsSpan(0, n);
            s.Clear();
            if (!Expect(dev.Read(off, s), Solo5Result.Ok, "read-verify-whole-device", off)) { ok = false; return 0; }
            int bad = Verify(s, off, seed);
            if (bad >= 0) return off + (ulong)bad;
        }
        return ulong.MaxValue;
    }

    private static ulong Checksum(BlockDevice dev, byte[] buffer, ulong chunk, out bool ok)
    {
        ok = true;
        ulong h = 14695981039346656037UL;
        for (ulong off = 0; off < dev.Capacity; off += chunk)
        {
            int n = (int)Math.Min(chunk, dev.Capacity - off);
            if (!Expect(dev.Read(off, buffer.AsSpan(0, n)), Solo5Result.Ok, "read-whole-device", off)) { ok = false; return 0; }
            ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(buffer.AsSpan(0, n));
            for (int i = 0; i < words.Length; i++) h = (h ^ words[i]) * 1099511628211UL;
        }
        return h;
    }

    private static ulong SectorSum(BlockDevice dev, ulong offset, byte[] sector)
    {
        if (dev.Read(offset, sector) != Solo5Result.Ok) return 0;
        ulong h = 14695981039346656037UL;
        for (int i = 0; i < sector.Length; i++) h = (h ^ sector[i]) * 1099511628211UL;
        return h;
    }

    private static bool Expect(Solo5Result got, Solo5Result want, string check, ulong offset)
    {
        if (got == want) return true;
        Fail(check, "at offset " + offset.ToString() + ": got " + Name(got) + ", expected " + Name(want));
        return false;
    }

    private static void Check(string check, bool ok, string detail)
    {
        if (ok) Pass(check);
        else Fail(check, detail);
    }

    private static void Pass(string check)
    {
        s_checks++;
        GuestConsole.WriteLine("PASS " + check);
    }

    private static void Fail(string check, string detail)
    {
        s_checks++;
        s_failed++;
        GuestConsole.WriteLine("FAIL " + check + ": " + detail);
    }

    private static string Name(Solo5Result r) => r switch
    {
        Solo5Result.Ok => "Ok",
        Solo5Result.Again => "Again",
        Solo5Result.InvalidArgument => "InvalidArgument",
        Solo5Result.Unspecified => "Unspecified",
        _ => "result " + ((int)r).ToString(),
    };

    // MiB/s with one decimal.
    private static string Rate(ulong bytes, ulong ns)
    {
        if (ns == 0) ns = 1;
        ulong tenths = (ulong)((double)bytes * 1e10 / ns / 1048576.0);
        return (tenths / 10).ToString() + "." + (tenths % 10).ToString();
    }
}
