using System.Buffers.Binary;
using Tender.Loader;

namespace Tender.Boot.Deprivileged;

/// <summary>
/// CPU faults as guest exceptions (docs/abi.md): a deprivileged guest whose ELF carries the Tender
/// fault note, and which has armed it (boot info guest_features bit 1), gets a null dereference
/// (#PF at an address in the unmapped null area) or an integer division error (#DE) at CPL 3 handed
/// back: the tender disarms it, writes { vector, rip, rsp, cr2 } below the faulting stack pointer
/// (past the 128-byte red zone, 16-byte aligned, inside the stack region) and continues the guest at
/// the note's entry with RSP pointing at that record, every other register as at the fault. Any
/// other fault, a fault while disarmed, or a stack pointer outside the stack region ends the run as
/// before (crash report, exit 125).
/// </summary>
public sealed class FaultHandBack(GuestMemory ram, ulong entry, ulong stackBottom, ulong stackTop)
{
    /// <summary>host_features / guest_features bit 1: the tender offers it / the guest is armed.</summary>
    public const uint FeatureBit = global::Solo5.HvtAbi.FeatureFaultHandBack;

    /// <summary>Faults below this address are null dereferences (the unmapped null area, docs/abi.md).</summary>
    public const ulong NullAreaEnd = 0x10000;

    private const ulong RedZone = 128;
    private const ulong ResumeFlag = 1UL << 16; // RFLAGS.RF, set in a fault's frame: not carried over
    private const ulong RecordSize = 32;
    private const uint DivideError = 0, PageFault = 14;
    private static readonly ulong GuestFeaturesAddress = DeprivilegedBootMode.BootInfoAddress + GuestFeaturesOffset();

    private static unsafe ulong GuestFeaturesOffset()
    {
        global::Solo5.HvtAbi.BootInfo info = default;
        return (ulong)((byte*)&info.GuestFeatures - (byte*)&info);
    }

    internal static FaultHandBack? For(ElfImage elf, GuestMemory ram, ulong stackBottom, ulong memorySize) =>
        elf.Faults is TenderFaultNote note ? new FaultHandBack(ram, note.Entry, stackBottom, memorySize) : null;

    /// <summary>Hands the fault back and returns true, or returns false: the run ends as a crash.</summary>
    public bool TryHandBack(IVcpu vcpu, GuestFault fault, ulong cr2)
    {
        bool eligible = fault.Vector == DivideError || (fault.Vector == PageFault && cr2 < NullAreaEnd);
        if (!eligible || (fault.Cs & 3) != 3) return false;
        var features = ram.GetSpan(GuestFeaturesAddress, 4);
        uint guestFeatures = BinaryPrimitives.ReadUInt32LittleEndian(features);
        if ((guestFeatures & FeatureBit) == 0) return false; // not armed: not asked for, or a fault while handling one
        if (fault.Rsp < stackBottom + RedZone + RecordSize + 16 || fault.Rsp > stackTop) return false;
        ulong record = (fault.Rsp - RedZone - RecordSize) & ~15UL;
        BinaryPrimitives.WriteUInt32LittleEndian(features, guestFeatures & ~FeatureBit);
        var r = ram.GetSpan(record, RecordSize);
        BinaryPrimitives.WriteUInt64LittleEndian(r, fault.Vector);
        BinaryPrimitives.WriteUInt64LittleEndian(r[8..], fault.Rip);
        BinaryPrimitives.WriteUInt64LittleEndian(r[16..], fault.Rsp);
        BinaryPrimitives.WriteUInt64LittleEndian(r[24..], fault.Vector == PageFault ? cr2 : 0);
        vcpu.ResumeUserMode(entry, record, fault.Rflags & ~ResumeFlag);
        return true;
    }
}
