using System.Buffers.Binary;

namespace Tender.Pci;

/// <summary>
/// What identifies a PCI function to the manifest (PCI_BASIC: vendor, device_id, class, subclass,
/// progif). The tender builds the expected identity from the manifest entry and compares it with
/// the device's configuration header before giving the device to a guest.
/// </summary>
public readonly record struct PciIdentity(ushort VendorId, ushort DeviceId, byte ClassCode, byte Subclass, byte ProgIf)
{
    /// <summary>Reads the identity from the first 12 bytes of a type-0 configuration header.</summary>
    public static PciIdentity FromConfigHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < PciConfig.ClassCode + 1)
            throw new ArgumentException($"a configuration header needs at least {PciConfig.ClassCode + 1} bytes", nameof(header));
        return new PciIdentity(
            BinaryPrimitives.ReadUInt16LittleEndian(header[PciConfig.VendorId..]),
            BinaryPrimitives.ReadUInt16LittleEndian(header[PciConfig.DeviceId..]),
            header[PciConfig.ClassCode],
            header[PciConfig.Subclass],
            header[PciConfig.ProgIf]);
    }

    /// <summary>
    /// The first field in which this (actual) identity differs from the expected one, as a sentence
    /// naming the field with both values ("vendor is 0x8086, the manifest says 0x1af4"); null if
    /// they match.
    /// </summary>
    public string? DescribeMismatch(PciIdentity expected)
    {
        if (VendorId != expected.VendorId) return $"vendor is 0x{VendorId:x4}, the manifest says 0x{expected.VendorId:x4}";
        if (DeviceId != expected.DeviceId) return $"device_id is 0x{DeviceId:x4}, the manifest says 0x{expected.DeviceId:x4}";
        if (ClassCode != expected.ClassCode) return $"class is 0x{ClassCode:x2}, the manifest says 0x{expected.ClassCode:x2}";
        if (Subclass != expected.Subclass) return $"subclass is 0x{Subclass:x2}, the manifest says 0x{expected.Subclass:x2}";
        if (ProgIf != expected.ProgIf) return $"progif is 0x{ProgIf:x2}, the manifest says 0x{expected.ProgIf:x2}";
        return null;
    }

    public override string ToString() =>
        $"vendor 0x{VendorId:x4} device 0x{DeviceId:x4} class 0x{ClassCode:x2} subclass 0x{Subclass:x2} progif 0x{ProgIf:x2}";
}

/// <summary>Offsets and bits of the PCI type-0 configuration header (PCI Local Bus Spec 3.0, §6.1–6.2).</summary>
public static class PciConfig
{
    public const int VendorId = 0x00;
    public const int DeviceId = 0x02;
    public const int Command = 0x04;
    public const int Status = 0x06;
    public const int RevisionId = 0x08;
    public const int ProgIf = 0x09;
    public const int Subclass = 0x0A;
    public const int ClassCode = 0x0B;
    public const int CacheLineSize = 0x0C;
    public const int LatencyTimer = 0x0D;
    public const int HeaderType = 0x0E;
    public const int Bar0 = 0x10;
    public const int SubsystemVendorId = 0x2C;
    public const int SubsystemId = 0x2E;
    public const int CapabilitiesPointer = 0x34;
    public const int InterruptLine = 0x3C;
    public const int InterruptPin = 0x3D;
    /// <summary>Size of the conventional configuration space.</summary>
    public const int Size = 256;

    public const ushort CommandIoSpace = 1 << 0;
    public const ushort CommandMemorySpace = 1 << 1;
    /// <summary>Bus Master Enable: the function may issue DMA.</summary>
    public const ushort CommandBusMaster = 1 << 2;
    public const ushort CommandInterruptDisable = 1 << 10;

    public const uint BarIoSpace = 1 << 0;
    public const uint BarMemoryType64 = 0b10 << 1;
    public const uint BarPrefetchable = 1 << 3;

    /// <summary>Offset of BAR i (0..5) in the header.</summary>
    public static int BarOffset(int index) =>
        index is >= 0 and < 6 ? Bar0 + 4 * index : throw new ArgumentOutOfRangeException(nameof(index));
}
