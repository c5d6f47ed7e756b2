using Internal.Runtime;

namespace System.Runtime.CompilerServices
{
    public static class RuntimeHelpers
    {
        [Intrinsic]
        public static bool IsReferenceOrContainsReferences<T>() => throw new PlatformNotSupportedException();

        [Intrinsic]
        public static unsafe void InitializeArray(Array array, RuntimeFieldHandle fldHandle) => throw new PlatformNotSupportedException();

        [Intrinsic]
        public static ReadOnlySpan<T> CreateSpan<T>(RuntimeFieldHandle fldHandle) => throw new PlatformNotSupportedException();

        // Objects never move (the collector does not compact), so the address is a stable identity hash.
        public static unsafe int GetHashCode(object? o)
        {
            if (o is null) return 0;
            ulong a = (ulong)Unsafe.AsPointer(ref Unsafe.As<RawObject>(o).Data);
            return (int)(a >> 3) ^ (int)(a >> 35);
        }

    }

    internal sealed class RawObject
    {
#pragma warning disable CS0649
        internal byte Data;
#pragma warning restore CS0649
    }
}
