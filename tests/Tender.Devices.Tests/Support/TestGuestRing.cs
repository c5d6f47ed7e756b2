using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Tender.Devices.Tests;

/// <summary>
/// The guest's half of the ring (docs/ring-io.md), written from the document, not from the
/// engine: fill the entry at ent_tail, publish ent_tail (release), full barrier, read needs_kick
/// and kick only if it is 1; a NET_READ waits for its commit at com_head.
/// </summary>
internal sealed class TestGuestRing
{
    private readonly BufferGuestMemory _memory;
    private readonly ulong _ring;
    private readonly Action _kick;
    private uint _tail, _comHead, _id;

    /// <param name="kick">What the guest's `out 0x600` does (the tender forwards it to the engine).</param>
    /// <param name="pump">Called while waiting (drives an engine without its thread); null with a running I/O thread.</param>
    public TestGuestRing(BufferGuestMemory memory, ulong ringAddress, Action kick, Action? pump = null)
    {
        _memory = memory;
        _ring = ringAddress;
        _kick = kick;
        Pump = pump;
    }

    public Action? Pump { get; }
    public int Kicks { get; private set; }
    public uint LastId => _id - 1;

    public ref uint EntTail => ref Word(0);
    public ref uint ComHead => ref Word(4);
    public ref uint EntHead => ref Word(64);
    public ref uint ComTail => ref Word(68);
    public ref uint NeedsKick => ref Word(72);

    private ref uint Word(int offset) => ref Unsafe.As<byte, uint>(ref _memory.Span(_ring + (ulong)offset, 4)[0]);

    public Span<byte> Entry(uint index) => _memory.Span(_ring + 128 + 32UL * (index & 1023), 32);
    public Span<byte> Commit(uint index) => _memory.Span(_ring + 128 + 32UL * 1024 + 16UL * (index & 1023), 16);

    /// <summary>Writes an entry at ent_tail without publishing it.</summary>
    public uint Fill(uint operation, uint handle, ulong data, uint length)
    {
        var e = Entry(_tail);
        Unsafe.WriteUnaligned(ref e[0], operation);
        Unsafe.WriteUnaligned(ref e[4], handle);
        Unsafe.WriteUnaligned(ref e[8], data);
        Unsafe.WriteUnaligned(ref e[16], length);
        Unsafe.WriteUnaligned(ref e[20], _id);
        Unsafe.WriteUnaligned(ref e[24], 0UL);
        _tail++;
        return _id++;
    }

    /// <summary>Publishes the filled entries and kicks if the tender said it sleeps.</summary>
    public void Publish(bool kickIfNeeded = true)
    {
        Volatile.Write(ref EntTail, _tail);  // release: entries before the index
        Interlocked.MemoryBarrier();         // store → load: our index before its needs_kick
        if (kickIfNeeded && Volatile.Read(ref NeedsKick) != 0)
        {
            Kicks++;
            _kick();
        }
    }

    /// <summary>Submits one entry, waiting (bounded) while the ring is full.</summary>
    public uint Submit(uint operation, uint handle, ulong data, uint length)
    {
        WaitUntil(() => _tail - Volatile.Read(ref EntHead) < 1023, "the submission ring stayed full");
        uint id = Fill(operation, handle, data, length);
        Publish();
        return id;
    }

    public uint Write(uint handle, ulong data, uint length) => Submit(1, handle, data, length);

    /// <summary>NET_READ: submit, wait for the commit, return (ret, len, id).</summary>
    public (int Result, uint Length, uint Id) Read(uint handle, ulong data, uint size)
    {
        Submit(2, handle, data, size);
        return NextCommit();
    }

    public (int Result, uint Length, uint Id) NextCommit()
    {
        WaitUntil(() => Volatile.Read(ref ComTail) != _comHead, "no commit came");
        var c = Commit(_comHead);
        var result = (Unsafe.ReadUnaligned<int>(ref c[4]), Unsafe.ReadUnaligned<uint>(ref c[8]), Unsafe.ReadUnaligned<uint>(ref c[0]));
        _comHead++;
        Volatile.Write(ref ComHead, _comHead);
        return result;
    }

    /// <summary>True once the tender has consumed every entry submitted.</summary>
    public bool Drained => Volatile.Read(ref EntHead) == _tail;

    public void WaitDrained() => WaitUntil(() => Drained, "the tender did not consume every entry");

    private void WaitUntil(Func<bool> condition, string what)
    {
        long start = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(start) > TimeSpan.FromSeconds(5)) throw new TimeoutException(what);
            if (Pump is not null) Pump();
            else Thread.Yield();
        }
    }
}
