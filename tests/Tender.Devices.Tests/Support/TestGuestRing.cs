using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Tender.Devices.Tests;

/// <summary>
/// The guest's half of the ring protocol (docs/ring-io.md), written independently of the engine
/// from the specification: header set-up, posting RX buffers, sending TX frames, reaping
/// completions, and the kick rule (publish the index, full barrier, read the tender's state,
/// kick only if it sleeps).
/// </summary>
internal sealed class TestGuestRing
{
    private readonly BufferGuestMemory _memory;
    private readonly NetRingService? _service;
    private uint _rxProducer, _rxSeen, _txProducer;

    public TestGuestRing(BufferGuestMemory memory, NetRingService? service, ulong ringAddress, uint rxEntries, uint txEntries, ulong buffers, int bufferSize)
    {
        _memory = memory;
        _service = service;
        Address = ringAddress;
        RxEntries = rxEntries;
        TxEntries = txEntries;
        Buffers = buffers;
        BufferSize = bufferSize;
        var h = Header;
        h.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(h[0x00..], 0x474E5254); // "TRNG"
        BinaryPrimitives.WriteUInt32LittleEndian(h[0x04..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(h[0x08..], rxEntries);
        BinaryPrimitives.WriteUInt32LittleEndian(h[0x0C..], txEntries);
    }

    public ulong Address { get; }
    public uint RxEntries { get; }
    public uint TxEntries { get; }
    /// <summary>Guest address of the buffer pool: RX slot i at Buffers + i·BufferSize, TX slot j after the RX ones.</summary>
    public ulong Buffers { get; }
    public int BufferSize { get; }
    public int Kicks { get; private set; }

    public Span<byte> Header => _memory.Span(Address, 0x200);
    public ref uint RxProducer => ref Word(0x40);
    public ref uint RxConsumer => ref Word(0x80);
    public ref uint TxProducer => ref Word(0xC0);
    public ref uint TxConsumer => ref Word(0x100);
    public ref uint TenderState => ref Word(0x140);

    private ref uint Word(int offset) => ref Unsafe.As<byte, uint>(ref _memory.Span(Address + (ulong)offset, 4)[0]);

    public Span<byte> RxDescriptor(uint slot) => _memory.Span(Address + 0x200 + 16UL * (slot & (RxEntries - 1)), 16);
    public Span<byte> TxDescriptor(uint slot) => _memory.Span(Address + 0x200 + 16UL * (RxEntries + (slot & (TxEntries - 1))), 16);

    public static void WriteDescriptor(Span<byte> d, ulong address, uint length, ushort flags = 0)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(d, address);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(d[14..], 0xFFFF); // "not completed" marker for the tests
    }

    public static (ulong Address, uint Length, ushort Status) ReadDescriptor(ReadOnlySpan<byte> d) =>
        (BinaryPrimitives.ReadUInt64LittleEndian(d), BinaryPrimitives.ReadUInt32LittleEndian(d[8..]), BinaryPrimitives.ReadUInt16LittleEndian(d[14..]));

    public ulong RxBuffer(uint slot) => Buffers + (ulong)(slot & (RxEntries - 1)) * (ulong)BufferSize;
    public ulong TxBuffer(uint slot) => Buffers + (ulong)(RxEntries + (slot & (TxEntries - 1))) * (ulong)BufferSize;

    /// <summary>Posts RX buffers until the ring is full (posted and not yet seen = RxEntries).</summary>
    public void FillRx()
    {
        while (_rxProducer - _rxSeen < RxEntries)
        {
            WriteDescriptor(RxDescriptor(_rxProducer), RxBuffer(_rxProducer), (uint)BufferSize);
            _rxProducer++;
        }
        Publish(ref RxProducer, _rxProducer);
    }

    /// <summary>Takes the next received frame, if the tender has completed one.</summary>
    public bool TryReceive(out byte[] frame, out DeviceResult status)
    {
        frame = [];
        status = DeviceResult.Ok;
        uint consumer = Volatile.Read(ref RxConsumer); // acquire: the descriptor and buffer are complete
        if (_rxSeen == consumer) return false;
        var (address, length, st) = ReadDescriptor(RxDescriptor(_rxSeen));
        status = (DeviceResult)st;
        frame = _memory.Span(address, (int)length).ToArray();
        _rxSeen++;
        return true;
    }

    /// <summary>Queues one frame for sending, waiting (bounded) for a free TX slot.</summary>
    public void Send(ReadOnlySpan<byte> frame, TimeSpan timeout)
    {
        long start = Stopwatch.GetTimestamp();
        while (_txProducer - Volatile.Read(ref TxConsumer) >= TxEntries)
        {
            if (Stopwatch.GetElapsedTime(start) > timeout) throw new TimeoutException("TX ring stayed full");
            Thread.Yield();
        }
        frame.CopyTo(_memory.Span(TxBuffer(_txProducer), frame.Length));
        WriteDescriptor(TxDescriptor(_txProducer), TxBuffer(_txProducer), (uint)frame.Length);
        _txProducer++;
        Publish(ref TxProducer, _txProducer);
    }

    /// <summary>True once the tender has completed every TX descriptor posted.</summary>
    public bool TxDone => Volatile.Read(ref TxConsumer) == _txProducer;

    private void Publish(ref uint index, uint value)
    {
        Volatile.Write(ref index, value);   // release: descriptors before the index
        Interlocked.MemoryBarrier();        // store → load: our index before their state (docs/ring-io.md)
        if (Volatile.Read(ref TenderState) == 1 && _service is not null)
        {
            Kicks++;
            _service.Kick();
        }
    }
}
