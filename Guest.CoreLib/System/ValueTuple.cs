using System.Collections.Generic;

namespace System
{
    // What C# tuples compile to: `(int, string)`, `var (a, b) = ...`, tuple-typed arrays and returns.
    // Hash codes are deterministic here (.NET randomises them per process).
    public struct ValueTuple<T1, T2> : IEquatable<ValueTuple<T1, T2>>
    {
        public T1 Item1;
        public T2 Item2;

        public ValueTuple(T1 item1, T2 item2) { Item1 = item1; Item2 = item2; }

        public bool Equals(ValueTuple<T1, T2> other) =>
            EqualityComparer<T1>.Default.Equals(Item1, other.Item1) && EqualityComparer<T2>.Default.Equals(Item2, other.Item2);

        public override bool Equals(object? obj) => obj is ValueTuple<T1, T2> other && Equals(other);

        public override int GetHashCode() => ValueTupleHash.Combine(Item1?.GetHashCode() ?? 0, Item2?.GetHashCode() ?? 0);

        public override string ToString() => "(" + Item1?.ToString() + ", " + Item2?.ToString() + ")";
    }

    public struct ValueTuple<T1, T2, T3> : IEquatable<ValueTuple<T1, T2, T3>>
    {
        public T1 Item1;
        public T2 Item2;
        public T3 Item3;

        public ValueTuple(T1 item1, T2 item2, T3 item3) { Item1 = item1; Item2 = item2; Item3 = item3; }

        public bool Equals(ValueTuple<T1, T2, T3> other) =>
            EqualityComparer<T1>.Default.Equals(Item1, other.Item1) && EqualityComparer<T2>.Default.Equals(Item2, other.Item2)
            && EqualityComparer<T3>.Default.Equals(Item3, other.Item3);

        public override bool Equals(object? obj) => obj is ValueTuple<T1, T2, T3> other && Equals(other);

        public override int GetHashCode() =>
            ValueTupleHash.Combine(ValueTupleHash.Combine(Item1?.GetHashCode() ?? 0, Item2?.GetHashCode() ?? 0), Item3?.GetHashCode() ?? 0);

        public override string ToString() => "(" + Item1?.ToString() + ", " + Item2?.ToString() + ", " + Item3?.ToString() + ")";
    }

    internal static class ValueTupleHash
    {
        internal static int Combine(int h1, int h2) => (int)(((uint)h1 << 5 | (uint)h1 >> 27) + (uint)h1 ^ (uint)h2);
    }
}

namespace System.Runtime.CompilerServices
{
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Event | AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.ReturnValue | AttributeTargets.Struct)]
    public sealed class TupleElementNamesAttribute : Attribute
    {
        // The names only matter to compilers reading metadata; a guest has no reflection to read them.
        public TupleElementNamesAttribute(string?[] transformNames) { }
    }
}
