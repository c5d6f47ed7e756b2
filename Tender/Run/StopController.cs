using System.Runtime.InteropServices;
using Tender.Kvm;

namespace Tender.Run;

/// <summary>
/// Stops a running guest from outside the vCPU thread: SIGINT, SIGTERM and --timeout. The first
/// request wins and fixes the exit code; the vCPU is kicked out of KVM_RUN and a POLL sleep is cut
/// short.
/// </summary>
internal sealed class StopController : IDisposable
{
    private readonly ManualResetEventSlim _stopped = new(false);
    private readonly List<IDisposable> _registrations = [];
    private Vcpu? _vcpu;
    private RunOutcome? _outcome;
    private Timer? _timer;
    private Action? _wakeSleepers;

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

    /// <summary>Also called on a stop request: ends a POLL sleep in the device poller.</summary>
    public void OnStop(Action wake)
    {
        Volatile.Write(ref _wakeSleepers, wake);
        if (Outcome is not null) wake();
    }

    /// <summary>The vCPU to kick once it exists (a request made before is applied at once).</summary>
    public void Attach(Vcpu vcpu)
    {
        Volatile.Write(ref _vcpu, vcpu);
        if (Outcome is not null) vcpu.Kick();
    }

    public void Request(RunOutcome outcome)
    {
        if (Interlocked.CompareExchange(ref _outcome, outcome, null) is not null) return;
        _stopped.Set();
        Volatile.Read(ref _wakeSleepers)?.Invoke();
        Volatile.Read(ref _vcpu)?.Kick();
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
        _stopped.Dispose();
    }
}
