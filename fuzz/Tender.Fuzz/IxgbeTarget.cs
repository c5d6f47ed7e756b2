using System.Buffers.Binary;
using Tender.Pci.Dma;
using Tender.Pci.Emulation;
using Tender.Pci.Wire;

namespace Tender.Fuzz;

/// <summary>
/// The emulated Intel 82599 (<see cref="Ixgbe82599"/>) as a hostile driver drives it: BAR0 MMIO
/// accesses of any size and offset (as KVM reports them), frames arriving from the wire, and
/// descriptor rings and buffers in a 64 KiB DMA area the input writes. Errors are reported through
/// <see cref="Ixgbe82599.ErrorReported"/>, never thrown: no exception is clean.
/// <para>Input: operations until the input ends, each an op byte whose low 2 bits say what:
/// 0 MMIO write, 1 MMIO read (size from bits 2-4: 1, 2, 4, 8 or the undecodable 3; offset u24 LE;
/// a write's value follows, size bytes); 2 a frame from the wire (u16 LE length mod 2048, bytes);
/// 3 a DMA write (u16 LE offset in the area, u8 length, bytes).</para>
/// </summary>
internal static class IxgbeTarget
{
    public const ulong DmaBase = 1UL << 40;
    public const int DmaSize = 64 * 1024;
    public const int MaxOperations = 4096;
    private static readonly int[] s_sizes = [1, 2, 4, 8, 3];

    public static readonly FuzzTarget Target = new("ixgbe",
        "Tender.Pci Ixgbe82599: HandleMmio register reads/writes (reset, link, queue set-up), RX/TX descriptor rings and buffers in DMA memory, Receive",
        ["Tender.Pci.dll"], input => _ = Run(input));

    /// <summary>What a run did, for tests that check a seed gets the device working.</summary>
    internal readonly record struct Observed(int Transmitted, int Received, long Errors, bool LinkUp);

    /// <summary>A cable with nothing at the other end: the port's link comes up, frames sent vanish.</summary>
    private sealed class DiscardWire : IEthernetWire
    {
        public int Transmitted;
        public bool CarrierPresent => true;
        public void Transmit(ReadOnlySpan<byte> frame) => Transmitted++;
    }

    internal static Observed Run(ReadOnlySpan<byte> input)
    {
        var wire = new DiscardWire();
        int received = 0;
        var dma = new ArrayDmaMemory(DmaBase, DmaSize);
        var device = new Ixgbe82599(dma, new IxgbeOptions { LinkUpDelay = TimeSpan.Zero });
        device.AttachWire(wire);
        device.Config.SetBusMaster(true);
        Span<byte> data = stackalloc byte[8];
        int at = 0;
        for (int n = 0; n < MaxOperations && at < input.Length; n++)
        {
            byte op = input[at++];
            switch (op & 3)
            {
                case 0 or 1:
                {
                    int size = s_sizes[(op >> 2) % s_sizes.Length];
                    uint offset = (uint)Take(input, ref at, 3, data) ;
                    var access = data[..size];
                    access.Clear();
                    if ((op & 3) == 0) Take(input, ref at, size, access);
                    device.HandleMmio(offset, access, isWrite: (op & 3) == 0);
                    break;
                }
                case 2:
                {
                    int length = (int)(Take(input, ref at, 2, data) % 2048);
                    var frame = input.Slice(at, Math.Min(length, input.Length - at));
                    at += frame.Length;
                    if (device.Receive(frame)) received++;
                    break;
                }
                default:
                {
                    int offset = (int)Take(input, ref at, 2, data);
                    int length = (int)Take(input, ref at, 1, data);
                    var bytes = input.Slice(at, Math.Min(length, input.Length - at));
                    at += bytes.Length;
                    bytes[..Math.Min(bytes.Length, DmaSize - offset)].CopyTo(dma.Bytes[offset..]);
                    break;
                }
            }
        }
        return new Observed(wire.Transmitted, received, device.ErrorCount, device.LinkUp);
    }

    /// <summary>The next count bytes (missing ones 0) into into[..count], as a little-endian number.</summary>
    private static ulong Take(ReadOnlySpan<byte> input, ref int at, int count, Span<byte> into)
    {
        Span<byte> bytes = stackalloc byte[8];
        bytes.Clear();
        int have = Math.Min(count, input.Length - at);
        input.Slice(at, have).CopyTo(bytes);
        at += have;
        bytes[..count].CopyTo(into);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }
}
