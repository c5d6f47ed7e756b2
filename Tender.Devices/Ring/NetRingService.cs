using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Tender.Host;

namespace Tender.Devices;

public enum NetRingDirection { Receive, Transmit }

/// <summary>One batch the engine moved (for tracing): descriptors completed, frames moved, errors.</summary>
public readonly record struct NetRingBatch(int Handle, NetRingDirection Direction, int Descriptors, int Frames, long Bytes, int Errors, string? FirstError);

/// <summary>Why the engine stopped servicing a ring (Handle -1: the engine itself failed).</summary>
public sealed record NetRingFault(int Handle, string Message);

/// <summary>Totals for one ring since it was attached.</summary>
public readonly record struct NetRingStatistics(
    long RxFrames, long RxBytes, long RxErrors, long TxFrames, long TxBytes, long TxErrors, long Batches);

public sealed class NetRingOptions
{
    /// <summary>Run the I/O thread (false: the caller drives <see cref="NetRingService.ServiceOnce"/>).</summary>
    public bool StartThread { get; init; } = true;
    /// <summary>
    /// How long the I/O thread keeps polling after its last work before it sleeps. Every sleep
    /// makes the guest's next post cost a kick (a VM exit, ~27 µs on the development host).
    /// </summary>
    public TimeSpan SpinBeforeSleep { get; init; } = TimeSpan.FromMicroseconds(50);
    /// <summary>At most this many descriptors per ring and direction in one pass (fairness between NICs).</summary>
    public int BatchSize { get; init; } = 64;
}

/// <summary>
/// The tender side of shared-ring network I/O (docs/ring-io.md): an I/O thread moves frames
/// between each attached NIC's TAP and its RX/TX rings in guest memory, in batches, sleeping
/// only after telling the guest (so the guest kicks port 0x600 only then).
/// Everything the guest controls is treated as hostile: the ring geometry is read once at attach
/// and kept privately, as are the tender's own consumer indices; each descriptor is read once
/// and its address and length are checked against guest memory before use; a producer index
/// further ahead than the ring's size stops the ring and reports a <see cref="NetRingFault"/>.
/// </summary>
public sealed class NetRingService : IDisposable
{
    private const ulong KickTag = DevicePoller.MaxHandles;

    private readonly IGuestMemoryAccess _memory;
    private readonly NetRingOptions _options;
    private readonly Epoll _epoll = new();
    private readonly EventSignal _kick = new();
    private readonly object _attachLock = new();
    private volatile Ring[] _rings = [];
    private Thread? _thread;
    private volatile bool _stopping;
    private long _kicks;
    private long _sleeps;
    private NetRingFault? _fault;

    public NetRingService(IGuestMemoryAccess memory, NetRingOptions? options = null)
    {
        _memory = memory;
        _options = options ?? new NetRingOptions();
        if (_options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "batch size must be positive");
        _epoll.Add(_kick.Descriptor, KickTag);
    }

    /// <summary>The first fault (a corrupt ring, or the engine's own failure), or null.</summary>
    public NetRingFault? Fault => Volatile.Read(ref _fault);

    /// <summary>Raised on the I/O thread when a ring fails; the tender ends the guest with the message.</summary>
    public event Action<NetRingFault>? Faulted;

    /// <summary>Called on the I/O thread for every batch that completed descriptors.</summary>
    public Action<NetRingBatch>? Trace { get; set; }

    /// <summary>Kicks received (port 0x600 writes forwarded by the tender).</summary>
    public long Kicks => Interlocked.Read(ref _kicks);
    /// <summary>Times the I/O thread went to sleep.</summary>
    public long Sleeps => Interlocked.Read(ref _sleeps);

    public bool IsAttached(int handle) => Find(handle) is not null;

    /// <summary>
    /// Attaches the ring at ringAddress in guest memory to NIC handle (backed by tap). Returns
    /// false and why if the guest's ring is not acceptable (alignment, header, sizes, range,
    /// non-zero consumer indices, handle already attached); the tender reports EINVAL to it.
    /// </summary>
    public bool TryAttach(int handle, TapDevice tap, ulong ringAddress, out string? error)
    {
        lock (_attachLock)
        {
            if ((uint)handle >= DevicePoller.MaxHandles) { error = $"handle {handle} is not in 0..{DevicePoller.MaxHandles - 1}"; return false; }
            if (Find(handle) is not null) { error = $"NIC handle {handle} already has a ring"; return false; }
            foreach (var other in _rings)
                if (ReferenceEquals(other.Tap, tap)) { error = $"TAP {tap.InterfaceName} already serves the ring of NIC handle {other.Handle}"; return false; }
            if (ringAddress % NetRingLayout.Alignment != 0)
            {
                error = $"ring address 0x{ringAddress:x} is not {NetRingLayout.Alignment}-byte aligned";
                return false;
            }
            if (!_memory.TryGetSpan(ringAddress, NetRingLayout.HeaderSize, out var header, out var why))
            {
                error = $"ring header: {why}";
                return false;
            }
            // Read every header field once; only these copies are used from now on.
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(header[NetRingLayout.MagicOffset..]);
            uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[NetRingLayout.VersionOffset..]);
            uint rxEntries = BinaryPrimitives.ReadUInt32LittleEndian(header[NetRingLayout.RxEntriesOffset..]);
            uint txEntries = BinaryPrimitives.ReadUInt32LittleEndian(header[NetRingLayout.TxEntriesOffset..]);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(header[NetRingLayout.FlagsOffset..]);
            uint rxConsumer = BinaryPrimitives.ReadUInt32LittleEndian(header[NetRingLayout.RxConsumerOffset..]);
            uint txConsumer = BinaryPrimitives.ReadUInt32LittleEndian(header[NetRingLayout.TxConsumerOffset..]);
            error = magic != NetRingLayout.Magic ? $"ring magic 0x{magic:x8} is not 0x{NetRingLayout.Magic:x8} (\"TRNG\")"
                : version != NetRingLayout.Version ? $"ring version {version} is not {NetRingLayout.Version}"
                : flags != 0 ? $"ring flags 0x{flags:x} are not 0"
                : NetRingLayout.CheckEntries(rxEntries, "RX") ?? NetRingLayout.CheckEntries(txEntries, "TX")
                ?? (rxConsumer != 0 || txConsumer != 0 ? $"consumer indices (RX {rxConsumer}, TX {txConsumer}) are not 0 at attach" : null);
            if (error is not null) return false;
            ulong size = NetRingLayout.AreaSize(rxEntries, txEntries);
            if (!_memory.TryGetSpan(ringAddress, size, out var area, out why))
            {
                error = $"ring area ({size} bytes for {rxEntries} RX + {txEntries} TX entries): {why}";
                return false;
            }
            Volatile.Write(ref Field(area, NetRingLayout.TenderStateOffset), (uint)NetRingState.Awake);

            var ring = new Ring(handle, tap, ringAddress, size, rxEntries, txEntries);
            _epoll.Add(tap.Descriptor, (ulong)handle);
            _rings = [.. _rings, ring];
            if (_options.StartThread && _thread is null)
            {
                _thread = new Thread(IoThread) { IsBackground = true, Name = "net ring I/O" };
                _thread.Start();
            }
            else
            {
                _kick.Set(); // a sleeping I/O thread picks up the new ring
            }
            return true;
        }
    }

    /// <summary>
    /// Set whenever the engine completes RX descriptors of handle's ring: register it with
    /// <see cref="DevicePoller.Add(int, EventSignal)"/> in place of the TAP so POLL wakes for ring input.
    /// </summary>
    public EventSignal ReceiveSignal(int handle) =>
        (Find(handle) ?? throw new ArgumentException($"NIC handle {handle} has no ring", nameof(handle))).Received;

    public NetRingStatistics GetStatistics(int handle)
    {
        var r = Find(handle) ?? throw new ArgumentException($"NIC handle {handle} has no ring", nameof(handle));
        return new NetRingStatistics(Interlocked.Read(ref r.RxFrames), Interlocked.Read(ref r.RxBytes), Interlocked.Read(ref r.RxErrors),
            Interlocked.Read(ref r.TxFrames), Interlocked.Read(ref r.TxBytes), Interlocked.Read(ref r.TxErrors), Interlocked.Read(ref r.Batches));
    }

    /// <summary>
    /// A guest kick (port 0x600): wakes the I/O thread if it sleeps. Any thread.
    /// It also turns "sleeping" back to "awake" at once, before raising the wake-up, so the
    /// guest's next posts (while the I/O thread is still being scheduled) do not kick again:
    /// one kick per sleep. Safe because the wake-up is raised afterwards: the I/O thread consumes
    /// it only after this write, and writes "sleeping" again only after that, re-checking the
    /// producers as always (docs/ring-io.md).
    /// </summary>
    public void Kick()
    {
        Interlocked.Increment(ref _kicks);
        foreach (var ring in _rings)
            if (!ring.Failed && _memory.TryGetSpan(ring.Address + NetRingLayout.TenderStateOffset, 4, out var state, out _))
                Interlocked.CompareExchange(ref Field(state, 0), (uint)NetRingState.Awake, (uint)NetRingState.Sleeping);
        _kick.Set();
    }

    /// <summary>Stops and joins the I/O thread. Rings stay attached (and are no longer serviced).</summary>
    public void Stop()
    {
        _stopping = true;
        _kick.Set();
        _thread?.Join();
    }

    private Ring? Find(int handle)
    {
        foreach (var r in _rings)
            if (r.Handle == handle) return r;
        return null;
    }

    /// <summary>
    /// One pass over every healthy ring: TX first (frees guest buffers), then RX while both a
    /// posted buffer and a waiting frame exist. Returns the descriptors completed. Used by the
    /// I/O thread; without it (<see cref="NetRingOptions.StartThread"/> false) by the caller,
    /// from one thread at a time.
    /// </summary>
    public int ServiceOnce()
    {
        int work = 0;
        foreach (var ring in _rings)
        {
            if (ring.Failed) continue;
            if (!_memory.TryGetSpan(ring.Address, ring.Size, out var area, out var why))
            {
                Fail(ring, $"ring area is no longer in guest memory: {why}");
                continue;
            }
            work += ServiceTransmit(ring, area);
            if (!ring.Failed) work += ServiceReceive(ring, area);
        }
        return work;
    }

    private int ServiceTransmit(Ring ring, Span<byte> area)
    {
        // Acquire: the descriptors the guest wrote before publishing this index are visible.
        uint producer = Volatile.Read(ref Field(area, NetRingLayout.TxProducerOffset));
        uint pending = producer - ring.TxConsumer;
        if (pending > ring.TxEntries)
        {
            Fail(ring, $"TX producer index {producer} is {pending} ahead of the tender's consumer index {ring.TxConsumer}, more than the ring's {ring.TxEntries} entries");
            return 0;
        }
        int count = (int)Math.Min(pending, (uint)_options.BatchSize);
        if (count == 0) return 0;
        int frames = 0, errors = 0;
        long bytes = 0;
        string? firstError = null;
        uint mask = ring.TxEntries - 1;
        for (int i = 0; i < count; i++)
        {
            var d = area.Slice(NetRingLayout.TxDescriptorOffset(ring.RxEntries, (ring.TxConsumer + (uint)i) & mask), NetRingLayout.DescriptorSize);
            // Each field is read once; the checks and the use see the same values.
            ulong address = BinaryPrimitives.ReadUInt64LittleEndian(d);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(d[NetRingLayout.DescriptorLengthOffset..]);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(d[NetRingLayout.DescriptorFlagsOffset..]);
            DeviceResult result;
            string? error = null;
            if (flags != 0)
                error = $"TX descriptor flags 0x{flags:x} are not 0";
            else if (length < TapDevice.EthernetHeaderLength || length > (uint)ring.Tap.MaxFrameSize)
                error = $"TX frame length {length} is outside {TapDevice.EthernetHeaderLength}..{ring.Tap.MaxFrameSize}";
            else if (!_memory.TryGetSpan(address, length, out var frame, out var why))
                error = $"TX descriptor buffer: {why}";
            else
            {
                result = ring.Tap.Write(frame);
                if (result == DeviceResult.Ok) { frames++; bytes += length; }
                else { errors++; firstError ??= $"TAP write: {result}"; }
                WriteStatus(d, result);
                continue;
            }
            errors++;
            firstError ??= error;
            WriteStatus(d, DeviceResult.InvalidArgument);
        }
        ring.TxConsumer += (uint)count;
        // Release: the statuses written above are visible before the guest sees the new index.
        Volatile.Write(ref Field(area, NetRingLayout.TxConsumerOffset), ring.TxConsumer);
        Account(ring, NetRingDirection.Transmit, count, frames, bytes, errors, firstError);
        return count;
    }

    private int ServiceReceive(Ring ring, Span<byte> area)
    {
        uint producer = Volatile.Read(ref Field(area, NetRingLayout.RxProducerOffset));
        uint posted = producer - ring.RxConsumer;
        if (posted > ring.RxEntries)
        {
            Fail(ring, $"RX producer index {producer} is {posted} ahead of the tender's consumer index {ring.RxConsumer}, more than the ring's {ring.RxEntries} entries");
            return 0;
        }
        int limit = (int)Math.Min(posted, (uint)_options.BatchSize);
        int count = 0, frames = 0, errors = 0;
        long bytes = 0;
        string? firstError = null;
        uint mask = ring.RxEntries - 1;
        int maxFrame = ring.Tap.MaxFrameSize;
        while (count < limit)
        {
            var d = area.Slice(NetRingLayout.RxDescriptorOffset((ring.RxConsumer + (uint)count) & mask), NetRingLayout.DescriptorSize);
            ulong address = BinaryPrimitives.ReadUInt64LittleEndian(d);
            uint capacity = BinaryPrimitives.ReadUInt32LittleEndian(d[NetRingLayout.DescriptorLengthOffset..]);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(d[NetRingLayout.DescriptorFlagsOffset..]);
            string? error = null;
            Span<byte> buffer = default;
            if (flags != 0)
                error = $"RX descriptor flags 0x{flags:x} are not 0";
            else if (capacity < (uint)maxFrame)
                error = $"RX buffer of {capacity} bytes is smaller than the largest frame ({maxFrame})";
            else if (!_memory.TryGetSpan(address, capacity, out var whole, out var why))
                error = $"RX descriptor buffer: {why}";
            else
                buffer = whole[..maxFrame];
            if (error is not null)
            {
                // A bad buffer is handed back unused, marked, so the guest sees its mistake.
                errors++;
                firstError ??= error;
                BinaryPrimitives.WriteUInt32LittleEndian(d[NetRingLayout.DescriptorLengthOffset..], 0);
                WriteStatus(d, DeviceResult.InvalidArgument);
                count++;
                continue;
            }
            var result = ring.Tap.Read(buffer, out int length);
            if (result == DeviceResult.Again) break; // no frame waiting: the buffer stays posted
            if (result == DeviceResult.Ok) { frames++; bytes += length; }
            else { errors++; firstError ??= $"TAP read: {result}"; length = 0; }
            BinaryPrimitives.WriteUInt32LittleEndian(d[NetRingLayout.DescriptorLengthOffset..], (uint)length);
            WriteStatus(d, result);
            count++;
        }
        if (count == 0) return 0;
        ring.RxConsumer += (uint)count;
        Volatile.Write(ref Field(area, NetRingLayout.RxConsumerOffset), ring.RxConsumer);
        ring.Received.Set();
        Account(ring, NetRingDirection.Receive, count, frames, bytes, errors, firstError);
        return count;
    }

    private static void WriteStatus(Span<byte> descriptor, DeviceResult result) =>
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[NetRingLayout.DescriptorStatusOffset..], (ushort)result);

    private void Account(Ring ring, NetRingDirection direction, int count, int frames, long bytes, int errors, string? firstError)
    {
        if (direction == NetRingDirection.Receive)
        {
            Interlocked.Add(ref ring.RxFrames, frames);
            Interlocked.Add(ref ring.RxBytes, bytes);
            Interlocked.Add(ref ring.RxErrors, errors);
        }
        else
        {
            Interlocked.Add(ref ring.TxFrames, frames);
            Interlocked.Add(ref ring.TxBytes, bytes);
            Interlocked.Add(ref ring.TxErrors, errors);
        }
        Interlocked.Increment(ref ring.Batches);
        Trace?.Invoke(new NetRingBatch(ring.Handle, direction, count, frames, bytes, errors, firstError));
    }

    private void Fail(Ring ring, string message)
    {
        ring.Failed = true;
        if (_memory.TryGetSpan(ring.Address + NetRingLayout.TenderStateOffset, 4, out var state, out _))
            Volatile.Write(ref Field(state, 0), (uint)NetRingState.Failed);
        Report(new NetRingFault(ring.Handle, $"net ring of NIC handle {ring.Handle} at 0x{ring.Address:x}: {message}"));
    }

    private void Report(NetRingFault fault)
    {
        Interlocked.CompareExchange(ref _fault, fault, null);
        try
        {
            Faulted?.Invoke(fault);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _fault, new NetRingFault(fault.Handle, $"{fault.Message}; the fault handler failed: {e.Message}"), null);
        }
    }

    private void IoThread()
    {
        try
        {
            Span<ulong> tags = stackalloc ulong[DevicePoller.MaxHandles + 1];
            long spinTicks = (long)(_options.SpinBeforeSleep.TotalSeconds * Stopwatch.Frequency);
            long lastWork = Stopwatch.GetTimestamp();
            while (!_stopping)
            {
                if (ServiceOnce() > 0)
                {
                    lastWork = Stopwatch.GetTimestamp();
                    continue;
                }
                if (Stopwatch.GetTimestamp() - lastWork < spinTicks)
                {
                    Thread.SpinWait(16);
                    continue;
                }
                if (PrepareToSleep())
                {
                    Interlocked.Increment(ref _sleeps);
                    _epoll.Wait(tags, null);
                    _kick.Consume();
                }
                foreach (var ring in _rings)
                    if (!ring.Failed && _memory.TryGetSpan(ring.Address + NetRingLayout.TenderStateOffset, 4, out var state, out _))
                        Volatile.Write(ref Field(state, 0), (uint)NetRingState.Awake);
                lastWork = Stopwatch.GetTimestamp();
            }
        }
        catch (Exception e)
        {
            Report(new NetRingFault(-1, $"net ring I/O thread failed: {e.Message}"));
        }
    }

    /// <summary>
    /// Publishes "sleeping" in every ring, then looks at the guest's producer indices once more:
    /// the guest publishes its index and then reads our state, we publish our state and then read
    /// its index, both with a full barrier in between, so at least one side sees the other's
    /// write: either we see the new work here (and do not sleep) or the guest sees "sleeping"
    /// (and kicks, which the kick eventfd remembers even before we reach epoll_wait).
    /// Also points the TAP's epoll interest at "input" only where RX buffers are posted, so a
    /// waiting frame with nowhere to go does not keep waking the thread.
    /// </summary>
    private bool PrepareToSleep()
    {
        var rings = _rings;
        foreach (var ring in rings)
        {
            if (ring.Failed || !_memory.TryGetSpan(ring.Address + NetRingLayout.TenderStateOffset, 4, out var state, out _)) continue;
            Interlocked.Exchange(ref Field(state, 0), (uint)NetRingState.Sleeping); // store + full barrier
        }
        bool sleep = true;
        foreach (var ring in rings)
        {
            if (ring.Failed || !_memory.TryGetSpan(ring.Address, ring.Size, out var area, out _)) continue;
            if (Volatile.Read(ref Field(area, NetRingLayout.TxProducerOffset)) != ring.TxConsumer) sleep = false;
            bool buffersPosted = Volatile.Read(ref Field(area, NetRingLayout.RxProducerOffset)) != ring.RxConsumer;
            if (buffersPosted != ring.WatchingInput)
            {
                _epoll.Modify(ring.Tap.Descriptor, (ulong)ring.Handle, buffersPosted);
                ring.WatchingInput = buffersPosted;
            }
        }
        return sleep && !_stopping;
    }

    private static ref uint Field(Span<byte> area, int offset) =>
        ref Unsafe.As<byte, uint>(ref area[offset]);

    public void Dispose()
    {
        Stop();
        _epoll.Dispose();
        _kick.Dispose();
        foreach (var ring in _rings) ring.Received.Dispose();
    }

    private sealed class Ring(int handle, TapDevice tap, ulong address, ulong size, uint rxEntries, uint txEntries)
    {
        public readonly int Handle = handle;
        public readonly TapDevice Tap = tap;
        public readonly ulong Address = address;
        public readonly ulong Size = size;
        public readonly uint RxEntries = rxEntries;
        public readonly uint TxEntries = txEntries;
        public readonly EventSignal Received = new();
        // The tender's own consumer indices: only these are trusted (the copies in guest memory
        // are for the guest to read; the guest could overwrite them).
        public uint RxConsumer;
        public uint TxConsumer;
        public volatile bool Failed;
        public bool WatchingInput = true;
        public long RxFrames, RxBytes, RxErrors, TxFrames, TxBytes, TxErrors, Batches;
    }
}
