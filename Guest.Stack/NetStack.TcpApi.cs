using System;

namespace Guest.Stack;

// The application's TCP calls. None of them blocks; each returns at once with a count or a
// NetError. Data is copied between the application's spans and the connection's ring buffers;
// when a send buffer is full, Write takes what fits (possibly 0): that is the back-pressure.
public sealed partial class NetStack<TNic>
{
    /// <summary>The control block behind a handle, even after the app closed it (tests only).</summary>
    internal TcpConnection? DebugConnection(TcpHandle h) => (uint)h.Index < (uint)_conns.Length ? _conns[h.Index] : null;

    private TcpConnection? Get(TcpHandle h)
    {
        if ((uint)h.Index >= (uint)_conns.Length) return null;
        var c = _conns[h.Index];
        return c.InUse && c.AppOwned && c.Generation == h.Generation ? c : null;
    }

    /// <summary>Listens on <paramref name="port"/> (all local addresses) with an accept queue of <paramref name="backlog"/>.</summary>
    public int Listen(ushort port, int backlog, out ListenerHandle listener)
    {
        listener = default;
        if (port == 0 || backlog < 1) return NetError.InvalidArgument;
        int free = -1;
        for (int i = 0; i < _listeners.Length; i++)
        {
            if (_listeners[i].InUse && _listeners[i].Port == port) return NetError.AddressInUse;
            if (!_listeners[i].InUse && free < 0) free = i;
        }
        if (free < 0) return NetError.NoResources;
        var l = _listeners[free];
        l.InUse = true; l.Port = port; l.LocalIp = Ipv4Address.Any;
        l.Backlog = Math.Min(backlog, l.Queue.Length); l.QHead = 0; l.QCount = 0; l.HalfOpen = 0;
        listener = new ListenerHandle(free, l.Generation);
        return NetError.Ok;
    }

    private TcpListenerEntry? GetListener(ListenerHandle h)
    {
        if ((uint)h.Index >= (uint)_listeners.Length) return null;
        var l = _listeners[h.Index];
        return l.InUse && l.Generation == h.Generation ? l : null;
    }

    /// <summary>Connections that completed the handshake and wait for <see cref="TryAccept"/>.</summary>
    public int AcceptPending(ListenerHandle listener) => GetListener(listener)?.QCount ?? 0;

    public bool TryAccept(ListenerHandle listener, out TcpHandle connection)
    {
        connection = default;
        var l = GetListener(listener);
        if (l == null || l.QCount == 0) return false;
        int idx = l.Queue[l.QHead];
        l.QHead = (l.QHead + 1) % l.Backlog;
        l.QCount--;
        var c = _conns[idx];
        c.AppOwned = true;
        c.Listener = -1;
        connection = new TcpHandle(idx, c.Generation);
        return true;
    }

    /// <summary>Stops listening; connections not yet accepted are reset.</summary>
    public int CloseListener(ListenerHandle listener)
    {
        var l = GetListener(listener);
        if (l == null) return NetError.InvalidHandle;
        for (int i = 0; i < _conns.Length; i++)
        {
            var c = _conns[i];
            if (!c.InUse || c.AppOwned || c.Listener != listener.Index) continue;
            SendBareSegment(c.LocalIp, c.RemoteIp, c.LocalPort, c.RemotePort, c.SndMax, 0, TcpFlags.Rst, 0);
            Counters.Add(Counter.TcpResetsSent);
            FreeConnection(c);
        }
        l.InUse = false; l.QCount = 0; l.HalfOpen = 0;
        l.Generation++;
        if (l.Generation == 0) l.Generation = 1;
        return NetError.Ok;
    }

    /// <summary>Starts an active open from an ephemeral port. Poll until <see cref="GetState"/> is Established (or Closed: see <see cref="GetError"/>).</summary>
    public int Connect(Ipv4Address remote, ushort port, out TcpHandle connection)
    {
        connection = default;
        if (port == 0 || remote.IsAny || remote.IsBroadcast || remote.IsMulticast) return NetError.InvalidArgument;
        if (!HasRoute(remote)) { Counters.Add(Counter.IpNoRoute); return NetError.NoRoute; }
        ushort lport = 0;
        for (int tries = 0; tries < 16384 && lport == 0; tries++)
        {
            ushort p = _nextEphemeral;
            _nextEphemeral = (ushort)(p == 65535 ? 49152 : p + 1);
            if (FindListener(_cfg.Address, p) >= 0) continue;
            bool used = false;
            for (int i = 0; i < _conns.Length && !used; i++)
                used = _conns[i].InUse && _conns[i].LocalPort == p;
            if (!used) lport = p;
        }
        if (lport == 0) return NetError.NoResources;
        int slot = AllocateConnection();
        if (slot < 0) return NetError.NoResources;
        var c = _conns[slot];
        InitConnection(c, remote, port, lport);
        c.AppOwned = true;
        c.State = TcpState.SynSent;
        c.Iss = NewIsn(remote, port, lport);
        c.SndUna = c.Iss; c.SndNxt = c.Iss + 1; c.SndMax = c.SndNxt; c.SndBufSeq = c.Iss + 1;
        c.Recover = c.Iss;
        c.OfferWs = true; c.OfferTs = true; c.OfferSack = true; c.RcvWscale = _rcvWscale;
        c.RttTiming = true; c.RttSeq = c.Iss + 1; c.RttStart = _now;
        EmitSegment(c, c.Iss, 0, TcpFlags.Syn);
        c.RtoDeadline = _now + c.Rto;
        connection = new TcpHandle(slot, c.Generation);
        return NetError.Ok;
    }

    public TcpState GetState(TcpHandle connection) => Get(connection)?.State ?? TcpState.Closed;

    /// <summary>Why the connection closed (a NetError), or 0.</summary>
    public int GetError(TcpHandle connection) => Get(connection)?.Error ?? NetError.InvalidHandle;

    /// <summary>Bytes ready for <see cref="Read"/>.</summary>
    public int BytesToRead(TcpHandle connection) => Get(connection)?.RecvBuf.Count ?? 0;

    /// <summary>Bytes <see cref="Write"/> would take now.</summary>
    public int SendSpace(TcpHandle connection)
    {
        var c = Get(connection);
        if (c == null || c.FinQueued) return 0;
        return c.State == TcpState.Established || c.State == TcpState.CloseWait
            || c.State == TcpState.SynSent || c.State == TcpState.SynReceived ? c.SendBuf.Free : 0;
    }

    /// <summary>Bytes written but not yet acknowledged by the peer.</summary>
    public int SendPending(TcpHandle connection) => Get(connection)?.SendBuf.Count ?? 0;

    /// <summary>
    /// Reads up to into.Length bytes: a count &gt; 0; 0 when nothing is there yet;
    /// <see cref="NetError.EndOfStream"/> after the peer's FIN and all data; another NetError on failure.
    /// </summary>
    public int Read(TcpHandle connection, Span<byte> into)
    {
        var c = Get(connection);
        if (c == null) return NetError.InvalidHandle;
        if (c.RecvBuf.Count > 0)
        {
            int n = c.RecvBuf.Read(into);
            // Receiver SWS avoidance (RFC 9293 3.8.6.2.2): announce the window once it has grown by
            // at least min(half the buffer, 2·MSS) beyond what the peer last heard.
            uint edge = c.RcvNxt + (uint)((c.RecvBuf.Free >> c.RcvWscale) << c.RcvWscale);
            int growth = (int)(edge - c.RcvAdvEdge);
            if (growth >= Math.Min(c.RecvBuf.Capacity / 2, 2 * _ourMss) && c.IsSynchronized) { c.AckNow = true; c.NeedOutput = true; }
            return n;
        }
        if (c.State == TcpState.Closed) return c.Error != 0 ? c.Error : NetError.EndOfStream;
        if (c.State == TcpState.CloseWait || c.State == TcpState.Closing || c.State == TcpState.LastAck || c.State == TcpState.TimeWait)
            return NetError.EndOfStream;
        return 0;
    }

    /// <summary>Queues bytes for sending; returns how many were taken (0 when the send buffer is full).</summary>
    public int Write(TcpHandle connection, ReadOnlySpan<byte> data)
    {
        var c = Get(connection);
        if (c == null) return NetError.InvalidHandle;
        if (c.State == TcpState.Closed) return c.Error != 0 ? c.Error : NetError.NotConnected;
        if (c.FinQueued) return NetError.NotConnected;
        if (c.State != TcpState.Established && c.State != TcpState.CloseWait
            && c.State != TcpState.SynSent && c.State != TcpState.SynReceived) return NetError.NotConnected;
        int n = c.SendBuf.Write(data);
        if (n > 0) c.NeedOutput = true;
        return n;
    }

    /// <summary>
    /// Half close: queued data is still delivered, then FIN; reading goes on until the peer's FIN
    /// (Read returns EndOfStream). Writes fail from now on. Close the handle when done.
    /// </summary>
    public int ShutdownWrite(TcpHandle connection)
    {
        var c = Get(connection);
        if (c == null) return NetError.InvalidHandle;
        if (c.FinQueued) return NetError.Ok;
        switch (c.State)
        {
            case TcpState.Established: c.State = TcpState.FinWait1; break;
            case TcpState.CloseWait: c.State = TcpState.LastAck; break;
            default: return c.State == TcpState.Closed && c.Error != 0 ? c.Error : NetError.NotConnected;
        }
        c.FinQueued = true;
        c.NeedOutput = true;
        return NetError.Ok;
    }

    /// <summary>
    /// Graceful close: queued data is still delivered, then FIN; the stack finishes the closing
    /// handshake and TIME-WAIT by itself. The handle is invalid afterwards. Unread received data
    /// turns the close into an abort (RST), so the peer learns its data was not consumed.
    /// </summary>
    public int Close(TcpHandle connection)
    {
        var c = Get(connection);
        if (c == null) return NetError.InvalidHandle;
        if (c.RecvBuf.Count > 0 && c.IsSynchronized && c.State != TcpState.TimeWait) return Abort(connection);
        switch (c.State)
        {
            case TcpState.Established:
            case TcpState.CloseWait:
                ShutdownWrite(connection);
                break;
            case TcpState.SynReceived:
                return Abort(connection);
            case TcpState.Closed:
            case TcpState.SynSent:
                FreeConnection(c);
                return NetError.Ok;
        }
        c.AppOwned = false;
        if (c.State == TcpState.FinWait2) c.TimeWaitDeadline = _now + _cfg.TcpTimeWait;  // orphan: do not wait forever
        return NetError.Ok;
    }

    /// <summary>
    /// Connections the application closed that are not through the closing handshake yet (FIN-WAIT-1,
    /// FIN-WAIT-2, CLOSING, LAST-ACK). An application about to exit keeps polling while this is
    /// non-zero: otherwise its FIN, lost once on the wire, is never retransmitted, or the peer's FIN
    /// is never acknowledged, and the peer waits for what will not come.
    /// </summary>
    public int ClosesInProgress
    {
        get
        {
            int n = 0;
            foreach (var c in _conns)
                if (c.InUse && !c.AppOwned && (c.State == TcpState.FinWait1 || c.State == TcpState.FinWait2 || c.State == TcpState.Closing || c.State == TcpState.LastAck)) n++;
            return n;
        }
    }

    /// <summary>Resets the connection (RST) and frees it at once.</summary>
    public int Abort(TcpHandle connection)
    {
        var c = Get(connection);
        if (c == null) return NetError.InvalidHandle;
        if (c.State != TcpState.Closed && c.State != TcpState.SynSent && c.State != TcpState.TimeWait)
        {
            SendBareSegment(c.LocalIp, c.RemoteIp, c.LocalPort, c.RemotePort, c.SndMax, 0, TcpFlags.Rst, 0);
            Counters.Add(Counter.TcpResetsSent);
        }
        FreeConnection(c);
        return NetError.Ok;
    }

    /// <summary>State of the connection on these ports, handle or not (TIME-WAIT after Close, for tests and diagnostics).</summary>
    public TcpState StateOf(ushort localPort, Ipv4Address remote, ushort remotePort)
    {
        int i = FindConnection(remote, remotePort, _cfg.Address, localPort);
        return i < 0 ? TcpState.Closed : _conns[i].State;
    }

    /// <summary>Connections in use (any state, including TIME-WAIT), for diagnostics and tests.</summary>
    public int ConnectionsInUse
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _conns.Length; i++) if (_conns[i].InUse) n++;
            return n;
        }
    }
}
