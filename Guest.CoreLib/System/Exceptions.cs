namespace System
{
    public class Exception
    {
        private readonly string? _message;
        private readonly Exception? _innerException;

        public Exception() { }
        public Exception(string? message) { _message = message; }
        public Exception(string? message, Exception? innerException) { _message = message; _innerException = innerException; }

        public virtual string Message => _message ?? Internal.Runtime.TypeNames.DefaultMessage(this);
        public Exception? InnerException => _innerException;
        public override string ToString()
        {
            string s = Internal.Runtime.TypeNames.Describe(this) + ": " + Message;
            if (_innerException is not null) s = s + " ---> " + _innerException.ToString();
            string? trace = StackTrace;
            return trace is null ? s : s + "\n" + trace;
        }

        // The frames the exception passed on its way to its handler (the exception dispatcher,
        // Runtime/ExceptionHandling, records them in its first pass); a rethrow adds to them.
        private ulong[]? _stackFrames;
        private int _stackFrameCount;

        internal void ResetStackTrace() => _stackFrameCount = 0;

        internal void AppendStackFrame(ulong ip)
        {
            if (_stackFrames is null || _stackFrameCount == _stackFrames.Length)
            {
                ulong[] grown = new ulong[_stackFrames is null ? 8 : _stackFrames.Length * 2];
                for (int i = 0; i < _stackFrameCount; i++) grown[i] = _stackFrames![i];
                _stackFrames = grown;
            }
            _stackFrames[_stackFrameCount++] = ip;
        }

        public virtual string? StackTrace =>
            _stackFrameCount == 0 ? null : Internal.Runtime.Exceptions.StackTraceText.Format(_stackFrames!, _stackFrameCount);
    }

    public class SystemException : Exception
    {
        public SystemException() : base(null) { }
        public SystemException(string? message) : base(message) { }
        public SystemException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class ArgumentException : SystemException
    {
        public ArgumentException() : base(null) { }
        public ArgumentException(string? message) : base(message) { }
        public ArgumentException(string? message, Exception? innerException) : base(message, innerException) { }
        private readonly string? _paramName;
        public ArgumentException(string? message, string? paramName) : base(message) { _paramName = paramName; }
        public ArgumentException(string? message, string? paramName, Exception? innerException) : base(message, innerException) { _paramName = paramName; }
        public virtual string? ParamName => _paramName;
        public override string Message => _paramName is null ? base.Message : base.Message + " (Parameter '" + _paramName + "')";
    }

    public class ArgumentNullException : ArgumentException
    {
        public ArgumentNullException() : base(null, (string?)null) { }
        public ArgumentNullException(string? message, Exception? innerException) : base(message, innerException) { }
        public ArgumentNullException(string? paramName) : base(null, paramName) { }
        public ArgumentNullException(string? paramName, string? message) : base(message, paramName) { }
        public static void ThrowIfNull([System.Diagnostics.CodeAnalysis.NotNull] object? argument, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(argument))] string? paramName = null)
        {
            if (argument is null) throw new ArgumentNullException(paramName);
        }
    }

    public class ArgumentOutOfRangeException : ArgumentException
    {
        public ArgumentOutOfRangeException() : base(null, (string?)null) { }
        public ArgumentOutOfRangeException(string? message, Exception? innerException) : base(message, innerException) { }
        public ArgumentOutOfRangeException(string? paramName) : base(null, paramName) { }
        public ArgumentOutOfRangeException(string? paramName, string? message) : base(message, paramName) { }
    }

    public class ArithmeticException : SystemException
    {
        public ArithmeticException() : base(null) { }
        public ArithmeticException(string? message) : base(message) { }
        public ArithmeticException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class OverflowException : ArithmeticException
    {
        public OverflowException() : base(null) { }
        public OverflowException(string? message) : base(message) { }
        public OverflowException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class DivideByZeroException : ArithmeticException
    {
        public DivideByZeroException() : base(null) { }
        public DivideByZeroException(string? message) : base(message) { }
        public DivideByZeroException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public sealed class IndexOutOfRangeException : SystemException
    {
        public IndexOutOfRangeException() : base(null) { }
        public IndexOutOfRangeException(string? message) : base(message) { }
        public IndexOutOfRangeException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class InvalidCastException : SystemException
    {
        public InvalidCastException() : base(null) { }
        public InvalidCastException(string? message) : base(message) { }
        public InvalidCastException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class InvalidOperationException : SystemException
    {
        public InvalidOperationException() : base(null) { }
        public InvalidOperationException(string? message) : base(message) { }
        public InvalidOperationException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class NotSupportedException : SystemException
    {
        public NotSupportedException() : base(null) { }
        public NotSupportedException(string? message) : base(message) { }
        public NotSupportedException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class NotImplementedException : SystemException
    {
        public NotImplementedException() : base(null) { }
        public NotImplementedException(string? message) : base(message) { }
        public NotImplementedException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class PlatformNotSupportedException : NotSupportedException
    {
        public PlatformNotSupportedException() : base(null) { }
        public PlatformNotSupportedException(string? message) : base(message) { }
        public PlatformNotSupportedException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class NullReferenceException : SystemException
    {
        public NullReferenceException() : base(null) { }
        public NullReferenceException(string? message) : base(message) { }
        public NullReferenceException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class OutOfMemoryException : SystemException
    {
        public OutOfMemoryException() : base(null) { }
        public OutOfMemoryException(string? message) : base(message) { }
        public OutOfMemoryException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class ArrayTypeMismatchException : SystemException
    {
        public ArrayTypeMismatchException() : base(null) { }
        public ArrayTypeMismatchException(string? message) : base(message) { }
        public ArrayTypeMismatchException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class FormatException : SystemException
    {
        public FormatException() : base(null) { }
        public FormatException(string? message) : base(message) { }
        public FormatException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class TimeoutException : SystemException
    {
        public TimeoutException() : base(null) { }
        public TimeoutException(string? message) : base(message) { }
        public TimeoutException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public sealed class InvalidProgramException : SystemException
    {
        public InvalidProgramException() : base(null) { }
        public InvalidProgramException(string? message) : base(message) { }
        public InvalidProgramException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class TypeLoadException : SystemException
    {
        public TypeLoadException() : base(null) { }
        public TypeLoadException(string? message) : base(message) { }
        public TypeLoadException(string? message, Exception? innerException) : base(message, innerException) { }
    }

    public class EntryPointNotFoundException : TypeLoadException
    {
        public EntryPointNotFoundException() : base(null) { }
        public EntryPointNotFoundException(string? message) : base(message) { }
        public EntryPointNotFoundException(string? message, Exception? innerException) : base(message, innerException) { }
    }


    public sealed class TypeInitializationException : SystemException
    {
        private readonly string _typeName;
        public TypeInitializationException(string? fullTypeName, Exception? innerException)
            : base("The type initializer for '" + (fullTypeName ?? "") + "' threw an exception.", innerException)
        {
            _typeName = fullTypeName ?? "";
        }
        public string TypeName => _typeName;
    }
}
