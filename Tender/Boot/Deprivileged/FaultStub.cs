using System.Buffers.Binary;

namespace Tender.Boot.Deprivileged;

/// <summary>
/// The CPL 0 code every IDT vector points to. Each vector has a 16-byte entry, hand-assembled:
/// <code>
///   push 0              ; 6A 00        only for vectors where the CPU pushes no error code
///   push vector         ; 68 imm32
///   out  FaultPort, al  ; E6 imm8      the report: an exit to the tender; clobbers no register
///   hlt                 ; F4           never resumed; if it were, hlt at CPL 0 exits too
///   jmp  $-1            ; EB FD
/// </code>
/// After the `out`, the stub stack holds (from RSP up) vector, error code, and the CPU's frame
/// RIP, CS, RFLAGS, RSP, SS; every general-purpose register except RSP is still the guest's.
/// `out imm8` is used because it needs no register, so the report shows the guest's RDX/RAX.
/// </summary>
internal static class FaultStub
{
    /// <summary>The tender-private report port. Not in the TSS I/O bitmap: the guest cannot use it.</summary>
    public const byte FaultPort = 0xF1;

    public const int EntrySize = 16;
    public const int VectorCount = 256;
    public const int CodeSize = EntrySize * VectorCount;

    /// <summary>Vectors for which the CPU pushes an error code (Intel SDM vol. 3, 6.13; AMD #VC, #SX).</summary>
    public static bool HasErrorCode(int vector) => vector is 8 or 10 or 11 or 12 or 13 or 14 or 17 or 21 or 29 or 30;

    public static byte[] Assemble()
    {
        var code = new byte[CodeSize];
        for (int vector = 0; vector < VectorCount; vector++)
        {
            var e = code.AsSpan(vector * EntrySize, EntrySize);
            int n = 0;
            if (!HasErrorCode(vector)) { e[n++] = 0x6A; e[n++] = 0x00; }
            e[n++] = 0x68;
            BinaryPrimitives.WriteInt32LittleEndian(e[n..], vector);
            n += 4;
            e[n++] = 0xE6; e[n++] = FaultPort;
            e[n++] = 0xF4;
            e[n++] = 0xEB; e[n++] = 0xFD;
            // The rest stays 0x00 padding; it is never reached.
        }
        return code;
    }
}

/// <summary>Reads the stub's report from its stack (in the tender's system memory).</summary>
internal sealed class FaultStubReporter(GuestMemory systemMemory, ulong stackLow, ulong stackTop) : IFaultReporter
{
    public bool CanResume => true;

    /// <summary>
    /// What `iretq` from the stub would do, done from outside (<see cref="IVcpu.ResumeUserMode"/>):
    /// the CPU's saved RSP and RFLAGS, the guest's CS and SS, RIP as given; the stub stack is
    /// abandoned (the TSS starts the next exception at its top again). Only for the debugger.
    /// </summary>
    public void TryResume(IVcpu vcpu, GuestFault fault, ulong rip) => vcpu.ResumeUserMode(rip, fault.Rsp, fault.Rflags);

    public bool TryDecode(in IoExit io, IVcpu vcpu, out GuestFault fault)
    {
        fault = null!;
        if (io.Port != FaultStub.FaultPort || !io.IsOut) return false;
        var regs = vcpu.GetRegisters();
        // The frame is 7 quadwords; RSP must point inside the stub stack for it to be ours.
        const ulong FrameBytes = 7 * 8;
        if (regs.Rsp < stackLow || regs.Rsp > stackTop - FrameBytes)
            throw new InvalidOperationException(
                $"fault stub reported with RSP 0x{regs.Rsp:x} outside its stack [0x{stackLow:x}, 0x{stackTop:x}): the tender's system area is corrupt");
        var f = systemMemory.GetSpan(regs.Rsp, FrameBytes);
        var q = new ulong[7];
        for (int i = 0; i < q.Length; i++) q[i] = BinaryPrimitives.ReadUInt64LittleEndian(f.Slice(i * 8, 8));
        ulong Q(int i) => q[i];
        uint vector = (uint)Q(0);
        fault = new GuestFault(vector, FaultStub.HasErrorCode((int)Math.Min(vector, 255)) ? Q(1) : null,
            Rip: Q(2), Cs: Q(3), Rflags: Q(4), Rsp: Q(5), Ss: Q(6));
        return true;
    }
}
