namespace Guest.Stack;

/// <summary>Out-of-order byte ranges [Start, End) held in the receive ring, sorted, disjoint, non-adjacent.</summary>
internal sealed class OooRanges
{
    private readonly uint[] _start;
    private readonly uint[] _end;
    public int Count;

    public OooRanges(int capacity) { _start = new uint[capacity]; _end = new uint[capacity]; }

    public uint StartAt(int i) => _start[i];
    public uint EndAt(int i) => _end[i];
    public uint FirstStart => _start[0];
    public uint FirstEnd => _end[0];
    public uint LastEnd => _end[Count - 1];

    /// <summary>Adds a range, merging with neighbours; false (nothing changed) when it would need a slot and none is left.</summary>
    public bool Insert(uint s, uint e, uint origin)
    {
        // Positions are compared as offsets from origin (rcv.nxt), which all ranges lie beyond.
        uint os = s - origin, oe = e - origin;
        int i = 0;
        while (i < Count && _end[i] - origin < os) i++;         // ranges entirely before s (not touching)
        int j = i;
        while (j < Count && _start[j] - origin <= oe) j++;      // ranges i..j-1 overlap or touch [s,e)
        if (i == j)
        {
            if (Count == _start.Length) return false;
            for (int k = Count; k > i; k--) { _start[k] = _start[k - 1]; _end[k] = _end[k - 1]; }
            _start[i] = s; _end[i] = e; Count++;
            return true;
        }
        uint ns = _start[i] - origin < os ? _start[i] : s;
        uint ne = _end[j - 1] - origin > oe ? _end[j - 1] : e;
        _start[i] = ns; _end[i] = ne;
        int removed = j - i - 1;
        if (removed > 0)
        {
            for (int k = i + 1; k + removed < Count; k++) { _start[k] = _start[k + removed]; _end[k] = _end[k + removed]; }
            Count -= removed;
        }
        return true;
    }

    public void RemoveFirst()
    {
        for (int k = 1; k < Count; k++) { _start[k - 1] = _start[k]; _end[k - 1] = _end[k]; }
        Count--;
    }

    public void Clear() => Count = 0;
}
