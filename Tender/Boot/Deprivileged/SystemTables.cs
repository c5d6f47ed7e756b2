using System.Buffers.Binary;

namespace Tender.Boot.Deprivileged;

/// <summary>
/// The x86-64 descriptor tables the tender owns in deprivileged mode: GDT, IDT and a TSS with an
/// I/O permission bitmap. Pure byte builders; <see cref="DeprivilegedBootMode"/> places them.
/// </summary>
internal static class SystemTables
{
    public const ushort KernelCode = 0x08;
    public const ushort KernelData = 0x10;
    public const ushort UserCode = 0x18 | 3;
    public const ushort UserData = 0x20 | 3;
    public const ushort TaskState = 0x28;
    public const int GdtBytes = 7 * 8; // null, 4 segments, 16-byte TSS descriptor

    /// <summary>TSS: 104-byte 64-bit TSS, then the 8192-byte I/O bitmap, then the 0xFF byte the CPU
    /// may read past the bitmap's end.</summary>
    public const int TssBaseSize = 104;
    public const int IoBitmapBytes = 65536 / 8;
    public const int TssBytes = TssBaseSize + IoBitmapBytes + 1;
    /// <summary>The TSS limit: the last valid byte offset (the terminating 0xFF).</summary>
    public const uint TssLimit = TssBaseSize + IoBitmapBytes;

    public const int IdtEntries = 256;
    public const int IdtBytes = IdtEntries * 16;

    /// <summary>
    /// Flat segments. The accessed bit (type bit 0) is preset so the CPU never writes the GDT when
    /// it loads a selector. Code: L=1 (64-bit). Data: D/B=1, G=1.
    /// </summary>
    public static byte[] BuildGdt(ulong tssAddress)
    {
        var gdt = new byte[GdtBytes];
        Span<ulong> d = stackalloc ulong[7];
        d[0] = 0;
        d[1] = Segment(type: 0xB, dpl: 0, code: true);  // 0x08 kernel code
        d[2] = Segment(type: 0x3, dpl: 0, code: false); // 0x10 kernel data
        d[3] = Segment(type: 0xB, dpl: 3, code: true);  // 0x18 user code
        d[4] = Segment(type: 0x3, dpl: 3, code: false); // 0x20 user data
        // 0x28: 64-bit TSS descriptor (16 bytes), type 0xB = busy, as TR is loaded with it.
        ulong limit = TssLimit;
        d[5] = (limit & 0xFFFF) | ((tssAddress & 0xFF_FFFF) << 16) | (0xBUL << 40) | (1UL << 47)
               | (((limit >> 16) & 0xF) << 48) | (((tssAddress >> 24) & 0xFF) << 56);
        d[6] = tssAddress >> 32;
        for (int i = 0; i < d.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(gdt.AsSpan(i * 8), d[i]);
        return gdt;
    }

    private static ulong Segment(ulong type, ulong dpl, bool code)
    {
        // limit 0xFFFFF, base 0, S=1, P=1, G=1; code: L=1 D=0; data: D/B=1.
        ulong descriptor = 0xFFFFUL | (0xFUL << 48);
        descriptor |= type << 40;
        descriptor |= 1UL << 44;           // S: code/data
        descriptor |= dpl << 45;
        descriptor |= 1UL << 47;           // P
        descriptor |= code ? 1UL << 53 : 1UL << 54; // L or D/B
        descriptor |= 1UL << 55;           // G
        return descriptor;
    }

    /// <summary>Every vector: a present 64-bit interrupt gate, DPL 0 (so `int n` from CPL 3 is #GP),
    /// to the stub entry for that vector.</summary>
    public static byte[] BuildIdt(ulong stubAddress)
    {
        var idt = new byte[IdtBytes];
        for (int v = 0; v < IdtEntries; v++)
        {
            ulong handler = stubAddress + (ulong)(v * FaultStub.EntrySize);
            ulong low = (handler & 0xFFFF) | ((ulong)KernelCode << 16) | (0x8EUL << 40) | (((handler >> 16) & 0xFFFF) << 48);
            BinaryPrimitives.WriteUInt64LittleEndian(idt.AsSpan(v * 16), low);
            BinaryPrimitives.WriteUInt64LittleEndian(idt.AsSpan(v * 16 + 8), handler >> 32);
        }
        return idt;
    }

    /// <summary>
    /// A TSS whose RSP0 is the stub stack and whose I/O bitmap allows exactly
    /// <paramref name="allowedPorts"/> (a clear bit allows a port; everything else is set).
    /// </summary>
    public static byte[] BuildTss(ulong rsp0, IEnumerable<(int First, int Last)> allowedPorts)
    {
        var tss = new byte[TssBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(tss.AsSpan(4), rsp0);
        BinaryPrimitives.WriteUInt16LittleEndian(tss.AsSpan(102), TssBaseSize); // I/O map base
        var bitmap = tss.AsSpan(TssBaseSize, IoBitmapBytes);
        bitmap.Fill(0xFF);
        foreach (var (first, last) in allowedPorts)
            for (int port = first; port <= last; port++)
                bitmap[port >> 3] &= (byte)~(1 << (port & 7));
        tss[TssBaseSize + IoBitmapBytes] = 0xFF;
        return tss;
    }
}
