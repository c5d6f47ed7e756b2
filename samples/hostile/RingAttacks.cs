using System;
using System.Threading;
using GuestBindings;

/// <summary>
/// Scribbles on Solo5's net ring (docs/ring-io.md) while the tender's I/O thread serves it. What
/// the tender treats as the guest's fault and ends it for (a bad buffer behind a valid handle,
/// ent_tail more than 1024 ahead) is kept for the final operation; everything else is fair game:
/// entries with unknown operations, handles that are no NIC with any pointer, good buffers of any
/// size, rewriting published entries while the thread may be reading them, the tender's own
/// indices and needs_kick overwritten, ent_tail jumped forward over stale entries.
///
/// One invariant keeps every slot harmless whatever mix of old and new fields the thread reads:
/// an entry naming the NIC always has a buffer inside RingPool and a length of at most 4096, and
/// an entry naming any other handle keeps a non-NIC handle when rewritten.
/// </summary>
sealed unsafe class RingAttacks
{
    private const int Entries = 1024, EntrySize = 32;
    private const int EntTail = 0, ComHead = 4, EntHead = 64, ComTail = 68, NeedsKick = 72;
    private const int EntriesAt = 128;
    private const uint MaxSinceDrain = 1000; // the tender ends the guest beyond 1024 outstanding
    private const ulong DrainTimeoutNs = 10_000_000_000;

    private readonly Rng _rng;
    private readonly Layout _l;
    private readonly byte* _ring;
    private readonly ulong[] _addresses;
    private uint _tail;        // ent_tail as we published it
    private uint _sinceDrain;  // published since the tender was last seen caught up

    public RingAttacks(Rng rng, Layout layout)
    {
        _rng = rng;
        _l = layout;
        _ring = layout.Ring;
        _addresses = layout.AdversarialAddresses();
        _tail = Volatile.Read(ref Word(EntTail));
    }

    private ref uint Word(int offset) => ref *(uint*)(_ring + offset);

    private byte* Slot(uint index) => _ring + EntriesAt + (index % Entries) * EntrySize;

    public void One()
    {
        if (_sinceDrain >= MaxSinceDrain - 20) Drain();
        int what = _rng.Below(10);
        if (what < 5) Publish();
        else if (what < 7) Rewrite();
        else if (what < 9) Indices();
        else Kick();
    }

    /// <summary>A fresh entry at ent_tail (the thread cannot be reading that slot), then published.</summary>
    private void Publish()
    {
        Tally.Counts[Tally.RingEntry]++;
        byte* e = Slot(_tail);
        if (_rng.OneIn(2)) WriteNicEntry(e, everyField: true);
        else WriteOtherEntry(e, everyField: true);
        *(ulong*)(e + 24) = _rng.Next(); // reserved: must be ignored
        _tail++;
        _sinceDrain++;
        Volatile.Write(ref Word(EntTail), _tail);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref Word(NeedsKick)) != 0 && _rng.OneIn(2)) Kick();
    }

    private void WriteNicEntry(byte* e, bool everyField)
    {
        if (everyField || _rng.OneIn(2)) *(uint*)e = _rng.Pick(s_operations);
        if (everyField) *(uint*)(e + 4) = (uint)_l.NetHandle;
        if (everyField || _rng.OneIn(2)) *(ulong*)(e + 8) = (ulong)(_l.RingPool + 4096 * _rng.Below(16));
        if (everyField || _rng.OneIn(2)) *(uint*)(e + 16) = (uint)(_rng.Below(4096) + 1);
        if (everyField || _rng.OneIn(2)) *(uint*)(e + 20) = (uint)_rng.Next();
    }

    private void WriteOtherEntry(byte* e, bool everyField)
    {
        if (everyField || _rng.OneIn(2)) *(uint*)e = _rng.Pick(s_operations);
        if (everyField || _rng.OneIn(2))
        {
            uint h = _rng.OneIn(2) ? (uint)_rng.Next() : _rng.Pick(s_handles);
            if (h == (uint)_l.NetHandle) h = 0;
            *(uint*)(e + 4) = h;
        }
        if (everyField || _rng.OneIn(2)) *(ulong*)(e + 8) = _rng.OneIn(3) ? _rng.Next() : _rng.Pick(_addresses);
        if (everyField || _rng.OneIn(2)) *(uint*)(e + 16) = _rng.OneIn(2) ? (uint)_rng.Next() : _rng.Pick(s_lengths);
        if (everyField || _rng.OneIn(2)) *(uint*)(e + 20) = (uint)_rng.Next();
    }

    private static readonly uint[] s_operations = [0, 1, 1, 2, 2, 3, 0xFFFFFFFF];
    private static readonly uint[] s_handles = [0, 3, 63, 64, 1000, 0xFFFFFFFF];
    private static readonly uint[] s_lengths = [0, 1, 14, 1514, 1515, 2048, 4096, 0x7FFFFFFF, 0xFFFFFFFF];

    /// <summary>Rewrites an entry the thread may be consuming right now, keeping its class.</summary>
    private void Rewrite()
    {
        Tally.Counts[Tally.RingRewrite]++;
        uint back = (uint)_rng.Below(8) + 1;
        byte* e = Slot(_tail - back);
        if (*(uint*)(e + 4) == (uint)_l.NetHandle) WriteNicEntry(e, everyField: false);
        else WriteOtherEntry(e, everyField: false);
    }

    /// <summary>The tender's fields and the guest's com_head: the tender never reads the former back, nor the latter.</summary>
    private void Indices()
    {
        Tally.Counts[Tally.RingIndex]++;
        switch (_rng.Below(6))
        {
            case 0: Volatile.Write(ref Word(EntHead), (uint)_rng.Next()); break;
            case 1: Volatile.Write(ref Word(ComTail), (uint)_rng.Next()); break;
            case 2: Volatile.Write(ref Word(NeedsKick), (uint)_rng.Next()); break;
            case 3: Volatile.Write(ref Word(ComHead), (uint)_rng.Next()); break;
            case 4:
                // Padding and the commit area are the ring's, not state the tender keeps.
                *(uint*)(_ring + 8 + 4 * _rng.Below(14)) = (uint)_rng.Next();
                *(uint*)(_ring + 32896 + 4 * _rng.Below(4096)) = (uint)_rng.Next();
                break;
            default:
                // ent_tail jumps forward over stale (harmless) entries, staying within the ring.
                uint jump = (uint)_rng.Below(16) + 1;
                _tail += jump;
                _sinceDrain += jump;
                Volatile.Write(ref Word(EntTail), _tail);
                break;
        }
    }

    private void Kick()
    {
        Tally.Counts[Tally.RingKick]++;
        Native.Hypercall(Native.KickPort, (uint)_rng.Next());
    }

    /// <summary>
    /// Waits until the tender has consumed everything published. A harmless entry (unknown
    /// operation) goes first, so the tender's next ent_head store overwrites whatever we scribbled there.
    /// </summary>
    public void Drain()
    {
        byte* e = Slot(_tail);
        *(uint*)e = 0;
        *(uint*)(e + 4) = 0;
        *(ulong*)(e + 8) = 0;
        *(uint*)(e + 16) = 0;
        _tail++;
        Volatile.Write(ref Word(EntTail), _tail);
        Interlocked.MemoryBarrier();
        Native.Hypercall(Native.KickPort, 0);
        ulong start = Clock.MonotonicNanoseconds;
        uint spins = 0;
        while (Volatile.Read(ref Word(EntHead)) != _tail)
        {
            if (++spins % 4096 != 0) continue;
            Native.Hypercall(Native.KickPort, 0);
            if (Clock.MonotonicNanoseconds - start > DrainTimeoutNs)
            {
                Tally.Fail("the tender consumed no ring entry for 10 s (ent_head " + Volatile.Read(ref Word(EntHead)).ToString() + ", ent_tail " + _tail.ToString() + ")");
                break;
            }
        }
        _sinceDrain = 0;
    }

    /// <summary>Publishes one entry the tender must end the guest for.</summary>
    public void FatalBadBuffer()
    {
        Drain();
        byte* e = Slot(_tail);
        *(uint*)e = 2;
        *(uint*)(e + 4) = (uint)_l.NetHandle;
        *(ulong*)(e + 8) = 0x1000;
        *(uint*)(e + 16) = 2048;
        *(uint*)(e + 20) = 7;
        _tail++;
        Volatile.Write(ref Word(EntTail), _tail);
        Interlocked.MemoryBarrier();
        Native.Hypercall(Native.KickPort, 0);
    }

    /// <summary>ent_tail far beyond the ring: corrupt.</summary>
    public void FatalCorruptTail()
    {
        Drain();
        Volatile.Write(ref Word(EntTail), _tail + 5000);
        Interlocked.MemoryBarrier();
        Native.Hypercall(Native.KickPort, 0);
    }
}
