using System.Buffers.Binary;
using Tender.Boot;
using Tender.Devices;
using Tender.Host;
using Tender.Platform;

namespace Tender.Fuzz;

/// <summary>
/// What the hypercall and ring targets share: real guest RAM (the tender's <see cref="GuestMemory"/>),
/// the guest's access rights (<see cref="GuestAccessMap"/>, with an unmapped null page, a read-only
/// range as text would be, and the top reserved for the ring), and a NIC whose "TAP" is one end of
/// a datagram socket pair, so frames can be sent and received without CAP_NET_ADMIN.
/// One per process: afl-fuzz runs each input in a fresh child, the replay tests one after another.
/// </summary>
internal sealed class FuzzGuest
{
    public const ulong RamSize = 0x40000;
    /// <summary>Where a target copies the input's memory image (the first writable page).</summary>
    public const ulong ImageAddress = 0x1000;
    public const ulong ReadOnlyStart = 0x10000, ReadOnlyEnd = 0x20000;
    public const int Mtu = 1500;
    public const uint NicHandle = 2;

    public readonly GuestMemory Ram = new("fuzz RAM", 0, RamSize, MappedRegion.Anonymous(RamSize, "fuzz RAM"));
    /// <summary>The guest's NIC (handle <see cref="NicHandle"/>) and the Linux side of its wire.</summary>
    public readonly TapDevice Nic, Peer;

    private static readonly Lazy<FuzzGuest> s_instance = new(() => new FuzzGuest());
    public static FuzzGuest Instance => s_instance.Value;

    private FuzzGuest()
    {
        var (a, b) = FileDescriptor.DatagramPair();
        Nic = TapDevice.OverDescriptor(a, "fuzz0", Mtu, new MacAddress([0x02, 0, 0, 0, 0, 0x10]));
        Peer = TapDevice.OverDescriptor(b, "fuzz0-peer", Mtu, new MacAddress([0x02, 0, 0, 0, 0, 0x01]));
    }

    /// <summary>[0x1000, top) without the read-only range; the null page and [top, RamSize) unmapped.</summary>
    public static GuestAccessMap AccessMap(ulong top) => new GuestAccessMap()
        .Add(ImageAddress, ReadOnlyStart, writable: true)
        .Add(ReadOnlyStart, ReadOnlyEnd, writable: false)
        .Add(ReadOnlyEnd, top, writable: true);

    /// <summary>Zeroes RAM below <paramref name="limit"/> and copies image to <see cref="ImageAddress"/>
    /// (cut to fit), so every input starts from the same memory.</summary>
    public void LoadImage(ReadOnlySpan<byte> image, ulong limit)
    {
        Ram.GetSpan(0, limit).Clear();
        int room = (int)(limit - ImageAddress);
        image[..Math.Min(image.Length, room)].CopyTo(Ram.GetSpan(ImageAddress, (ulong)room));
    }

    /// <summary>Empties both ends of the wire and queues <paramref name="frames"/> minimal frames for the guest.</summary>
    public void ResetWire(int frames)
    {
        Span<byte> buffer = stackalloc byte[Mtu + TapDevice.EthernetHeaderLength];
        while (Nic.Read(buffer, out _) == DeviceResult.Ok) { }
        while (Peer.Read(buffer, out _) == DeviceResult.Ok) { }
        Span<byte> frame = stackalloc byte[60];
        for (int i = 0; i < frames; i++)
        {
            frame.Clear();
            frame[..6].Fill(0xFF);
            frame[12] = 0x08; frame[13] = 0x06;
            BinaryPrimitives.WriteInt32BigEndian(frame[14..], i);
            Peer.Write(frame);
        }
    }
}
