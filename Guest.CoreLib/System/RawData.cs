namespace System.Runtime.CompilerServices
{
    // The layout of any object's fields after its MethodTable pointer: ilc's unboxing thunks for shared
    // generic structs (Boxed_ValueTuple`2<int, __Canon>.ToString_Unbox) take the address of Data to reach
    // the boxed value.
    internal class RawData
    {
#pragma warning disable CS0649
        public byte Data;
#pragma warning restore CS0649
    }
}
