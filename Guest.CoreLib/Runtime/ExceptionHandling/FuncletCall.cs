namespace Internal.Runtime.Exceptions
{
    internal enum FuncletKind { Catch, Filter, Finally }

    // One funclet the dispatcher is running (innermost first, linked on the dispatcher's stack). An
    // exception unwinding out of a funclet reaches the funclet stub's return address; the record
    // tells the unwinder which frame the funclet belongs to (walking continues there, past the
    // clauses the earlier dispatch already dealt with), and a catch's record is what `throw;`
    // rethrows.
    internal unsafe struct FuncletCall
    {
        internal FuncletCall* Outer;
        internal FuncletKind Kind;
        internal EhContext Parent;       // the frame that owns the funclet, as the dispatcher saw it
        internal int ClauseIndex;
        internal uint TryStart;
        internal uint TryEnd;
        internal nint Exception;         // catch: the exception being caught (kept alive by the dispatcher's frame)

        internal static FuncletCall* Active;
    }
}
