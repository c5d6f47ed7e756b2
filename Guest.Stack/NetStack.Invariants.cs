using System;

namespace Guest.Stack;

// Self-checks for tests: relations between the stack's tables that must hold between Polls.
public sealed partial class NetStack<TNic>
{
    /// <summary>Buffers the stack itself holds (transmit queue, ARP queue, UDP receive queues).</summary>
    internal int BuffersHeld
    {
        get
        {
            int n = _txCount + _arpQCount;
            for (int i = 0; i < _udpCount.Length; i++) n += _udpUsed[i] ? _udpCount[i] : 0;
            return n;
        }
    }

    /// <summary>Throws if any table is inconsistent (a bug in the stack, never bad input).</summary>
    internal void CheckInvariants()
    {
        for (int li = 0; li < _listeners.Length; li++)
        {
            var l = _listeners[li];
            if (!l.InUse) continue;
            int half = 0;
            for (int i = 0; i < _conns.Length; i++)
                if (_conns[i].InUse && _conns[i].Listener == li && _conns[i].State == TcpState.SynReceived) half++;
            if (half != l.HalfOpen) throw new InvalidOperationException("listener half-open count is wrong");
            if (l.QCount < 0 || l.QCount > l.Backlog) throw new InvalidOperationException("accept queue count out of range");
            for (int k = 0; k < l.QCount; k++)
            {
                var c = _conns[l.Queue[(l.QHead + k) % l.Backlog]];
                if (!c.InUse || c.Listener != li || c.AppOwned || c.State == TcpState.SynReceived)
                    throw new InvalidOperationException("accept queue holds a connection that is not ready");
            }
        }
        for (int i = 0; i < _conns.Length; i++)
        {
            var c = _conns[i];
            if (!c.InUse) continue;
            if (c.State == TcpState.Closed && !c.AppOwned) throw new InvalidOperationException("closed connection not freed");
            if (c.State == TcpState.Closed || c.State == TcpState.SynSent) continue;
            if (Seq.Gt(c.SndUna, c.SndNxt) || Seq.Gt(c.SndNxt, c.SndMax)) throw new InvalidOperationException("send sequence variables out of order");
            uint synOutstanding = c.State == TcpState.SynReceived ? 1u : 0u;   // our SYN occupies SND.UNA until acknowledged
            if (Seq.Gt(c.SndBufSeq, c.SndUna + synOutstanding) || Seq.Gt(c.SndUna, c.DataEnd + 1)) throw new InvalidOperationException("send buffer does not start at SND.UNA");
            if (c.RecvBuf.Count > c.RecvBuf.Capacity) throw new InvalidOperationException("receive ring overfull");
            uint limit = c.RcvNxt + (uint)c.RecvBuf.Free;
            uint prevEnd = c.RcvNxt;
            for (int k = 0; k < c.Ooo.Count; k++)
            {
                uint s = c.Ooo.StartAt(k), e = c.Ooo.EndAt(k);
                if (!Seq.Gt(s, prevEnd) || !Seq.Lt(s, e) || Seq.Gt(e, limit))
                    throw new InvalidOperationException("out-of-order ranges unsorted, touching, or outside the window");
                prevEnd = e;
            }
        }
        if (_pool.Capacity - _pool.Available < BuffersHeld) throw new InvalidOperationException("stack holds buffers the pool thinks are free");
    }
}
