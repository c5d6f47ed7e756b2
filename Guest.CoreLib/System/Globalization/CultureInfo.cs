namespace System.Globalization
{
    // A guest has no culture data (no ICU): every culture is the invariant one, which is what the
    // formatting and parsing code implements. Only InvariantCulture exists, so that code written for .NET
    // (`double.Parse(s, CultureInfo.InvariantCulture)`) compiles and means the same.
    public class CultureInfo : IFormatProvider
    {
        private static readonly CultureInfo s_invariant = new CultureInfo();

        private CultureInfo() { }

        public static CultureInfo InvariantCulture => s_invariant;
        // Settable as in .NET (programs pin the invariant culture this way); every culture here is it.
        public static CultureInfo CurrentCulture
        {
            get => s_invariant;
            set { if (value is null) throw new ArgumentNullException(nameof(value)); }
        }
        public virtual string Name => "";
        public virtual object? GetFormat(Type? formatType) => null;
        public override string ToString() => Name;
    }
}
