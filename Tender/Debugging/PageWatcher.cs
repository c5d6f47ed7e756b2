using Tender.Boot;

namespace Tender.Debugging;

/// <summary>
/// Write watchpoints without debug registers (KVM on a nested PVM host, where neither KVM's guest
/// debugging nor the guest's DR0-DR7 fire). While the guest runs, the guest-RAM pages holding the
/// watched ranges are read-only in the tender's own mapping, so a store to them ends KVM_RUN with
/// EFAULT before it happens (<see cref="VcpuExitKind.HostWriteFault"/>). The run loop then opens
/// the pages, single-steps that one instruction through the boot mode's fault stub (RFLAGS.TF,
/// as gdb's stepi), protects them again and compares the watched bytes: changed is a watchpoint
/// stop, unchanged (a store elsewhere on the page, or of the same value) goes on silently — gdb's
/// `watch` reports changes only, so nothing it would show is lost.
/// The host mapping rather than the guest's page tables because PVM shadows those: a PTE the
/// tender edits from outside is not seen until the guest flushes its TLB, while mprotect reaches
/// KVM through its MMU notifier at once. Pages the tender keeps read-only (text) are not watched.
/// </summary>
internal sealed class PageWatcher(IVcpuDebug debug, GuestMemory ram, IReadOnlyList<ReadOnlyRange> hostReadOnly)
{
    private const ulong Page = 4096;

    /// <summary>Watched physical byte ranges, with the guest-virtual address gdb knows each by, and their bytes before the step.</summary>
    private readonly List<(ulong Physical, ulong Length, ulong Virtual, byte[] Before)> _watched = [];
    private readonly HashSet<ulong> _pages = [];
    private bool _armed;

    public bool IsArmed => _armed;

    /// <summary>
    /// Protects the pages of <paramref name="watches"/> (guest-virtual, translated now). False, with
    /// nothing protected, if a watched byte is not in guest RAM or lies in read-only guest memory.
    /// </summary>
    public bool Arm(IReadOnlyList<(ulong Address, int Length)> watches)
    {
        Disarm();
        _watched.Clear();
        _pages.Clear();
        foreach (var (address, length) in watches)
        {
            for (ulong va = address; va < address + (ulong)length;)
            {
                ulong chunk = Math.Min(address + (ulong)length - va, Page - (va & (Page - 1)));
                if (!debug.TryTranslate(va, out ulong pa) || !ram.TryGetSpan(pa, chunk, out _, out _) || IsHostReadOnly(pa))
                {
                    _watched.Clear();
                    _pages.Clear();
                    return false;
                }
                _watched.Add((pa, chunk, address, new byte[chunk]));
                _pages.Add(pa & ~(Page - 1));
                va += chunk;
            }
        }
        Rearm();
        return true;
    }

    /// <summary>Opens the watched pages (the guest is stopped, the tender writes guest memory, or one store is let through).</summary>
    public void Disarm()
    {
        if (!_armed) return;
        foreach (ulong page in _pages) ram.ProtectReadWrite(page, Page);
        _armed = false;
    }

    /// <summary>Protects the pages of the last <see cref="Arm"/> again.</summary>
    public void Rearm()
    {
        if (_armed || _pages.Count == 0) return;
        foreach (ulong page in _pages) ram.ProtectReadOnly(page, Page);
        _armed = true;
    }

    /// <summary>Before letting one store through: opens the pages and remembers the watched bytes.</summary>
    public void OpenForOneStore()
    {
        foreach (var w in _watched) ram.GetSpan(w.Physical, w.Length).CopyTo(w.Before);
        Disarm();
    }

    /// <summary>After the store: protects the pages again and returns the watched address whose bytes changed, if any.</summary>
    public ulong? CloseAfterStore()
    {
        ulong? changed = null;
        foreach (var w in _watched)
            if (changed is null && !ram.GetSpan(w.Physical, w.Length).SequenceEqual(w.Before)) changed = w.Virtual;
        Rearm();
        return changed;
    }

    private bool IsHostReadOnly(ulong pa)
    {
        foreach (var r in hostReadOnly)
            if (pa >= r.Start && pa < r.End) return true;
        return false;
    }
}
