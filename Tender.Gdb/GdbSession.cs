using System.Runtime.InteropServices;
using System.Text;

namespace Tender.Gdb;

/// <summary>
/// One debugger connection over a Stream (a NetworkStream in the tender, anything in tests): the
/// session's state between stops, and the loop that serves packets while the guest is stopped.
/// The commands are in GdbSession.Commands.cs and GdbSession.Queries.cs.
/// </summary>
public sealed partial class GdbSession : IDisposable
{
    private readonly PacketChannel channel;
    private readonly IGdbTarget target;
    private readonly Action<string>? log;
    private readonly Breakpoints breakpoints;
    private readonly List<byte> packet = [];
    private readonly List<byte> reply = [];

    private StopEvent lastStop = new(StopReason.Initial, 5);
    /// <summary>gdb resumed the guest and waits for a stop reply.</summary>
    private bool awaitingStop;
    /// <summary>Set once gdb killed or detached, or the client vanished: every later stop returns it.</summary>
    private Resume? ended;
    /// <summary>gdb said in qSupported that it understands these stop-reply reasons.</summary>
    private bool clientSwbreak, clientHwbreak;

    public GdbSession(Stream connection, IGdbTarget target, Action<string>? log = null)
    {
        this.target = target;
        this.log = log;
        breakpoints = new Breakpoints(target);
        channel = new PacketChannel(connection, log);
    }

    /// <summary>
    /// The guest has stopped (first call: <see cref="StopReason.Initial"/> before the first
    /// instruction): sends the stop reply when gdb is waiting for one, then serves packets until gdb
    /// resumes, kills or detaches, and returns that. A vanished client is a detach; on detach and
    /// kill the session's int3s and debug registers are already out of the guest.
    /// </summary>
    public Resume Stopped(StopEvent stop)
    {
        if (ended is Resume over) return over;
        channel.SetRunning(false);
        lastStop = stop;
        if (awaitingStop)
        {
            awaitingStop = false;
            if (stop.Message is string message) channel.Send(ConsoleOutput(message));
            channel.Send(StopReply(stop));
        }
        while (true)
        {
            switch (channel.Read(packet))
            {
                case Input.Closed:
                    log?.Invoke("gdb: the client closed the connection; detaching");
                    return End(new Resume(ResumeKind.Detach));
                case Input.Nack:
                    channel.Resend();
                    break;
                case Input.Interrupt:
                    break; // already stopped
                case Input.BadChecksum:
                    log?.Invoke("gdb: a packet with a bad checksum");
                    if (channel.NoAck) channel.Send("E01");
                    else channel.Ack(false);
                    break;
                case Input.Oversized:
                    log?.Invoke($"gdb: a packet over {PacketChannel.MaxPayload} bytes");
                    channel.Ack(true);
                    channel.Send("E01");
                    break;
                case Input.Packet:
                    channel.Ack(true);
                    if (Serve(CollectionsMarshal.AsSpan(packet)) is Resume go) return go;
                    break;
            }
        }
    }

    /// <summary>One packet: a reply, or the resume that ends this stop.</summary>
    private Resume? Serve(ReadOnlySpan<byte> command)
    {
        reply.Clear();
        var action = Handle(command);
        switch (action.Kind)
        {
            case Answer.Reply:
                channel.Send(CollectionsMarshal.AsSpan(reply));
                if (action.ThenNoAck) channel.NoAck = true;
                return null;
            case Answer.Resume:
                var go = action.Resume;
                if (go.Kind is ResumeKind.Kill or ResumeKind.Detach)
                {
                    if (reply.Count > 0) channel.Send(CollectionsMarshal.AsSpan(reply));
                    return End(go);
                }
                awaitingStop = true;
                channel.SetRunning(true);
                return go;
            default:
                return null;
        }
    }

    private Resume End(Resume how)
    {
        breakpoints.RemoveAll(log);
        ended = how;
        channel.SetRunning(false);
        return how;
    }

    /// <summary>
    /// While the guest runs: true once gdb sent Ctrl-C (or the client vanished, once, so that the
    /// tender stops the guest and the next <see cref="Stopped"/> takes the breakpoints out and
    /// returns Detach). Blocks up to <paramref name="timeoutMs"/>; false on timeout. Safe to call
    /// from a watcher thread.
    /// </summary>
    public bool WaitForInterrupt(int timeoutMs) => channel.WaitForInterrupt(timeoutMs);

    /// <summary>Whether this session has an int3 at <paramref name="address"/> (x86 reports RIP after
    /// the int3: the tender checks RIP - 1 and reports the breakpoint's address).</summary>
    public bool HasSoftwareBreakpointAt(ulong address) => breakpoints.HasSoftwareAt(address);

    /// <summary>Whether the trap byte at <paramref name="address"/> is a `Z1` the target serves in
    /// software (<see cref="IGdbTarget.ExecuteBreakpointsInSoftware"/>): its stop is a hwbreak.</summary>
    public bool IsExecuteBreakpointInSoftwareAt(ulong address) => breakpoints.IsExecuteBreakpointInSoftware(address);

    /// <summary>
    /// Guest memory as gdb sees it: the original bytes where this session's trap bytes are (for
    /// a target that must run or decode the instruction under a breakpoint). Bytes read.
    /// </summary>
    public int ReadOriginalMemory(ulong address, Span<byte> into)
    {
        int read = Math.Clamp(target.ReadMemory(address, into), 0, into.Length);
        breakpoints.HideInserted(address, into[..read]);
        return read;
    }

    /// <summary>The guest exited with <paramref name="status"/> while gdb waited: sends W and ends the session.</summary>
    public void Exited(int status) => Finish($"W{status & 0xFF:x2}");

    /// <summary>The guest was ended by a fault the tender does not stop on: sends X with the signal and ends the session.</summary>
    public void Terminated(int signal) => Finish($"X{signal & 0xFF:x2}");

    private void Finish(string text)
    {
        if (ended is not null) return;
        if (awaitingStop) channel.Send(text);
        awaitingStop = false;
        ended = new Resume(ResumeKind.Detach);
    }

    /// <summary>The stop reply for <paramref name="stop"/>: T, the signal, the reason when gdb understands it, the thread.</summary>
    internal string StopReply(StopEvent stop)
    {
        int signal = stop.Signal is > 0 and < 256 ? stop.Signal : stop.Reason switch
        {
            StopReason.Interrupt => 2,
            StopReason.Signal => 11,
            _ => 5,
        };
        var s = new StringBuilder($"T{signal:x2}");
        switch (stop.Reason)
        {
            case StopReason.Breakpoint when clientSwbreak:
                s.Append("swbreak:;");
                break;
            case StopReason.HardwareBreakpoint when clientHwbreak:
                s.Append("hwbreak:;");
                break;
            case StopReason.Watchpoint:
                string kind = stop.WatchKind switch
                {
                    "watch" or "rwatch" or "awatch" => stop.WatchKind,
                    _ => breakpoints.WatchAt(stop.WatchAddress) switch
                    {
                        WatchKind.Read => "rwatch",
                        WatchKind.Access => "awatch",
                        _ => "watch",
                    },
                };
                s.Append($"{kind}:{stop.WatchAddress:x};");
                break;
        }
        s.Append("thread:01;");
        return s.ToString();
    }

    /// <summary>An `O` packet: text for gdb's console, hex-encoded, sent while gdb waits for a stop reply.</summary>
    internal static string ConsoleOutput(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message.EndsWith('\n') ? message : message + "\n");
        // Bounded: the packet must fit the size we announced (hex doubles it).
        return "O" + Convert.ToHexStringLower(bytes, 0, Math.Min(bytes.Length, 4000));
    }

    public void Dispose() => channel.Dispose();

    /// <summary>What a packet leads to: a reply, the end of this stop, or nothing on the wire (k).</summary>
    private enum Answer { Reply, Resume, Silent }

    private readonly record struct Outcome(Answer Kind, Resume Resume = default, bool ThenNoAck = false);
}
