using System.Buffers.Binary;
using System.Text;

namespace Tender.Manifest;

/// <summary>
/// Solo5's binary manifest (include/mft_abi.h, x86-64 layout), the form carried by the MFT1 note and
/// handed to the guest through hvt_boot_info.mft:
/// <code>
/// struct mft        { u32 version; u32 entries; struct mft_entry e[entries]; }         8 + 104·n bytes
/// struct mft_entry  { char name[68]; u32 type; union u (16 bytes, 8-aligned);
///                     union b { int hostfd; void *data; } (8); bool attached; pad }     104 bytes
///   offset  0 name   68 type   72 u   88 b   96 attached   97..103 padding
///   u for BLOCK_BASIC: u64 capacity @72, u16 block_size @80
///   u for NET_BASIC:   u8 mac[6] @72, u16 mtu @78
/// </code>
/// Entry 0 is always Solo5's reserved entry (type MFT_RESERVED_FIRST, empty name); device i of the
/// manifest is entry i + 1, and that entry index is the device's Solo5 handle.
/// <para>
/// Two extensions of this project, both invisible to Solo5 guests that do not use them:
/// PCI_BASIC entries use type <see cref="TypePciBasic"/> with the payload described there, and the
/// manifest's dma_size is stored as a u64 in the reserved entry's union u (offset 72 of entry 0),
/// which Solo5 leaves zero and never reads.
/// </para>
/// </summary>
public static class Solo5Mft
{
    /// <summary>MFT_VERSION.</summary>
    public const uint MftVersion = 1;
    /// <summary>sizeof(struct mft) without entries.</summary>
    public const int HeaderSize = 8;
    /// <summary>sizeof(struct mft_entry) on x86-64.</summary>
    public const int EntrySize = 104;
    /// <summary>MFT_MAX_ENTRIES, including the reserved entry 0.</summary>
    public const int MaxEntries = 64;
    /// <summary>MFT_NAME_SIZE: name bytes including the NUL.</summary>
    public const int NameSize = 68;

    /// <summary>MFT_DEV_BLOCK_BASIC.</summary>
    public const uint TypeBlockBasic = 1;
    /// <summary>MFT_DEV_NET_BASIC.</summary>
    public const uint TypeNetBasic = 2;
    /// <summary>MFT_RESERVED_FIRST (1 &lt;&lt; 30): only entry 0 has it.</summary>
    public const uint TypeReservedFirst = 1u << 30;

    /// <summary>
    /// This project's code for PCI_BASIC (Solo5 has none). Chosen far above Solo5's small sequential
    /// codes (1, 2, …) so a future Solo5 type cannot collide with it, and below MFT_RESERVED_FIRST so
    /// solo5-hvt treats it as a device entry. Payload in union u (16 bytes at entry offset 72):
    /// u16 vendor_id @72, u16 device_id @74, u8 class @76, u8 subclass @77, u8 progif @78,
    /// u8 bus_master_enable (0/1) @79, u8 map_bar mask (bit i = map_bar i, bits 6-7 zero) @80,
    /// bytes 81..87 zero.
    /// </summary>
    public const uint TypePciBasic = 0x0100_0001;

    // Field offsets inside an entry.
    public const int OffsetName = 0;
    public const int OffsetType = 68;
    public const int OffsetUnion = 72;
    public const int OffsetBacking = 88;
    public const int OffsetAttached = 96;

    /// <summary>Offset of dma_size (u64) from the start of the manifest: entry 0's union u.</summary>
    public const int OffsetDmaSize = HeaderSize + OffsetUnion;

    /// <summary>Byte size of the binary form of a manifest with <paramref name="deviceCount"/> devices.</summary>
    public static int SizeFor(int deviceCount)
    {
        if (deviceCount < 0 || deviceCount > MaxEntries - 1)
            throw new ArgumentOutOfRangeException(nameof(deviceCount), $"0..{MaxEntries - 1} devices");
        return HeaderSize + (deviceCount + 1) * EntrySize;
    }

    /// <summary>Offset of the entry with Solo5 handle <paramref name="entryIndex"/> (device i is entry i + 1).</summary>
    public static int EntryOffset(int entryIndex) => HeaderSize + entryIndex * EntrySize;

    /// <summary>Encodes a manifest (validated first) into Solo5's binary layout, all private fields zero.</summary>
    public static byte[] Encode(AppManifest manifest)
    {
        ManifestLimits.Validate(manifest);
        var bytes = new byte[SizeFor(manifest.Devices.Count)];
        EncodeInto(manifest, bytes);
        return bytes;
    }

    /// <summary>
    /// The MFT1 note descriptor for <paramref name="manifest"/>: 4 zero bytes of internal padding,
    /// then the binary manifest (what a guest build embeds after the 20-byte note header
    /// namesz=6 "Solo5\0\0\0", descsz = this length, type 0x3154464d).
    /// </summary>
    public static byte[] EncodeNoteDescriptor(AppManifest manifest)
    {
        byte[] mft = Encode(manifest);
        var desc = new byte[Loader.ElfImage.Solo5ManifestDescriptorPadding + mft.Length];
        mft.CopyTo(desc, Loader.ElfImage.Solo5ManifestDescriptorPadding);
        return desc;
    }

    private static void EncodeInto(AppManifest manifest, Span<byte> dest)
    {
        dest.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(dest, MftVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[4..], (uint)(manifest.Devices.Count + 1));
        Span<byte> first = dest.Slice(EntryOffset(0), EntrySize);
        BinaryPrimitives.WriteUInt32LittleEndian(first[OffsetType..], TypeReservedFirst);
        BinaryPrimitives.WriteUInt64LittleEndian(first[OffsetUnion..], manifest.DmaSize ?? 0);
        for (int i = 0; i < manifest.Devices.Count; i++)
        {
            Device d = manifest.Devices[i];
            Span<byte> e = dest.Slice(EntryOffset(i + 1), EntrySize);
            Encoding.ASCII.GetBytes(d.Name, e[..ManifestLimits.MaxNameLength]);
            uint type = d switch
            {
                NetBasicDevice => TypeNetBasic,
                BlockBasicDevice => TypeBlockBasic,
                PciBasicDevice => TypePciBasic,
                _ => throw new ArgumentException($"unknown device kind {d.GetType().Name}", nameof(manifest)),
            };
            BinaryPrimitives.WriteUInt32LittleEndian(e[OffsetType..], type);
            if (d is PciBasicDevice p)
            {
                Span<byte> u = e[OffsetUnion..];
                BinaryPrimitives.WriteUInt16LittleEndian(u, p.VendorId);
                BinaryPrimitives.WriteUInt16LittleEndian(u[2..], p.DeviceId);
                u[4] = p.ClassCode;
                u[5] = p.Subclass;
                u[6] = p.ProgIf;
                u[7] = p.BusMasterEnable ? (byte)1 : (byte)0;
                u[8] = p.MapBarMask;
            }
        }
    }

    /// <summary>
    /// Decodes and fully validates a binary manifest (as Solo5's mft_validate does, plus this project's
    /// rules: known types, valid unique names, well-formed PCI payloads and dma_size). Never throws
    /// anything but <see cref="ManifestFormatException"/> for bad bytes.
    /// </summary>
    public static AppManifest Decode(ReadOnlySpan<byte> mft)
    {
        if (mft.Length < HeaderSize)
            throw Fail($"is {mft.Length} bytes, shorter than its {HeaderSize}-byte header");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(mft);
        uint entries = BinaryPrimitives.ReadUInt32LittleEndian(mft[4..]);
        if (version != MftVersion)
            throw Fail($"version is {version}; expected {MftVersion}");
        if (entries < 1)
            throw Fail("has no entries; entry 0 must be the reserved entry");
        if (entries > MaxEntries)
            throw Fail($"has {entries} entries; at most {MaxEntries} (the reserved entry and {MaxEntries - 1} devices) are allowed");
        long expected = HeaderSize + (long)entries * EntrySize;
        if (mft.Length != expected)
            throw Fail($"is {mft.Length} bytes but {entries} entries need exactly {expected}");

        ReadOnlySpan<byte> first = mft.Slice(EntryOffset(0), EntrySize);
        uint firstType = BinaryPrimitives.ReadUInt32LittleEndian(first[OffsetType..]);
        if (firstType != TypeReservedFirst)
            throw Fail($"entry 0 has type 0x{firstType:x}; it must be the reserved entry (MFT_RESERVED_FIRST 0x{TypeReservedFirst:x})");
        if (first[0] != 0)
            throw Fail("entry 0 (the reserved entry) must have an empty name");
        CheckPrivate(first, 0, null);
        ulong dma = BinaryPrimitives.ReadUInt64LittleEndian(first[OffsetUnion..]);
        if (dma != 0 && ManifestLimits.CheckDmaSize(dma) is { } dmaError)
            throw Fail($"dma_size (entry 0): {dmaError}");

        var devices = new Device[entries - 1];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 1; i < entries; i++)
        {
            ReadOnlySpan<byte> e = mft.Slice(EntryOffset(i), EntrySize);
            string where = $"entry {i} (devices[{i - 1}])";
            ReadOnlySpan<byte> nameBytes = e[..NameSize];
            if (nameBytes[NameSize - 1] != 0)
                throw Fail($"{where}: name is not NUL-terminated within {NameSize} bytes");
            // Bytes after the terminator are ignored, as Solo5 does.
            ReadOnlySpan<byte> nameText = nameBytes[..nameBytes.IndexOf((byte)0)];
            string name = Encoding.Latin1.GetString(nameText);
            where = $"entry {i} ({ManifestLimits.DeviceLabel(i - 1, name)})";
            if (ManifestLimits.CheckName(name) is { } nameError)
                throw Fail($"{where}: name {nameError}");
            if (seen.TryGetValue(name, out int dup))
                throw Fail($"{where}: name duplicates entry {dup}");
            seen.Add(name, i);
            CheckPrivate(e, i, name);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(e[OffsetType..]);
            devices[i - 1] = type switch
            {
                TypeNetBasic => new NetBasicDevice(name),
                TypeBlockBasic => new BlockBasicDevice(name),
                TypePciBasic => DecodePci(e[OffsetUnion..OffsetBacking], where, name),
                TypeReservedFirst => throw Fail($"{where}: type MFT_RESERVED_FIRST is allowed only in entry 0"),
                _ => throw Fail($"{where}: unknown type 0x{type:x} (known: BLOCK_BASIC 1, NET_BASIC 2, PCI_BASIC 0x{TypePciBasic:x})"),
            };
        }
        return new AppManifest(ManifestLimits.Version, dma == 0 ? null : dma, devices);
    }

    private static void CheckPrivate(ReadOnlySpan<byte> entry, int index, string? name)
    {
        // Solo5's mft_validate: a manifest from an ELF must not claim to be attached; the tender
        // attaches devices itself and fills in the private fields.
        if (entry[OffsetAttached] != 0)
        {
            string who = index == 0 ? "entry 0" : $"entry {index} ({ManifestLimits.DeviceLabel(index - 1, name)})";
            throw Fail($"{who}: \"attached\" is {entry[OffsetAttached]}; it must be 0 (false) in a manifest the tender has not yet filled in");
        }
    }

    private static PciBasicDevice DecodePci(ReadOnlySpan<byte> u, string where, string name)
    {
        if (u[7] > 1)
            throw Fail($"{where}: bus_master_enable byte is {u[7]}; must be 0 or 1");
        if ((u[8] & ~PciBasicDevice.ValidBarMask) != 0)
            throw Fail($"{where}: map_bar mask 0x{u[8]:x2} has bits beyond map_bar5");
        if (u[9..].ContainsAnyExcept((byte)0))
            throw Fail($"{where}: PCI_BASIC reserved bytes 81..87 must be zero");
        return new PciBasicDevice(
            name,
            ClassCode: u[4],
            Subclass: u[5],
            ProgIf: u[6],
            VendorId: BinaryPrimitives.ReadUInt16LittleEndian(u),
            DeviceId: BinaryPrimitives.ReadUInt16LittleEndian(u[2..]),
            BusMasterEnable: u[7] == 1,
            MapBarMask: u[8]);
    }

    private static ManifestFormatException Fail(string message) => new("manifest: binary manifest " + message);

    // ---- Filling in a guest's copy (what solo5-hvt does to its copy before boot) ----

    /// <summary>
    /// Marks NET_BASIC device <paramref name="deviceIndex"/> attached in a binary manifest and sets its
    /// MAC and MTU. Writes only inside that entry; the backing field (hostfd) stays 0 so that no host
    /// descriptor number leaks into the guest.
    /// </summary>
    public static void AttachNet(Span<byte> mft, int deviceIndex, ReadOnlySpan<byte> mac, ushort mtu)
    {
        if (mac.Length != 6)
            throw new ArgumentException("a MAC address is 6 bytes", nameof(mac));
        Span<byte> e = EntryForAttach(mft, deviceIndex, TypeNetBasic);
        mac.CopyTo(e[OffsetUnion..]);
        BinaryPrimitives.WriteUInt16LittleEndian(e[(OffsetUnion + 6)..], mtu);
        e[OffsetAttached] = 1;
    }

    /// <summary>Marks BLOCK_BASIC device <paramref name="deviceIndex"/> attached with its capacity and block size.</summary>
    public static void AttachBlock(Span<byte> mft, int deviceIndex, ulong capacity, ushort blockSize)
    {
        Span<byte> e = EntryForAttach(mft, deviceIndex, TypeBlockBasic);
        e.Slice(OffsetUnion, OffsetBacking - OffsetUnion).Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(e[OffsetUnion..], capacity);
        BinaryPrimitives.WriteUInt16LittleEndian(e[(OffsetUnion + 8)..], blockSize);
        e[OffsetAttached] = 1;
    }

    /// <summary>Marks PCI_BASIC device <paramref name="deviceIndex"/> attached (its payload stays as declared).</summary>
    public static void AttachPci(Span<byte> mft, int deviceIndex)
    {
        Span<byte> e = EntryForAttach(mft, deviceIndex, TypePciBasic);
        e[OffsetAttached] = 1;
    }

    private static Span<byte> EntryForAttach(Span<byte> mft, int deviceIndex, uint type)
    {
        if (mft.Length < HeaderSize)
            throw new ArgumentException("not a binary manifest", nameof(mft));
        uint entries = BinaryPrimitives.ReadUInt32LittleEndian(mft[4..]);
        if (deviceIndex < 0 || (ulong)deviceIndex + 1 >= entries || EntryOffset(deviceIndex + 1) + EntrySize > mft.Length)
            throw new ArgumentOutOfRangeException(nameof(deviceIndex), $"device {deviceIndex} is not in this manifest");
        Span<byte> e = mft.Slice(EntryOffset(deviceIndex + 1), EntrySize);
        uint actual = BinaryPrimitives.ReadUInt32LittleEndian(e[OffsetType..]);
        if (actual != type)
            throw new ArgumentException($"device {deviceIndex} has type 0x{actual:x}, not 0x{type:x}", nameof(deviceIndex));
        return e;
    }
}
