using System.Text;

namespace System
{
    public enum DateTimeKind { Unspecified = 0, Utc = 1, Local = 2 }

    public enum DayOfWeek { Sunday = 0, Monday = 1, Tuesday = 2, Wednesday = 3, Thursday = 4, Friday = 5, Saturday = 6 }

    // A date and time in 100 ns ticks since 0001-01-01 in the proleptic Gregorian calendar, with its kind
    // in the top two bits (as .NET). A guest has no time-zone data: local time is UTC (offset +00:00).
    // Formats: the invariant culture's standard ones (O, s, u, R, G, g, d, T, t); no custom formats.
    public readonly struct DateTime : IComparable, IComparable<DateTime>, IEquatable<DateTime>, IFormattable
    {
        private const ulong TicksMask = 0x3FFFFFFFFFFFFFFF;
        private const ulong KindUtc = 0x4000000000000000;
        private const ulong KindLocal = 0x8000000000000000;
        private const int KindShift = 62;
        internal const long MaxTicks = 3155378975999999999;
        internal const long UnixEpochTicks = 621355968000000000;
        private const long TicksPerDay = TimeSpan.TicksPerDay;

        public static readonly DateTime MinValue = new DateTime(0L);
        public static readonly DateTime MaxValue = new DateTime(MaxTicks);
        public static readonly DateTime UnixEpoch = new DateTime(UnixEpochTicks, DateTimeKind.Utc);

        private static readonly int[] s_daysToMonth365 = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365 };
        private static readonly int[] s_daysToMonth366 = { 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366 };

        private readonly ulong _dateData;

        public DateTime(long ticks)
        {
            if ((ulong)ticks > MaxTicks) throw new ArgumentOutOfRangeException(nameof(ticks));
            _dateData = (ulong)ticks;
        }

        public DateTime(long ticks, DateTimeKind kind)
        {
            if ((ulong)ticks > MaxTicks) throw new ArgumentOutOfRangeException(nameof(ticks));
            if ((uint)kind > 2) throw new ArgumentException("Invalid DateTimeKind value.", nameof(kind));
            _dateData = (ulong)ticks | ((ulong)kind << KindShift);
        }

        private DateTime(ulong dateData, bool _) { _dateData = dateData; }

        public DateTime(int year, int month, int day) : this(DateToTicks(year, month, day)) { }

        public DateTime(int year, int month, int day, int hour, int minute, int second)
            : this(DateToTicks(year, month, day) + TimeToTicks(hour, minute, second, 0)) { }

        public DateTime(int year, int month, int day, int hour, int minute, int second, DateTimeKind kind)
            : this(DateToTicks(year, month, day) + TimeToTicks(hour, minute, second, 0), kind) { }

        public DateTime(int year, int month, int day, int hour, int minute, int second, int millisecond)
            : this(DateToTicks(year, month, day) + TimeToTicks(hour, minute, second, millisecond)) { }

        public DateTime(int year, int month, int day, int hour, int minute, int second, int millisecond, DateTimeKind kind)
            : this(DateToTicks(year, month, day) + TimeToTicks(hour, minute, second, millisecond), kind) { }

        private static long DateToTicks(int year, int month, int day)
        {
            if (year < 1 || year > 9999 || month < 1 || month > 12) throw new ArgumentOutOfRangeException(null, "Year, Month, and Day parameters describe an un-representable DateTime.");
            int[] days = IsLeapYear(year) ? s_daysToMonth366 : s_daysToMonth365;
            if (day < 1 || day > days[month] - days[month - 1]) throw new ArgumentOutOfRangeException(null, "Year, Month, and Day parameters describe an un-representable DateTime.");
            int y = year - 1;
            long n = y * 365L + y / 4 - y / 100 + y / 400 + days[month - 1] + day - 1;
            return n * TicksPerDay;
        }

        private static long TimeToTicks(int hour, int minute, int second, int millisecond)
        {
            if ((uint)hour >= 24 || (uint)minute >= 60 || (uint)second >= 60) throw new ArgumentOutOfRangeException(null, "Hour, Minute, and Second parameters describe an un-representable DateTime.");
            if ((uint)millisecond >= 1000) throw new ArgumentOutOfRangeException(nameof(millisecond));
            return hour * TimeSpan.TicksPerHour + minute * TimeSpan.TicksPerMinute + second * TimeSpan.TicksPerSecond + millisecond * TimeSpan.TicksPerMillisecond;
        }

        public static DateTime UtcNow => new DateTime((ulong)(UnixEpochTicks + (long)(Internal.Runtime.WallClock.UnixNanoseconds() / 100)) | KindUtc, false);
        public static DateTime Now => new DateTime((ulong)UtcNow.Ticks | KindLocal, false);
        public static DateTime Today => Now.Date;

        public long Ticks => (long)(_dateData & TicksMask);
        public DateTimeKind Kind => (DateTimeKind)(_dateData >> KindShift);
        private ulong KindBits => _dateData & ~TicksMask;

        public DateTime Date => new DateTime((ulong)(Ticks - Ticks % TicksPerDay) | KindBits, false);
        public TimeSpan TimeOfDay => new TimeSpan(Ticks % TicksPerDay);
        public int Hour => (int)(Ticks / TimeSpan.TicksPerHour % 24);
        public int Minute => (int)(Ticks / TimeSpan.TicksPerMinute % 60);
        public int Second => (int)(Ticks / TimeSpan.TicksPerSecond % 60);
        public int Millisecond => (int)(Ticks / TimeSpan.TicksPerMillisecond % 1000);
        public int Microsecond => (int)(Ticks / TimeSpan.TicksPerMicrosecond % 1000);
        public int Nanosecond => (int)(Ticks % TimeSpan.TicksPerMicrosecond) * 100;
        public DayOfWeek DayOfWeek => (DayOfWeek)((Ticks / TicksPerDay + 1) % 7);
        public int Year { get { GetDate(out int y, out _, out _); return y; } }
        public int Month { get { GetDate(out _, out int m, out _); return m; } }
        public int Day { get { GetDate(out _, out _, out int d); return d; } }
        public int DayOfYear => GetDayOfYear(out _) + 1;

        // Days since 0001-01-01 split into 400-, 100-, 4- and 1-year periods; returns the 0-based day of
        // the year.
        private int GetDayOfYear(out int year)
        {
            int n = (int)(Ticks / TicksPerDay);
            int y400 = n / 146097; n -= y400 * 146097;
            int y100 = n / 36524; if (y100 == 4) y100 = 3; n -= y100 * 36524;
            int y4 = n / 1461; n -= y4 * 1461;
            int y1 = n / 365; if (y1 == 4) y1 = 3; n -= y1 * 365;
            year = y400 * 400 + y100 * 100 + y4 * 4 + y1 + 1;
            return n;
        }

        internal void GetDate(out int year, out int month, out int day)
        {
            int n = GetDayOfYear(out year);
            int[] days = IsLeapYear(year) ? s_daysToMonth366 : s_daysToMonth365;
            int m = 1;
            while (n >= days[m]) m++;
            month = m;
            day = n - days[m - 1] + 1;
        }

        public static bool IsLeapYear(int year)
        {
            if (year < 1 || year > 9999) throw new ArgumentOutOfRangeException(nameof(year));
            return (year & 3) == 0 && (year % 100 != 0 || year % 400 == 0);
        }

        public static int DaysInMonth(int year, int month)
        {
            if (month < 1 || month > 12) throw new ArgumentOutOfRangeException(nameof(month));
            int[] days = IsLeapYear(year) ? s_daysToMonth366 : s_daysToMonth365;
            return days[month] - days[month - 1];
        }

        public static DateTime SpecifyKind(DateTime value, DateTimeKind kind) => new DateTime(value.Ticks, kind);

        public DateTime AddTicks(long value)
        {
            long ticks = Ticks;
            if (value > MaxTicks - ticks || value < -ticks) throw new ArgumentOutOfRangeException(nameof(value), "The added or subtracted value results in an un-representable DateTime.");
            return new DateTime((ulong)(ticks + value) | KindBits, false);
        }

        public DateTime Add(TimeSpan value) => AddTicks(value.Ticks);

        // As .NET 7+: whole units exactly, the fraction truncated to ticks.
        private DateTime AddUnits(double value, long maxUnitCount, long ticksPerUnit)
        {
            if (Math.Abs(value) > maxUnitCount) throw new ArgumentOutOfRangeException(nameof(value), "The added or subtracted value results in an un-representable DateTime.");
            double integralPart = Math.Truncate(value);
            double fractionalPart = value - integralPart;
            long ticks = (long)integralPart * ticksPerUnit;
            ticks += (long)(fractionalPart * ticksPerUnit);
            return AddTicks(ticks);
        }

        public DateTime AddDays(double value) => AddUnits(value, MaxTicks / TicksPerDay, TicksPerDay);
        public DateTime AddHours(double value) => AddUnits(value, MaxTicks / TimeSpan.TicksPerHour, TimeSpan.TicksPerHour);
        public DateTime AddMinutes(double value) => AddUnits(value, MaxTicks / TimeSpan.TicksPerMinute, TimeSpan.TicksPerMinute);
        public DateTime AddSeconds(double value) => AddUnits(value, MaxTicks / TimeSpan.TicksPerSecond, TimeSpan.TicksPerSecond);
        public DateTime AddMilliseconds(double value) => AddUnits(value, MaxTicks / TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerMillisecond);

        public DateTime AddMonths(int months)
        {
            if (months < -120000 || months > 120000) throw new ArgumentOutOfRangeException(nameof(months));
            GetDate(out int y, out int m, out int d);
            int i = m - 1 + months;
            if (i >= 0) { m = i % 12 + 1; y += i / 12; }
            else { m = 12 + (i + 1) % 12; y += (i - 11) / 12; }
            if (y < 1 || y > 9999) throw new ArgumentOutOfRangeException(nameof(months), "The added or subtracted value results in an un-representable DateTime.");
            int dim = DaysInMonth(y, m);
            if (d > dim) d = dim;
            return new DateTime((ulong)(DateToTicks(y, m, d) + Ticks % TicksPerDay) | KindBits, false);
        }

        public DateTime AddYears(int value)
        {
            if (value < -10000 || value > 10000) throw new ArgumentOutOfRangeException(nameof(value));
            return AddMonths(value * 12);
        }

        public TimeSpan Subtract(DateTime value) => new TimeSpan(Ticks - value.Ticks);
        public DateTime Subtract(TimeSpan value) => AddTicks(-value.Ticks);

        public DateTime ToUniversalTime() => Kind == DateTimeKind.Utc ? this : new DateTime(Ticks, DateTimeKind.Utc);
        public DateTime ToLocalTime() => Kind == DateTimeKind.Local ? this : new DateTime(Ticks, DateTimeKind.Local);

        public static DateTime operator +(DateTime d, TimeSpan t) => d.AddTicks(t.Ticks);
        public static DateTime operator -(DateTime d, TimeSpan t) => d.AddTicks(-t.Ticks);
        public static TimeSpan operator -(DateTime d1, DateTime d2) => new TimeSpan(d1.Ticks - d2.Ticks);
        public static bool operator ==(DateTime d1, DateTime d2) => d1.Ticks == d2.Ticks;
        public static bool operator !=(DateTime d1, DateTime d2) => d1.Ticks != d2.Ticks;
        public static bool operator <(DateTime t1, DateTime t2) => t1.Ticks < t2.Ticks;
        public static bool operator <=(DateTime t1, DateTime t2) => t1.Ticks <= t2.Ticks;
        public static bool operator >(DateTime t1, DateTime t2) => t1.Ticks > t2.Ticks;
        public static bool operator >=(DateTime t1, DateTime t2) => t1.Ticks >= t2.Ticks;

        public static int Compare(DateTime t1, DateTime t2) => t1.Ticks.CompareTo(t2.Ticks);
        public int CompareTo(DateTime value) => Ticks.CompareTo(value.Ticks);
        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is DateTime d) return CompareTo(d);
            throw new ArgumentException("Object must be of type DateTime.");
        }
        public bool Equals(DateTime value) => Ticks == value.Ticks;
        public override bool Equals(object? value) => value is DateTime d && Ticks == d.Ticks;
        public static bool Equals(DateTime t1, DateTime t2) => t1.Ticks == t2.Ticks;
        public override int GetHashCode() { long t = Ticks; return (int)t ^ (int)(t >> 32); }

        public override string ToString() => ToString(null, null);
        public string ToString(string? format) => ToString(format, null);
        public string ToString(IFormatProvider? provider) => ToString(null, provider);

        public string ToString(string? format, IFormatProvider? provider)
        {
            Span<char> buffer = stackalloc char[64];
            var w = new ValueStringBuilder(buffer);
            // O shows Z for UTC, the local offset (+00:00) for local time and nothing when unspecified.
            TimeSpan offset = Kind == DateTimeKind.Unspecified ? new TimeSpan(long.MinValue) : TimeSpan.Zero;
            DateTimeFormat.Format(ref w, this, format, offset, utc: Kind == DateTimeKind.Utc, isOffset: false);
            return w.ToString();
        }
    }
}
