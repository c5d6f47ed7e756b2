using System.Runtime.Intrinsics.X86;
using Tender.Host;

namespace Tender.Devices;

/// <summary>What one pass over the submission ring did (for tracing).</summary>
/// <param name="Entries">Submission entries consumed.</param>
/// <param name="Writes">NET_WRITE entries whose frame went out.</param>
/// <param name="WriteBytes">Bytes of those frames.</param>
/// <param name="Reads">NET_READ entries (each got a commit).</param>
/// <param name="ReadFrames">NET_READ commits with a frame (SOLO5_R_OK).</param>
/// <param name="ReadBytes">Bytes of those frames.</param>
/// <param name="ReadsAgain">NET_READ commits with SOLO5_R_AGAIN (no frame waiting).</param>
/// <param name="Rejected">Entries refused: unknown operation, handle that is not a NIC, bad frame size, host failure.</param>
/// <param name="FirstRejection">Why the first refused entry of the pass was refused.</param>
public readonly record struct NetRingBatch(int Entries, int Writes, long WriteBytes, int Reads, int ReadFrames, long ReadBytes,
    int ReadsAgain, int Rejected, string? FirstRejection);

/// <summary>Why the engine stopped servicing the ring; the tender ends the guest with this report.</summary>
public sealed record NetRingFault(string Message);

/// <summary>Totals since the engine was made.</summary>
public readonly record struct NetRingStatistics(long Entries, long TxFrames, long TxBytes, long RxFrames, long RxBytes,
    long RxAgain, long Rejected, long Batches, long Kicks, long Sleeps);

public sealed class NetRingOptions
{
    /// <summary>Run the I/O thread (false: the caller drives <see cref="NetRingService.ServiceOnce"/>; for tests).</summary>
    public bool StartThread { get; init; } = true;

    /// <summary>
    /// Polls of the ring (each a `pause`) after the last work before the I/O thread sleeps
    /// (solo5-hvt: HVT_RING_POLL_ITERS). Every sleep makes the guest's next submission cost a kick.
    /// </summary>
    public int PollIterations { get; init; } = HvtRingLayout.PollIterations;
}

/// <summary>
/// The tender side of Solo5's ring I/O (<c>hvt_ring.h</c>; docs/ring-io.md): an I/O thread consumes
/// the guest's submission entries in order — NET_WRITE sends the frame at the entry's buffer
/// through the NIC's TAP, NET_READ reads one frame (or nothing) from the TAP into the entry's
/// buffer and posts a commit — and sleeps only after setting <c>needs_kick</c>, so the guest
/// kicks port 0x600 only then.
/// <para>The guest is hostile. The tender keeps its own copies of the indices it owns
/// (<c>ent_head</c>, <c>com_tail</c>) and only writes the ring's copies; each entry field is read
/// once into a local; every buffer is checked against guest memory with the guest's own access
/// rights before use. A bad buffer or an <c>ent_tail</c> more than the ring's size ahead ends the
/// guest with a <see cref="NetRingFault"/> (solo5-hvt exits on a bad buffer too); an entry with an
/// unknown operation or a handle that is not a NIC is skipped (NET_READ: committed as EINVAL), as
/// solo5-hvt does.</para>
/// </summary>
public sealed class NetRingService : IDisposable
{
    private const ulong KickTag = 0, StopTag = 1;

    private readonly NetRingArea _ring;
    private readonly IGuestMemoryAccess _buffers;
    private readonly TapDevice?[] _nics;
    private readonly NetRingOptions _options;
    private readonly Epoll _epoll = new();
    private readonly EventSignal _kick = new();
    private readonly EventSignal _stop = new();
    private Thread? _thread;
    // Held while entries are consumed: the I/O thread and a kick served on the vCPU's thread
    // (KickFromVcpu) never consume at the same time; the lock also orders the index fields below.
    private readonly object _serviceLock = new();
    private volatile bool _stopping;
    private volatile bool _failed;
    private NetRingFault? _fault;

    // The tender's own indices: only these are trusted. The ring's copies are written for the
    // guest and never read back (a guest that scribbles on them only confuses itself).
    private uint _entHead;
    private uint _comTail;

    private long _entries, _txFrames, _txBytes, _rxFrames, _rxBytes, _rxAgain, _rejected, _batches, _kicks, _sleeps;

    /// <summary>
    /// An engine for the ring at ring, serving the NICs of nicsByHandle (index = manifest handle;
    /// null where the handle is not an attached NET_BASIC device). Zeroes the ring and sets
    /// <c>needs_kick</c>: until the guest's first kick the I/O thread sleeps and costs nothing, and
    /// a guest that never uses the ring never wakes it. Call <see cref="Start"/> before the guest runs.
    /// </summary>
    public NetRingService(NetRingArea ring, IGuestMemoryAccess buffers, IReadOnlyList<TapDevice?> nicsByHandle, NetRingOptions? options = null)
    {
        if (nicsByHandle.Count > DevicePoller.MaxHandles)
            throw new ArgumentException($"at most {DevicePoller.MaxHandles} handles", nameof(nicsByHandle));
        _ring = ring;
        _buffers = buffers;
        _nics = [.. nicsByHandle];
        _options = options ?? new NetRingOptions();
        if (_options.PollIterations < 0) throw new ArgumentOutOfRangeException(nameof(options), "poll iterations must not be negative");
        _ring.Clear();
        Volatile.Write(ref _ring.Word(HvtRingLayout.NeedsKickOffset), 1);
        _epoll.Add(_kick.Descriptor, KickTag);
        _epoll.Add(_stop.Descriptor, StopTag);
    }

    /// <summary>The fault that stopped the engine, or null.</summary>
    public NetRingFault? Fault => Volatile.Read(ref _fault);

    /// <summary>Raised once, on the I/O thread, when the engine stops on a fault.</summary>
    public event Action<NetRingFault>? Faulted;

    /// <summary>Called on the I/O thread after every pass that consumed entries.</summary>
    public Action<NetRingBatch>? Trace { get; set; }

    public NetRingStatistics Statistics => new(
        Interlocked.Read(ref _entries), Interlocked.Read(ref _txFrames), Interlocked.Read(ref _txBytes),
        Interlocked.Read(ref _rxFrames), Interlocked.Read(ref _rxBytes), Interlocked.Read(ref _rxAgain),
        Interlocked.Read(ref _rejected), Interlocked.Read(ref _batches), Interlocked.Read(ref _kicks), Interlocked.Read(ref _sleeps));

    /// <summary>Starts the I/O thread (asleep until the first kick). Once.</summary>
    public void Start()
    {
        if (!_options.StartThread) throw new InvalidOperationException("this engine is driven by ServiceOnce");
        if (_thread is not null) throw new InvalidOperationException("already started");
        _thread = new Thread(IoThread) { IsBackground = true, Name = "net ring I/O" };
        _thread.Start();
    }

    /// <summary>Wakes the I/O thread (it then consumes what is pending). Any thread.</summary>
    public void Kick() => _kick.Set();

    /// <summary>
    /// A guest kick that exited to the tender, on the vCPU's thread: serves the pending entries
    /// right here unless the I/O thread is at it, then wakes the thread for what follows. Waking a
    /// sleeping thread on another CPU can take milliseconds on a nested host (its CPU is idle in
    /// the outer hypervisor); the exit the guest already paid for costs microseconds. Returns the
    /// entries served here.
    /// </summary>
    public int KickFromVcpu()
    {
        int served = 0;
        if (Monitor.TryEnter(_serviceLock))
        {
            try
            {
                if (!_failed) served = ProcessPending();
            }
            finally
            {
                Monitor.Exit(_serviceLock);
            }
        }
        Kick();
        return served;
    }

    /// <summary>
    /// Consumes every pending entry once, on the caller's thread (engines made with
    /// <see cref="NetRingOptions.StartThread"/> false). Returns the entries consumed.
    /// </summary>
    public int ServiceOnce()
    {
        if (_options.StartThread) throw new InvalidOperationException("the I/O thread services this ring");
        Interlocked.Add(ref _kicks, (long)_kick.ConsumeCount());
        lock (_serviceLock) return _failed ? 0 : ProcessPending();
    }

    /// <summary>Stops and joins the I/O thread. Idempotent.</summary>
    public void Stop()
    {
        _stopping = true;
        _stop.Set();
        _thread?.Join();
    }

    /// <summary>
    /// Stops the I/O thread, then consumes on the caller's thread whatever the guest published and
    /// the thread had not reached. For a guest that halts: frames it queued just before HALT (its
    /// last reply, say) still go out, instead of being lost with the ring. Returns the entries
    /// consumed (0 after a fault). Call once the vCPU has stopped; the service is stopped afterwards.
    /// </summary>
    public int Finish()
    {
        Stop();
        Interlocked.Add(ref _kicks, (long)_kick.ConsumeCount());
        lock (_serviceLock) return _failed ? 0 : ProcessPending();
    }

    private void IoThread()
    {
        try
        {
            Span<ulong> tags = stackalloc ulong[2];
            ref uint entTail = ref _ring.Word(HvtRingLayout.EntTailOffset);
            ref uint needsKick = ref _ring.Word(HvtRingLayout.NeedsKickOffset);
            bool spin = false; // needs_kick starts at 1: go straight to the sleep check
            while (!_stopping && !_failed)
            {
                bool found = false;
                if (spin)
                {
                    for (int i = 0; i < _options.PollIterations; i++)
                    {
                        if (Volatile.Read(ref entTail) != _entHead) { found = true; break; }
                        if (_stopping) break;
                        Pause();
                    }
                }
                if (!found)
                {
                    // Store needs_kick, full barrier, load ent_tail: the guest does store ent_tail,
                    // full barrier, load needs_kick. With both barriers at least one side sees the
                    // other's store, so either we see its entry here and stay awake, or it sees
                    // needs_kick = 1 and kicks (and the eventfd keeps that kick until we read it,
                    // even if it comes before we reach epoll_wait). docs/ring-io.md, "Memory ordering".
                    Volatile.Write(ref needsKick, 1);
                    Interlocked.MemoryBarrier();
                    if (Volatile.Read(ref entTail) == _entHead)
                    {
                        Interlocked.Increment(ref _sleeps);
                        _epoll.Wait(tags, null);
                        Interlocked.Add(ref _kicks, (long)_kick.ConsumeCount());
                        if (_stopping) break;
                    }
                    Volatile.Write(ref needsKick, 0);
                }
                spin = true;
                lock (_serviceLock) ProcessPending();
            }
        }
        catch (Exception e)
        {
            Fail($"net ring I/O thread failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private static void Pause()
    {
        if (X86Base.IsSupported) X86Base.Pause();
        else Thread.SpinWait(1);
    }

    /// <summary>
    /// Consumes the entries in [ent_head, ent_tail) in order. Runs of NET_WRITE are published
    /// together (one ent_head store); a NET_READ first publishes the writes before it, then its
    /// commit (com_tail), then itself (ent_head), as solo5-hvt does.
    /// </summary>
    private int ProcessPending()
    {
        // Acquire: the entries the guest wrote before it published ent_tail are visible below.
        uint tail = Volatile.Read(ref _ring.Word(HvtRingLayout.EntTailOffset));
        uint pending = tail - _entHead;
        if (pending == 0) return 0;
        if (pending > HvtRingLayout.Entries)
        {
            Fail($"net ring at 0x{_ring.GuestAddress:x} is corrupt: ent_tail {tail} is {pending} entries ahead of the tender's ent_head {_entHead}, more than the ring's {HvtRingLayout.Entries}");
            return 0;
        }

        var batch = new BatchCounts();
        // NICs whose TAP was found empty in this pass: their further NET_READs in the same pass are
        // committed AGAIN without another read(2). A guest asks for a whole batch at once (32 reads
        // for one frame, say); the answer for the rest could not be much different a microsecond
        // later, and each saved syscall is I/O-thread time the guest spends spinning for commits.
        ulong emptyNics = 0;
        uint head = _entHead;
        bool unpublished = false;
        while (head != tail)
        {
            int at = HvtRingLayout.EntryOffset(head);
            // Each field read once: checks and use see the same values.
            uint operation = Volatile.Read(ref _ring.Word(at + HvtRingLayout.EntryOperation));
            uint handle = Volatile.Read(ref _ring.Word(at + HvtRingLayout.EntryHandle));
            ulong data = Volatile.Read(ref _ring.Quad(at + HvtRingLayout.EntryData));
            uint length = Volatile.Read(ref _ring.Word(at + HvtRingLayout.EntryLength));
            uint id = Volatile.Read(ref _ring.Word(at + HvtRingLayout.EntryId));
            if (operation == HvtRingLayout.NetRead)
            {
                if (unpublished)
                {
                    Volatile.Write(ref _ring.Word(HvtRingLayout.EntHeadOffset), head);
                    unpublished = false;
                }
                if (!Read(handle, data, length, id, ref batch, ref emptyNics)) break;
                head++;
                // Release: the commit's fields are visible before the guest sees com_tail move.
                Volatile.Write(ref _ring.Word(HvtRingLayout.ComTailOffset), ++_comTail);
                Volatile.Write(ref _ring.Word(HvtRingLayout.EntHeadOffset), head);
            }
            else
            {
                if (operation == HvtRingLayout.NetWrite)
                {
                    if (!Write(handle, data, length, id, ref batch)) break;
                }
                else
                {
                    batch.Reject($"entry {id}: unknown operation {operation} (1 = NET_WRITE, 2 = NET_READ), skipped");
                }
                head++;
                unpublished = true;
            }
            batch.Entries++;
        }
        // Release: the TAP has taken the frames, so the guest may reuse their buffers.
        if (unpublished) Volatile.Write(ref _ring.Word(HvtRingLayout.EntHeadOffset), head);
        _entHead = head;
        Account(batch);
        return batch.Entries;
    }

    private TapDevice? Nic(uint handle) => handle < (uint)_nics.Length ? _nics[handle] : null;

    /// <summary>A NET_WRITE entry; false if it ended the engine.</summary>
    private bool Write(uint handle, ulong data, uint length, uint id, ref BatchCounts batch)
    {
        var nic = Nic(handle);
        if (nic is null)
        {
            batch.Reject($"NET_WRITE entry {id}: handle {handle} is not an attached NET_BASIC device, skipped");
            return true;
        }
        if (!_buffers.TryGetSpan(data, length, GuestAccess.Read, out var frame, out var why))
        {
            Fail($"net ring NET_WRITE entry {id} (handle {handle}): buffer [0x{data:x}, +{length}): {why}");
            return false;
        }
        var result = nic.Write(frame);
        if (result == DeviceResult.Ok)
        {
            batch.Writes++;
            batch.WriteBytes += length;
        }
        else
        {
            batch.Reject(result == DeviceResult.InvalidArgument
                ? $"NET_WRITE entry {id}: frame of {length} bytes is outside {TapDevice.EthernetHeaderLength}..{nic.MaxFrameSize} (MTU {nic.Mtu} + Ethernet header), dropped"
                : $"NET_WRITE entry {id}: the TAP {nic.InterfaceName} did not take the frame ({result}), dropped");
        }
        return true;
    }

    /// <summary>A NET_READ entry: fills its commit; false if it ended the engine.</summary>
    private bool Read(uint handle, ulong data, uint length, uint id, ref BatchCounts batch, ref ulong emptyNics)
    {
        int at = HvtRingLayout.CommitOffset(_comTail);
        int result;
        uint received = 0;
        var nic = Nic(handle);
        if (nic is null)
        {
            result = (int)DeviceResult.InvalidArgument;
            batch.Reject($"NET_READ entry {id}: handle {handle} is not an attached NET_BASIC device, committed EINVAL");
        }
        else if (!_buffers.TryGetSpan(data, length, GuestAccess.Write, out var buffer, out var why))
        {
            Fail($"net ring NET_READ entry {id} (handle {handle}): buffer [0x{data:x}, +{length}): {why}");
            return false;
        }
        else if (handle < 64 && (emptyNics & (1UL << (int)handle)) != 0 && length >= nic.MaxFrameSize)
        {
            result = (int)DeviceResult.Again;
            batch.ReadsAgain++;
        }
        else
        {
            var r = nic.Read(buffer, out int n);
            if (r == DeviceResult.Again && handle < 64) emptyNics |= 1UL << (int)handle;
            result = (int)r;
            switch (r)
            {
                case DeviceResult.Ok:
                    received = (uint)n;
                    batch.ReadFrames++;
                    batch.ReadBytes += n;
                    break;
                case DeviceResult.Again:
                    batch.ReadsAgain++;
                    break;
                case DeviceResult.InvalidArgument:
                    batch.Reject($"NET_READ entry {id}: buffer of {length} bytes is smaller than the largest frame ({nic.MaxFrameSize}), committed EINVAL");
                    break;
                default:
                    batch.Reject($"NET_READ entry {id}: reading the TAP {nic.InterfaceName} failed, committed EUNSPEC");
                    break;
            }
        }
        batch.Reads++;
        _ring.Word(at + HvtRingLayout.CommitId) = id;
        _ring.Word(at + HvtRingLayout.CommitResult) = (uint)result;
        _ring.Word(at + HvtRingLayout.CommitLength) = received;
        return true;
    }

    private void Account(in BatchCounts b)
    {
        if (b.Entries == 0) return;
        Interlocked.Add(ref _entries, b.Entries);
        Interlocked.Add(ref _txFrames, b.Writes);
        Interlocked.Add(ref _txBytes, b.WriteBytes);
        Interlocked.Add(ref _rxFrames, b.ReadFrames);
        Interlocked.Add(ref _rxBytes, b.ReadBytes);
        Interlocked.Add(ref _rxAgain, b.ReadsAgain);
        Interlocked.Add(ref _rejected, b.Rejected);
        Interlocked.Increment(ref _batches);
        Trace?.Invoke(new NetRingBatch(b.Entries, b.Writes, b.WriteBytes, b.Reads, b.ReadFrames, b.ReadBytes, b.ReadsAgain, b.Rejected, b.FirstRejection));
    }

    private void Fail(string message)
    {
        _failed = true;
        var fault = new NetRingFault(message);
        if (Interlocked.CompareExchange(ref _fault, fault, null) is not null) return;
        try
        {
            Faulted?.Invoke(fault);
        }
        catch (Exception e)
        {
            // The handler is the tender's; its failure must not take the I/O thread down silently.
            Volatile.Write(ref _fault, new NetRingFault($"{message}; the fault handler failed: {e.Message}"));
        }
    }

    public void Dispose()
    {
        Stop();
        _epoll.Dispose();
        _kick.Dispose();
        _stop.Dispose();
    }

    private struct BatchCounts
    {
        public int Entries, Writes, Reads, ReadFrames, ReadsAgain, Rejected;
        public long WriteBytes, ReadBytes;
        public string? FirstRejection;

        public void Reject(string why)
        {
            Rejected++;
            FirstRejection ??= why;
        }
    }
}
