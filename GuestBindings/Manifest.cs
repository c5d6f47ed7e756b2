using System;
using System.Buffers.Binary;

namespace GuestBindings
{
    /// <summary>Device types in the manifest (Solo5 mft_abi.h, plus this project's PCI_BASIC).</summary>
    public enum DeviceKind
    {
        Unknown = 0,
        BlockBasic = 1,
        NetBasic = 2,
        PciBasic = 3,
    }

    /// <summary>One device of the manifest the tender attached (docs/abi.md, hvt_boot_info.mft).</summary>
    public sealed class ManifestDevice
    {
        internal ManifestDevice(int handle, string name, DeviceKind kind, bool attached)
        {
            Handle = handle;
            Name = name;
            Kind = kind;
            Attached = attached;
        }

        /// <summary>The Solo5 handle: the entry's index in the binary manifest (bit n of a poll's ready set).</summary>
        public int Handle { get; }
        public string Name { get; }
        public DeviceKind Kind { get; }
        /// <summary>Whether the tender attached a backend to the device (only then are the values below set).</summary>
        public bool Attached { get; }

        /// <summary>NET_BASIC: the interface's MAC address (6 bytes).</summary>
        public byte[] MacAddress { get; internal set; } = new byte[6];
        /// <summary>NET_BASIC: the MTU.</summary>
        public int Mtu { get; internal set; }
        /// <summary>BLOCK_BASIC: capacity in bytes.</summary>
        public ulong Capacity { get; internal set; }
        /// <summary>BLOCK_BASIC: block (sector) size in bytes.</summary>
        public int BlockSize { get; internal set; }
        /// <summary>PCI_BASIC: the device's identity and what the manifest asks of it.</summary>
        public ushort VendorId { get; internal set; }
        public ushort DeviceId { get; internal set; }
        public byte ClassCode { get; internal set; }
        public byte Subclass { get; internal set; }
        public byte ProgIf { get; internal set; }
        public bool BusMasterEnable { get; internal set; }
        /// <summary>PCI_BASIC: bit i set = BAR i is mapped.</summary>
        public byte MapBarMask { get; internal set; }
    }

    /// <summary>The guest's manifest, decoded from the binary form the tender placed in guest memory.</summary>
    public static unsafe class Manifest
    {
        private const int HeaderSize = 8;
        private const int EntrySize = 104;
        private const int NameSize = 68;
        private const int MaxEntries = 64;
        private const int OffsetType = 68;
        private const int OffsetUnion = 72;
        private const int OffsetAttached = 96;
        private const uint TypeBlockBasic = 1;
        private const uint TypeNetBasic = 2;
        private const uint TypePciBasic = 0x0100_0001;

        private static ManifestDevice[]? s_devices;
        private static ulong s_dmaSize;

        /// <summary>The devices (Solo5's reserved entry 0 excluded); empty when the guest has none.</summary>
        public static ManifestDevice[] GetDevices()
        {
            if (s_devices is null) s_devices = Parse((byte*)Hypercalls.GetBootInfo()->Manifest, out s_dmaSize);
            return s_devices;
        }

        /// <summary>Size of the DMA area the manifest asks for (this project's extension), 0 if none.</summary>
        public static ulong DmaSize
        {
            get
            {
                GetDevices();
                return s_dmaSize;
            }
        }

        /// <summary>Finds a device by name and kind.</summary>
        public static bool TryFind(string name, DeviceKind kind, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ManifestDevice? device)
        {
            ManifestDevice[] devices = GetDevices();
            for (int i = 0; i < devices.Length; i++)
            {
                if (devices[i].Kind == kind && devices[i].Name == name)
                {
                    device = devices[i];
                    return true;
                }
            }
            device = null;
            return false;
        }

        // Decodes struct mft (Solo5 mft_abi.h, x86-64 layout; docs/abi.md). The tender wrote it, so it is
        // trusted to be well formed; the entry count is still bounded by Solo5's maximum.
        internal static ManifestDevice[] Parse(byte* mft, out ulong dmaSize)
        {
            dmaSize = 0;
            if (mft == null) return new ManifestDevice[0];
            uint entries = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(mft + 4, 4));
            if (entries > MaxEntries) entries = MaxEntries;
            if (entries > 0) dmaSize = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(mft + HeaderSize + OffsetUnion, 8));
            int count = entries > 0 ? (int)entries - 1 : 0;
            ManifestDevice[] devices = new ManifestDevice[count];
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> e = new ReadOnlySpan<byte>(mft + HeaderSize + (i + 1) * EntrySize, EntrySize);
                int nameLength = 0;
                while (nameLength < NameSize && e[nameLength] != 0) nameLength++;
                char[] name = new char[nameLength];
                for (int k = 0; k < nameLength; k++) name[k] = (char)e[k];
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(OffsetType, 4));
                DeviceKind kind = type == TypeBlockBasic ? DeviceKind.BlockBasic : type == TypeNetBasic ? DeviceKind.NetBasic : type == TypePciBasic ? DeviceKind.PciBasic : DeviceKind.Unknown;
                var d = new ManifestDevice(i + 1, new string(name), kind, e[OffsetAttached] != 0);
                ReadOnlySpan<byte> u = e.Slice(OffsetUnion, 16);
                switch (kind)
                {
                    case DeviceKind.NetBasic:
                        d.MacAddress = u.Slice(0, 6).ToArray();
                        d.Mtu = BinaryPrimitives.ReadUInt16LittleEndian(u.Slice(6, 2));
                        break;
                    case DeviceKind.BlockBasic:
                        d.Capacity = BinaryPrimitives.ReadUInt64LittleEndian(u);
                        d.BlockSize = BinaryPrimitives.ReadUInt16LittleEndian(u.Slice(8, 2));
                        break;
                    case DeviceKind.PciBasic:
                        d.VendorId = BinaryPrimitives.ReadUInt16LittleEndian(u);
                        d.DeviceId = BinaryPrimitives.ReadUInt16LittleEndian(u.Slice(2, 2));
                        d.ClassCode = u[4];
                        d.Subclass = u[5];
                        d.ProgIf = u[6];
                        d.BusMasterEnable = u[7] != 0;
                        d.MapBarMask = u[8];
                        break;
                }
                devices[i] = d;
            }
            return devices;
        }
    }
}
