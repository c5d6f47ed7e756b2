using System.Runtime;
using System.Runtime.CompilerServices;
using Internal.Runtime;

namespace System
{
    // The root of the type hierarchy. NativeAOT lays an object out as a MethodTable pointer followed by
    // the fields; the pointer is declared here so that the compiler sees the same layout ilc uses.
    public class Object
    {
#pragma warning disable CS0649, CS0169
        internal unsafe MethodTable* m_pMethodTable;
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

        public virtual string? ToString() => Internal.Runtime.TypeNames.Describe(this);

        internal unsafe MethodTable* GetMethodTable() => m_pMethodTable;
    }

    public abstract class ValueType
    {
        // Without reflection a value type cannot compare its fields generically; types that need value
        // equality override Equals (all primitives do).
        public override bool Equals(object? obj) => ReferenceEquals(this, obj);
        public override int GetHashCode() => 0;
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
        // Field names and order are what ilc's delegate construction expects.
#pragma warning disable CS0649, CS0169
        internal object? m_firstParameter;
        internal object? m_helperObject;
        internal nint m_extraFunctionPointerOrData;
        internal IntPtr m_functionPointer;
#pragma warning restore CS0649, CS0169

        private protected Delegate() { }

        // Delegates are not supported in guests yet: without the ilc construction helpers a program that
        // creates one fails to compile instead of misbehaving at run time.
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
