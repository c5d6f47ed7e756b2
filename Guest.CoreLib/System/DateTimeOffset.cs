using System.Text;

namespace System
{
    // A point in time (kept as UTC ticks) with the offset it was expressed in. A guest has no time-zone
    // data: the local offset is +00:00.
    public readonly struct DateTimeOffset : IComparable, IComparable<DateTimeOffset>, IEquatable<DateTimeOffset>, IFormattable
    {
        private const long MaxOffsetTicks = 14 * TimeSpan.TicksPerHour;
        private const long UnixEpochSeconds = DateTime.UnixEpochTicks / TimeSpan.TicksPerSecond;
        private const long UnixEpochMilliseconds = DateTime.UnixEpochTicks / TimeSpan.TicksPerMillisecond;

        public static readonly DateTimeOffset MinValue = new DateTimeOffset(0, TimeSpan.Zero);
        public static readonly DateTimeOffset MaxValue = new DateTimeOffset(DateTime.MaxTicks, TimeSpan.Zero);
        public static readonly DateTimeOffset UnixEpoch = new DateTimeOffset(DateTime.UnixEpochTicks, TimeSpan.Zero);

        private readonly long _utcTicks;
        private readonly short _offsetMinutes;

        public DateTimeOffset(long ticks, TimeSpan offset)
        {
            _offsetMinutes = ValidateOffset(offset);
            long utc = ticks - offset.Ticks;
            if ((ulong)ticks > DateTime.MaxTicks || (ulong)utc > DateTime.MaxTicks) throw new ArgumentOutOfRangeException(nameof(offset), "The UTC time represented when the offset is applied must be between year 0 and 10,000.");
            _utcTicks = utc;
        }

        public DateTimeOffset(DateTime dateTime) : this(dateTime.Ticks, TimeSpan.Zero) { }

        public DateTimeOffset(DateTime dateTime, TimeSpan offset) : this(dateTime.Ticks, offset)
        {
            if (dateTime.Kind != DateTimeKind.Unspecified && offset.Ticks != 0)
                throw new ArgumentException("The UTC Offset for Utc DateTime instances must be 0.", nameof(offset));
        }

        public DateTimeOffset(int year, int month, int day, int hour, int minute, int second, TimeSpan offset)
            : this(new DateTime(year, month, day, hour, minute, second).Ticks, offset) { }

        public DateTimeOffset(int year, int month, int day, int hour, int minute, int second, int millisecond, TimeSpan offset)
            : this(new DateTime(year, month, day, hour, minute, second, millisecond).Ticks, offset) { }

        private static short ValidateOffset(TimeSpan offset)
        {
            long ticks = offset.Ticks;
            if (ticks % TimeSpan.TicksPerMinute != 0) throw new ArgumentException("Offset must be specified in whole minutes.", nameof(offset));
            if (ticks < -MaxOffsetTicks || ticks > MaxOffsetTicks) throw new ArgumentOutOfRangeException(nameof(offset), "Offset must be within plus or minus 14 hours.");
            return (short)(ticks / TimeSpan.TicksPerMinute);
        }

        public static DateTimeOffset UtcNow => new DateTimeOffset(DateTime.UtcNow.Ticks, TimeSpan.Zero);
        public static DateTimeOffset Now => UtcNow;

        public TimeSpan Offset => new TimeSpan(_offsetMinutes * TimeSpan.TicksPerMinute);
        public long UtcTicks => _utcTicks;
        public long Ticks => _utcTicks + _offsetMinutes * TimeSpan.TicksPerMinute;
        public DateTime DateTime => new DateTime(Ticks);
        public DateTime UtcDateTime => new DateTime(_utcTicks, DateTimeKind.Utc);
        public DateTime LocalDateTime => new DateTime(_utcTicks, DateTimeKind.Local);
        public DateTime Date => DateTime.Date;
        public TimeSpan TimeOfDay => DateTime.TimeOfDay;
        public int Year => DateTime.Year;
        public int Month => DateTime.Month;
        public int Day => DateTime.Day;
        public int Hour => DateTime.Hour;
        public int Minute => DateTime.Minute;
        public int Second => DateTime.Second;
        public int Millisecond => DateTime.Millisecond;
        public DayOfWeek DayOfWeek => DateTime.DayOfWeek;
        public int DayOfYear => DateTime.DayOfYear;

        public long ToUnixTimeSeconds() => _utcTicks / TimeSpan.TicksPerSecond - UnixEpochSeconds;
        public long ToUnixTimeMilliseconds() => _utcTicks / TimeSpan.TicksPerMillisecond - UnixEpochMilliseconds;

        public static DateTimeOffset FromUnixTimeSeconds(long seconds)
        {
            const long Min = -UnixEpochSeconds, Max = DateTime.MaxTicks / TimeSpan.TicksPerSecond - UnixEpochSeconds;
            if (seconds < Min || seconds > Max) throw new ArgumentOutOfRangeException(nameof(seconds));
            return new DateTimeOffset(seconds * TimeSpan.TicksPerSecond + DateTime.UnixEpochTicks, TimeSpan.Zero);
        }

        public static DateTimeOffset FromUnixTimeMilliseconds(long milliseconds)
        {
            const long Min = -UnixEpochMilliseconds, Max = DateTime.MaxTicks / TimeSpan.TicksPerMillisecond - UnixEpochMilliseconds;
            if (milliseconds < Min || milliseconds > Max) throw new ArgumentOutOfRangeException(nameof(milliseconds));
            return new DateTimeOffset(milliseconds * TimeSpan.TicksPerMillisecond + DateTime.UnixEpochTicks, TimeSpan.Zero);
        }

        public DateTimeOffset ToOffset(TimeSpan offset) => new DateTimeOffset(_utcTicks + offset.Ticks, offset);
        public DateTimeOffset ToUniversalTime() => new DateTimeOffset(_utcTicks, TimeSpan.Zero);
        public DateTimeOffset ToLocalTime() => ToUniversalTime();

        public DateTimeOffset Add(TimeSpan timeSpan) => new DateTimeOffset(DateTime.Add(timeSpan).Ticks, Offset);
        public DateTimeOffset AddTicks(long ticks) => new DateTimeOffset(DateTime.AddTicks(ticks).Ticks, Offset);
        public DateTimeOffset AddDays(double days) => new DateTimeOffset(DateTime.AddDays(days).Ticks, Offset);
        public DateTimeOffset AddHours(double hours) => new DateTimeOffset(DateTime.AddHours(hours).Ticks, Offset);
        public DateTimeOffset AddMinutes(double minutes) => new DateTimeOffset(DateTime.AddMinutes(minutes).Ticks, Offset);
        public DateTimeOffset AddSeconds(double seconds) => new DateTimeOffset(DateTime.AddSeconds(seconds).Ticks, Offset);
        public DateTimeOffset AddMilliseconds(double milliseconds) => new DateTimeOffset(DateTime.AddMilliseconds(milliseconds).Ticks, Offset);
        public DateTimeOffset AddMonths(int months) => new DateTimeOffset(DateTime.AddMonths(months).Ticks, Offset);
        public DateTimeOffset AddYears(int years) => new DateTimeOffset(DateTime.AddYears(years).Ticks, Offset);
        public TimeSpan Subtract(DateTimeOffset value) => new TimeSpan(_utcTicks - value._utcTicks);
        public DateTimeOffset Subtract(TimeSpan value) => Add(value.Negate());

        public static DateTimeOffset operator +(DateTimeOffset dateTimeOffset, TimeSpan timeSpan) => dateTimeOffset.Add(timeSpan);
        public static DateTimeOffset operator -(DateTimeOffset dateTimeOffset, TimeSpan timeSpan) => dateTimeOffset.Subtract(timeSpan);
        public static TimeSpan operator -(DateTimeOffset left, DateTimeOffset right) => left.Subtract(right);
        public static bool operator ==(DateTimeOffset left, DateTimeOffset right) => left._utcTicks == right._utcTicks;
        public static bool operator !=(DateTimeOffset left, DateTimeOffset right) => left._utcTicks != right._utcTicks;
        public static bool operator <(DateTimeOffset left, DateTimeOffset right) => left._utcTicks < right._utcTicks;
        public static bool operator <=(DateTimeOffset left, DateTimeOffset right) => left._utcTicks <= right._utcTicks;
        public static bool operator >(DateTimeOffset left, DateTimeOffset right) => left._utcTicks > right._utcTicks;
        public static bool operator >=(DateTimeOffset left, DateTimeOffset right) => left._utcTicks >= right._utcTicks;

        public static int Compare(DateTimeOffset first, DateTimeOffset second) => first._utcTicks.CompareTo(second._utcTicks);
        public int CompareTo(DateTimeOffset other) => _utcTicks.CompareTo(other._utcTicks);
        int IComparable.CompareTo(object? obj)
        {
            if (obj is null) return 1;
            if (obj is DateTimeOffset d) return CompareTo(d);
            throw new ArgumentException("Object must be of type DateTimeOffset.");
        }
        public bool Equals(DateTimeOffset other) => _utcTicks == other._utcTicks;
        public bool EqualsExact(DateTimeOffset other) => _utcTicks == other._utcTicks && _offsetMinutes == other._offsetMinutes;
        public override bool Equals(object? obj) => obj is DateTimeOffset d && _utcTicks == d._utcTicks;
        public override int GetHashCode() => (int)_utcTicks ^ (int)(_utcTicks >> 32);

        public override string ToString() => ToString(null, null);
        public string ToString(string? format) => ToString(format, null);
        public string ToString(IFormatProvider? formatProvider) => ToString(null, formatProvider);

        public string ToString(string? format, IFormatProvider? formatProvider)
        {
            Span<char> buffer = stackalloc char[64];
            var w = new ValueStringBuilder(buffer);
            // u and R print the UTC time; every other format the clock time with its offset.
            bool universal = format is not null && format.Length == 1 && (format[0] == 'u' || format[0] == 'r' || format[0] == 'R');
            DateTimeFormat.Format(ref w, universal ? UtcDateTime : DateTime, format, Offset, utc: false, isOffset: true);
            return w.ToString();
        }
    }
}
