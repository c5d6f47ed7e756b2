using System;
using Guest.Stack;
using GuestBindings;

/// <summary>The server's settings (from the command line).</summary>
sealed class ServerOptions
{
    public ushort Port = 80;
    public ulong Requests;                   // 0: no limit
    public ulong LargeSize = 16 * 1024 * 1024;
    public int Connections = 128;            // the stack's MaxTcpConnections and the server's slots
    public ulong IdleNanoseconds = 30_000_000_000;
    public int MaxHeader = 8192;
}

/// <summary>One connection's state; all of them are allocated once, at start.</summary>
sealed class Connection
{
    public const int Reading = 0, Sending = 1, Closing = 2;

    public bool InUse;
    public TcpHandle Handle;
    public int Phase;
    /// <summary>Monotonic ns: reading or sending — the idle limit; closing — the end of the linger.</summary>
    public ulong Deadline;

    // The request head received so far (pipelined requests follow each other in it).
    public readonly byte[] Request;
    public int RequestLength;
    public int Scanned;

    // The response being sent: a head, then a fixed body, the /status text or the generated /large.
    public readonly byte[] Head = new byte[256];
    public int HeadLength, HeadSent;
    public byte[]? Body;
    public ulong BodyLength, BodySent;
    public bool Generated;
    public bool KeepAlive;
    public readonly byte[] StatusBody = new byte[160];

    public Connection(int maxHeader) => Request = new byte[maxHeader];
}

/// <summary>
/// A static web server over <see cref="NetStack{TNic}"/>'s TCP calls: HTTP/1.1 with keep-alive and
/// pipelining (requests on a connection are answered in order, one at a time), HTTP/1.0 (closes
/// unless keep-alive is asked for), GET and HEAD. Each pass of the event loop serves every open
/// connection as far as it can go without waiting: read and parse while it has no response to
/// send, write as much of the response as the send buffer takes (back-pressure: the /large body is
/// generated a chunk at a time, never buffered whole). Nothing is allocated after construction.
/// </summary>
sealed class HttpServer
{
    // After the last response on a connection the server half-closes and keeps reading (and
    // discarding) for this long, so a peer still sending does not get a reset that could destroy
    // the response in its receive buffer; then it closes anyway.
    private const ulong LingerNanoseconds = 5_000_000_000;
    // Pipelined requests answered per connection per pass, so one connection cannot starve others.
    private const int RequestsPerPass = 16;
    private const int ChunkBytes = 32 * 1024;

    private readonly NetApp _app;
    private readonly NetStack<HvtNic> _stack;
    private readonly ServerOptions _options;
    private readonly Connection[] _connections;
    private readonly byte[] _scratch = new byte[ChunkBytes + 8];
    private ListenerHandle _listener;

    public ulong Served;       // complete responses handed to the stack
    public ulong Accepted;     // connections accepted
    public ulong BodyBytes;    // body bytes of complete responses
    public ulong Stalled;      // reset after the idle limit without progress while sending

    public HttpServer(NetApp app, ServerOptions options)
    {
        _app = app;
        _stack = app.Stack;
        _options = options;
        // Content's pages and heads are made on first use: make them now, before serving, so the
        // heap does not grow while serving (that is checked).
        if (Content.Prefix.Length == 0 || Content.IndexPage.Length == 0) throw new InvalidOperationException("no pages");
        _connections = new Connection[options.Connections];
        for (int i = 0; i < _connections.Length; i++) _connections[i] = new Connection(options.MaxHeader);
    }

    public int Listen() => _stack.Listen(_options.Port, _stack.Config.TcpMaxBacklog, out _listener);

    private bool Done => _options.Requests != 0 && Served >= _options.Requests;

    /// <summary>Runs the event loop until --requests responses were sent (for ever without it).</summary>
    public void Run()
    {
        while (!Done)
        {
            _app.Poll();
            ulong now = NetApp.Now;
            Accept(now);
            ulong wake = ulong.MaxValue;
            for (int i = 0; i < _connections.Length && !Done; i++)
            {
                Connection c = _connections[i];
                if (!c.InUse) continue;
                // A connection with requests left over for the next pass must not wait for a packet.
                if (Serve(c, now)) wake = 0;
                if (c.InUse && c.Deadline < wake) wake = c.Deadline;
            }
            if (Done) break;
            _app.Wait(wake);
        }
    }

    /// <summary>
    /// Half-closes every open connection and runs the stack until what was written has been
    /// acknowledged (at most a few seconds), so the last responses and FINs reach the peers.
    /// </summary>
    public void Finish()
    {
        for (int i = 0; i < _connections.Length; i++)
            if (_connections[i].InUse && _connections[i].Phase != Connection.Closing) _stack.ShutdownWrite(_connections[i].Handle);
        ulong end = NetApp.Now + 3_000_000_000;
        while (NetApp.Now < end)
        {
            bool pending = false;
            for (int i = 0; i < _connections.Length; i++)
                if (_connections[i].InUse && _stack.SendPending(_connections[i].Handle) > 0) pending = true;
            if (!pending) break;
            _app.Poll();
            _app.Wait(end);
        }
        _app.Linger(3_000_000_000);
    }

    public int Open
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _connections.Length; i++) if (_connections[i].InUse) n++;
            return n;
        }
    }

    private void Accept(ulong now)
    {
        while (_stack.TryAccept(_listener, out TcpHandle h))
        {
            Connection? free = null;
            for (int i = 0; i < _connections.Length && free is null; i++) if (!_connections[i].InUse) free = _connections[i];
            if (free is null)
            {
                // Cannot happen while the slots match the stack's connection table; refuse, do not crash.
                _stack.Abort(h);
                continue;
            }
            free.InUse = true;
            free.Handle = h;
            free.Phase = Connection.Reading;
            free.Deadline = now + _options.IdleNanoseconds;
            free.RequestLength = 0;
            free.Scanned = 0;
            Accepted++;
        }
    }

    // Serves one connection as far as it goes without waiting; true when it stopped only to let
    // the others have a turn (pipelined requests are left).
    private bool Serve(Connection c, ulong now)
    {
        int answered = 0;
        while (true)
        {
            if (c.Phase == Connection.Reading)
            {
                if (answered == RequestsPerPass) return true;
                int status = RequestParser.Parse(new ReadOnlySpan<byte>(c.Request, 0, c.RequestLength), ref c.Scanned, out Request request);
                if (status == RequestParser.Complete) { Respond(c, request); answered++; continue; }
                if (status != RequestParser.NeedMore) { RespondError(c, status); continue; }
                if (c.RequestLength == c.Request.Length) { RespondError(c, 431); continue; }
                int n = _stack.Read(c.Handle, c.Request.AsSpan(c.RequestLength));
                if (n > 0)
                {
                    c.RequestLength += n;
                    c.Deadline = now + _options.IdleNanoseconds;
                    continue;
                }
                if (n == 0)
                {
                    // Nothing new: an idle keep-alive connection or a request that stalled.
                    if (now >= c.Deadline) BeginClose(c, now);
                    return false;
                }
                // End of stream or an error: a partial request is dropped with the connection.
                Release(c);
                return false;
            }
            if (c.Phase == Connection.Sending)
            {
                int progress = Send(c);
                if (progress < 0) { Release(c); return false; }
                if (progress > 0) c.Deadline = now + _options.IdleNanoseconds;
                if (c.HeadSent < c.HeadLength || c.BodySent < c.BodyLength)
                {
                    if (progress == 0 && now >= c.Deadline)
                    {
                        // The peer has taken nothing for the whole idle limit (zero window for ever).
                        Stalled++;
                        _stack.Abort(c.Handle);
                        c.InUse = false;
                    }
                    return false;
                }
                Served++;
                BodyBytes += c.BodyLength;
                if (!c.KeepAlive) { BeginClose(c, now); continue; }
                c.Phase = Connection.Reading;
                if (Done) return false;
                continue;
            }
            // Closing: discard what still arrives until the peer's FIN or the end of the linger.
            int r;
            do r = _stack.Read(c.Handle, _scratch); while (r > 0);
            if (r < 0 || now >= c.Deadline) Release(c);
            return false;
        }
    }

    // Writes what the send buffer takes: >0 bytes written, 0 none (full), <0 the connection failed.
    private int Send(Connection c)
    {
        if (_stack.GetState(c.Handle) == TcpState.Closed) return -1;
        int total = 0;
        if (c.HeadSent < c.HeadLength)
        {
            int n = _stack.Write(c.Handle, new ReadOnlySpan<byte>(c.Head, c.HeadSent, c.HeadLength - c.HeadSent));
            if (n < 0) return n;
            c.HeadSent += n;
            total += n;
            if (c.HeadSent < c.HeadLength) return total;
        }
        while (c.BodySent < c.BodyLength)
        {
            int space = _stack.SendSpace(c.Handle);
            if (space <= 0) break;
            int count = (int)Math.Min((ulong)Math.Min(space, ChunkBytes), c.BodyLength - c.BodySent);
            ReadOnlySpan<byte> chunk = c.Generated
                ? Content.LargeChunk(_scratch, c.BodySent, count)
                : new ReadOnlySpan<byte>(c.Body, (int)c.BodySent, count);
            int n = _stack.Write(c.Handle, chunk);
            if (n < 0) return n;
            c.BodySent += (ulong)n;
            total += n;
            if (n < count) break;
        }
        return total;
    }

    private void Respond(Connection c, in Request request)
    {
        Consume(c, request.Length);
        ulong length;
        c.Generated = false;
        c.Body = null;
        if (request.Kind == Content.Status)
        {
            c.Body = c.StatusBody;
            length = (ulong)StatusText(c.StatusBody);
        }
        else if (request.Kind == Content.Large)
        {
            c.Generated = true;
            length = _options.LargeSize;
        }
        else
        {
            c.Body = Content.Body(request.Kind);
            length = (ulong)c.Body.Length;
        }
        c.KeepAlive = request.KeepAlive;
        StartResponse(c, request.Kind, length, request.Head, request.Http10);
    }

    // A malformed request, a method other than GET/HEAD or a head over the limit: answer, then close
    // (what follows on the connection cannot be trusted to be a request).
    private void RespondError(Connection c, int status)
    {
        int kind = status == 405 ? Content.MethodNotAllowed : status == 431 ? Content.HeaderTooLarge : Content.BadRequest;
        c.RequestLength = 0;
        c.Scanned = 0;
        c.Generated = false;
        c.Body = Content.Body(kind);
        c.KeepAlive = false;
        StartResponse(c, kind, (ulong)c.Body.Length, headOnly: false, http10: false);
    }

    private static void StartResponse(Connection c, int kind, ulong length, bool headOnly, bool http10)
    {
        int at = Content.Append(c.Head, 0, Content.Prefix[kind]);
        at = Content.AppendNumber(c.Head, at, length);
        at = Content.Append(c.Head, at, Content.Crlf);
        if (!c.KeepAlive) at = Content.Append(c.Head, at, Content.ConnectionClose);
        else if (http10) at = Content.Append(c.Head, at, Content.ConnectionKeepAlive);
        at = Content.Append(c.Head, at, Content.Crlf);
        c.HeadLength = at;
        c.HeadSent = 0;
        c.BodySent = 0;
        c.BodyLength = headOnly ? 0 : length;
        c.Phase = Connection.Sending;
    }

    // Drops the answered request's head; pipelined bytes after it move to the front.
    private static void Consume(Connection c, int length)
    {
        int rest = c.RequestLength - length;
        if (rest > 0) c.Request.AsSpan(length, rest).CopyTo(c.Request);
        c.RequestLength = rest;
        c.Scanned = 0;
    }

    // Built per request with ordinary string code: the strings are garbage once copied out, and the
    // guest's collector takes them back ("heap" is the bytes of objects in use).
    private int StatusText(byte[] to)
    {
        string text = $"requests {Served}\nconnections {Accepted}\nopen {Open}\n" + "heap " + GC.GetTotalMemory(false).ToString() + "\n";
        int n = 0;
        for (; n < text.Length; n++) to[n] = (byte)text[n];
        return n;
    }

    // Half close after the last response: FIN follows the queued data; reading goes on (Closing).
    private void BeginClose(Connection c, ulong now)
    {
        _stack.ShutdownWrite(c.Handle);
        c.Phase = Connection.Closing;
        c.Deadline = now + LingerNanoseconds;
        c.RequestLength = 0;
        c.Scanned = 0;
    }

    // Gives the connection back to the stack (graceful close; it finishes the handshake alone).
    private void Release(Connection c)
    {
        int r;
        do r = _stack.Read(c.Handle, _scratch); while (r > 0);   // unread bytes would turn Close into a reset
        _stack.Close(c.Handle);
        c.InUse = false;
    }
}
