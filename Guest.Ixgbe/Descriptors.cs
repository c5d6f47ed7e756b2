using System.Threading;

namespace Guest.Ixgbe;

/// <summary>
/// The 82599's advanced descriptors (16 bytes, little-endian), as the datasheet lays them out.
/// Receive (§7.1.6): the driver writes the read format {packet buffer address, header buffer
/// address}; the device overwrites it with the write-back format whose status word (bytes 8..11:
/// DD bit 0, EOP bit 1, errors in bits 31:20) and length (bytes 12..13) the driver reads.
/// Transmit data descriptor (§7.2.3.2.4): {buffer address; DTALEN 15:0, DTYP 23:20 = 0011,
/// DCMD 31:24 (EOP, IFCS, RS, DEXT); PAYLEN in 31:14 of the last word}; the device writes DD
/// (bit 0 of the last word) when it is done with a descriptor that asked for status (RS).
/// </summary>
public static unsafe class AdvancedDescriptor
{
    public const int Size = 16;

    public const uint RxStatusDd = 1u << 0;
    public const uint RxStatusEop = 1u << 1;
    /// <summary>RXE and the other error bits of the write-back status/error word (bits 31:20).</summary>
    public const uint RxErrorMask = 0xFFFu << 20;

    public const uint TxCmdEop = 1u << 24;
    public const uint TxCmdIfcs = 1u << 25;
    public const uint TxCmdRs = 1u << 27;
    public const uint TxCmdDext = 1u << 29;
    public const uint TxDtypData = 0x3u << 20;
    public const int TxPaylenShift = 14;
    public const uint TxStatusDd = 1u << 0;

    /// <summary>Hands an empty buffer to the device. Writing the header address (0) also clears the old DD.</summary>
    public static void WriteRxRead(byte* descriptor, ulong bufferIova)
    {
        *(ulong*)descriptor = bufferIova;
        Volatile.Write(ref *(ulong*)(descriptor + 8), 0UL);
    }

    /// <summary>The write-back status/error word; read first (volatile) so the rest is read after DD.</summary>
    public static uint RxStatus(byte* descriptor) => Volatile.Read(ref *(uint*)(descriptor + 8));

    public static int RxLength(byte* descriptor) => *(ushort*)(descriptor + 12);

    /// <summary>One whole frame in one buffer: EOP, insert FCS, report status (RS).</summary>
    public static void WriteTxData(byte* descriptor, ulong bufferIova, int length)
    {
        *(ulong*)descriptor = bufferIova;
        *(uint*)(descriptor + 8) = TxCmdEop | TxCmdIfcs | TxCmdRs | TxCmdDext | TxDtypData | ((uint)length & 0xFFFF);
        Volatile.Write(ref *(uint*)(descriptor + 12), (uint)length << TxPaylenShift);
    }

    public static bool TxDone(byte* descriptor) => (Volatile.Read(ref *(uint*)(descriptor + 12)) & TxStatusDd) != 0;
}
