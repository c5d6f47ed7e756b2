using System.Buffers.Binary;
using System.Text;

namespace Tender.Manifest.Tests;

public class Solo5MftTests
{
    private static readonly AppManifest NetBlock = new(1, null, new Device[] { new NetBasicDevice("service0"), new BlockBasicDevice("storage") });

    private static AppManifest Pci() => ManifestSource.FromJsonFile(Examples.PathOf("pci-ixgbe.json"));

    private static ManifestFormatException Rejects(byte[] mft, string fragment)
    {
        var e = Assert.Throws<ManifestFormatException>(() => Solo5Mft.Decode(mft));
        Assert.StartsWith("manifest: binary manifest ", e.Message);
        Assert.Contains(fragment, e.Message);
        return e;
    }

    private static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));

    [Fact]
    public void LayoutIsSolo5s()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);

        Assert.Equal(8 + 3 * 104, b.Length);
        Assert.Equal(1u, U32(b, 0));                     // MFT_VERSION
        Assert.Equal(3u, U32(b, 4));                     // entries, with the reserved one
        Assert.Equal(0, b[8]);                           // e[0].name = ""
        Assert.Equal(1u << 30, U32(b, 8 + 68));          // e[0].type = MFT_RESERVED_FIRST
        Assert.Equal("service0\0", Encoding.ASCII.GetString(b, 8 + 104, 9));
        Assert.Equal(2u, U32(b, 8 + 104 + 68));          // MFT_DEV_NET_BASIC
        Assert.Equal("storage\0", Encoding.ASCII.GetString(b, 8 + 208, 8));
        Assert.Equal(1u, U32(b, 8 + 208 + 68));          // MFT_DEV_BLOCK_BASIC
        // Everything else (unions, hostfd, attached, padding) is zero as solo5-elftool emits it.
        var expected = new byte[b.Length];
        b.AsSpan(0, 8).CopyTo(expected);
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(8 + 68), 1u << 30);
        Encoding.ASCII.GetBytes("service0").CopyTo(expected, 8 + 104);
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(8 + 104 + 68), 2);
        Encoding.ASCII.GetBytes("storage").CopyTo(expected, 8 + 208);
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(8 + 208 + 68), 1);
        Assert.Equal(expected, b);
    }

    [Fact]
    public void PciPayloadAndDmaSizeLayout()
    {
        byte[] b = Solo5Mft.Encode(Pci());
        Assert.Equal(16UL << 20, BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(Solo5Mft.OffsetDmaSize)));
        int e1 = Solo5Mft.EntryOffset(1);
        Assert.Equal(Solo5Mft.TypePciBasic, U32(b, e1 + 68));
        Assert.Equal(0x8086, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(e1 + 72)));
        Assert.Equal(0x10FB, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(e1 + 74)));
        Assert.Equal(new byte[] { 2, 0, 0, 1, 0b101 }, b.AsSpan(e1 + 76, 5).ToArray());
        Assert.Equal(0, b[e1 + 96]);
    }

    [Theory]
    [InlineData("hello.json")]
    [InlineData("net.json")]
    [InlineData("block.json")]
    [InlineData("pci-ixgbe.json")]
    public void JsonToBinaryToDecodeRoundTrips(string example)
    {
        AppManifest m = ManifestSource.FromJsonFile(Examples.PathOf(example));
        byte[] b = Solo5Mft.Encode(m);
        Assert.Equal(Solo5Mft.SizeFor(m.Devices.Count), b.Length);
        Assert.Equal(m, Solo5Mft.Decode(b));
    }

    [Fact]
    public void NoteDescriptorIsPaddingThenStructMft()
    {
        byte[] d = Solo5Mft.EncodeNoteDescriptor(NetBlock);
        Assert.Equal(new byte[4], d[..4]);
        Assert.Equal(Solo5Mft.Encode(NetBlock), d[4..]);
    }

    [Fact]
    public void SixtyThreeDevicesFillSolo5sSixtyFourEntries()
    {
        var m = new AppManifest(1, null, Enumerable.Range(0, 63).Select(i => (Device)new NetBasicDevice($"n{i}")).ToArray());
        byte[] b = Solo5Mft.Encode(m);
        Assert.Equal(64u, U32(b, 4));
        Assert.Equal(m, Solo5Mft.Decode(b));
        var tooMany = new AppManifest(1, null, m.Devices.Append(new NetBasicDevice("x")).ToArray());
        Assert.Throws<ManifestFormatException>(() => Solo5Mft.Encode(tooMany));
    }

    [Fact]
    public void EncodeValidatesTheModel()
    {
        var e = Assert.Throws<ManifestFormatException>(() => Solo5Mft.Encode(new AppManifest(1, null, new Device[] { new NetBasicDevice("a"), new BlockBasicDevice("a") })));
        Assert.Contains("duplicate", e.Message);
        Assert.Throws<ManifestFormatException>(() => Solo5Mft.Encode(new AppManifest(1, null, new Device[] { new NetBasicDevice("bad name") })));
        Assert.Throws<ManifestFormatException>(() => Solo5Mft.Encode(new AppManifest(1, 12345, Array.Empty<Device>())));
        Assert.Throws<ManifestFormatException>(() => Solo5Mft.Encode(new AppManifest(2, null, Array.Empty<Device>())));
        Assert.Throws<ManifestFormatException>(() => Solo5Mft.Encode(new AppManifest(1, null, new Device[] { new PciBasicDevice("p", 0, 0, 0, 0, 0, false, 0x40) })));
    }

    // ---- corrupted binary manifests ----

    [Fact]
    public void TooShort() => Rejects(new byte[7], "is 7 bytes, shorter than its 8-byte header");

    [Fact]
    public void WrongVersion()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);
        b[0] = 2;
        Rejects(b, "version is 2; expected 1");
    }

    [Fact]
    public void NoEntries()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 0);
        Rejects(b, "has no entries");
    }

    [Fact]
    public void TooManyEntries()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 65);
        Rejects(b, "has 65 entries; at most 64");
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), uint.MaxValue);
        Rejects(b, "entries; at most 64");
    }

    [Fact]
    public void EntryCountDisagreesWithSize()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 2);
        Rejects(b, $"is {b.Length} bytes but 2 entries need exactly 216");
        Rejects(Solo5Mft.Encode(NetBlock)[..^1], "entries need exactly 320");
    }

    [Fact]
    public void FirstEntryMustBeReserved()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8 + 68), 2);
        Rejects(b, "entry 0 has type 0x2");
        b = Solo5Mft.Encode(NetBlock);
        b[8] = (byte)'x';
        Rejects(b, "entry 0 (the reserved entry) must have an empty name");
    }

    [Fact]
    public void NameMustBeTerminated()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);
        b.AsSpan(8 + 104, 68).Fill((byte)'a');
        Rejects(b, "entry 1 (devices[0]): name is not NUL-terminated within 68 bytes");
    }

    [Fact]
    public void GarbageAfterTheTerminatorIsIgnoredAsSolo5Does()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);
        b[8 + 104 + 20] = 0x7F;
        Assert.Equal(NetBlock, Solo5Mft.Decode(b));
    }

    [Fact]
    public void AttachedMustBeFalse()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);
        b[8 + 208 + 96] = 1;
        Rejects(b, "entry 2 (devices[1] \"storage\"): \"attached\" is 1");
        b = Solo5Mft.Encode(NetBlock);
        b[8 + 96] = 1;
        Rejects(b, "entry 0: \"attached\" is 1");
    }

    [Fact]
    public void UnknownType()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8 + 104 + 68), 3);
        Rejects(b, "entry 1 (devices[0] \"service0\"): unknown type 0x3");
    }

    [Fact]
    public void ReservedTypeOnlyInEntryZero()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8 + 104 + 68), 1u << 30);
        Rejects(b, "MFT_RESERVED_FIRST is allowed only in entry 0");
    }

    [Fact]
    public void BadOrDuplicateNames()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);
        b[8 + 104 + 3] = (byte)'-';
        Rejects(b, "name contains '-'");
        b = Solo5Mft.Encode(NetBlock);
        b[8 + 104] = 0;
        Rejects(b, "name must not be empty");
        b = Solo5Mft.Encode(new AppManifest(1, null, new Device[] { new NetBasicDevice("a"), new BlockBasicDevice("b") }));
        b[8 + 208] = (byte)'a';
        Rejects(b, "entry 2 (devices[1] \"a\"): name duplicates entry 1");
    }

    [Fact]
    public void BadPciPayload()
    {
        int e1 = Solo5Mft.EntryOffset(1);
        byte[] b = Solo5Mft.Encode(Pci());
        b[e1 + 79] = 2;
        Rejects(b, "bus_master_enable byte is 2");
        b = Solo5Mft.Encode(Pci());
        b[e1 + 80] = 0x45;
        Rejects(b, "map_bar mask 0x45 has bits beyond map_bar5");
        b = Solo5Mft.Encode(Pci());
        b[e1 + 85] = 1;
        Rejects(b, "reserved bytes 81..87 must be zero");
    }

    [Fact]
    public void BadDmaSize()
    {
        byte[] b = Solo5Mft.Encode(Pci());
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(Solo5Mft.OffsetDmaSize), 4096);
        Rejects(b, "dma_size (entry 0): must be a multiple of 2 MiB");
    }

    [Fact]
    public void RandomMutationsOnlyEverThrowManifestFormatException()
    {
        byte[] seed = Solo5Mft.Encode(Pci());
        var rng = new Random(777);
        int ok = 0, bad = 0;
        for (int i = 0; i < 20000; i++)
        {
            byte[] b = (byte[])seed.Clone();
            int edits = rng.Next(1, 5);
            for (int k = 0; k < edits; k++)
            {
                int at = rng.Next(b.Length);
                if (rng.Next(3) == 0 && at + 4 <= b.Length)
                    BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), (uint)rng.NextInt64(0, 1L << 32));
                else
                    b[at] = (byte)rng.Next(256);
            }
            if (rng.Next(10) == 0)
                b = b[..rng.Next(b.Length)];
            try
            {
                AppManifest m = Solo5Mft.Decode(b);
                // Anything accepted must encode back to a manifest that decodes to the same thing.
                Assert.Equal(m, Solo5Mft.Decode(Solo5Mft.Encode(m)));
                ok++;
            }
            catch (ManifestFormatException)
            {
                bad++;
            }
        }
        Assert.True(ok > 500 && bad > 5000, $"ok {ok}, bad {bad}");
    }

    // ---- filling in the guest's copy ----

    [Fact]
    public void AttachWritesSolo5sFieldsAndNothingElse()
    {
        AppManifest m = new(1, null, new Device[] { new NetBasicDevice("service0"), new BlockBasicDevice("storage"), new PciBasicDevice("pci0", 2, 0, 0, 0x8086, 0x10FB, true, 1) });
        byte[] before = Solo5Mft.Encode(m);
        byte[] b = (byte[])before.Clone();

        Solo5Mft.AttachNet(b, 0, new byte[] { 2, 0, 0, 0, 0, 9 }, 1500);
        Solo5Mft.AttachBlock(b, 1, 1 << 20, 512);
        Solo5Mft.AttachPci(b, 2);

        int net = Solo5Mft.EntryOffset(1), blk = Solo5Mft.EntryOffset(2), pci = Solo5Mft.EntryOffset(3);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 9 }, b[(net + 72)..(net + 78)]);
        Assert.Equal(1500, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(net + 78)));
        Assert.Equal(1UL << 20, BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(blk + 72)));
        Assert.Equal(512, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(blk + 80)));
        Assert.Equal(1, b[net + 96]);
        Assert.Equal(1, b[blk + 96]);
        Assert.Equal(1, b[pci + 96]);
        // hostfd stays 0 and every byte outside the written fields is unchanged.
        Assert.Equal(new byte[8], b[(net + 88)..(net + 96)]);
        var changed = Enumerable.Range(0, b.Length).Where(i => b[i] != before[i]).ToHashSet();
        var allowed = new HashSet<int>();
        foreach (int i in Enumerable.Range(net + 72, 8)) allowed.Add(i);
        foreach (int i in Enumerable.Range(blk + 72, 10)) allowed.Add(i);
        allowed.UnionWith(new[] { net + 96, blk + 96, pci + 96 });
        Assert.Subset(allowed, changed);
        // An attached manifest is what the guest sees; Solo5's validator (and Decode) refuse it as input.
        Assert.Throws<ManifestFormatException>(() => Solo5Mft.Decode(b));
    }

    [Fact]
    public void AttachChecksIndexAndType()
    {
        byte[] b = Solo5Mft.Encode(NetBlock);
        Assert.Throws<ArgumentOutOfRangeException>(() => Solo5Mft.AttachNet(b, 2, new byte[6], 1500));
        Assert.Throws<ArgumentOutOfRangeException>(() => Solo5Mft.AttachNet(b, -1, new byte[6], 1500));
        Assert.Throws<ArgumentException>(() => Solo5Mft.AttachNet(b, 1, new byte[6], 1500));
        Assert.Throws<ArgumentException>(() => Solo5Mft.AttachBlock(b, 0, 512, 512));
        Assert.Throws<ArgumentException>(() => Solo5Mft.AttachNet(b, 0, new byte[5], 1500));
        Assert.Throws<ArgumentException>(() => Solo5Mft.AttachPci(b, 0));
    }

    [Fact]
    public void HandlesCountTheReservedEntry()
    {
        Assert.Equal(1, AppManifest.HandleOf(0));
        Assert.Equal(8 + 2 * 104, Solo5Mft.EntryOffset(AppManifest.HandleOf(1)));
    }
}
