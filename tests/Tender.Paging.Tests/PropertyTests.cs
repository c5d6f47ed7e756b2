using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;
using static Tender.Paging.Tests.TestSupport;

namespace Tender.Paging.Tests;

/// <summary>
/// Random region sets checked against a linear-search model: every address of every region
/// translates to the asked physical address with the asked flags and the largest page the
/// alignment allows; nothing else translates.
/// </summary>
public class PropertyTests(ITestOutputHelper output)
{
    // Where generated regions go: low RAM (page 0 kept free), the BAR window at 2^39, the DMA
    // window at 2^40, and the start of the canonical upper half.
    private static readonly ulong[] WindowBases = [K4, 1UL << 39, 1UL << 40, 0xFFFF_8000_0000_0000UL];

    /// <summary>One generated region, relative to the previous one in its window.</summary>
    public sealed record Spec(int Window, ulong GapPages, ulong LengthPages, int PhysicalMode, ulong PhysicalJitterPages, PageFlags Flags)
    {
        public override string ToString() =>
            $"(w{Window} gap {GapPages} len {LengthPages} pm{PhysicalMode}+{PhysicalJitterPages} {Flags})";
    }

    public sealed record Case(Spec[] Specs, int ProbeSeed, bool ForbidWx, bool Use1G)
    {
        public override string ToString() =>
            $"forbidWx={ForbidWx} use1G={Use1G} seed={ProbeSeed} specs=[{string.Join(", ", Specs.Select(s => s.ToString()))}]";
    }

    private static Gen<ulong> Pages(int min, int max) => Gen.Choose(min, max).Select(n => (ulong)n);

    private static readonly Gen<ulong> GapGen = Gen.Frequency(
        (3, Gen.Constant(0UL)),                                    // adjacent to the previous region
        (3, Pages(1, 16)),
        (2, Pages(17, 3000)),
        (2, Pages(1, 4).Select(n => n * 512)));                    // keeps 2 MiB alignment

    private static readonly Gen<ulong> LengthGen = Gen.Frequency(
        (4, Pages(1, 64)),
        (2, Pages(65, 1500)),
        (3, Pages(1, 8).Select(n => n * 512)),                     // whole 2 MiB pages
        (2, Gen.Zip(Pages(1, 8), Pages(1, 511)).Select(t => t.Item1 * 512 + t.Item2)),
        (1, Gen.Zip(Pages(1, 2), Pages(0, 3)).Select(t => t.Item1 * 262144 + t.Item2 * 512))); // 1 GiB and more

    private static readonly Gen<Spec> SpecGen =
        from window in Gen.Frequency((4, Gen.Constant(0)), (2, Gen.Constant(1)), (2, Gen.Constant(2)), (1, Gen.Constant(3)))
        from gap in GapGen
        from length in LengthGen
        from physicalMode in Gen.Choose(0, 3)
        from jitter in Pages(0, 600)
        from flags in Gen.Choose(0, 15)
        select new Spec(window, gap, length, physicalMode, jitter, (PageFlags)flags);

    private static readonly Gen<Case> CaseGen =
        from count in Gen.Choose(1, 12)
        from specs in Gen.ArrayOf(SpecGen, count)
        from seed in Gen.Choose(0, int.MaxValue)
        from forbidWx in Gen.Elements(true, true, false)
        from use1G in Gen.Elements(false, false, true)
        select new Case(specs, seed, forbidWx, use1G);

    /// <summary>Lays the specs out: virtual addresses by window, physical addresses from a compact cursor.</summary>
    internal static List<Region> Layout(Case c)
    {
        var cursors = (ulong[])WindowBases.Clone();
        ulong physicalCursor = 1UL << 32;
        var regions = new List<Region>();
        foreach (var s in c.Specs)
        {
            ulong va = cursors[s.Window] + s.GapPages * K4;
            ulong length = s.LengthPages * K4;
            cursors[s.Window] = va + length;
            ulong pa = s.PhysicalMode switch
            {
                0 when s.Window == 0 => va,                                                   // identity RAM
                0 or 1 => RoundUp(physicalCursor, M2) + (va & (M2 - 1)),                      // same 2 MiB offset
                2 => RoundUp(physicalCursor, G1) + (va & (G1 - 1)),                           // same 1 GiB offset
                _ => physicalCursor + s.PhysicalJitterPages * K4,                             // whatever falls out
            };
            physicalCursor = Math.Max(physicalCursor, pa + length) + s.PhysicalJitterPages * K4;
            var flags = s.Flags;
            if (c.ForbidWx && (flags & (RW | RX)) == (RW | RX)) flags &= ~PageFlags.Executable;
            regions.Add(new Region(va, pa, length, flags));
        }
        return regions;
    }

    private static ulong RoundUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);

    /// <summary>Leaf sizes seen by one property run, so the run can show it exercised them all.</summary>
    private sealed class Coverage
    {
        public int Pages4K, Pages2M, Pages1G, Unmapped, UpperHalf, GvaNotGpa;
    }

    private static void CheckCase(Case c, Coverage coverage)
    {
        var regions = Layout(c);
        var builder = new PageTableBuilder(0x2_0000_0000, 256UL << 20, c.ForbidWx, c.Use1G);
        // Mapping in a shuffled order must not matter.
        var random = new Random(c.ProbeSeed);
        builder.Map(regions.OrderBy(_ => random.Next()).ToArray());
        var tables = builder.Build();

        if ((ulong)tables.Image.Length != builder.RequiredTableBytes())
            throw new Exception($"image {tables.Image.Length} bytes but RequiredTableBytes {builder.RequiredTableBytes()}");

        void Expect(ulong va)
        {
            var region = Containing(regions, va);
            var actual = tables.Translate(va);
            if (region is not { } r)
            {
                if (actual is not null) throw new Exception($"0x{va:x} is in no region but translates to {actual}");
                coverage.Unmapped++;
                return;
            }
            switch (actual?.PageSize)
            {
                case K4: coverage.Pages4K++; break;
                case M2: coverage.Pages2M++; break;
                case G1: coverage.Pages1G++; break;
            }
            if (va >= 1UL << 63) coverage.UpperHalf++;
            if (actual is { } a && a.PhysicalAddress != va) coverage.GvaNotGpa++;
            var expected = new Translation(r.PhysicalAddress + (va - r.VirtualAddress), r.Flags, ExpectedPageSize(r, va, c.Use1G));
            if (actual != expected) throw new Exception($"0x{va:x} in {r}: expected {expected}, got {actual?.ToString() ?? "null"}");
        }

        Expect(0);
        Expect(K4 - 1);
        foreach (var r in regions)
        {
            ulong last = r.VirtualAddress + (r.Length - 1);
            Expect(r.VirtualAddress);
            Expect(last);
            Expect(r.VirtualAddress - 1);      // neighbour below (may belong to an adjacent region: the model decides)
            if (last != ulong.MaxValue) Expect(last + 1);
            for (int i = 0; i < 8; i++) Expect(r.VirtualAddress + (ulong)random.NextInt64() % r.Length);
            // Both sides of every 2 MiB boundary inside the region (at most 64 of them).
            ulong boundary = RoundUp(r.VirtualAddress + 1, M2);
            for (int i = 0; i < 64 && boundary - 1 < last; i++, boundary += M2)
            {
                Expect(boundary - 1);
                Expect(boundary);
            }
            // Some 4 KiB page boundaries.
            for (int i = 0; i < 8; i++)
            {
                ulong page = r.VirtualAddress + ((ulong)random.NextInt64() % r.Length & ~(K4 - 1));
                Expect(page);
                Expect(page - 1);
            }
        }
        // Random addresses anywhere, and near the windows.
        for (int i = 0; i < 64; i++)
        {
            Expect((ulong)random.NextInt64(long.MinValue, long.MaxValue));
            Expect(WindowBases[random.Next(WindowBases.Length)] + (ulong)random.NextInt64(1L << 34));
        }

        // Whole-table checks: the leaves cover exactly the regions, with their flags.
        ulong covered = 0;
        // Leaves come in address order, like the sorted regions: walk both together.
        var sorted = regions.OrderBy(r => r.VirtualAddress).ToArray();
        int next = 0;
        foreach (var m in tables.Mappings())
        {
            covered += m.PageSize;
            while (next < sorted.Length && sorted[next].VirtualAddress + (sorted[next].Length - 1) < m.VirtualAddress) next++;
            if (next == sorted.Length || sorted[next].VirtualAddress > m.VirtualAddress)
                throw new Exception($"leaf {m} lies in no region");
            var r = sorted[next];
            if (m.VirtualAddress + (m.PageSize - 1) > r.VirtualAddress + (r.Length - 1))
                throw new Exception($"leaf {m} sticks out of {r}");
            if (m.Flags != r.Flags || m.PhysicalAddress != r.PhysicalAddress + (m.VirtualAddress - r.VirtualAddress))
                throw new Exception($"leaf {m} does not match {r}");
            if (c.ForbidWx && (m.Flags & (RW | RX)) == (RW | RX))
                throw new Exception($"leaf {m} is writable and executable");
        }
        ulong asked = regions.Aggregate(0UL, (sum, r) => sum + r.Length);
        if (covered != asked) throw new Exception($"leaves cover {covered} bytes, regions {asked}");
    }

    [Fact]
    public void Random_region_sets_translate_exactly_as_asked()
    {
        var coverage = new Coverage();
        var property = Prop.ForAll(Arb.From(CaseGen), (Action<Case>)(c => CheckCase(c, coverage)));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(400), property);
        output.WriteLine($"translations checked: 4 KiB {coverage.Pages4K}, 2 MiB {coverage.Pages2M}, 1 GiB {coverage.Pages1G}, " +
                         $"unmapped {coverage.Unmapped}, upper half {coverage.UpperHalf}, GVA != GPA {coverage.GvaNotGpa}");
        // The generator must reach every kind of leaf, else the property proves less than it claims.
        Assert.True(coverage.Pages4K > 1000 && coverage.Pages2M > 1000 && coverage.Pages1G > 100, "generator missed a page size");
        Assert.True(coverage.Unmapped > 1000 && coverage.UpperHalf > 100 && coverage.GvaNotGpa > 1000, "generator missed a case");
    }

    [Fact]
    public void Walker_over_guest_memory_agrees_with_the_image_walk()
    {
        // The tender's crash report walks the tables through its guest-memory reader; the
        // delegate and span overloads must see what the built image's own walk sees. The image
        // is placed 3 pages into a piece of "guest memory" that starts at a non-zero address.
        var property = Prop.ForAll(Arb.From(CaseGen), (Action<Case>)(c =>
        {
            var regions = Layout(c);
            const ulong tablesAt = 0x3_0000_0000, memoryAt = tablesAt - 3 * K4;
            var tables = new PageTableBuilder(tablesAt, 256UL << 20, c.ForbidWx, c.Use1G).Map(regions).Build();
            var memory = new byte[3 * K4 + (ulong)tables.Image.Length];
            tables.Image.Span.CopyTo(memory.AsSpan(3 * (int)K4));
            var read = Reader(memory);
            Func<ulong, (bool ok, ulong value)> readAt = pa => pa >= memoryAt ? read(pa - memoryAt) : (false, 0UL);
            var random = new Random(c.ProbeSeed);
            foreach (var r in regions)
                foreach (ulong va in new[] { r.VirtualAddress, r.VirtualAddress + (r.Length - 1), r.VirtualAddress - 1,
                                             r.VirtualAddress + (ulong)random.NextInt64() % r.Length, (ulong)random.NextInt64() })
                {
                    var fromImage = tables.Translate(va);
                    var fromDelegate = PageWalker.Translate(tables.RootPhysicalAddress, va, readAt);
                    var fromSpan = PageWalker.Translate(memory, memoryAt, tables.RootPhysicalAddress, va);
                    if (fromImage != fromDelegate || fromImage != fromSpan)
                        throw new Exception($"0x{va:x}: image {fromImage}, delegate {fromDelegate}, span {fromSpan}");
                    if (Containing(regions, va) is not null && fromImage is null)
                        throw new Exception($"0x{va:x} is in a region but does not translate");
                }
        }));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property);
    }
}
