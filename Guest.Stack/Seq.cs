namespace Guest.Stack;

/// <summary>Sequence-number comparisons modulo 2^32 (RFC 9293 3.4).</summary>
public static class Seq
{
    public static bool Lt(uint a, uint b) => (int)(a - b) < 0;
    public static bool Le(uint a, uint b) => (int)(a - b) <= 0;
    public static bool Gt(uint a, uint b) => (int)(a - b) > 0;
    public static bool Ge(uint a, uint b) => (int)(a - b) >= 0;
    public static uint Max(uint a, uint b) => Gt(a, b) ? a : b;
    /// <summary>start ≤ x &lt; start+len.</summary>
    public static bool InWindow(uint x, uint start, uint len) => x - start < len;
}
