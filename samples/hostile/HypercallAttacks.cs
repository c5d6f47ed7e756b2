using System;

/// <summary>
/// Hypercalls with random and adversarial arguments that the ABI answers without ending the guest
/// (docs/abi.md): a handle that is not a device of the type gets EINVAL before any pointer is
/// looked at, a zero length touches nothing, a NET buffer of the wrong size gets EINVAL. Every
/// answer is checked, and so is every byte around the argument struct: the tender may write only
/// the struct's output fields.
/// </summary>
sealed unsafe class HypercallAttacks
{
    private const int ScratchSize = 16384, Guard = 64;
    private const byte Sentinel = 0xA5;
    private const int MaxFrame = 1514; // MTU 1500 + Ethernet header
    private const int EInval = 2, Again = 1, Ok = 0;

    private readonly Rng _rng;
    private readonly Layout _layout;
    private readonly byte* _scratch;   // argument structs, surrounded by sentinel bytes
    private readonly byte* _frame;     // valid NET buffers (4096 bytes, contents free)
    private readonly ulong[] _addresses;
    private readonly ulong[] _lengths;

    public HypercallAttacks(Rng rng, Layout layout)
    {
        _rng = rng;
        _layout = layout;
        _scratch = layout.Scratch;
        _frame = layout.Frame;
        new Span<byte>(_scratch, ScratchSize).Fill(Sentinel);
        _addresses = layout.AdversarialAddresses();
        _lengths =
        [
            0, 1, 13, 14, MaxFrame - 1, MaxFrame, MaxFrame + 1, 4096, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
            0x1_0000_0000, 0x1_0000_0001, 1UL << 63, ulong.MaxValue - 1, ulong.MaxValue,
        ];
    }

    private ulong AnyAddress() => _rng.OneIn(4) ? _rng.Next() : _rng.Pick(_addresses);

    private ulong AnyLength() => _rng.OneIn(4) ? _rng.Next() >> _rng.Below(64) : _rng.Pick(_lengths);

    /// <summary>A handle that is no device of the given kind (the net handle is not a block device).</summary>
    private ulong BadHandle(bool net)
    {
        ulong[] bad = net
            ? [0, (ulong)_layout.PciHandle, 3, 63, 64, 0xFFFFFFFF, 0x1_0000_0001, ulong.MaxValue]
            : [0, (ulong)_layout.NetHandle, (ulong)_layout.PciHandle, 3, 64, ulong.MaxValue];
        ulong h = _rng.OneIn(4) ? _rng.Next() : _rng.Pick(bad);
        if (net && h == (ulong)_layout.NetHandle) h = 0;
        return h;
    }

    public void One()
    {
        int n = _rng.Below(7) + 1; // WALLTIME .. NETREAD; HALT only as the final operation
        // 8-aligned struct somewhere in the scratch area, Guard bytes of sentinel either side.
        int offset = Guard + 8 * _rng.Below((ScratchSize - 2 * Guard - 64) / 8);
        byte* s = _scratch + offset;
        switch (n)
        {
            case 1: Walltime(s); break;
            case 2: Puts(s); break;
            case 3: Poll(s); break;
            case 4: case 5: Block(s, n); break;
            case 6: NetWrite(s); break;
            default: NetRead(s, offset); break;
        }
    }

    private void Call(int n, byte* s)
    {
        Native.Hypercall(Native.PortBase + (uint)n, (uint)(ulong)s);
    }

    /// <summary>Checks that only [s + from, s + to) of the struct's surroundings changed, then restores the sentinel.</summary>
    private void CheckAround(byte* s, int size, string what)
    {
        for (int i = -Guard; i < 0; i++)
            if (s[i] != Sentinel) { Tally.Fail(what + ": byte " + i.ToString() + " before the struct changed"); break; }
        for (int i = size; i < size + Guard; i++)
            if (s[i] != Sentinel) { Tally.Fail(what + ": byte " + (i - size).ToString() + " after the struct changed"); break; }
        new Span<byte>(s - Guard, size + 2 * Guard).Fill(Sentinel);
    }

    private void Walltime(byte* s)
    {
        Tally.Counts[Tally.Walltime]++;
        *(ulong*)s = 0;
        Call(1, s);
        ulong ns = *(ulong*)s;
        // After 2020 and before 2100: the host's CLOCK_REALTIME in nanoseconds.
        if (ns < 1_577_836_800_000_000_000 || ns > 4_102_444_800_000_000_000) Tally.Fail("WALLTIME gave " + ns.ToString());
        CheckAround(s, 8, "WALLTIME");
    }

    private void Puts(byte* s)
    {
        Tally.Counts[Tally.Puts]++;
        // Zero bytes at any address: nothing is accessed, nothing printed, nothing written back.
        ulong data = AnyAddress();
        *(ulong*)s = data;
        *(ulong*)(s + 8) = 0;
        Call(2, s);
        if (*(ulong*)s != data || *(ulong*)(s + 8) != 0) Tally.Fail("PUTS changed its argument struct");
        CheckAround(s, 16, "PUTS");
    }

    private void Poll(byte* s)
    {
        Tally.Counts[Tally.Poll]++;
        *(ulong*)s = 0; // no wait: the campaign is about volume
        *(ulong*)(s + 8) = _rng.Next();
        *(int*)(s + 16) = (int)_rng.Next();
        *(int*)(s + 20) = 0x5A5A5A5A;
        Call(3, s);
        ulong ready = *(ulong*)(s + 8);
        int ret = *(int*)(s + 16);
        ulong mine = 1UL << _layout.NetHandle;
        if ((ready & ~mine) != 0 || ret != (ready == 0 ? 0 : 1))
            Tally.Fail("POLL gave ready_set 0x" + ready.ToString("x") + " ret " + ret.ToString());
        if (*(ulong*)s != 0) Tally.Fail("POLL changed timeout_nsecs");
        // The int's padding: the struct is 24 bytes, the tender writes ret only.
        if (*(int*)(s + 20) != 0x5A5A5A5A) Tally.Fail("POLL wrote the padding after ret");
        CheckAround(s, 24, "POLL");
    }

    private void Block(byte* s, int n)
    {
        Tally.Counts[n == 4 ? Tally.BlkWrite : Tally.BlkRead]++;
        // This guest has no block device: every handle is EINVAL, whatever the buffer.
        ulong handle = BadHandle(net: false), offset = _rng.Next(), data = AnyAddress(), length = AnyLength();
        *(ulong*)s = handle;
        *(ulong*)(s + 8) = offset;
        *(ulong*)(s + 16) = data;
        *(ulong*)(s + 24) = length;
        *(int*)(s + 32) = -1;
        Call(n, s);
        if (*(int*)(s + 32) != EInval) Tally.Fail((n == 4 ? "BLKWRITE" : "BLKREAD") + " handle " + handle.ToString() + " gave " + (*(int*)(s + 32)).ToString());
        if (*(ulong*)s != handle || *(ulong*)(s + 8) != offset || *(ulong*)(s + 16) != data || *(ulong*)(s + 24) != length)
            Tally.Fail("BLK hypercall changed an input field");
        CheckAround(s, 40, "BLK");
    }

    private void NetWrite(byte* s)
    {
        Tally.Counts[Tally.NetWrite]++;
        ulong handle, data, length;
        int expect; // -2: OK or a TAP failure (host's business), else the exact result
        switch (_rng.Below(4))
        {
            case 0: handle = BadHandle(net: true); data = AnyAddress(); length = AnyLength(); expect = EInval; break;
            case 1: handle = (ulong)_layout.NetHandle; data = AnyAddress(); length = 0; expect = EInval; break;
            case 2:
                handle = (ulong)_layout.NetHandle; data = (ulong)_frame;
                length = _rng.OneIn(2) ? (ulong)_rng.Below(13) + 1 : (ulong)(MaxFrame + 1 + _rng.Below(4096 - MaxFrame));
                expect = EInval;
                break;
            default:
                handle = (ulong)_layout.NetHandle; data = (ulong)_frame; length = (ulong)(14 + _rng.Below(MaxFrame - 13));
                // A frame to a unicast MAC nobody has: junk for the Linux side to drop.
                _frame[0] = 0x02; _frame[1] = 0xEE; _frame[12] = 0x88; _frame[13] = 0xB5;
                expect = -2;
                break;
        }
        *(ulong*)s = handle;
        *(ulong*)(s + 8) = data;
        *(ulong*)(s + 16) = length;
        *(int*)(s + 24) = -1;
        Call(6, s);
        int ret = *(int*)(s + 24);
        if (expect == -2 ? ret == EInval || ret == Again || ret < 0 || ret > 3 : ret != expect)
            Tally.Fail("NETWRITE handle " + handle.ToString() + " data 0x" + data.ToString("x") + " len " + length.ToString() + " gave " + ret.ToString());
        if (*(ulong*)s != handle || *(ulong*)(s + 8) != data || *(ulong*)(s + 16) != length) Tally.Fail("NETWRITE changed an input field");
        CheckAround(s, 32, "NETWRITE");
    }

    private void NetRead(byte* s, int offset)
    {
        Tally.Counts[Tally.NetRead]++;
        ulong handle, data, length;
        bool overlap = false;
        int kind = _rng.Below(5);
        switch (kind)
        {
            case 0: handle = BadHandle(net: true); data = AnyAddress(); length = AnyLength(); break;
            case 1: handle = (ulong)_layout.NetHandle; data = AnyAddress(); length = 0; break;
            case 2: handle = (ulong)_layout.NetHandle; data = (ulong)_frame; length = (ulong)_rng.Below(MaxFrame - 1) + 1; break;
            case 3: handle = (ulong)_layout.NetHandle; data = (ulong)_frame; length = (ulong)(MaxFrame + _rng.Below(4096 - MaxFrame + 1)); break;
            default:
                // The buffer overlaps the argument struct itself (when there is room after it).
                handle = (ulong)_layout.NetHandle; data = (ulong)s; length = 2048;
                overlap = offset + 2048 + Guard <= ScratchSize;
                if (!overlap) { data = (ulong)_frame; length = 2048; }
                break;
        }
        *(ulong*)s = handle;
        *(ulong*)(s + 8) = data;
        *(ulong*)(s + 16) = length;
        *(int*)(s + 24) = -1;
        Call(7, s);
        int ret = *(int*)(s + 24);
        ulong got = *(ulong*)(s + 16);
        bool fits = kind >= 3;
        if (!fits)
        {
            if (ret != EInval) Tally.Fail("NETREAD handle " + handle.ToString() + " len " + length.ToString() + " gave " + ret.ToString());
            if (*(ulong*)s != handle || *(ulong*)(s + 8) != data || got != length) Tally.Fail("NETREAD changed an input field on EINVAL");
        }
        else if (overlap)
        {
            // The frame landed over the struct, then the tender wrote len and ret: only those are defined.
            if (ret == Ok ? got < 14 || got > MaxFrame : ret != Again)
                Tally.Fail("NETREAD over its own struct gave ret " + ret.ToString() + " len " + got.ToString());
        }
        else if (ret == Ok ? got < 14 || got > MaxFrame : ret != Again || got != length)
        {
            Tally.Fail("NETREAD into a " + length.ToString() + "-byte buffer gave ret " + ret.ToString() + " len " + got.ToString());
        }
        if (overlap)
        {
            // What follows the frame's bytes must be untouched.
            ulong end = ret == Ok ? got : 0;
            int from = (int)Math.Max(end, 32UL);
            for (int i = from; i < 2048 + Guard; i++)
                if (s[i] != Sentinel) { Tally.Fail("NETREAD over its struct wrote byte " + i.ToString() + " beyond the frame"); break; }
            for (int i = -Guard; i < 0; i++)
                if (s[i] != Sentinel) { Tally.Fail("NETREAD over its struct wrote before it"); break; }
            new Span<byte>(s - Guard, 2048 + 2 * Guard).Fill(Sentinel);
        }
        else
        {
            CheckAround(s, 32, "NETREAD");
        }
    }
}
