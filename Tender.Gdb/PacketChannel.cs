using System.Text;

namespace Tender.Gdb;

/// <summary>What <see cref="PacketChannel.Read"/> found next on the wire.</summary>
internal enum Input
{
    /// <summary>A complete packet with a good checksum; the payload is as sent (escapes still in it).</summary>
    Packet,
    /// <summary>A '-': gdb wants the last reply again.</summary>
    Nack,
    /// <summary>A Ctrl-C byte outside a packet.</summary>
    Interrupt,
    /// <summary>The checksum did not match (or was not hex).</summary>
    BadChecksum,
    /// <summary>More payload than <see cref="PacketChannel.MaxPayload"/>: dropped.</summary>
    Oversized,
    /// <summary>The connection closed or failed.</summary>
    Closed,
}

/// <summary>
/// The byte level of the protocol: a reader thread moves everything the client sends into an inbox
/// (so that <see cref="GdbSession.WaitForInterrupt"/> can watch for Ctrl-C with a timeout on any
/// Stream while the guest runs), the session thread takes framed packets out of it and writes
/// replies as <c>$payload#xx</c>. Acks: '+' and '-' for every packet until no-ack mode.
/// </summary>
internal sealed class PacketChannel : IDisposable
{
    /// <summary>The PacketSize we announce: the largest payload we accept, and a bound on our replies.</summary>
    public const int MaxPayload = 0x4000;
    /// <summary>How much unread input the inbox holds before the reader thread stops reading (back-pressure on a flood).</summary>
    private const int InboxLimit = 1 << 20;

    private readonly Stream stream;
    private readonly Action<string>? log;
    private readonly object gate = new();
    private readonly Queue<byte> inbox = new();
    private readonly Thread reader;
    private bool closed;
    private bool running;
    private bool closeReported;
    private byte[] lastSent = [];

    public PacketChannel(Stream stream, Action<string>? log)
    {
        this.stream = stream;
        this.log = log;
        reader = new Thread(ReadLoop) { IsBackground = true, Name = "gdb-reader" };
        reader.Start();
    }

    /// <summary>No '+'/'-' any more (QStartNoAckMode).</summary>
    public bool NoAck { get; set; }

    public bool IsClosed { get { lock (gate) return closed; } }

    private void ReadLoop()
    {
        var buffer = new byte[4096];
        while (true)
        {
            int n;
            try { n = stream.Read(buffer); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
            {
                n = 0;
            }
            lock (gate)
            {
                if (n <= 0)
                {
                    closed = true;
                    Monitor.PulseAll(gate);
                    return;
                }
                while (inbox.Count > InboxLimit && !closed) Monitor.Wait(gate);
                for (int i = 0; i < n; i++) inbox.Enqueue(buffer[i]);
                Monitor.PulseAll(gate);
            }
        }
    }

    /// <summary>The guest runs (true) or is stopped (false): while it runs only Ctrl-C means anything.</summary>
    public void SetRunning(bool value)
    {
        lock (gate) running = value;
    }

    /// <summary>
    /// While running: waits up to <paramref name="timeoutMs"/> for a Ctrl-C and consumes it (other
    /// bytes are noise: in all-stop mode gdb sends nothing else until it has a stop reply). A closed
    /// connection counts once, so that the tender stops the guest and the session can take its
    /// breakpoints out before it detaches.
    /// </summary>
    public bool WaitForInterrupt(int timeoutMs)
    {
        long deadline = Environment.TickCount64 + Math.Max(0, timeoutMs);
        lock (gate)
        {
            while (true)
            {
                if (running)
                {
                    while (inbox.Count > 0)
                    {
                        byte b = inbox.Dequeue();
                        Monitor.PulseAll(gate);
                        if (b == 0x03) return true;
                    }
                    if (closed && !closeReported)
                    {
                        closeReported = true;
                        return true;
                    }
                }
                long left = deadline - Environment.TickCount64;
                if (left <= 0) return false;
                Monitor.Wait(gate, (int)Math.Min(left, int.MaxValue));
            }
        }
    }

    /// <summary>The next byte, waiting as long as the client takes; -1 once the connection is closed and drained.</summary>
    private int Next()
    {
        lock (gate)
        {
            while (inbox.Count == 0)
            {
                if (closed) return -1;
                Monitor.Wait(gate);
            }
            byte b = inbox.Dequeue();
            if (inbox.Count == InboxLimit) Monitor.PulseAll(gate);
            return b;
        }
    }

    /// <summary>
    /// The next thing on the wire. Bytes outside a packet other than '$', '-' and Ctrl-C ('+' acks,
    /// noise) are skipped; a '$' inside a packet starts over (the earlier one was cut short).
    /// </summary>
    public Input Read(List<byte> payload)
    {
        while (true)
        {
            int b = Next();
            if (b < 0) return Input.Closed;
            if (b == '$') break;
            if (b == '-') return Input.Nack;
            if (b == 0x03) return Input.Interrupt;
        }
        payload.Clear();
        byte sum = 0;
        bool oversized = false;
        while (true)
        {
            int b = Next();
            if (b < 0) return Input.Closed;
            if (b == '#') break;
            if (b == '$')
            {
                payload.Clear();
                sum = 0;
                oversized = false;
                continue;
            }
            sum += (byte)b;
            if (payload.Count < MaxPayload) payload.Add((byte)b);
            else oversized = true;
        }
        int hi = Next(), lo = Next();
        if (hi < 0 || lo < 0) return Input.Closed;
        if (Hex.Digit((byte)hi) < 0 || Hex.Digit((byte)lo) < 0 || (Hex.Digit((byte)hi) << 4 | Hex.Digit((byte)lo)) != sum)
            return Input.BadChecksum;
        return oversized ? Input.Oversized : Input.Packet;
    }

    public void Ack(bool good)
    {
        if (!NoAck) Write([good ? (byte)'+' : (byte)'-']);
    }

    /// <summary>Frames and sends a reply (already escaped where binary), keeping it for a resend on '-'.</summary>
    public void Send(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[payload.Length + 4];
        frame[0] = (byte)'$';
        payload.CopyTo(frame.AsSpan(1));
        byte sum = 0;
        foreach (byte b in payload) sum += b;
        frame[^3] = (byte)'#';
        frame[^2] = (byte)"0123456789abcdef"[sum >> 4];
        frame[^1] = (byte)"0123456789abcdef"[sum & 15];
        lastSent = frame;
        Write(frame);
    }

    public void Send(string payload) => Send(Encoding.ASCII.GetBytes(payload));

    public void Resend()
    {
        if (lastSent.Length > 0 && !NoAck) Write(lastSent);
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        try
        {
            stream.Write(bytes);
            stream.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
            log?.Invoke($"gdb: write failed ({e.Message}), the client is gone");
            lock (gate)
            {
                closed = true;
                inbox.Clear();
                Monitor.PulseAll(gate);
            }
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            closed = true;
            inbox.Clear();
            Monitor.PulseAll(gate);
        }
        stream.Dispose();
        reader.Join(1000);
    }
}
