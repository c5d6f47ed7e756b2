using System.Buffers.Binary;
using Tender.Boot.Deprivileged;

namespace Tender.Tests;

/// <summary>
/// Which CPU faults the tender hands back to a guest that asked (docs/abi.md "CPU faults as guest
/// exceptions"), and exactly what it writes and where the guest continues.
/// </summary>
public sealed class FaultHandBackTests : IDisposable
{
    private const ulong Memory = 4 << 20, StackBottom = 3 << 20, Entry = 0x100100;
    private const ulong GuestFeatures = DeprivilegedBootMode.BootInfoAddress + 44;
    private const ulong UserCs = 0x1b, UserSs = 0x23, KernelCs = 0x08;
    private readonly GuestMemory _ram = new("guest RAM", 0, Memory);
    private readonly RecordingVcpu _vcpu = new();
    private readonly FaultHandBack _handBack;

    public FaultHandBackTests() => _handBack = new FaultHandBack(_ram, Entry, StackBottom, Memory);

    public void Dispose() => _ram.Dispose();

    private void Arm() => BinaryPrimitives.WriteUInt32LittleEndian(_ram.GetSpan(GuestFeatures, 4), 0x1 | FaultHandBack.FeatureBit);
    private uint Features => BinaryPrimitives.ReadUInt32LittleEndian(_ram.GetSpan(GuestFeatures, 4));

    private static GuestFault Fault(uint vector, ulong rsp = Memory - 0x1008, ulong cs = UserCs) =>
        new(vector, vector == 14 ? 4UL : null, Rip: 0x100234, Cs: cs, Rflags: 0x10246, Rsp: rsp, Ss: UserSs);

    [Fact]
    public void An_armed_divide_error_comes_back_at_the_entry_with_its_record_and_disarms()
    {
        Arm();
        Assert.True(_handBack.TryHandBack(_vcpu, Fault(0), cr2: 0x1234));
        ulong record = (Memory - 0x1008 - 128 - 32) & ~15UL;
        Assert.Equal((Entry, record, 0x246UL), _vcpu.Resumed);   // RF dropped
        var r = _ram.GetSpan(record, 32);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(r));
        Assert.Equal(0x100234UL, BinaryPrimitives.ReadUInt64LittleEndian(r[8..]));
        Assert.Equal(Memory - 0x1008, BinaryPrimitives.ReadUInt64LittleEndian(r[16..]));
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(r[24..]));     // no CR2 for #DE
        Assert.Equal(0x1u, Features);                                            // disarmed, other bits kept
        Assert.False(_handBack.TryHandBack(_vcpu, Fault(0), 0));                 // a second one before re-arming ends the run
    }

    [Fact]
    public void A_page_fault_in_the_null_area_comes_back_with_its_address()
    {
        Arm();
        Assert.True(_handBack.TryHandBack(_vcpu, Fault(14), cr2: 8));
        Assert.Equal(8UL, BinaryPrimitives.ReadUInt64LittleEndian(_ram.GetSpan(_vcpu.Resumed!.Value.Rsp + 24, 8)));
        Assert.Equal(14UL, BinaryPrimitives.ReadUInt64LittleEndian(_ram.GetSpan(_vcpu.Resumed!.Value.Rsp, 8)));
    }

    [Theory]
    [InlineData(14u, 0x10000UL, UserCs, Memory - 0x1008)]        // page fault above the null area (e.g. the guard page)
    [InlineData(13u, 0UL, UserCs, Memory - 0x1008)]              // #GP
    [InlineData(6u, 0UL, UserCs, Memory - 0x1008)]               // #UD
    [InlineData(0u, 0UL, KernelCs, Memory - 0x1008)]             // at CPL 0
    [InlineData(0u, 0UL, UserCs, StackBottom + 64)]              // no room below RSP in the stack
    [InlineData(0u, 0UL, UserCs, 0x200000UL)]                    // RSP outside the stack region
    [InlineData(0u, 0UL, UserCs, Memory + 8)]                    // RSP above it
    public void Other_faults_end_the_run_and_write_nothing(uint vector, ulong cr2, ulong cs, ulong rsp)
    {
        Arm();
        byte[] before = _ram.GetSpan(StackBottom, Memory - StackBottom).ToArray();
        Assert.False(_handBack.TryHandBack(_vcpu, Fault(vector, rsp, cs), cr2));
        Assert.Null(_vcpu.Resumed);
        Assert.Equal(0x1u | FaultHandBack.FeatureBit, Features);
        Assert.True(before.AsSpan().SequenceEqual(_ram.GetSpan(StackBottom, Memory - StackBottom)));
    }

    [Fact]
    public void A_guest_that_did_not_arm_gets_the_crash()
    {
        Assert.False(_handBack.TryHandBack(_vcpu, Fault(0), 0));
        Assert.Null(_vcpu.Resumed);
    }

    private sealed class RecordingVcpu : IVcpu
    {
        public (ulong Rip, ulong Rsp, ulong Rflags)? Resumed { get; private set; }
        public void ResumeUserMode(ulong rip, ulong rsp, ulong rflags) => Resumed = (rip, rsp, rflags);
        public void Start(VcpuStartState state) => throw new NotSupportedException();
        public VcpuExitKind Run() => throw new NotSupportedException();
        public IoExit IoExit => throw new NotSupportedException();
        public MmioExit MmioExit => throw new NotSupportedException();
        public (GuestFault Fault, ulong Cr2) Fault => throw new NotSupportedException();
        public string DescribeExit() => "";
        public CpuRegisters GetRegisters() => default;
        public SpecialRegisters GetSpecialRegisters() => default;
        public int ReadVirtual(ulong address, Span<byte> into, out string? stop) { stop = null; return 0; }
        public void Kick() { }
    }
}
