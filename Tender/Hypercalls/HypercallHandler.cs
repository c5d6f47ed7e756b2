using System.Diagnostics;
using System.Runtime.InteropServices;
using Solo5;
using Tender.Boot;
using Tender.Devices;
using Tender.Diagnostics;

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
    private readonly GuestDevices _devices;
    private readonly DevicePoller _poller;
    private readonly HypercallTracer? _tracer;
    private bool _consoleGone;

    private readonly HaltCookieReader _haltCookie;

    /// <param name="poller">POLL's wait set: the devices' descriptors; a stop request wakes it.</param>
    /// <param name="haltCookie">The boot mode's reading of a HALT cookie; null: a NUL-terminated message.</param>
    public HypercallHandler(GuestMemory ram, GuestAccessMap access, Stream console, GuestDevices devices, DevicePoller poller,
        HypercallTracer? tracer, HaltCookieReader? haltCookie = null)
    {
        _haltCookie = haltCookie ?? ReadMessage;
        _ram = ram;
        _access = access;
        _console = console;
        _devices = devices;
        _poller = poller;
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
            HvtAbi.BlockWrite => BlockWrite(args, ref trace),
            HvtAbi.BlockRead => BlockRead(args, ref trace),
            HvtAbi.NetWrite => NetWrite(args, ref trace),
            _ => NetRead(args, ref trace),
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

    /// <summary>
    /// The argument struct in guest memory, for writing one output field. Inputs are read once,
    /// as a copy (MemoryMarshal.Read), so a value the tender checked is the value it uses.
    /// </summary>
    private static ref T ArgsIn<T>(Span<byte> args) where T : struct => ref MemoryMarshal.AsRef<T>(args);

    private RunOutcome? Walltime(Span<byte> args, ref TraceRecord trace)
    {
        ulong nanoseconds = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        ArgsIn<HvtAbi.WalltimeArgs>(args).Nanoseconds = nanoseconds;
        trace.A0 = nanoseconds;
        return null;
    }

    private RunOutcome? Puts(Span<byte> args, ref TraceRecord trace)
    {
        var a = MemoryMarshal.Read<HvtAbi.PutsArgs>(args);
        ulong data = a.Data, length = a.Length;
        trace.A0 = data;
        trace.A1 = length;
        string? error = _access.CheckRead(data, length);
        if (error is not null) throw Bad(HvtAbi.Puts, "data/len", error);
        if (length == 0 || _consoleGone) return null;
        try
        {
            _console.Write(Buffer(data, length));
        }
        catch (IOException e)
        {
            // The reader of stdout went away (a closed pipe): the guest keeps running, as under
            // solo5-hvt, and its further output is dropped.
            _consoleGone = true;
            Serilog.Log.Warning("guest output dropped from now on: stdout: {Error}", e.Message);
        }
        return null;
    }

    private RunOutcome? Poll(Span<byte> args, ref TraceRecord trace)
    {
        ulong timeout = MemoryMarshal.Read<HvtAbi.PollArgs>(args).TimeoutNanoseconds;
        trace.A0 = timeout;
        // Sleeps until a network device has input or the timeout passes; a stop request (signal,
        // --timeout) wakes it early and the run loop then ends the guest.
        var result = _poller.Poll(timeout);
        ref var output = ref ArgsIn<HvtAbi.PollArgs>(args);
        output.ReadySet = result.ReadySet;
        output.Result = result.ReadyCount;
        trace.A1 = result.ReadySet;
        trace.Result = result.ReadyCount;
        return null;
    }

    /// <summary>The cookie of the HALT that ended the run (0: none).</summary>
    public ulong HaltCookie { get; private set; }

    private RunOutcome? Halt(Span<byte> args, ref TraceRecord trace)
    {
        var a = MemoryMarshal.Read<HvtAbi.HaltArgs>(args);
        ulong cookie = a.Cookie;
        int status = a.Status;
        trace.A0 = cookie;
        trace.A1 = (ulong)(long)status;
        HaltCookie = cookie;
        if (cookie == 0) return RunOutcome.Halted(status & 0xFF);
        return RunOutcome.Aborted(ReadAbortMessage(cookie));
    }

    /// <summary>What the boot mode makes of the bytes at the cookie: at most 512, and only as far
    /// as the guest itself could read; null if not even its first byte is readable.</summary>
    private string? ReadAbortMessage(ulong cookie)
    {
        ulong readable = HvtAbi.HaltCookieMax;
        if (_access.CheckRead(cookie, readable) is not null)
        {
            // The bytes may end before an unmapped page: take up to the end of the first page.
            readable = Math.Min(readable, 4096 - (cookie & 4095));
            if (_access.CheckRead(cookie, readable) is not null) return null;
        }
        return _ram.TryGetSpan(cookie, readable, out var bytes, out _) ? _haltCookie(bytes) : null;
    }

    /// <summary>The common reading of a cookie: a NUL-terminated UTF-8 message.</summary>
    private static string? ReadMessage(ReadOnlySpan<byte> bytes)
    {
        int nul = bytes.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(nul >= 0 ? bytes[..nul] : bytes);
    }

    // Block and network calls: a handle that is not such a device gets SOLO5_R_EINVAL, as from
    // solo5-hvt; a buffer the guest could not itself access ends the guest with a report.

    private RunOutcome? BlockWrite(Span<byte> args, ref TraceRecord trace) => BlockIo(args, ref trace, write: true);

    private RunOutcome? BlockRead(Span<byte> args, ref TraceRecord trace) => BlockIo(args, ref trace, write: false);

    /// <summary>BLKWRITE and BLKREAD share their argument layout and checks; only the direction differs.</summary>
    private RunOutcome? BlockIo(Span<byte> args, ref TraceRecord trace, bool write)
    {
        var a = MemoryMarshal.Read<HvtAbi.BlockArgs>(args);
        var (handle, offset, data, length) = (a.Handle, a.Offset, a.Data, a.Length);
        (trace.A0, trace.A1, trace.A2, trace.A3) = (handle, offset, data, length);
        var result = DeviceResult.InvalidArgument;
        // As solo5-hvt: the request is checked against the device first (EINVAL), and only a
        // request the device would serve has its buffer checked (a bad one ends the guest). The
        // guest must be able to read what the device writes out, and write what it reads in.
        if (_devices.Block(handle) is BlockDevice device && device.CheckRequest(offset, length) == DeviceResult.Ok)
        {
            string? error = write ? _access.CheckRead(data, length) : _access.CheckWrite(data, length);
            if (error is not null) throw Bad(write ? HvtAbi.BlockWrite : HvtAbi.BlockRead, "data/len", error);
            if (length <= int.MaxValue)
            {
                Span<byte> buffer = Buffer(data, length);
                result = write ? device.Write(offset, buffer) : device.Read(offset, buffer);
            }
        }
        ArgsIn<HvtAbi.BlockArgs>(args).Result = (int)result;
        trace.Result = (int)result;
        return null;
    }

    /// <summary>
    /// NETWRITE and NETREAD share their layout (handle, data, len, ret): reads the first three into
    /// the trace and returns the NIC behind the handle (null: not a NET_BASIC device).
    /// </summary>
    private TapDevice? NetArguments(Span<byte> args, ref TraceRecord trace, out ulong data, out ulong length)
    {
        var a = MemoryMarshal.Read<HvtAbi.NetArgs>(args);
        ulong handle = a.Handle;
        (data, length) = (a.Data, a.Length);
        (trace.A0, trace.A2, trace.A3) = (handle, data, length);
        return _devices.Network(handle);
    }

    private RunOutcome? NetWrite(Span<byte> args, ref TraceRecord trace)
    {
        var result = DeviceResult.InvalidArgument;
        if (NetArguments(args, ref trace, out ulong data, out ulong length) is TapDevice tap)
        {
            if (_access.CheckRead(data, length) is string error) throw Bad(HvtAbi.NetWrite, "data/len", error);
            result = length > (ulong)tap.MaxFrameSize ? DeviceResult.InvalidArgument : tap.Write(Buffer(data, length));
        }
        ArgsIn<HvtAbi.NetArgs>(args).Result = (int)result;
        trace.Result = (int)result;
        return null;
    }

    private RunOutcome? NetRead(Span<byte> args, ref TraceRecord trace)
    {
        var result = DeviceResult.InvalidArgument;
        if (NetArguments(args, ref trace, out ulong data, out ulong length) is TapDevice tap)
        {
            if (_access.CheckWrite(data, length) is string error) throw Bad(HvtAbi.NetRead, "data/len", error);
            // The device wants room for the largest frame; a smaller buffer is the guest's error.
            if (length <= int.MaxValue)
            {
                result = tap.Read(Buffer(data, length), out int received);
                if (result == DeviceResult.Ok)
                {
                    ArgsIn<HvtAbi.NetArgs>(args).Length = (ulong)received;
                    trace.A1 = (ulong)received;
                }
            }
        }
        ArgsIn<HvtAbi.NetArgs>(args).Result = (int)result;
        trace.Result = (int)result;
        return null;
    }

    /// <summary>
    /// A buffer that passed the access check. An empty one is checked against nothing (no byte is
    /// accessed), so its address may be anything, even outside guest memory: it must not be looked
    /// up (found by both the hostile guest, seed 1, and the hypercalls fuzz target: NETREAD with
    /// len 0 at a wild address ended the tender with an internal error instead of answering EINVAL).
    /// </summary>
    private Span<byte> Buffer(ulong data, ulong length) => length == 0 ? Span<byte>.Empty : _ram.GetSpan(data, length);

    private static GuestCrashException Bad(int n, string field, string reason) =>
        new($"invalid hypercall argument: {HvtAbi.Name(n)} {field}: {reason}");
}
