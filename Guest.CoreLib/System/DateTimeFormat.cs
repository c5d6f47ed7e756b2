using System.Text;

namespace System
{
    // The invariant culture's standard date and time formats, shared by DateTime and DateTimeOffset.
    internal static class DateTimeFormat
    {
        private static readonly string[] s_dayNames = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        private static readonly string[] s_monthNames = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

        // `offset` is the offset to print for O (long.MinValue ticks: none, an unspecified DateTime);
        // `utc` prints O's offset as Z.
        internal static void Format(ref ValueStringBuilder w, DateTime clock, string? format, TimeSpan offset, bool utc, bool isOffset)
        {
            char f = format is null || format.Length == 0 ? (isOffset ? '\0' : 'G') : format.Length == 1 ? format[0] : '?';
            clock.GetDate(out int year, out int month, out int day);
            switch (f)
            {
                case '\0': // DateTimeOffset.ToString(): G then the offset
                    Date(ref w, year, month, day, '/');
                    w.Append(' ');
                    Time(ref w, clock, true);
                    w.Append(' ');
                    Offset(ref w, offset);
                    return;
                case 'o':
                case 'O':
                    Iso(ref w, year, month, day);
                    w.Append('T');
                    Time(ref w, clock, true);
                    w.Append('.');
                    Digits(ref w, (int)(clock.Ticks % TimeSpan.TicksPerSecond), 7);
                    if (utc) w.Append('Z');
                    else if (offset.Ticks != long.MinValue) Offset(ref w, offset);
                    return;
                case 's':
                    Iso(ref w, year, month, day);
                    w.Append('T');
                    Time(ref w, clock, true);
                    return;
                case 'u':
                    Iso(ref w, year, month, day);
                    w.Append(' ');
                    Time(ref w, clock, true);
                    w.Append('Z');
                    return;
                case 'r':
                case 'R':
                    w.Append(s_dayNames[(int)clock.DayOfWeek]);
                    w.Append(", ");
                    Digits(ref w, day, 2);
                    w.Append(' ');
                    w.Append(s_monthNames[month - 1]);
                    w.Append(' ');
                    Digits(ref w, year, 4);
                    w.Append(' ');
                    Time(ref w, clock, true);
                    w.Append(" GMT");
                    return;
                case 'G':
                    Date(ref w, year, month, day, '/');
                    w.Append(' ');
                    Time(ref w, clock, true);
                    return;
                case 'g':
                    Date(ref w, year, month, day, '/');
                    w.Append(' ');
                    Time(ref w, clock, false);
                    return;
                case 'd':
                    Date(ref w, year, month, day, '/');
                    return;
                case 'T':
                    Time(ref w, clock, true);
                    return;
                case 't':
                    Time(ref w, clock, false);
                    return;
                default:
                    throw new NotSupportedException("Only the standard date and time formats O, s, u, R, G, g, d, T and t are supported in a guest.");
            }
        }

        private static void Iso(ref ValueStringBuilder w, int year, int month, int day)
        {
            Digits(ref w, year, 4);
            w.Append('-');
            Digits(ref w, month, 2);
            w.Append('-');
            Digits(ref w, day, 2);
        }

        private static void Date(ref ValueStringBuilder w, int year, int month, int day, char separator)
        {
            Digits(ref w, month, 2);
            w.Append(separator);
            Digits(ref w, day, 2);
            w.Append(separator);
            Digits(ref w, year, 4);
        }

        private static void Time(ref ValueStringBuilder w, DateTime clock, bool seconds)
        {
            Digits(ref w, clock.Hour, 2);
            w.Append(':');
            Digits(ref w, clock.Minute, 2);
            if (!seconds) return;
            w.Append(':');
            Digits(ref w, clock.Second, 2);
        }

        private static void Offset(ref ValueStringBuilder w, TimeSpan offset)
        {
            long minutes = offset.Ticks / TimeSpan.TicksPerMinute;
            w.Append(minutes < 0 ? '-' : '+');
            if (minutes < 0) minutes = -minutes;
            Digits(ref w, (int)(minutes / 60), 2);
            w.Append(':');
            Digits(ref w, (int)(minutes % 60), 2);
        }

        private static void Digits(ref ValueStringBuilder w, int value, int count)
        {
            Span<char> tmp = stackalloc char[10];
            int n = 0;
            do { tmp[n++] = (char)('0' + value % 10); value /= 10; } while (value != 0);
            w.Append('0', count - n);
            while (n > 0) w.Append(tmp[--n]);
        }
    }
}
