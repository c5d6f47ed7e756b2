using System.Buffers.Binary;
using System.Text;

namespace Tender.Gdb;

/// <summary>
/// The register numbering this stub serves, its target description (target.xml) and the byte
/// image of the 'g' packet: registers in number order, each little-endian at its full size.
/// 0-15 general registers, 16 rip, 17 eflags, 18-23 cs ss ds es fs gs, 24-31 st0-7, 32-39 fctrl..fop
/// (org.gnu.gdb.i386.core); 40-55 xmm0-15, 56 mxcsr (org.gnu.gdb.i386.sse); 57 fs_base, 58 gs_base
/// (org.gnu.gdb.i386.segments). gdb's amd64 architecture requires the core feature with exactly
/// these names and the x87 registers in it.
/// </summary>
internal static unsafe class RegisterLayout
{
    private readonly record struct Reg(string Name, int Bytes, string Type, string? Group = null);

    private static readonly Reg[] Registers = Build();
    private static readonly int[] Offsets = BuildOffsets();

    public static int Count => Registers.Length;
    /// <summary>Bytes in the 'g' image.</summary>
    public static int ImageBytes { get; } = Registers.Sum(r => r.Bytes);
    public const int FirstSse = 40, FsBase = 57;

    private static Reg[] Build()
    {
        var r = new List<Reg>();
        foreach (var n in new[] { "rax", "rbx", "rcx", "rdx", "rsi", "rdi" }) r.Add(new(n, 8, "int64"));
        r.Add(new("rbp", 8, "data_ptr"));
        r.Add(new("rsp", 8, "data_ptr"));
        for (int i = 8; i < 16; i++) r.Add(new($"r{i}", 8, "int64"));
        r.Add(new("rip", 8, "code_ptr"));
        r.Add(new("eflags", 4, "i386_eflags"));
        foreach (var n in new[] { "cs", "ss", "ds", "es", "fs", "gs" }) r.Add(new(n, 4, "int32"));
        for (int i = 0; i < 8; i++) r.Add(new($"st{i}", 10, "i387_ext"));
        foreach (var n in new[] { "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop" }) r.Add(new(n, 4, "int", "float"));
        for (int i = 0; i < 16; i++) r.Add(new($"xmm{i}", 16, "vec128"));
        r.Add(new("mxcsr", 4, "i386_mxcsr", "vector"));
        r.Add(new("fs_base", 8, "int"));
        r.Add(new("gs_base", 8, "int"));
        return [.. r];
    }

    private static int[] BuildOffsets()
    {
        var o = new int[Registers.Length];
        for (int i = 1; i < o.Length; i++) o[i] = o[i - 1] + Registers[i - 1].Bytes;
        return o;
    }

    public static int Offset(int regnum) => Offsets[regnum];
    public static int Size(int regnum) => Registers[regnum].Bytes;
    public static string Name(int regnum) => Registers[regnum].Name;

    /// <summary>The registers as the 'g' image (FPU and SSE zero when the target has none).</summary>
    public static void Write(in GdbRegisters r, Span<byte> image)
    {
        image.Clear();
        ReadOnlySpan<ulong> gp = [r.Rax, r.Rbx, r.Rcx, r.Rdx, r.Rsi, r.Rdi, r.Rbp, r.Rsp, r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15, r.Rip];
        for (int i = 0; i < gp.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(image[(8 * i)..], gp[i]);
        ReadOnlySpan<uint> seg = [r.Eflags, r.Cs, r.Ss, r.Ds, r.Es, r.Fs, r.Gs];
        for (int i = 0; i < seg.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(image[(Offsets[17 + i])..], seg[i]);
        BinaryPrimitives.WriteUInt64LittleEndian(image[Offsets[FsBase]..], r.FsBase);
        BinaryPrimitives.WriteUInt64LittleEndian(image[Offsets[FsBase + 1]..], r.GsBase);
        if (!r.HasFpu) return;
        fixed (byte* st = r.St) new ReadOnlySpan<byte>(st, 80).CopyTo(image[Offsets[24]..]);
        ReadOnlySpan<uint> x87 = [r.Fctrl, r.Fstat, r.Ftag, r.Fiseg, r.Fioff, r.Foseg, r.Fooff, r.Fop];
        for (int i = 0; i < x87.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(image[(Offsets[32 + i])..], x87[i]);
        fixed (byte* xmm = r.Xmm) new ReadOnlySpan<byte>(xmm, 256).CopyTo(image[Offsets[FirstSse]..]);
        BinaryPrimitives.WriteUInt32LittleEndian(image[Offsets[56]..], r.Mxcsr);
    }

    /// <summary>A 'g' image back into registers; the x87/SSE part only when the target has it.</summary>
    public static void Read(ReadOnlySpan<byte> image, ref GdbRegisters r)
    {
        static ulong Q(ReadOnlySpan<byte> image, int n) => BinaryPrimitives.ReadUInt64LittleEndian(image[Offsets[n]..]);
        static uint D(ReadOnlySpan<byte> image, int n) => BinaryPrimitives.ReadUInt32LittleEndian(image[Offsets[n]..]);
        r.Rax = Q(image, 0); r.Rbx = Q(image, 1); r.Rcx = Q(image, 2); r.Rdx = Q(image, 3); r.Rsi = Q(image, 4); r.Rdi = Q(image, 5); r.Rbp = Q(image, 6); r.Rsp = Q(image, 7);
        r.R8 = Q(image, 8); r.R9 = Q(image, 9); r.R10 = Q(image, 10); r.R11 = Q(image, 11); r.R12 = Q(image, 12); r.R13 = Q(image, 13); r.R14 = Q(image, 14); r.R15 = Q(image, 15);
        r.Rip = Q(image, 16);
        r.Eflags = D(image, 17); r.Cs = D(image, 18); r.Ss = D(image, 19); r.Ds = D(image, 20); r.Es = D(image, 21); r.Fs = D(image, 22); r.Gs = D(image, 23);
        r.FsBase = Q(image, FsBase); r.GsBase = Q(image, FsBase + 1);
        if (!r.HasFpu) return;
        fixed (byte* st = r.St) image.Slice(Offsets[24], 80).CopyTo(new Span<byte>(st, 80));
        r.Fctrl = D(image, 32); r.Fstat = D(image, 33); r.Ftag = D(image, 34); r.Fiseg = D(image, 35); r.Fioff = D(image, 36); r.Foseg = D(image, 37); r.Fooff = D(image, 38); r.Fop = D(image, 39);
        fixed (byte* xmm = r.Xmm) image.Slice(Offsets[FirstSse], 256).CopyTo(new Span<byte>(xmm, 256));
        r.Mxcsr = D(image, 56);
    }

    /// <summary>The target description served as qXfer:features:read:target.xml.</summary>
    public static byte[] TargetXml { get; } = Encoding.ASCII.GetBytes(BuildXml());

    private static string BuildXml()
    {
        var x = new StringBuilder();
        x.Append("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n");
        x.Append("<architecture>i386:x86-64</architecture>\n");
        x.Append("<feature name=\"org.gnu.gdb.i386.core\">\n");
        Flags(x, "i386_eflags", ["CF", "", "PF", "", "AF", "", "ZF", "SF", "TF", "IF", "DF", "OF", "", "", "NT", "", "RF", "VM", "AC", "VIF", "VIP", "ID"]);
        Regs(x, 0, 40);
        x.Append("</feature>\n<feature name=\"org.gnu.gdb.i386.sse\">\n");
        foreach (var (id, type, count) in new[] { ("v4f", "ieee_single", 4), ("v2d", "ieee_double", 2), ("v16i8", "int8", 16), ("v8i16", "int16", 8), ("v4i32", "int32", 4), ("v2i64", "int64", 2) })
            x.Append($"<vector id=\"{id}\" type=\"{type}\" count=\"{count}\"/>\n");
        x.Append("<union id=\"vec128\">");
        foreach (var (name, type) in new[] { ("v4_float", "v4f"), ("v2_double", "v2d"), ("v16_int8", "v16i8"), ("v8_int16", "v8i16"), ("v4_int32", "v4i32"), ("v2_int64", "v2i64"), ("uint128", "uint128") })
            x.Append($"<field name=\"{name}\" type=\"{type}\"/>");
        x.Append("</union>\n");
        Flags(x, "i386_mxcsr", ["IE", "DE", "ZE", "OE", "UE", "PE", "DAZ", "IM", "DM", "ZM", "OM", "UM", "PM", "", "", "FZ"]);
        Regs(x, 40, 57);
        x.Append("</feature>\n<feature name=\"org.gnu.gdb.i386.segments\">\n");
        Regs(x, 57, Registers.Length);
        x.Append("</feature>\n</target>\n");
        return x.ToString();
    }

    private static void Flags(StringBuilder x, string id, string[] bits)
    {
        x.Append($"<flags id=\"{id}\" size=\"4\">");
        for (int i = 0; i < bits.Length; i++)
            if (bits[i].Length > 0) x.Append($"<field name=\"{bits[i]}\" start=\"{i}\" end=\"{i}\"/>");
        x.Append("</flags>\n");
    }

    private static void Regs(StringBuilder x, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            var r = Registers[i];
            x.Append($"<reg name=\"{r.Name}\" bitsize=\"{r.Bytes * 8}\" type=\"{r.Type}\" regnum=\"{i}\"");
            if (r.Group is not null) x.Append($" group=\"{r.Group}\"");
            x.Append("/>\n");
        }
    }
}
