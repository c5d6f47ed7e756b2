using System.Buffers.Binary;
using System.Diagnostics;
using Tender.Boot;
using Tender.Diagnostics;
using Tender.Kvm;
using Tender.Run;

namespace Tender.Hypercalls;

/// <summary>
/// Services Solo5 hvt hypercalls. The guest is hostile: every pointer and length it passes is
/// checked against the guest's own access rights (<see cref="GuestAccessMap"/>) and against guest
/// memory before it is used, and a bad one ends the guest with a report naming the hypercall and
/// the field. Each argument is read once, so a guest cannot change it between check and use
/// (there is one vCPU, stopped while the tender handles the exit).
/// </summary>
internal sealed class HypercallHandler
{
    private readonly GuestMemory _ram;
    private readonly GuestAccessMap _access;
    private readonly Stream _console;
    private readonly StopController _stop;
    private readonly HypercallTracer? _tracer;
    private bool _warnedNoDevices;

    public HypercallHandler(GuestMemory ram, GuestAccessMap access, Stream console, StopController stop, HypercallTracer? tracer)
    {
        _ram = ram;
        _access = access;
        _console = console;
        _stop = stop;
        _tracer = tracer;
    }

    /// <summary>
    /// Handles hypercall <paramref name="n"/> with its argument struct at <paramref name="argument"/>.
    /// Returns null to resume the guest, or how the run ends (HALT).
    /// </summary>
    public RunOutcome? Handle(int n, uint argument)
    {
        int size = HvtAbi.StructSize(n);
        if (size == 0)
            throw new GuestCrashException($"invalid hypercall: port 0x{HvtAbi.PortBase + n:x} is not a hypercall (hvt ABI v2 has 1..8)");
        var args = Struct(n, argument, size);

        long started = _tracer is null ? 0 : Stopwatch.GetTimestamp();
        var trace = new TraceRecord { Number = n, Argument = argument };
        RunOutcome? outcome = n switch
        {
            HvtAbi.Walltime => Walltime(args, ref trace),
            HvtAbi.Puts => Puts(args, ref trace),
            HvtAbi.Poll => Poll(args, ref trace),
            HvtAbi.Halt => Halt(args, ref trace),
            _ => NoDevice(n, args, ref trace),
        };
        _tracer?.Record(in trace, started);
        return outcome;
    }

    /// <summary>The argument struct: must be readable and writable guest memory (every struct has
    /// an output field or is only read).</summary>
    private Span<byte> Struct(int n, uint address, int size)
    {
        bool hasOutput = n != HvtAbi.Puts && n != HvtAbi.Halt;
        string? error = hasOutput ? _access.CheckWrite(address, (ulong)size) : _access.CheckRead(address, (ulong)size);
        if (error is not null) throw Bad(n, "argument struct", $"at 0x{address:x}: {error}");
        return _ram.GetSpan(address, (ulong)size);
    }

    private RunOutcome? Walltime(Span<byte> args, ref TraceRecord trace)
    {
        ulong nanoseconds = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        BinaryPrimitives.WriteUInt64LittleEndian(args, nanoseconds);
        trace.A0 = nanoseconds;
        return null;
    }

    private RunOutcome? Puts(Span<byte> args, ref TraceRecord trace)
    {
        ulong data = BinaryPrimitives.ReadUInt64LittleEndian(args);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(args[8..]);
        trace.A0 = data;
        trace.A1 = length;
        string? error = _access.CheckRead(data, length);
        if (error is not null) throw Bad(HvtAbi.Puts, "data/len", error);
        if (length != 0) _console.Write(_ram.GetSpan(data, length));
        return null;
    }

    private RunOutcome? Poll(Span<byte> args, ref TraceRecord trace)
    {
        ulong timeout = BinaryPrimitives.ReadUInt64LittleEndian(args);
        trace.A0 = timeout;
        // No devices yet: nothing can become ready, so POLL is a sleep that a stop request cuts short.
        _stop.Sleep(timeout);
        BinaryPrimitives.WriteUInt64LittleEndian(args[8..], 0); // ready_set
        BinaryPrimitives.WriteInt32LittleEndian(args[16..], 0);  // ret: 0 = timed out, nothing ready
        trace.Result = 0;
        return null;
    }

    private RunOutcome? Halt(Span<byte> args, ref TraceRecord trace)
    {
        ulong cookie = BinaryPrimitives.ReadUInt64LittleEndian(args);
        int status = BinaryPrimitives.ReadInt32LittleEndian(args[8..]);
        trace.A0 = cookie;
        trace.A1 = (ulong)(long)status;
        if (cookie == 0) return RunOutcome.Halted(status & 0xFF);
        return RunOutcome.Aborted(ReadAbortMessage(cookie));
    }

    /// <summary>The NUL-terminated message at the cookie, at most 512 bytes and only as far as the
    /// guest itself could read; null if not even its first byte is readable.</summary>
    private string? ReadAbortMessage(ulong cookie)
    {
        ulong readable = HvtAbi.HaltCookieMax;
        if (_access.CheckRead(cookie, readable) is not null)
        {
            // The message may end before an unmapped page: try up to the end of its first page.
            readable = Math.Min(readable, 4096 - (cookie & 4095));
            if (_access.CheckRead(cookie, readable) is not null) return null;
        }
        if (!_ram.TryReadCString(cookie, (int)readable, out var text)) return null;
        return System.Text.Encoding.UTF8.GetString(text);
    }

    private RunOutcome? NoDevice(int n, Span<byte> args, ref TraceRecord trace)
    {
        // No block or network devices exist yet, so every handle is invalid: the guest gets
        // SOLO5_R_EINVAL, as solo5-hvt answers a handle it does not know.
        ulong handle = BinaryPrimitives.ReadUInt64LittleEndian(args);
        trace.A0 = handle;
        int retOffset = n is HvtAbi.BlockWrite or HvtAbi.BlockRead ? 32 : 24;
        BinaryPrimitives.WriteInt32LittleEndian(args[retOffset..], HvtAbi.ResultInvalid);
        trace.Result = HvtAbi.ResultInvalid;
        if (!_warnedNoDevices)
        {
            _warnedNoDevices = true;
            Serilog.Log.Warning("guest called {Hypercall} with handle {Handle}, but it has no such device: answered SOLO5_R_EINVAL", HvtAbi.Name(n), handle);
        }
        return null;
    }

    private static GuestCrashException Bad(int n, string field, string reason) =>
        new($"invalid hypercall argument: {HvtAbi.Name(n)} {field}: {reason}");
}
