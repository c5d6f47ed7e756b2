using System.Net;
using System.Net.Sockets;
using Tender.Gdb;

namespace Tender.Debugging;

/// <summary>
/// `--gdb`: the gdb stub. Listens on one address (127.0.0.1 unless another is given), accepts one
/// gdb at set-up — the guest waits before its first instruction — and serves the GDB remote
/// protocol (Tender.Gdb's <see cref="GdbSession"/>) at every stop; between stops a watcher thread
/// waits for gdb's Ctrl-C and interrupts the guest.
/// </summary>
internal sealed class GdbDebugger : IGuestDebugger, IGdbTarget
{
    private readonly GuestDebugAccess _access;
    private readonly Socket _socket;
    private readonly GdbSession _session;
    private volatile bool _running;
    private volatile bool _disposed;
    private readonly object _sessionGate = new();
    /// <summary>The vCPU thread is inside the session, serving gdb at a stop.</summary>
    private bool _serving;
    /// <summary>The run is being stopped (<see cref="EndSession"/>): no stop is served any more.</summary>
    private bool _ending;
    private Thread? _watcher;
    private ulong[] _debugRegisters = [];
    private PageWatch[] _pageWatches = [];

    private GdbDebugger(GuestDebugAccess access, Stream connection, Socket socket)
    {
        _access = access;
        _socket = socket;
        _session = new GdbSession(connection, this, message => Serilog.Log.Debug("gdb: {Message}", message));
    }

    /// <summary>The connected socket's descriptor, for the sandbox's rules.</summary>
    public int SocketFd => (int)_socket.Handle;

    /// <summary>
    /// Waits for gdb; null when the run is stopped first (--timeout, a signal): <paramref name="onStop"/>
    /// registers an action a stop request calls, here closing the listening socket.
    /// </summary>
    public static GdbDebugger? Listen(IPEndPoint endpoint, GuestDebugAccess access, Func<Action, IDisposable> onStop)
    {
        Console.Error.WriteLine($"tender: waiting for gdb on {endpoint} (gdb app.elf -ex 'target remote {endpoint}')");
        Stream connection;
        Socket socket;
        Socket listener;
        try
        {
            listener = GdbServer.Listen(endpoint);
        }
        catch (SocketException e)
        {
            throw new TenderException($"--gdb: listening on {endpoint}: {e.Message}");
        }
        bool stopped = false;
        using (listener)
        using (onStop(() => { stopped = true; listener.Dispose(); }))
        {
            try
            {
                connection = GdbServer.Accept(listener, out socket);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (Volatile.Read(ref stopped)) return null;
                throw new TenderException($"--gdb: accepting on {endpoint}: {e.Message}");
            }
        }
        Serilog.Log.Information("gdb connected from {Peer}", socket.RemoteEndPoint);
        return new GdbDebugger(access, connection, socket);
    }

    public DebugResumeKind OnStop(GuestStop stop)
    {
        _running = false;
        var ev = stop.Kind switch
        {
            GuestStopKind.Initial => new StopEvent(StopReason.Initial, 5),
            // An int3 gdb did not write is the guest's own: a plain SIGTRAP.
            GuestStopKind.Breakpoint when !_session.HasSoftwareBreakpointAt(_access.ReadRegisters().Rip) => new StopEvent(StopReason.Signal, 5),
            // gdb's hbreak served by a trap byte (no debug registers): reported as what gdb asked for.
            GuestStopKind.Breakpoint when _session.IsExecuteBreakpointInSoftwareAt(_access.ReadRegisters().Rip) => new StopEvent(StopReason.HardwareBreakpoint, 5),
            GuestStopKind.Breakpoint => new StopEvent(StopReason.Breakpoint, 5),
            GuestStopKind.SingleStep => new StopEvent(StopReason.SingleStep, 5),
            GuestStopKind.HardwareBreakpoint when stop.WatchAddress is ulong watched => new StopEvent(StopReason.Watchpoint, 5, watched),
            GuestStopKind.HardwareBreakpoint when IsWatch(stop.Slot) => new StopEvent(StopReason.Watchpoint, 5, _debugRegisters[stop.Slot]),
            GuestStopKind.HardwareBreakpoint => new StopEvent(StopReason.HardwareBreakpoint, 5),
            GuestStopKind.Interrupt => new StopEvent(StopReason.Interrupt, 2),
            GuestStopKind.StepRefused => new StopEvent(StopReason.Signal, stop.Signal, Message: stop.Message),
            _ => new StopEvent(StopReason.Signal, stop.Signal),
        };
        lock (_sessionGate)
        {
            // The run is ending: gdb is not asked; the run loop ends the run and OnExit tells gdb,
            // which waits for this stop.
            if (_ending) return DebugResumeKind.Continue;
            _serving = true;
        }
        Resume resume;
        try
        {
            resume = _session.Stopped(ev);
        }
        finally
        {
            lock (_sessionGate) _serving = false;
        }
        _running = true;
        return resume.Kind switch
        {
            ResumeKind.Step => DebugResumeKind.Step,
            ResumeKind.Kill => DebugResumeKind.Kill,
            ResumeKind.Detach => DebugResumeKind.Detach,
            _ => DebugResumeKind.Continue,
        };
    }

    public void EndSession()
    {
        lock (_sessionGate)
        {
            _ending = true;
            if (!_serving) return;
            // gdb holds the guest stopped and the session waits for its next packet: closing the
            // connection both wakes the session (a closed client is a detach: the int3s come out)
            // and tells gdb the target is gone. Shutdown rather than close: the session's reader
            // thread still reads this socket until Dispose.
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Serilog.Log.Debug("gdb: shutting the connection down: {Message}", e.Message);
            }
        }
    }

    public void OnExit(int exitCode)
    {
        _running = false;
        _session.Exited(exitCode);
    }

    public ReadOnlySpan<ulong> DebugRegisters => _debugRegisters;

    public IReadOnlyList<PageWatch> PageWatches => _pageWatches;

    /// <summary>Whether debug register <paramref name="slot"/> watches data (DR7's R/W bits not 00, execution).</summary>
    private bool IsWatch(int slot) => slot is >= 0 and < 4 && _debugRegisters.Length == 5 && ((_debugRegisters[4] >> (16 + 4 * slot)) & 3) != 0;

    public bool OwnsBreakpointAt(ulong address) => _session.HasSoftwareBreakpointAt(address);

    public int ReadProgramMemory(ulong address, Span<byte> into) => _session.ReadOriginalMemory(address, into);

    public void WatchForInterrupts(Action interrupt)
    {
        // The session reads the connection on a thread of its own; this one only waits for it to
        // see gdb's Ctrl-C (or the client leaving) while the guest runs, and kicks the vCPU.
        _watcher = new Thread(() =>
        {
            while (!_disposed)
            {
                if (!_running) { Thread.Sleep(20); continue; }
                if (_session.WaitForInterrupt(100) && _running) interrupt();
            }
        })
        { IsBackground = true, Name = "gdb interrupt watcher" };
        _watcher.Start();
    }

    // --- IGdbTarget: the stopped guest, through GuestDebugAccess.
    public GdbRegisters ReadRegisters()
    {
        var r = _access.ReadRegisters();
        var s = _access.ReadSpecialRegisters();
        return new GdbRegisters
        {
            Rax = r.Rax, Rbx = r.Rbx, Rcx = r.Rcx, Rdx = r.Rdx, Rsi = r.Rsi, Rdi = r.Rdi, Rbp = r.Rbp, Rsp = r.Rsp,
            R8 = r.R8, R9 = r.R9, R10 = r.R10, R11 = r.R11, R12 = r.R12, R13 = r.R13, R14 = r.R14, R15 = r.R15,
            Rip = r.Rip, Eflags = (uint)r.Rflags,
            Cs = s.Cs.Selector, Ss = s.Ss.Selector, Ds = s.Ds.Selector, Es = s.Es.Selector, Fs = s.Fs.Selector, Gs = s.Gs.Selector,
            FsBase = s.Fs.Base, GsBase = s.Gs.Base,
        };
    }

    public void WriteRegisters(in GdbRegisters g)
    {
        var r = _access.ReadRegisters();
        r.Rax = g.Rax; r.Rbx = g.Rbx; r.Rcx = g.Rcx; r.Rdx = g.Rdx; r.Rsi = g.Rsi; r.Rdi = g.Rdi; r.Rbp = g.Rbp; r.Rsp = g.Rsp;
        r.R8 = g.R8; r.R9 = g.R9; r.R10 = g.R10; r.R11 = g.R11; r.R12 = g.R12; r.R13 = g.R13; r.R14 = g.R14; r.R15 = g.R15;
        r.Rip = g.Rip;
        // Only the arithmetic and control flags the guest could set itself: never IOPL, VM or the like.
        const ulong UserFlags = 0x0CD5 | (1UL << 8) | (1UL << 18) | (1UL << 21);
        r.Rflags = (r.Rflags & ~UserFlags) | (g.Eflags & UserFlags);
        _access.WriteRegisters(r);
    }

    public int ReadMemory(ulong address, Span<byte> into) => _access.ReadMemory(address, into);

    public int WriteMemory(ulong address, ReadOnlySpan<byte> from) => _access.WriteMemory(address, from);

    public int HardwareSlots => 4;

    public byte SoftwareBreakpointInstruction => _access.BreakpointInstruction;

    /// <summary>No working debug registers (KVM on a nested PVM host): gdb's hbreak is a software breakpoint.</summary>
    public bool ExecuteBreakpointsInSoftware => !_access.HasDebugRegisters;

    public bool SetHardwareBreakpoints(IReadOnlyList<(ulong Address, WatchKind Kind, int Length)> set)
    {
        if (set.Count > 4) return false;
        if (set.Count == 0) { _debugRegisters = []; _pageWatches = []; return true; }
        if (!_access.HasDebugRegisters)
        {
            // No debug registers (KVM on a nested PVM host): accesses are caught by protecting
            // the watched pages on the host (the run loop's PageWatcher); execute breakpoints
            // never come here (ExecuteBreakpointsInSoftware).
            if (set.Any(w => w.Kind == WatchKind.Execute)) return false;
            if (_access.PageWatchRefusal is string why)
            {
                Serilog.Log.Warning("gdb: watchpoint refused: {Why}", why);
                return false;
            }
            _pageWatches = set.Select(w => new PageWatch(w.Address, w.Length,
                OnRead: w.Kind is WatchKind.Read or WatchKind.Access, OnWrite: w.Kind is WatchKind.Write or WatchKind.Access)).ToArray();
            return true;
        }
        var dr = new ulong[5];
        ulong dr7 = 0;
        for (int i = 0; i < set.Count; i++)
        {
            var (address, kind, length) = set[i];
            ulong rw = kind switch { WatchKind.Execute => 0, WatchKind.Write => 1, _ => 3 };
            ulong len = kind == WatchKind.Execute ? 0 : length switch { 1 => 0, 2 => 1, 4 => 3, 8 => 2, _ => ulong.MaxValue };
            if (len == ulong.MaxValue) return false;
            dr[i] = address;
            dr7 |= (1UL << (2 * i)) | (rw << (16 + 4 * i)) | (len << (18 + 4 * i));
        }
        dr[4] = dr7;
        _debugRegisters = dr;
        return true;
    }

    public void Dispose()
    {
        _disposed = true;
        _watcher?.Join();
        _session.Dispose();
        _socket.Dispose();
    }
}
