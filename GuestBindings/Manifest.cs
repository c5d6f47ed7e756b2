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
    public readonly struct ManifestDevice
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
        /// <summary>Whether the tender attached a backend to the device.</summary>
        public bool Attached { get; }
    }

    /// <summary>The guest's manifest, decoded from the binary form the tender placed in guest memory.</summary>
    public static unsafe class Manifest
    {
        private const int HeaderSize = 8;
        private const int EntrySize = 104;
        private const int NameSize = 68;
        private const int MaxEntries = 64;
        private const uint TypeBlockBasic = 1;
        private const uint TypeNetBasic = 2;
        private const uint TypePciBasic = 0x0100_0001;

        /// <summary>The devices (Solo5's reserved entry 0 excluded); empty when the guest has none.</summary>
        public static ManifestDevice[] GetDevices()
        {
            byte* mft = Hypercalls.GetBootInfo()->Manifest;
            if (mft == null) return new ManifestDevice[0];
            uint entries = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(mft + 4, 4));
            if (entries > MaxEntries) entries = MaxEntries;
            int count = entries > 0 ? (int)entries - 1 : 0;
            ManifestDevice[] devices = new ManifestDevice[count];
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> e = new ReadOnlySpan<byte>(mft + HeaderSize + (i + 1) * EntrySize, EntrySize);
                int nameLength = 0;
                while (nameLength < NameSize && e[nameLength] != 0) nameLength++;
                char[] name = new char[nameLength];
                for (int k = 0; k < nameLength; k++) name[k] = (char)e[k];
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(68, 4));
                DeviceKind kind = type == TypeBlockBasic ? DeviceKind.BlockBasic : type == TypeNetBasic ? DeviceKind.NetBasic : type == TypePciBasic ? DeviceKind.PciBasic : DeviceKind.Unknown;
                devices[i] = new ManifestDevice(i + 1, new string(name), kind, e[96] != 0);
            }
            return devices;
        }

        /// <summary>Finds a device by name and kind.</summary>
        public static bool TryFind(string name, DeviceKind kind, out ManifestDevice device)
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
            device = default;
            return false;
        }
    }
}
