using Tender.Boot;

namespace Tender.Debugging;

/// <summary>
/// A debugger's access to the stopped guest: registers (with the state a fault stub saved, when
/// the stop is a fault), and guest-virtual memory through the guest's own translation, limited to
/// guest RAM (never a device BAR, never the tender's system area). Writes reach read-only guest
/// text too (a software breakpoint's int3): pages the tender keeps read-only on the host are
/// opened for the write and closed again.
/// </summary>
internal sealed class GuestDebugAccess(IVcpu vcpu, IVcpuDebug debug, GuestMemory ram, IReadOnlyList<ReadOnlyRange> hostReadOnly)
{
    private const ulong Page = 4096;

    /// <summary>The CPU state a fault stub saved, shown instead of the stub's own while stopped at a fault.</summary>
    public GuestFault? Fault { get; set; }

    public CpuRegisters ReadRegisters()
    {
        var r = vcpu.GetRegisters();
        if (Fault is GuestFault f) { r.Rip = f.Rip; r.Rsp = f.Rsp; r.Rflags = f.Rflags; }
        return r;
    }

    /// <summary>
    /// The byte a software breakpoint writes: int3, or hlt where int3 would go to the guest's own
    /// IDT and nothing intercepts it (a Solo5-mode guest under KVM without guest debugging).
    /// </summary>
    public byte BreakpointInstruction { get; set; } = 0xCC;

    /// <summary>Whether the platform's debug registers fire (<see cref="IVcpuDebug.HasDebugRegisters"/>).</summary>
    public bool HasDebugRegisters => debug.HasDebugRegisters;

    /// <summary>
    /// Why watchpoints cannot be served by page protection in this run, or null: another thread
    /// of the tender (the network ring's, a PCI pump) writes guest memory and would fault on a
    /// protected page.
    /// </summary>
    public string? PageWatchRefusal { get; set; }

    public SpecialRegisters ReadSpecialRegisters() => vcpu.GetSpecialRegisters();

    /// <summary>False at a fault: the guest cannot resume there, so its registers are not changed.</summary>
    public bool WriteRegisters(in CpuRegisters registers)
    {
        if (Fault is not null) return false;
        debug.SetRegisters(registers);
        return true;
    }

    /// <summary>Bytes read before the first address that is not guest RAM.</summary>
    public int ReadMemory(ulong address, Span<byte> into)
    {
        int done = 0;
        while (done < into.Length)
        {
            ulong va = address + (ulong)done;
            int chunk = (int)Math.Min((ulong)(into.Length - done), Page - (va & (Page - 1)));
            if (!TryRam(va, chunk, out var bytes)) break;
            bytes.CopyTo(into.Slice(done, chunk));
            done += chunk;
        }
        return done;
    }

    /// <summary>Bytes written before the first address that is not guest RAM.</summary>
    public int WriteMemory(ulong address, ReadOnlySpan<byte> from)
    {
        int done = 0;
        while (done < from.Length)
        {
            ulong va = address + (ulong)done;
            int chunk = (int)Math.Min((ulong)(from.Length - done), Page - (va & (Page - 1)));
            if (!TryRam(va, chunk, out var bytes)) break;
            ulong pa = bytes.Length == 0 ? 0 : PhysicalOf(va);
            bool locked = IsHostReadOnly(pa);
            if (locked) ram.ProtectReadWrite(pa & ~(Page - 1), Page);
            try
            {
                from.Slice(done, chunk).CopyTo(bytes);
            }
            finally
            {
                if (locked) ram.ProtectReadOnly(pa & ~(Page - 1), Page);
            }
            done += chunk;
        }
        return done;
    }

    private ulong PhysicalOf(ulong va) => debug.TryTranslate(va, out ulong pa) ? pa : 0;

    private bool TryRam(ulong va, int length, out Span<byte> bytes)
    {
        bytes = default;
        if (!debug.TryTranslate(va, out ulong pa)) return false;
        return ram.TryGetSpan(pa, (ulong)length, out bytes, out _);
    }

    private bool IsHostReadOnly(ulong pa)
    {
        foreach (var r in hostReadOnly)
            if (pa >= r.Start && pa < r.End) return true;
        return false;
    }
}
