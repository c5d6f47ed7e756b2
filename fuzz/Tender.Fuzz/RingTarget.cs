using System.Buffers.Binary;
using Tender.Devices;
using Tender.Run;

namespace Tender.Fuzz;

/// <summary>
/// The Solo5 ring engine (<see cref="NetRingService"/>) consuming what a hostile guest wrote into
/// the ring at the top of its RAM: submission entries (operation, handle, buffer, length, id) and
/// ent_tail, with the buffers checked as the tender checks them (<see cref="GuestBufferAccess"/>).
/// A bad buffer or tail is a <see cref="NetRingFault"/>, reported, not thrown: no exception is clean.
/// <para>Input: byte 0 = frames waiting on the wire (bits 0-1) and "raw tail" (bit 2); byte 1 = entry
/// count (mod 65); with raw tail a u32 LE ent_tail follows; then the entries, 24 bytes each
/// (op u32, handle u32, data u64, length u32, id u32, all LE); the rest is the memory image at 0x1000
/// (up to the ring).</para>
/// </summary>
internal static unsafe class RingTarget
{
    public const int EntryBytes = 24;
    /// <summary>The ring at the top of RAM, as the tender places it. A property, not a static field:
    /// instrumented code must not run before SharpFuzz has set up its coverage map.</summary>
    public static ulong RingAddress => FuzzGuest.RamSize - HvtRingLayout.AreaSize(4096);

    public static readonly FuzzTarget Target = new("ring",
        "Tender.Devices NetRingService.ServiceOnce over ring contents from the input: ent_tail, entries, NET_WRITE/NET_READ buffers, commits",
        ["Tender.Devices.dll"], Run);

    private static void Run(ReadOnlySpan<byte> input)
    {
        var guest = FuzzGuest.Instance;
        int at = 0;
        byte flags = Next(input, ref at);
        int entries = Next(input, ref at) % 65;
        uint tail = (uint)entries;
        if ((flags & 4) != 0)
        {
            tail = BinaryPrimitives.ReadUInt32LittleEndian([Next(input, ref at), Next(input, ref at), Next(input, ref at), Next(input, ref at)]);
        }
        int entriesAt = at;
        at = Math.Min(input.Length, at + entries * EntryBytes);
        ulong ringAddress = RingAddress;
        guest.LoadImage(input[at..], ringAddress);
        guest.ResetWire(flags & 3);

        // As the tender: the engine set up first (it clears the ring), then the guest writes it.
        var area = new NetRingArea(guest.Ram.UnsafeHostPointer + ringAddress, ringAddress);
        var access = new GuestBufferAccess(guest.Ram, FuzzGuest.AccessMap(ringAddress));
        using var service = new NetRingService(area, access, [null, null, guest.Nic], new NetRingOptions { StartThread = false });
        Span<byte> e = stackalloc byte[EntryBytes];
        for (int i = 0; i < entries; i++)
        {
            e.Clear();
            int from = entriesAt + i * EntryBytes;
            if (from < input.Length) input[from..Math.Min(input.Length, from + EntryBytes)].CopyTo(e);
            int o = HvtRingLayout.EntryOffset((uint)i);
            area.Word(o + HvtRingLayout.EntryOperation) = BinaryPrimitives.ReadUInt32LittleEndian(e);
            area.Word(o + HvtRingLayout.EntryHandle) = BinaryPrimitives.ReadUInt32LittleEndian(e[4..]);
            area.Quad(o + HvtRingLayout.EntryData) = BinaryPrimitives.ReadUInt64LittleEndian(e[8..]);
            area.Word(o + HvtRingLayout.EntryLength) = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
            area.Word(o + HvtRingLayout.EntryId) = BinaryPrimitives.ReadUInt32LittleEndian(e[20..]);
        }
        area.Word(HvtRingLayout.EntTailOffset) = tail;

        service.ServiceOnce();
        // The guest may publish more while the engine runs: a second pass sees the same tail again.
        service.ServiceOnce();
    }

    private static byte Next(ReadOnlySpan<byte> input, ref int at) => at < input.Length ? input[at++] : (byte)0;
}
