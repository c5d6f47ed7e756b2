namespace GuestBindings
{
    /// <summary>
    /// Reading the guest's own command line (<see cref="Unikernel.GetArguments"/>): the one
    /// decimal-number parser the samples share, and `--name=N` / `--name` lookups.
    /// </summary>
    public static class GuestArguments
    {
        /// <summary>Decimal digits only, at least one; false on anything else or on overflow.</summary>
        public static bool TryParseNumber(string text, out ulong value)
        {
            value = 0;
            if (text.Length == 0) return false;
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] < '0' || text[i] > '9') return false;
                ulong digit = (ulong)(text[i] - '0');
                if (value > (ulong.MaxValue - digit) / 10) return false;
                value = value * 10 + digit;
            }
            return true;
        }

        /// <summary>
        /// The value of <c>--NAME=N</c> on the guest's command line, or <paramref name="fallback"/>
        /// when absent. A malformed value ends the guest with a message naming the option (exit
        /// 255), so a typo never runs with a default silently.
        /// </summary>
        public static ulong NumberOption(string name, ulong fallback)
        {
            string prefix = "--" + name + "=";
            string[] args = Unikernel.GetArguments();
            for (int i = 0; i < args.Length; i++)
            {
                string a = args[i];
                if (!a.StartsWith(prefix)) continue;
                if (!TryParseNumber(a.Substring(prefix.Length), out ulong v)) Unikernel.Abort("bad option " + a + ": expected a number");
                return v;
            }
            return fallback;
        }

        /// <summary>True if <c>--NAME</c> is on the guest's command line.</summary>
        public static bool HasFlag(string name)
        {
            string flag = "--" + name;
            string[] args = Unikernel.GetArguments();
            for (int i = 0; i < args.Length; i++) if (args[i] == flag) return true;
            return false;
        }
    }
}
