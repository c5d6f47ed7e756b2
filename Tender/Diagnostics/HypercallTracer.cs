using Solo5;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Tender.Hypercalls;

namespace Tender.Diagnostics;

/// <summary>What one hypercall did, filled in by the handler (plain stores: cheap when not traced).</summary>
internal struct TraceRecord
{
    public int Number;
    public uint Argument;
    public ulong A0;
    public ulong A1;
    public ulong A2;
    public ulong A3;
    public long? Result;
}

public enum TraceFormat { Text, Json }

/// <summary>
/// --trace: one line per hypercall as it happens, to stderr or a file, as text or JSON lines.
/// Exists only when tracing is on; the handler's untraced path is a null check.
/// </summary>
internal sealed class HypercallTracer : IDisposable
{
    private readonly TextWriter? _text;
    private readonly Stream? _jsonStream;
    private readonly Utf8JsonWriter? _json;
    private readonly long _bootTimestamp;
    private readonly bool _ownsWriter;
    private readonly object _gate = new(); // the ring's I/O thread traces too
    private readonly string _platform;

    /// <param name="platform">The platform the guest runs on: a header line of the text trace, a
    /// field of every JSON record (so a record read alone still says where it came from).</param>
    public HypercallTracer(string? path, TraceFormat format, long bootTimestamp, string platform)
    {
        _bootTimestamp = bootTimestamp;
        _platform = platform;
        if (format == TraceFormat.Json)
        {
            _jsonStream = path is null ? Console.OpenStandardError() : OpenFile(path);
            _json = new Utf8JsonWriter(_jsonStream, new JsonWriterOptions { SkipValidation = true });
        }
        else if (path is null)
        {
            _text = Console.Error;
        }
        else
        {
            _text = new StreamWriter(OpenFile(path), new UTF8Encoding(false)) { AutoFlush = true };
            _ownsWriter = true;
        }
        _text?.WriteLine($"# hypercall trace, {platform} platform");
    }

    private static FileStream OpenFile(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TenderException($"--trace={path}: cannot create the file: {e.Message}");
        }
    }

    /// <summary>One pass of the network ring's I/O thread (called on that thread).</summary>
    public void RecordRing(in Devices.NetRingBatch b)
    {
        double sinceBoot = Stopwatch.GetElapsedTime(_bootTimestamp).TotalSeconds;
        lock (_gate)
        {
            if (_json is not null)
            {
                _json.Reset();
                _json.WriteStartObject();
                _json.WriteNumber("t", Math.Round(sinceBoot, 6));
                _json.WriteString("call", "RING");
                _json.WriteNumber("entries", b.Entries);
                _json.WriteNumber("writes", b.Writes);
                _json.WriteNumber("write_bytes", b.WriteBytes);
                _json.WriteNumber("reads", b.Reads);
                _json.WriteNumber("read_frames", b.ReadFrames);
                _json.WriteNumber("read_bytes", b.ReadBytes);
                _json.WriteNumber("reads_again", b.ReadsAgain);
                _json.WriteNumber("rejected", b.Rejected);
                if (b.FirstRejection is not null) _json.WriteString("first_rejection", b.FirstRejection);
                _json.WriteEndObject();
                _json.Flush();
                _jsonStream!.WriteByte((byte)'\n');
                _jsonStream.Flush();
            }
            else
            {
                string rejected = b.Rejected == 0 ? "" : $" rejected={b.Rejected} ({b.FirstRejection})";
                _text!.WriteLine($"[{sinceBoot,12:F6}] ring     RING     entries={b.Entries} writes={b.Writes} ({b.WriteBytes} B) " +
                                 $"reads={b.Reads} frames={b.ReadFrames} ({b.ReadBytes} B) again={b.ReadsAgain}{rejected}");
            }
        }
    }

    public void Record(in TraceRecord r, long startedTimestamp)
    {
        lock (_gate) RecordLocked(r, startedTimestamp);
    }

    private void RecordLocked(in TraceRecord r, long startedTimestamp)
    {
        long now = Stopwatch.GetTimestamp();
        double sinceBoot = Stopwatch.GetElapsedTime(_bootTimestamp, startedTimestamp).TotalSeconds;
        double micros = Stopwatch.GetElapsedTime(startedTimestamp, now).TotalMicroseconds;
        string name = HvtAbi.Name(r.Number);
        if (_json is not null)
        {
            _json.Reset();
            _json.WriteStartObject();
            _json.WriteNumber("t", Math.Round(sinceBoot, 6));
            _json.WriteNumber("vcpu", 0);
            _json.WriteString("platform", _platform);
            _json.WriteString("call", name);
            _json.WriteNumber("arg", r.Argument);
            WriteJsonArguments(_json, r);
            if (r.Result is long result) _json.WriteNumber("result", result);
            _json.WriteNumber("us", Math.Round(micros, 2));
            _json.WriteEndObject();
            _json.Flush();
            _jsonStream!.WriteByte((byte)'\n');
            _jsonStream.Flush();
        }
        else
        {
            string result = r.Result is not long value ? "" : r.Number == HvtAbi.Poll ? $" -> ret={value}" : $" -> {HvtAbi.ResultName(value)}";
            _text!.WriteLine($"[{sinceBoot,12:F6}] vcpu0 {name,-8} {TextArguments(r)}{result} ({micros:F1} us)");
        }
    }

    private static string TextArguments(in TraceRecord r) => r.Number switch
    {
        HvtAbi.Walltime => $"nsecs={r.A0}",
        HvtAbi.Puts => $"data=0x{r.A0:x} len={r.A1}",
        HvtAbi.Poll => $"timeout_nsecs={r.A0} ready_set=0x{r.A1:x}",
        HvtAbi.Halt => $"cookie=0x{r.A0:x} exit_status={(long)r.A1}",
        HvtAbi.BlockWrite or HvtAbi.BlockRead => $"handle={r.A0} offset={r.A1} data=0x{r.A2:x} len={r.A3}",
        HvtAbi.NetRead => $"handle={r.A0} data=0x{r.A2:x} len={r.A3} received={r.A1}",
        _ => $"handle={r.A0} data=0x{r.A2:x} len={r.A3}",
    };

    private static void WriteJsonArguments(Utf8JsonWriter json, in TraceRecord r)
    {
        switch (r.Number)
        {
            case HvtAbi.Walltime: json.WriteNumber("nsecs", r.A0); break;
            case HvtAbi.Puts: json.WriteNumber("data", r.A0); json.WriteNumber("len", r.A1); break;
            case HvtAbi.Poll: json.WriteNumber("timeout_nsecs", r.A0); json.WriteNumber("ready_set", r.A1); break;
            case HvtAbi.Halt: json.WriteNumber("cookie", r.A0); json.WriteNumber("exit_status", (long)r.A1); break;
            case HvtAbi.BlockWrite or HvtAbi.BlockRead:
                json.WriteNumber("handle", r.A0); json.WriteNumber("offset", r.A1); json.WriteNumber("data", r.A2); json.WriteNumber("len", r.A3);
                break;
            default:
                json.WriteNumber("handle", r.A0); json.WriteNumber("data", r.A2); json.WriteNumber("len", r.A3);
                if (r.Number == HvtAbi.NetRead) json.WriteNumber("received", r.A1);
                break;
        }
    }

    public void Dispose()
    {
        _json?.Dispose();
        if (_jsonStream is FileStream) _jsonStream.Dispose();
        if (_ownsWriter) _text?.Dispose();
    }
}
