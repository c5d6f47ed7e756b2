using System.Runtime;
using System.Runtime.CompilerServices;
using Internal.Runtime;

namespace System
{
    // The root of the type hierarchy. NativeAOT lays an object out as a MethodTable pointer followed by
    // the fields; the pointer is declared here so that the compiler sees the same layout ilc uses. Its
    // name is the one ilc looks up: the unboxing thunks of shared generic structs (a ValueTuple<int, string>
    // whose ToString is called through object) read the MethodTable through it.
    public class Object
    {
#pragma warning disable CS0649, CS0169
        internal unsafe MethodTable* m_pEEType;
#pragma warning restore CS0649, CS0169

        public Object() { }

        ~Object() { }

        public virtual bool Equals(object? obj) => ReferenceEquals(this, obj);

        public static bool Equals(object? objA, object? objB)
        {
            if (ReferenceEquals(objA, objB)) return true;
            if (objA is null || objB is null) return false;
            return objA.Equals(objB);
        }

        public static bool ReferenceEquals(object? objA, object? objB) => objA == objB;

        public virtual int GetHashCode() => RuntimeHelpers.GetHashCode(this);

        public virtual string? ToString() => Internal.Runtime.TypeNames.Name(this);

        internal unsafe MethodTable* GetMethodTable() => m_pEEType;
    }

    public abstract class ValueType
    {
        // Without reflection a boxed struct is compared by its bytes when it holds no references (what
        // .NET itself does for such types); a struct with reference fields must override Equals.
        public override unsafe bool Equals(object? obj)
        {
            if (obj is null || obj.GetMethodTable() != GetMethodTable()) return false;
            MethodTable* mt = GetMethodTable();
            if (mt->HasGCPointers)
                Internal.Runtime.FailFast.Abort("ValueType.Equals on a struct with reference fields needs reflection: override Equals.");
            nuint size = mt->BaseSize - (nuint)(2 * sizeof(IntPtr));
            return SpanHelpers.SequenceEqual(ref Unsafe.As<RawObject>(this).Data, ref Unsafe.As<RawObject>(obj).Data, size);
        }

        public override unsafe int GetHashCode()
        {
            MethodTable* mt = GetMethodTable();
            nuint size = mt->BaseSize - (nuint)(2 * sizeof(IntPtr));
            ref byte data = ref Unsafe.As<RawObject>(this).Data;
            uint h = 2166136261;
            for (nuint i = 0; i < size; i++) h = (h ^ Unsafe.Add(ref data, i)) * 16777619;
            return (int)h;
        }
    }

    public abstract class Enum : ValueType
    {
    }

    public struct Void
    {
    }

    public abstract class Attribute
    {
        protected Attribute() { }
    }

    [AttributeUsage(AttributeTargets.Class, Inherited = true)]
    public sealed class AttributeUsageAttribute : Attribute
    {
        public AttributeUsageAttribute(AttributeTargets validOn) { ValidOn = validOn; Inherited = true; }
        public AttributeTargets ValidOn { get; }
        public bool AllowMultiple { get; set; }
        public bool Inherited { get; set; }
    }

    [Flags]
    public enum AttributeTargets
    {
        Assembly = 0x0001,
        Module = 0x0002,
        Class = 0x0004,
        Struct = 0x0008,
        Enum = 0x0010,
        Constructor = 0x0020,
        Method = 0x0040,
        Property = 0x0080,
        Field = 0x0100,
        Event = 0x0200,
        Interface = 0x0400,
        Parameter = 0x0800,
        Delegate = 0x1000,
        ReturnValue = 0x2000,
        GenericParameter = 0x4000,
        All = Assembly | Module | Class | Struct | Enum | Constructor | Method | Property | Field | Event | Interface | Parameter | Delegate | ReturnValue | GenericParameter,
    }

    [AttributeUsage(AttributeTargets.Enum, Inherited = false)]
    public class FlagsAttribute : Attribute
    {
        public FlagsAttribute() { }
    }

    [AttributeUsage(AttributeTargets.Parameter, Inherited = true, AllowMultiple = false)]
    public sealed class ParamArrayAttribute : Attribute
    {
        public ParamArrayAttribute() { }
    }

    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Enum | AttributeTargets.Constructor | AttributeTargets.Method | AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Event | AttributeTargets.Interface | AttributeTargets.Delegate, Inherited = false)]
    public sealed class ObsoleteAttribute : Attribute
    {
        public ObsoleteAttribute() { }
        public ObsoleteAttribute(string? message) { Message = message; }
        public ObsoleteAttribute(string? message, bool error) { Message = message; IsError = error; }
        public string? Message { get; }
        public bool IsError { get; }
    }

    [AttributeUsage(AttributeTargets.All, Inherited = true, AllowMultiple = false)]
    public sealed class CLSCompliantAttribute : Attribute
    {
        public CLSCompliantAttribute(bool isCompliant) { IsCompliant = isCompliant; }
        public bool IsCompliant { get; }
    }

    public struct RuntimeTypeHandle
    {
        internal IntPtr _value;
        internal unsafe RuntimeTypeHandle(MethodTable* mt) { _value = (IntPtr)mt; }
        public IntPtr Value => _value;
    }

    public struct RuntimeMethodHandle
    {
        internal IntPtr _value;
        public IntPtr Value => _value;
    }

    public struct RuntimeFieldHandle
    {
        internal IntPtr _value;
        public IntPtr Value => _value;
    }

    public abstract class Delegate
    {
        // Field names and meaning are what ilc's delegate constructors and Invoke stubs use: a closed
        // instance delegate calls _functionPointer with _firstParameter as `this`; for thunks
        // (static methods, shared generic code) _firstParameter is the delegate itself and the
        // thunk reads the real target from _extraFunctionPointerOrData / _helperObject.
#pragma warning disable CS0649, CS0169
        internal object? _firstParameter;
        internal object? _helperObject;
        internal nint _extraFunctionPointerOrData;
        internal IntPtr _functionPointer;
#pragma warning restore CS0649, CS0169

        private const int ClosedStaticThunk = 1;
        private const int OpenStaticThunk = 2;
        private const int ClosedInstanceThunkOverGenericMethod = 3;

        private protected Delegate() { }

        // Element of a multicast delegate's invocation list (ilc's multicast thunk reads it; guests
        // never combine delegates, so the list is never built).
        internal struct Wrapper
        {
            internal Delegate Value;
        }

        // ilc overrides this in every delegate type.
        private protected virtual IntPtr GetThunk(int whichThunk) => IntPtr.Zero;

        // A function pointer to shared generic code carries its generic context ("fat" pointer).
        private static bool IsFatPointer(IntPtr functionPointer) => ((nint)functionPointer & 2) != 0;

        private void InitializeClosedInstance(object firstParameter, IntPtr functionPointer)
        {
            if (firstParameter is null) throw new NullReferenceException();
            InitializeClosedInstanceWithoutNullCheck(firstParameter, functionPointer);
        }

        private void InitializeClosedInstanceSlow(object firstParameter, IntPtr functionPointer) =>
            InitializeClosedInstance(firstParameter, functionPointer);

        private void InitializeClosedInstanceWithoutNullCheck(object? firstParameter, IntPtr functionPointer)
        {
            if (!IsFatPointer(functionPointer))
            {
                _functionPointer = functionPointer;
                _firstParameter = firstParameter;
            }
            else
            {
                _firstParameter = this;
                _functionPointer = GetThunk(ClosedInstanceThunkOverGenericMethod);
                _extraFunctionPointerOrData = functionPointer;
                _helperObject = firstParameter;
            }
        }

        private unsafe void InitializeClosedInstanceToInterface(object firstParameter, IntPtr dispatchCell)
        {
            if (firstParameter is null) throw new NullReferenceException();
            _functionPointer = System.Runtime.InterfaceDispatch.ResolveInterfaceCall(firstParameter, (System.Runtime.InterfaceDispatch.DispatchCell*)dispatchCell);
            _firstParameter = firstParameter;
        }

        private void InitializeClosedInstanceWithGVMResolution(object firstParameter, RuntimeMethodHandle tokenOfGenericVirtualMethod)
        {
            Internal.Runtime.FailFast.Abort("A delegate to a generic virtual method is not supported in a guest.");
        }

        private void InitializeClosedStaticThunk(object firstParameter, IntPtr functionPointer, IntPtr functionPointerThunk)
        {
            _firstParameter = this;
            _helperObject = firstParameter;
            _extraFunctionPointerOrData = functionPointer;
            _functionPointer = functionPointerThunk;
        }

        private void InitializeOpenStaticThunk(object firstParameter, IntPtr functionPointer, IntPtr functionPointerThunk)
        {
            _firstParameter = this;
            _extraFunctionPointerOrData = functionPointer;
            _functionPointer = functionPointerThunk;
        }

        private void InitializeOpenInstanceThunkDynamic(IntPtr functionPointer, IntPtr functionPointerThunk)
        {
            _firstParameter = this;
            _extraFunctionPointerOrData = functionPointer;
            _functionPointer = functionPointerThunk;
        }
    }

    public abstract class MulticastDelegate : Delegate
    {
        private protected MulticastDelegate() { }
    }

    public struct Nullable<T> where T : struct
    {
        private readonly bool hasValue;
        internal T value;

        public Nullable(T value) { this.value = value; hasValue = true; }
        public readonly bool HasValue => hasValue;
        public readonly T Value
        {
            get
            {
                if (!hasValue) ThrowHelper.ThrowInvalidOperationException("Nullable object must have a value.");
                return value;
            }
        }
        public readonly T GetValueOrDefault() => value;
        public readonly T GetValueOrDefault(T defaultValue) => hasValue ? value : defaultValue;
        public static implicit operator T?(T value) => new T?(value);
        public static explicit operator T(T? value) => value!.Value;
        public override bool Equals(object? other) => other is null ? !hasValue : hasValue && value.Equals(other);
        public override int GetHashCode() => hasValue ? value.GetHashCode() : 0;
        public override string? ToString() => hasValue ? value.ToString() : "";
    }

    public interface IDisposable { void Dispose(); }
    public interface IEquatable<T> { bool Equals(T? other); }
    public interface IComparable { int CompareTo(object? obj); }
    public interface IComparable<in T> { int CompareTo(T? other); }
    public interface IFormatProvider { object? GetFormat(Type? formatType); }
    public interface IFormattable { string ToString(string? format, IFormatProvider? formatProvider); }

    // System.Type exists only so that IFormatProvider has its .NET signature; the guest has no reflection.
    public abstract class Type
    {
        protected Type() { }
    }
}

namespace System
{
    // Known to the JIT interface; never instantiated in a guest (no reflection).
    internal sealed class RuntimeType : Type
    {
        private RuntimeType() { }
    }
}

namespace System.Collections
{
    public interface IEnumerable
    {
        IEnumerator GetEnumerator();
    }

    public interface IEnumerator
    {
        bool MoveNext();
        object? Current { get; }
        void Reset();
    }
}

namespace System.Collections.Generic
{
    public interface IEnumerable<out T> : IEnumerable
    {
        new IEnumerator<T> GetEnumerator();
    }

    public interface IEnumerator<out T> : IDisposable, IEnumerator
    {
        new T Current { get; }
    }
}

namespace System
{
    // One thread, so a thread-static is a field in the thread-local block the boot stub sets up.
    [AttributeUsage(AttributeTargets.Field, Inherited = false)]
    public sealed class ThreadStaticAttribute : Attribute
    {
        public ThreadStaticAttribute() { }
    }
}

namespace System
{
    public delegate void Action();
    public delegate void Action<in T>(T obj);
    public delegate void Action<in T1, in T2>(T1 arg1, T2 arg2);
    public delegate void Action<in T1, in T2, in T3>(T1 arg1, T2 arg2, T3 arg3);
    public delegate TResult Func<out TResult>();
    public delegate TResult Func<in T, out TResult>(T arg);
    public delegate TResult Func<in T1, in T2, out TResult>(T1 arg1, T2 arg2);
    public delegate TResult Func<in T1, in T2, in T3, out TResult>(T1 arg1, T2 arg2, T3 arg3);
    public delegate bool Predicate<in T>(T obj);
    public delegate int Comparison<in T>(T x, T y);
}
