using Tender.Gdb;

namespace Tender.Gdb.Tests;

/// <summary>
/// Plays the tender around a session on its own thread: stops with Initial, then "runs" the fake
/// guest for each resume: a step moves RIP by one byte; a continue goes to the first armed debug
/// register write watch (storing to it), execute breakpoint or int3 of the session at or after RIP,
/// and otherwise runs until gdb's Ctrl-C (or exits with 0 after <see cref="RunLimit"/>).
/// </summary>
internal sealed class Runner : IDisposable
{
    public readonly FakeTarget Target = new();
    public readonly GdbSession Session;
    public readonly List<Resume> Resumes = [];
    public readonly List<string> Log = [];
    public Exception? Failure;
    public TimeSpan RunLimit = TimeSpan.FromSeconds(20);
    private readonly Thread thread;

    public Runner(Stream connection, Action<FakeTarget>? prepare = null)
    {
        prepare?.Invoke(Target);
        Session = new GdbSession(connection, Target, line => { lock (Log) Log.Add(line); });
        thread = new Thread(Loop) { IsBackground = true };
        thread.Start();
    }

    public Resume? Final { get; private set; }

    /// <summary>The fake guest is "running" (waiting for Ctrl-C).</summary>
    public volatile bool Running;

    private void Loop()
    {
        try
        {
            var stop = new StopEvent(StopReason.Initial, 5);
            while (true)
            {
                var resume = Session.Stopped(stop);
                lock (Resumes) Resumes.Add(resume);
                if (resume.Kind is ResumeKind.Kill or ResumeKind.Detach)
                {
                    Final = resume;
                    return;
                }
                StopEvent? next = Run(resume);
                if (next is null)
                {
                    Session.Exited(0);
                    Final = new Resume(ResumeKind.Detach);
                    return;
                }
                stop = next.Value;
            }
        }
        catch (Exception e)
        {
            Failure = e;
        }
    }

    private StopEvent? Run(Resume resume)
    {
        ref var r = ref Target.Registers;
        if (resume.Kind == ResumeKind.Step && Target.RefuseStep is string why)
            return new StopEvent(StopReason.Signal, 17, Message: why);
        if (resume.Kind == ResumeKind.Step)
        {
            r.Rip++;
            return new StopEvent(StopReason.SingleStep, 5);
        }
        foreach (var (address, kind, length) in Target.Hardware)
        {
            if (kind == WatchKind.Write)
            {
                Target.Memory[address - FakeTarget.Base]++;
                r.Rip += 3;
                return new StopEvent(StopReason.Watchpoint, 5, address);
            }
        }
        foreach (var (address, kind, _) in Target.Hardware)
        {
            if (kind == WatchKind.Execute && address > r.Rip)
            {
                r.Rip = address;
                return new StopEvent(StopReason.HardwareBreakpoint, 5);
            }
        }
        for (ulong a = r.Rip; FakeTarget.Mapped(a); a++)
        {
            if (Target.At(a) == 0xCC && Session.HasSoftwareBreakpointAt(a))
            {
                r.Rip = a;
                return new StopEvent(StopReason.Breakpoint, 5);
            }
        }
        Running = true;
        var until = DateTime.UtcNow + RunLimit;
        while (DateTime.UtcNow < until)
            if (Session.WaitForInterrupt(50))
            {
                Running = false;
                return new StopEvent(StopReason.Interrupt, 2);
            }
        return null;
    }

    public bool Join(TimeSpan timeout) => thread.Join(timeout);

    public void Dispose()
    {
        Session.Dispose();
        thread.Join(5000);
    }
}
