using System.Text;
using Iced.Intel;
using Tender.Boot;

namespace Tender.Diagnostics;

/// <summary>
/// The report printed when a guest crashes: what happened, the vector and decoded error code,
/// the registers, and the instructions at RIP (read through the guest's own page tables and
/// disassembled). Reading guest state never throws: whatever cannot be read is said so.
/// </summary>
internal static class CrashReport
{
    public static string Build(string headline, IEnumerable<string> details, IVcpu vcpu, string platform, GuestFault? fault)
    {
        var text = new StringBuilder();
        text.Append("tender: guest crashed: ").AppendLine(headline);
        foreach (var line in details) text.Append("  ").AppendLine(line);
        text.Append("  platform: ").AppendLine(platform);

        CpuRegisters regs;
        SpecialRegisters sregs;
        try
        {
            regs = vcpu.GetRegisters();
            sregs = vcpu.GetSpecialRegisters();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            text.Append("  registers unavailable: ").AppendLine(e.Message);
            return text.ToString();
        }

        // With a fault stub report, the guest's RIP/RSP/RFLAGS/CS/SS are those the CPU saved, not
        // the stub's own.
        ulong rip = fault?.Rip ?? regs.Rip, rsp = fault?.Rsp ?? regs.Rsp, rflags = fault?.Rflags ?? regs.Rflags;
        ulong cs = fault?.Cs ?? sregs.Cs.Selector, ss = fault?.Ss ?? sregs.Ss.Selector;
        text.AppendLine($"  RIP    {rip:x16}   RSP {rsp:x16}   RFLAGS {rflags:x16} {Flags(rflags)}");
        text.AppendLine($"  CS     {cs:x4} (CPL {cs & 3})            SS  {ss:x4}               CR2    {sregs.Cr2:x16}");
        text.AppendLine($"  RAX    {regs.Rax:x16}   RBX {regs.Rbx:x16}   RCX    {regs.Rcx:x16}");
        text.AppendLine($"  RDX    {regs.Rdx:x16}   RSI {regs.Rsi:x16}   RDI    {regs.Rdi:x16}");
        text.AppendLine($"  RBP    {regs.Rbp:x16}   R8  {regs.R8:x16}   R9     {regs.R9:x16}");
        text.AppendLine($"  R10    {regs.R10:x16}   R11 {regs.R11:x16}   R12    {regs.R12:x16}");
        text.AppendLine($"  R13    {regs.R13:x16}   R14 {regs.R14:x16}   R15    {regs.R15:x16}");
        text.AppendLine($"  CR0    {sregs.Cr0:x16}   CR3 {sregs.Cr3:x16}   CR4    {sregs.Cr4:x16}   EFER {sregs.Efer:x}");
        text.AppendLine($"  FS.base {sregs.Fs.Base:x16}  GS.base {sregs.Gs.Base:x16}");
        AppendCode(text, vcpu, rip);
        return text.ToString();
    }

    /// <summary>The report's headline and detail lines for a CPU exception.</summary>
    public static (string Headline, List<string> Details) DescribeFault(GuestFault fault, ulong cr2)
    {
        var details = new List<string>();
        string headline = $"{VectorName(fault.Vector)} (vector {fault.Vector}) at RIP 0x{fault.Rip:x}, CPL {fault.Cs & 3}";
        if (fault.ErrorCode is ulong code)
        {
            details.Add($"error code 0x{code:x}: {DescribeErrorCode(fault.Vector, code)}");
            if (fault.Vector == 14) details.Add($"faulting address (CR2): 0x{cr2:x}");
        }
        return (headline, details);
    }

    public static string VectorName(uint vector) => vector switch
    {
        0 => "#DE divide error",
        1 => "#DB debug exception",
        2 => "NMI",
        3 => "#BP breakpoint",
        4 => "#OF overflow",
        5 => "#BR bound range exceeded",
        6 => "#UD invalid opcode",
        7 => "#NM device not available",
        8 => "#DF double fault",
        9 => "coprocessor segment overrun",
        10 => "#TS invalid TSS",
        11 => "#NP segment not present",
        12 => "#SS stack-segment fault",
        13 => "#GP general protection fault",
        14 => "#PF page fault",
        16 => "#MF x87 floating-point error",
        17 => "#AC alignment check",
        18 => "#MC machine check",
        19 => "#XM SIMD floating-point exception",
        20 => "#VE virtualization exception",
        21 => "#CP control-protection exception",
        28 => "#HV hypervisor injection",
        29 => "#VC VMM communication",
        30 => "#SX security exception",
        < 32 => $"reserved exception",
        _ => "interrupt",
    };

    public static string DescribeErrorCode(uint vector, ulong code)
    {
        if (vector == 14)
        {
            var parts = new List<string>
            {
                (code & 1) != 0 ? "protection violation (page present)" : "page not present",
                (code & 2) != 0 ? "write" : "read",
                (code & 4) != 0 ? "user mode (CPL 3)" : "supervisor mode",
            };
            if ((code & 16) != 0) parts[1] = "instruction fetch";
            if ((code & 8) != 0) parts.Add("reserved bit set in a page-table entry");
            if ((code & 32) != 0) parts.Add("protection key");
            if ((code & 64) != 0) parts.Add("shadow stack");
            return string.Join(", ", parts);
        }
        if (vector is 10 or 11 or 12 or 13 or 17 or 21 or 8)
        {
            if (code == 0) return vector == 13 ? "no selector (e.g. a privileged instruction, a denied port, a non-canonical address)" : "0";
            string table = (code & 2) != 0 ? "IDT" : (code & 4) != 0 ? "LDT" : "GDT";
            string external = (code & 1) != 0 ? ", external event" : "";
            ulong index = code >> 3;
            return (code & 2) != 0
                ? $"IDT vector {index} (an `int {index}` or a gate the CPU may not use from this privilege level){external}"
                : $"{table} selector 0x{code & ~7UL:x}{external}";
        }
        return $"0x{code:x}";
    }

    private static string Flags(ulong rflags)
    {
        var names = new List<string>();
        if ((rflags & 1) != 0) names.Add("CF");
        if ((rflags & 4) != 0) names.Add("PF");
        if ((rflags & 0x40) != 0) names.Add("ZF");
        if ((rflags & 0x80) != 0) names.Add("SF");
        if ((rflags & 0x200) != 0) names.Add("IF");
        if ((rflags & 0x400) != 0) names.Add("DF");
        if ((rflags & 0x800) != 0) names.Add("OF");
        if ((rflags & 0x100) != 0) names.Add("TF");
        if ((rflags & 0x10000) != 0) names.Add("RF");
        if ((rflags & 0x40000) != 0) names.Add("AC");
        names.Add($"IOPL{(rflags >> 12) & 3}");
        return "[" + string.Join(" ", names) + "]";
    }

    /// <summary>Up to 6 instructions from RIP, read as the guest sees its memory.</summary>
    private static void AppendCode(StringBuilder text, IVcpu vcpu, ulong rip)
    {
        const int Wanted = 64;
        var buffer = new byte[Wanted];
        int read = vcpu.ReadVirtual(rip, buffer, out string? stop);
        var bytes = new List<byte>(buffer.AsSpan(0, read).ToArray());
        if (bytes.Count == 0)
        {
            text.AppendLine($"  code at RIP: not readable ({stop})");
            return;
        }
        text.AppendLine("  code at RIP:");
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(bytes.ToArray()), rip);
        var formatter = new NasmFormatter();
        formatter.Options.FirstOperandCharIndex = 8;
        var output = new StringOutput();
        int shown = 0;
        while (shown < 6 && decoder.IP < rip + (ulong)bytes.Count)
        {
            decoder.Decode(out var instruction);
            if (instruction.IsInvalid && decoder.IP > rip + (ulong)bytes.Count) break; // ran off the readable bytes
            formatter.Format(instruction, output);
            int offset = (int)(instruction.IP - rip);
            string hex = Convert.ToHexString(bytes.GetRange(offset, Math.Min(instruction.Length, bytes.Count - offset)).ToArray()).ToLowerInvariant();
            text.AppendLine($"  {(shown == 0 ? "=>" : "  ")} {instruction.IP:x16}  {hex,-20} {(instruction.IsInvalid ? "(invalid instruction)" : output.ToStringAndReset())}");
            output.Reset();
            shown++;
        }
        if (stop is not null && bytes.Count < 16) text.AppendLine($"     (code stops: {stop})");
    }
}
