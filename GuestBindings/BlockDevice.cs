using System;

namespace GuestBindings
{
    /// <summary>
    /// A block device (BLOCK_BASIC) the tender backs with a file (<c>--block:NAME=PATH</c>). Requests are
    /// whole sectors inside the device: <c>offset</c> a multiple of <see cref="BlockSize"/>, the buffer's
    /// length a non-zero multiple of it, and the range inside <see cref="Capacity"/>. The bindings pass
    /// every request to the tender unchanged and return its answer (Solo5's solo5_block_read/write):
    /// anything else is <see cref="Solo5Result.InvalidArgument"/>, as is a write to a device attached
    /// read-only (<c>--block-ro</c>).
    /// </summary>
    public sealed unsafe class BlockDevice
    {
        private BlockDevice(ManifestDevice d)
        {
            Name = d.Name;
            Handle = d.Handle;
            Capacity = d.Capacity;
            BlockSize = d.BlockSize;
        }

        public string Name { get; }
        /// <summary>The Solo5 handle (manifest index).</summary>
        public int Handle { get; }
        /// <summary>Capacity in bytes.</summary>
        public ulong Capacity { get; }
        /// <summary>Sector size in bytes (512 unless <c>--block-sector-size</c> said otherwise).</summary>
        public int BlockSize { get; }
        /// <summary>Capacity in sectors.</summary>
        public ulong SectorCount => BlockSize > 0 ? Capacity / (ulong)BlockSize : 0;

        /// <summary>Acquires the attached BLOCK_BASIC device the manifest names <paramref name="name"/>.</summary>
        public static DeviceStatus TryAcquire(string name, out BlockDevice? device)
        {
            device = null;
            if (!Manifest.TryFind(name, DeviceKind.BlockBasic, out ManifestDevice? d) || !d.Attached) return DeviceStatus.NotPresent;
            device = new BlockDevice(d);
            return DeviceStatus.Ok;
        }

        /// <summary>Reads buffer.Length bytes at byte <paramref name="offset"/> (BLKREAD).</summary>
        public Solo5Result Read(ulong offset, Span<byte> buffer)
        {
            fixed (byte* p = buffer) return DeviceCalls.Block(write: false, (ulong)Handle, offset, p, (ulong)buffer.Length);
        }

        /// <summary>Writes <paramref name="data"/> at byte <paramref name="offset"/> (BLKWRITE).</summary>
        public Solo5Result Write(ulong offset, ReadOnlySpan<byte> data)
        {
            fixed (byte* p = data) return DeviceCalls.Block(write: true, (ulong)Handle, offset, p, (ulong)data.Length);
        }

        /// <summary>Reads whole sectors starting at sector <paramref name="sector"/>.</summary>
        public Solo5Result ReadSectors(ulong sector, Span<byte> buffer) =>
            sector > ulong.MaxValue / (ulong)Math.Max(BlockSize, 1) ? Solo5Result.InvalidArgument : Read(sector * (ulong)BlockSize, buffer);

        /// <summary>Writes whole sectors starting at sector <paramref name="sector"/>.</summary>
        public Solo5Result WriteSectors(ulong sector, ReadOnlySpan<byte> data) =>
            sector > ulong.MaxValue / (ulong)Math.Max(BlockSize, 1) ? Solo5Result.InvalidArgument : Write(sector * (ulong)BlockSize, data);
    }
}
