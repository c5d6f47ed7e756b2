using System;

namespace Internal.Runtime
{
    internal static partial class TypeNames
    {
        // The message .NET gives an exception constructed without one (most derived known type first).
        internal static string DefaultMessage(System.Exception e)
        {
            if (e is EntryPointNotFoundException) return "Entry point was not found.";
            if (e is TypeLoadException) return "Failure has occurred while loading a type.";
            if (e is InvalidProgramException) return "Common Language Runtime detected an invalid program.";
            if (e is TimeoutException) return "The operation has timed out.";
            if (e is FormatException) return "One of the identified items was in an invalid format.";
            if (e is ArrayTypeMismatchException) return "Attempted to access an element as a type incompatible with the array.";
            if (e is OutOfMemoryException) return "Insufficient memory to continue the execution of the program.";
            if (e is NullReferenceException) return "Object reference not set to an instance of an object.";
            if (e is PlatformNotSupportedException) return "Operation is not supported on this platform.";
            if (e is NotImplementedException) return "The method or operation is not implemented.";
            if (e is NotSupportedException) return "Specified method is not supported.";
            if (e is InvalidOperationException) return "Operation is not valid due to the current state of the object.";
            if (e is InvalidCastException) return "Specified cast is not valid.";
            if (e is IndexOutOfRangeException) return "Index was outside the bounds of the array.";
            if (e is DivideByZeroException) return "Attempted to divide by zero.";
            if (e is OverflowException) return "Arithmetic operation resulted in an overflow.";
            if (e is ArithmeticException) return "Overflow or underflow in the arithmetic operation.";
            if (e is ArgumentOutOfRangeException) return "Specified argument was out of the range of valid values.";
            if (e is ArgumentNullException) return "Value cannot be null.";
            if (e is ArgumentException) return "Value does not fall within the expected range.";
            if (e is SystemException) return "System error.";
            return "Exception of type '" + Describe(e) + "' was thrown.";
        }
    }
}
