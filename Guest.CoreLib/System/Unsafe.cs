namespace System.Runtime.CompilerServices
{
    // Every method here is an ilc/JIT intrinsic: the compiler supplies the body (these are the IL
    // primitives C# cannot express). The bodies below only run if an intrinsic is not recognised.
    public static unsafe class Unsafe
    {
        [Intrinsic] public static void* AsPointer<T>(ref readonly T value) => throw new PlatformNotSupportedException();
        [Intrinsic] public static int SizeOf<T>() => throw new PlatformNotSupportedException();
        [Intrinsic] public static T As<T>(object? o) where T : class? => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref TTo As<TFrom, TTo>(ref TFrom source) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T AsRef<T>(void* source) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T AsRef<T>(scoped ref readonly T source) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T Add<T>(ref T source, int elementOffset) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T Add<T>(ref T source, nint elementOffset) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T Add<T>(ref T source, nuint elementOffset) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void* Add<T>(void* source, int elementOffset) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T AddByteOffset<T>(ref T source, nint byteOffset) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T AddByteOffset<T>(ref T source, nuint byteOffset) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T Subtract<T>(ref T source, int elementOffset) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T Subtract<T>(ref T source, nint elementOffset) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T Subtract<T>(ref T source, nuint elementOffset) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void* Subtract<T>(void* source, int elementOffset) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T SubtractByteOffset<T>(ref T source, nint byteOffset) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T SubtractByteOffset<T>(ref T source, nuint byteOffset) => throw new PlatformNotSupportedException();
        [Intrinsic] public static nint ByteOffset<T>(ref readonly T origin, ref readonly T target) => throw new PlatformNotSupportedException();
        [Intrinsic] public static bool AreSame<T>(ref readonly T left, ref readonly T right) => throw new PlatformNotSupportedException();
        [Intrinsic] public static bool IsAddressGreaterThan<T>(ref readonly T left, ref readonly T right) => throw new PlatformNotSupportedException();
        [Intrinsic] public static bool IsAddressLessThan<T>(ref readonly T left, ref readonly T right) => throw new PlatformNotSupportedException();
        [Intrinsic] public static T Read<T>(void* source) => throw new PlatformNotSupportedException();
        [Intrinsic] public static T ReadUnaligned<T>(void* source) => throw new PlatformNotSupportedException();
        [Intrinsic] public static T ReadUnaligned<T>(scoped ref readonly byte source) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void Write<T>(void* destination, T value) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void WriteUnaligned<T>(void* destination, T value) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void WriteUnaligned<T>(ref byte destination, T value) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void Copy<T>(void* destination, ref readonly T source) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void Copy<T>(ref T destination, void* source) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void CopyBlock(void* destination, void* source, uint byteCount) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void CopyBlock(ref byte destination, ref readonly byte source, uint byteCount) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void CopyBlockUnaligned(void* destination, void* source, uint byteCount) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void CopyBlockUnaligned(ref byte destination, ref readonly byte source, uint byteCount) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void InitBlock(void* startAddress, byte value, uint byteCount) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void InitBlock(ref byte startAddress, byte value, uint byteCount) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void InitBlockUnaligned(void* startAddress, byte value, uint byteCount) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void InitBlockUnaligned(ref byte startAddress, byte value, uint byteCount) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T NullRef<T>() => throw new PlatformNotSupportedException();
        [Intrinsic] public static bool IsNullRef<T>(ref readonly T source) => throw new PlatformNotSupportedException();
        [Intrinsic] public static void SkipInit<T>(out T value) => throw new PlatformNotSupportedException();
        [Intrinsic] public static ref T Unbox<T>(object box) where T : struct => throw new PlatformNotSupportedException();
        [Intrinsic] public static TTo BitCast<TFrom, TTo>(TFrom source) where TFrom : struct where TTo : struct => throw new PlatformNotSupportedException();
    }
}
