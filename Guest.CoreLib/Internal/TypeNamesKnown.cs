using System;

namespace Internal.Runtime
{
    internal static unsafe partial class TypeNames
    {
        private static string? KnownName(MethodTable* mt)
        {
            if (mt == MethodTable.Of<Exception>()) return "System.Exception";
                if (mt == MethodTable.Of<SystemException>()) return "System.SystemException";
                if (mt == MethodTable.Of<ArgumentException>()) return "System.ArgumentException";
                if (mt == MethodTable.Of<ArgumentNullException>()) return "System.ArgumentNullException";
                if (mt == MethodTable.Of<ArgumentOutOfRangeException>()) return "System.ArgumentOutOfRangeException";
                if (mt == MethodTable.Of<ArithmeticException>()) return "System.ArithmeticException";
                if (mt == MethodTable.Of<OverflowException>()) return "System.OverflowException";
                if (mt == MethodTable.Of<DivideByZeroException>()) return "System.DivideByZeroException";
                if (mt == MethodTable.Of<IndexOutOfRangeException>()) return "System.IndexOutOfRangeException";
                if (mt == MethodTable.Of<InvalidCastException>()) return "System.InvalidCastException";
                if (mt == MethodTable.Of<InvalidOperationException>()) return "System.InvalidOperationException";
                if (mt == MethodTable.Of<NotSupportedException>()) return "System.NotSupportedException";
                if (mt == MethodTable.Of<NotImplementedException>()) return "System.NotImplementedException";
                if (mt == MethodTable.Of<PlatformNotSupportedException>()) return "System.PlatformNotSupportedException";
                if (mt == MethodTable.Of<NullReferenceException>()) return "System.NullReferenceException";
                if (mt == MethodTable.Of<OutOfMemoryException>()) return "System.OutOfMemoryException";
                if (mt == MethodTable.Of<ArrayTypeMismatchException>()) return "System.ArrayTypeMismatchException";
                if (mt == MethodTable.Of<FormatException>()) return "System.FormatException";
                if (mt == MethodTable.Of<TimeoutException>()) return "System.TimeoutException";
                if (mt == MethodTable.Of<InvalidProgramException>()) return "System.InvalidProgramException";
                if (mt == MethodTable.Of<TypeLoadException>()) return "System.TypeLoadException";
                if (mt == MethodTable.Of<EntryPointNotFoundException>()) return "System.EntryPointNotFoundException";
            if (mt == MethodTable.Of<object>()) return "System.Object";
            if (mt == MethodTable.Of<string>()) return "System.String";
            return null;
        }
    }
}
