using System.Numerics;
using Tender.Host;

namespace Tender.Devices;

/// <summary>The outcome of one <see cref="DevicePoller.Poll"/>.</summary>
/// <param name="ReadySet">Bit i set if device handle i has input (Solo5's ready_set).</param>
/// <param name="Woken">True if <see cref="DevicePoller.Wake"/> ended (or pre-empted) the wait.</param>
public readonly record struct PollResult(ulong ReadySet, bool Woken)
{
    public bool TimedOut => ReadySet == 0 && !Woken;
    public int ReadyCount => BitOperations.PopCount(ReadySet);
}

/// <summary>
/// What POLL waits on: the input of every attached device (by its manifest handle, 0..63) and a
/// timeout in nanoseconds, at once. Another thread can end a wait early with <see cref="Wake"/>
/// (a signal, a timeout of the whole run); a wake that comes before the wait starts is kept, so
/// it is never lost. Poll is for one thread at a time; Wake is for any thread.
/// </summary>
public sealed class DevicePoller : IDisposable
{
    public const int MaxHandles = 64;
    private const ulong WakeTag = MaxHandles;

    private readonly Epoll _epoll = new();
    private readonly EventSignal _wake = new();
    private readonly FileDescriptor?[] _descriptors = new FileDescriptor?[MaxHandles];
    private readonly EventSignal?[] _signals = new EventSignal?[MaxHandles];

    public DevicePoller() => _epoll.Add(_wake.Descriptor, WakeTag);

    /// <summary>The handles currently watched, as a mask.</summary>
    public ulong Handles { get; private set; }

    /// <summary>Watches a device descriptor (a TAP's) for input under handle.</summary>
    public void Add(int handle, FileDescriptor descriptor)
    {
        CheckFree(handle);
        _epoll.Add(descriptor, (ulong)handle);
        _descriptors[handle] = descriptor;
        Handles |= 1UL << handle;
    }

    /// <summary>
    /// Watches a signal under handle (a ring NIC's "frames received" signal): reported once per
    /// setting, and consumed when reported.
    /// </summary>
    public void Add(int handle, EventSignal signal)
    {
        CheckFree(handle);
        _epoll.Add(signal.Descriptor, (ulong)handle);
        _signals[handle] = signal;
        Handles |= 1UL << handle;
    }

    public void Remove(int handle)
    {
        if ((uint)handle >= MaxHandles || (Handles & (1UL << handle)) == 0)
            throw new ArgumentException($"device handle {handle} is not watched", nameof(handle));
        _epoll.Remove(_descriptors[handle] ?? _signals[handle]!.Descriptor);
        _descriptors[handle] = null;
        _signals[handle] = null;
        Handles &= ~(1UL << handle);
    }

    private void CheckFree(int handle)
    {
        if ((uint)handle >= MaxHandles)
            throw new ArgumentOutOfRangeException(nameof(handle), $"device handle {handle} is not in 0..{MaxHandles - 1}");
        if ((Handles & (1UL << handle)) != 0)
            throw new ArgumentException($"device handle {handle} is already watched", nameof(handle));
    }

    /// <summary>
    /// Waits at most timeoutNanoseconds (0: just look) until a device has input or Wake is
    /// called. Devices with input when called are reported at once.
    /// </summary>
    public PollResult Poll(ulong timeoutNanoseconds)
    {
        Span<ulong> tags = stackalloc ulong[MaxHandles + 1];
        int n = _epoll.Wait(tags, timeoutNanoseconds);
        ulong ready = 0;
        bool woken = false;
        for (int i = 0; i < n; i++)
        {
            ulong tag = tags[i];
            if (tag == WakeTag)
            {
                woken |= _wake.Consume();
            }
            else if (tag < MaxHandles)
            {
                // A signal counts only if this poll consumed it (it is a one-shot notice).
                if (_signals[tag] is EventSignal signal && !signal.Consume()) continue;
                ready |= 1UL << (int)tag;
            }
        }
        return new PollResult(ready, woken);
    }

    /// <summary>Ends the current (or the next) Poll early. Safe from any thread.</summary>
    public void Wake() => _wake.Set();

    public void Dispose()
    {
        _epoll.Dispose();
        _wake.Dispose();
    }
}
