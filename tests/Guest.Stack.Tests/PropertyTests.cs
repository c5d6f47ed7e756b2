using FsCheck;
using FsCheck.Fluent;
using Guest.Stack;
using Guest.Stack.Tests.Support;

namespace Guest.Stack.Tests;

public class PropertyTests
{
    static readonly Config Cfg = Config.QuickThrowOnFailure.WithMaxTest(500);

    [Fact]
    public void Checksum_matches_a_naive_rfc1071_sum_and_verifies_to_zero_when_inserted()
    {
        Check.One(Cfg, Prop.ForAll<byte[]>(data =>
        {
            Assert.Equal(Frames.Sum(data), Checksum.Compute(data));
            // Running sums over pieces that start at even offsets equal the sum of the whole,
            // and a starting sum (a pseudo-header) is carried like the naive implementation does.
            int cut = (data.Length / 3) & ~1;
            Assert.Equal(Checksum.Compute(data), Checksum.Fold(Checksum.Add(Checksum.Add(0, data.AsSpan(0, cut)), data.AsSpan(cut))));
            Assert.Equal(Frames.Sum(data, 0x2FFFD), Checksum.Fold(Checksum.Add(0x2FFFD, data)));
            if (data.Length >= 2 && data.Length % 2 == 0)
            {
                var d = (byte[])data.Clone();
                d[0] = 0; d[1] = 0;
                ushort c = Checksum.Compute(d);
                d[0] = (byte)(c >> 8); d[1] = (byte)c;
                Assert.Equal(0, Checksum.Compute(d));
            }
        }));
    }

    [Fact]
    public void Sequence_comparisons_hold_across_wraparound()
    {
        Check.One(Cfg, Prop.ForAll<uint, int>((a, d0) =>
        {
            uint d = (uint)(d0 & 0x7FFFFFFF);
            if (d == 0) { Assert.False(Seq.Lt(a, a)); Assert.True(Seq.Le(a, a)); return; }
            Assert.True(Seq.Lt(a, a + d)); Assert.True(Seq.Gt(a + d, a));
            Assert.False(Seq.Ge(a, a + d)); Assert.True(Seq.InWindow(a + d - 1, a, d));
            Assert.False(Seq.InWindow(a + d, a, d));
        }));
    }

    [Fact]
    public void Tcp_header_round_trips()
    {
        var gen = from sp in Gen.Choose(1, 65535)
                  from dp in Gen.Choose(1, 65535)
                  from seq in ArbMap.Default.GeneratorFor<uint>()
                  from ack in ArbMap.Default.GeneratorFor<uint>()
                  from flags in Gen.Choose(0, 255)
                  from win in Gen.Choose(0, 65535)
                  from mss in Gen.Elements(0, 536, 1460, 9000)
                  from ws in Gen.Choose(-1, 14)
                  from ts in ArbMap.Default.GeneratorFor<bool>()
                  from tv in ArbMap.Default.GeneratorFor<uint>()
                  from len in Gen.Choose(0, 100)
                  from sackOk in ArbMap.Default.GeneratorFor<bool>()
                  from blocks in Gen.Choose(0, 3)
                  select (sp, dp, seq, ack, flags, win, mss, ws, ts, tv, len, sackOk, blocks);
        Check.One(Cfg, Prop.ForAll(Arb.From(gen), t =>
        {
            var src = new Ipv4Address(10, 1, 2, 3); var dst = new Ipv4Address(192, 168, 0, 1);
            int blocks = Math.Max(0, Math.Min(t.blocks, (40 - Tcp.OptionsLength(t.mss, t.ws, t.ts, t.sackOk) - 4) / 8)); // stay within 40 bytes
            int hl = Tcp.MinHeaderLength + Tcp.OptionsLength(t.mss, t.ws, t.ts, t.sackOk, blocks);
            var seg = new byte[hl + t.len];
            for (int i = 0; i < t.len; i++) seg[hl + i] = (byte)(i * 7);
            var sack = new uint[2 * blocks];
            for (int i = 0; i < sack.Length; i++) sack[i] = t.seq + (uint)i * 1000;
            Tcp.WriteHeader(seg, src, dst, (ushort)t.sp, (ushort)t.dp, t.seq, t.ack, (TcpFlags)t.flags, (ushort)t.win, t.mss, t.ws, t.ts, t.tv, ~t.tv, t.sackOk, sack);
            Assert.Equal(TcpParse.Ok, Tcp.TryParse(seg, src, dst, out var h));
            Assert.Equal((t.sp, t.dp, t.seq, t.ack, t.flags, t.win, hl), (h.SourcePort, h.DestinationPort, h.Seq, h.Ack, (int)h.Flags, (int)h.Window, h.HeaderLength));
            Assert.Equal(t.mss, h.Mss); Assert.Equal(t.ws, h.WindowScale); Assert.Equal(t.ts, h.HasTimestamps);
            if (t.ts) { Assert.Equal(t.tv, h.TsVal); Assert.Equal(~t.tv, h.TsEcr); }
            Assert.Equal(t.sackOk, h.SackPermitted); Assert.Equal(blocks, h.SackBlocks);
            Assert.True(Frames.Sum(seg, Frames.Pseudo(src.Value, dst.Value, 6, seg.Length)) == 0);
        }));
    }

    [Fact]
    public void Ipv4_address_text_round_trips()
    {
        Check.One(Cfg, Prop.ForAll<uint>(v =>
        {
            var a = new Ipv4Address(v);
            var buf = new char[15];
            int n = a.Format(buf);
            Assert.Equal(new System.Net.IPAddress(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v)).ToString(), new string(buf, 0, n));
            Assert.True(Ipv4Address.TryParse(buf.AsSpan(0, n), out var b));
            Assert.Equal(v, b.Value);
        }));
    }

    [Fact]
    public void Byte_ring_behaves_like_a_queue()
    {
        var ops = Gen.ListOf(Gen.Zip(Gen.Choose(0, 2), Gen.Choose(0, 300)));
        Check.One(Cfg, Prop.ForAll(Arb.From(ops), list =>
        {
            var ring = new ByteRing(257);
            var model = new Queue<byte>();
            byte next = 0;
            foreach (var (op, n) in list)
            {
                if (op == 0)
                {
                    var data = new byte[n];
                    for (int i = 0; i < n; i++) data[i] = next++;
                    int w = ring.Write(data);
                    Assert.Equal(Math.Min(n, 257 - model.Count), w);
                    for (int i = 0; i < w; i++) model.Enqueue(data[i]);
                    next = (byte)(next - (n - w));
                }
                else if (op == 1)
                {
                    var buf = new byte[n];
                    int r = ring.Read(buf);
                    Assert.Equal(Math.Min(n, model.Count), r);
                    for (int i = 0; i < r; i++) Assert.Equal(model.Dequeue(), buf[i]);
                }
                else if (model.Count > 0)
                {
                    int off = n % model.Count;
                    var one = new byte[1];
                    ring.CopyOut(off, one);
                    Assert.Equal(model.ElementAt(off), one[0]);
                }
                Assert.Equal(model.Count, ring.Count);
            }
        }));
    }

    [Fact]
    public void Out_of_order_ranges_equal_the_union_of_inserted_intervals()
    {
        var ins = Gen.ListOf(Gen.Zip(Gen.Choose(1, 400), Gen.Choose(1, 40)));
        Check.One(Cfg, Prop.ForAll(Arb.From(ins), ArbMap.Default.ArbFor<uint>(), (list, origin) =>
        {
            var r = new OooRanges(64);
            var present = new bool[500];
            foreach (var (s, len) in list)
            {
                Assert.True(r.Insert(origin + (uint)s, origin + (uint)(s + len), origin));
                for (int i = s; i < s + len; i++) present[i] = true;
            }
            // Walk the ranges by repeatedly removing the first; they must be sorted, disjoint, not touching.
            var got = new bool[500];
            long prevEnd = -1;
            while (r.Count > 0)
            {
                long s = r.FirstStart - origin, e = r.FirstEnd - origin;
                Assert.True(s > prevEnd, "ranges must be sorted and must not touch");
                for (long i = s; i < e; i++) got[i] = true;
                prevEnd = e;
                r.RemoveFirst();
            }
            Assert.Equal(present, got);
        }));
    }
}
