using System.Runtime.InteropServices;


namespace Tender.Run;

/// <summary>
/// Stops a running guest from outside the vCPU thread: SIGINT, SIGTERM and --timeout. The first
/// request wins and fixes the exit code; the vCPU is kicked out of KVM_RUN, a POLL sleep is cut
/// short, and a gdb session holding the stopped guest is ended.
///
/// A signal can arrive at any moment, including after the run ended on its own while the vCPU and
/// the poller are being torn down. So the vCPU and the wake-up action are held only for the scope
/// the caller gives them (<see cref="Attach"/> and <see cref="OnStop"/> return that scope), and
/// every use happens under one lock that the scope's end also takes: a late request never touches
/// a disposed object.
/// </summary>
internal sealed class StopController : IDisposable
{
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _stopped = new(false);
    private bool _disposed;
    private readonly List<IDisposable> _registrations = [];
    private IVcpu? _vcpu;
    private RunOutcome? _outcome;
    private Timer? _timer;
    private Action? _wakeSleepers;
    private Action? _endDebugSession;

    /// <summary>Why the run was stopped, or null while it was not.</summary>
    public RunOutcome? Outcome => Volatile.Read(ref _outcome);

    public void ListenForSignals()
    {
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true; // we stop the guest ourselves and exit with 130
            Request(new RunOutcome(RunOutcome.Sigint, "stopped by SIGINT"));
        }));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Request(new RunOutcome(RunOutcome.Sigterm, "stopped by SIGTERM"));
        }));
    }

    public void StartTimeout(TimeSpan timeout, string text)
    {
        _timer = new Timer(_ => Request(new RunOutcome(RunOutcome.Timeout, $"timed out: --timeout={text} expired, guest stopped")),
            null, timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Also called on a stop request, until the returned scope ends: ends a POLL sleep in the
    /// device poller. End the scope before disposing what <paramref name="wake"/> uses.
    /// </summary>
    public IDisposable OnStop(Action wake)
    {
        lock (_gate)
        {
            _wakeSleepers = wake;
            if (_outcome is not null) wake();
        }
        return new Scope(this, () => _wakeSleepers = null);
    }

    /// <summary>
    /// Called on a stop request (not on <see cref="Interrupt"/>), until the returned scope ends: ends
    /// the debugger's session, which may hold the vCPU thread serving gdb while the guest is
    /// stopped — the run loop then sees the request. End the scope before disposing the debugger.
    /// </summary>
    public IDisposable OnStopEndsDebugSession(Action end)
    {
        lock (_gate)
        {
            _endDebugSession = end;
            if (_outcome is not null) end();
        }
        return new Scope(this, () => _endDebugSession = null);
    }

    /// <summary>
    /// The vCPU to kick, until the returned scope ends (a request made before is applied at once).
    /// End the scope before disposing the vCPU.
    /// </summary>
    public IDisposable Attach(IVcpu vcpu)
    {
        lock (_gate)
        {
            _vcpu = vcpu;
            if (_outcome is not null) vcpu.Kick();
        }
        return new Scope(this, () => _vcpu = null);
    }

    public void Request(RunOutcome outcome)
    {
        lock (_gate)
        {
            if (_disposed || _outcome is not null) return; // the first request wins
            Volatile.Write(ref _outcome, outcome);
            _stopped.Set();
            _wakeSleepers?.Invoke();
            _endDebugSession?.Invoke();
            _vcpu?.Kick();
        }
    }

    /// <summary>
    /// Makes the vCPU thread return to the run loop's head soon without deciding the outcome (the
    /// net ring's I/O thread uses it so the loop ends the guest with the ring's fault report):
    /// ends a POLL wait and kicks the vCPU out of KVM_RUN. Any thread; nothing once the scopes ended.
    /// </summary>
    public void Interrupt()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _wakeSleepers?.Invoke();
            _vcpu?.Kick();
        }
    }

    private sealed class Scope(StopController owner, Action clear) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate) clear();
        }
    }

    /// <summary>Sleeps up to <paramref name="nanoseconds"/>, returning early if a stop is requested.</summary>
    public void Sleep(ulong nanoseconds)
    {
        // Waits take bounded time spans; wait in chunks against a monotonic deadline so any 64-bit
        // timeout works and an early wake-up never shortens the sleep.
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start);
            ulong elapsedNs = (ulong)elapsed.Ticks * 100;
            if (elapsedNs >= nanoseconds) return;
            ulong leftNs = nanoseconds - elapsedNs;
            var chunk = TimeSpan.FromTicks((long)Math.Min((leftNs + 99) / 100, (ulong)TimeSpan.FromDays(1).Ticks));
            if (_stopped.Wait(chunk)) return;
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        foreach (var registration in _registrations) registration.Dispose();
        lock (_gate)
        {
            // A signal handler already running may still call Request: it sees _disposed.
            _disposed = true;
            _vcpu = null;
            _wakeSleepers = null;
            _endDebugSession = null;
        }
        _stopped.Dispose();
    }
}
