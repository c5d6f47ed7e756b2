using Tender.Boot;

namespace Tender.Debugging;

/// <summary>A watchpoint served by page protection: gdb's `watch` (OnWrite), `rwatch` (OnRead) or `awatch` (both).</summary>
internal readonly record struct PageWatch(ulong Address, int Length, bool OnRead, bool OnWrite);

/// <summary>
/// Watchpoints without debug registers (KVM on a nested PVM host, where neither KVM's guest
/// debugging nor the guest's DR0-DR7 fire). While the guest runs, the guest-RAM pages holding the
/// watched ranges are protected in the tender's own mapping — read-only for write watches, no
/// access at all where a read or access watch lies — so a guest access to them ends KVM_RUN with
/// EFAULT before it happens (<see cref="VcpuExitKind.HostWriteFault"/>). The run loop then opens
/// the pages, single-steps that one instruction through the boot mode's fault stub (RFLAGS.TF,
/// as gdb's stepi) and protects them again. Whether it was a watchpoint hit:
/// * `watch`: the watched bytes changed (unchanged — a store elsewhere on the page, or of the same
///   value — goes on silently; gdb's `watch` reports changes only, so nothing it shows is lost);
/// * `rwatch`/`awatch`: the instruction's own memory operands, decoded before the step
///   (<see cref="InstructionMemory"/>), read (or, for `awatch`, read or wrote) watched bytes.
/// The host mapping rather than the guest's page tables because PVM shadows those: a PTE the
/// tender edits from outside is not seen until the guest flushes its TLB, while mprotect reaches
/// KVM through its MMU notifier at once. Pages the tender keeps read-only (text) are not watched.
/// </summary>
internal sealed class PageWatcher(IVcpuDebug debug, GuestMemory ram, IReadOnlyList<ReadOnlyRange> hostReadOnly)
{
    private const ulong Page = 4096;

    /// <summary>One page's part of a watch: its physical and virtual start, the watch's own address (gdb's name for it), its bytes before the step.</summary>
    private sealed record Chunk(ulong Physical, ulong Virtual, ulong Length, PageWatch Watch, byte[] Before);

    private readonly List<Chunk> _chunks = [];
    /// <summary>Watched pages, and whether reads must fault there too.</summary>
    private readonly Dictionary<ulong, bool> _pages = [];
    private bool _armed;
    private ulong? _accessHit;

    public bool IsArmed => _armed;

    /// <summary>
    /// Protects the pages of <paramref name="watches"/> (guest-virtual, translated now). False, with
    /// nothing protected, if a watched byte is not in guest RAM or lies in read-only guest memory.
    /// </summary>
    public bool Arm(IReadOnlyList<PageWatch> watches)
    {
        Disarm();
        _chunks.Clear();
        _pages.Clear();
        foreach (var watch in watches)
        {
            ulong end = watch.Address + (ulong)watch.Length;
            for (ulong va = watch.Address; va < end;)
            {
                ulong chunk = Math.Min(end - va, Page - (va & (Page - 1)));
                if (!debug.TryTranslate(va, out ulong pa) || !ram.TryGetSpan(pa, chunk, out _, out _) || IsHostReadOnly(pa))
                {
                    _chunks.Clear();
                    _pages.Clear();
                    return false;
                }
                _chunks.Add(new Chunk(pa, va, chunk, watch, new byte[chunk]));
                ulong page = pa & ~(Page - 1);
                _pages[page] = watch.OnRead || _pages.GetValueOrDefault(page);
                va += chunk;
            }
        }
        Rearm();
        return true;
    }

    /// <summary>Opens the watched pages (the guest is stopped, the tender reads or writes guest memory, or one access is let through).</summary>
    public void Disarm()
    {
        if (!_armed) return;
        foreach (ulong page in _pages.Keys) ram.ProtectReadWrite(page, Page);
        _armed = false;
    }

    /// <summary>Protects the pages of the last <see cref="Arm"/> again.</summary>
    public void Rearm()
    {
        if (_armed || _pages.Count == 0) return;
        foreach (var (page, reads) in _pages)
        {
            if (reads) ram.ProtectNone(page, Page);
            else ram.ProtectReadOnly(page, Page);
        }
        _armed = true;
    }

    /// <summary>
    /// Before letting one access through: opens the pages, remembers the watched bytes, and
    /// notes whether the instruction's decoded <paramref name="accesses"/> hit a read or access
    /// watch. <paramref name="decode"/> is called with the pages open (the instruction may sit on
    /// one of them); null from it (undecodable bytes) counts as no read.
    /// </summary>
    public void OpenForOneAccess(Func<IReadOnlyList<MemoryAccess>?> decode)
    {
        Disarm();
        foreach (var c in _chunks) ram.GetSpan(c.Physical, c.Length).CopyTo(c.Before);
        _accessHit = null;
        foreach (var access in decode() ?? [])
            foreach (var c in _chunks)
                if (_accessHit is null && c.Watch.OnRead && (access.Reads || (access.Writes && c.Watch.OnWrite)) && access.Overlaps(c.Virtual, c.Length))
                    _accessHit = c.Watch.Address;
    }

    /// <summary>
    /// After the access: protects the pages again and returns the watch it hit, if any — a read
    /// or access watch its operands touched, or a write watch whose bytes changed.
    /// </summary>
    public ulong? CloseAfterAccess()
    {
        ulong? hit = _accessHit;
        foreach (var c in _chunks)
            if (hit is null && c.Watch.OnWrite && !c.Watch.OnRead && !ram.GetSpan(c.Physical, c.Length).SequenceEqual(c.Before)) hit = c.Watch.Address;
        _accessHit = null;
        Rearm();
        return hit;
    }

    private bool IsHostReadOnly(ulong pa)
    {
        foreach (var r in hostReadOnly)
            if (pa >= r.Start && pa < r.End) return true;
        return false;
    }
}
