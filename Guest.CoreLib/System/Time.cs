using Internal.Runtime;

namespace System
{
    // A time interval in 100 ns ticks (the .NET API's core members).
    public readonly struct TimeSpan : IComparable, IComparable<TimeSpan>, IEquatable<TimeSpan>
    {
        public const long TicksPerMicrosecond = 10;
        public const long TicksPerMillisecond = 10_000;
        public const long TicksPerSecond = 10_000_000;
        public const long TicksPerMinute = 600_000_000;
        public const long TicksPerHour = 36_000_000_000;
        public const long TicksPerDay = 864_000_000_000;
        public const long NanosecondsPerTick = 100;

        public static readonly TimeSpan Zero = new TimeSpan(0);
        public static readonly TimeSpan MaxValue = new TimeSpan(long.MaxValue);
        public static readonly TimeSpan MinValue = new TimeSpan(long.MinValue);

        private readonly long _ticks;

        public TimeSpan(long ticks) { _ticks = ticks; }

        public TimeSpan(int hours, int minutes, int seconds)
        {
            _ticks = checked(hours * TicksPerHour + minutes * TicksPerMinute + seconds * TicksPerSecond);
        }

        public long Ticks => _ticks;
        public int Days => (int)(_ticks / TicksPerDay);
        public int Hours => (int)(_ticks / TicksPerHour % 24);
        public int Minutes => (int)(_ticks / TicksPerMinute % 60);
        public int Seconds => (int)(_ticks / TicksPerSecond % 60);
        public int Milliseconds => (int)(_ticks / TicksPerMillisecond % 1000);
        public double TotalDays => (double)_ticks / TicksPerDay;
        public double TotalHours => (double)_ticks / TicksPerHour;
        public double TotalMinutes => (double)_ticks / TicksPerMinute;
        public double TotalSeconds => (double)_ticks / TicksPerSecond;
        public double TotalMilliseconds => (double)_ticks / TicksPerMillisecond;
        public double TotalMicroseconds => (double)_ticks / TicksPerMicrosecond;
        public double TotalNanoseconds => (double)_ticks * NanosecondsPerTick;

        public static TimeSpan FromTicks(long value) => new TimeSpan(value);
        public static TimeSpan FromDays(int days) => new TimeSpan(checked(days * TicksPerDay));
        public static TimeSpan FromHours(int hours) => new TimeSpan(checked(hours * TicksPerHour));
        public static TimeSpan FromMinutes(long minutes) => new TimeSpan(checked(minutes * TicksPerMinute));
        public static TimeSpan FromDays(double value) => FromDoubleTicks(value * TicksPerDay);
        public static TimeSpan FromHours(double value) => FromDoubleTicks(value * TicksPerHour);
        public static TimeSpan FromMinutes(double value) => FromDoubleTicks(value * TicksPerMinute);
        public static TimeSpan FromSeconds(double value) => FromDoubleTicks(value * TicksPerSecond);
        public static TimeSpan FromMilliseconds(double value) => FromDoubleTicks(value * TicksPerMillisecond);

        // As .NET: the product truncated to whole ticks; NaN and values beyond the range overflow.
        private static TimeSpan FromDoubleTicks(double ticks)
        {
            if (!(ticks >= long.MinValue && ticks <= long.MaxValue)) throw new OverflowException("TimeSpan overflowed because the duration is too long.");
            return ticks == long.MaxValue ? MaxValue : new TimeSpan((long)ticks);
        }
        public static TimeSpan FromSeconds(long seconds) => new TimeSpan(checked(seconds * TicksPerSecond));
        public static TimeSpan FromMilliseconds(long milliseconds, long microseconds = 0) =>
            new TimeSpan(checked(milliseconds * TicksPerMillisecond + microseconds * TicksPerMicrosecond));

        public TimeSpan Add(TimeSpan ts) => new TimeSpan(checked(_ticks + ts._ticks));
        public TimeSpan Subtract(TimeSpan ts) => new TimeSpan(checked(_ticks - ts._ticks));
        public TimeSpan Negate() => new TimeSpan(checked(-_ticks));
        public TimeSpan Duration() => new TimeSpan(_ticks >= 0 ? _ticks : checked(-_ticks));

        public static TimeSpan operator +(TimeSpan t1, TimeSpan t2) => t1.Add(t2);
        public static TimeSpan operator -(TimeSpan t1, TimeSpan t2) => t1.Subtract(t2);
        public static TimeSpan operator -(TimeSpan t) => t.Negate();
        public static bool operator ==(TimeSpan t1, TimeSpan t2) => t1._ticks == t2._ticks;
        public static bool operator !=(TimeSpan t1, TimeSpan t2) => t1._ticks != t2._ticks;
        public static bool operator <(TimeSpan t1, TimeSpan t2) => t1._ticks < t2._ticks;
        public static bool operator <=(TimeSpan t1, TimeSpan t2) => t1._ticks <= t2._ticks;
        public static bool operator >(TimeSpan t1, TimeSpan t2) => t1._ticks > t2._ticks;
        public static bool operator >=(TimeSpan t1, TimeSpan t2) => t1._ticks >= t2._ticks;

        public int CompareTo(TimeSpan value) => _ticks.CompareTo(value._ticks);
        public int CompareTo(object? value)
        {
            if (value is null) return 1;
            if (value is TimeSpan t) return CompareTo(t);
            throw new ArgumentException("Object must be of type TimeSpan.");
        }
        public bool Equals(TimeSpan obj) => _ticks == obj._ticks;
        public override bool Equals(object? value) => value is TimeSpan t && _ticks == t._ticks;
        public override int GetHashCode() => _ticks.GetHashCode();

        // The constant ("c") format, as .NET's ToString(): [-][d.]hh:mm:ss[.fffffff]
        public override string ToString()
        {
            long t = _ticks;
            string sign = "";
            ulong u;
            if (t < 0) { sign = "-"; u = (ulong)(-(t + 1)) + 1; } else u = (ulong)t;
            ulong days = u / (ulong)TicksPerDay;
            ulong rest = u % (ulong)TicksPerDay;
            string s = sign;
            if (days != 0) s += days.ToString() + ".";
            s += (rest / (ulong)TicksPerHour).ToString("D2") + ":" + (rest / (ulong)TicksPerMinute % 60).ToString("D2") + ":" + (rest / (ulong)TicksPerSecond % 60).ToString("D2");
            ulong fraction = rest % (ulong)TicksPerSecond;
            if (fraction != 0) s += "." + fraction.ToString("D7");
            return s;
        }
    }
}

namespace System.Diagnostics
{
    // Timestamps are TSC ticks; Frequency is the TSC frequency the tender measured (hvt boot info).
    public class Stopwatch
    {
        public static readonly long Frequency = GetFrequency();
        public static readonly bool IsHighResolution = true;

        private long _elapsed;
        private long _startTimestamp;
        private bool _isRunning;

        public Stopwatch() { }

        private static unsafe long GetFrequency()
        {
            ulong f = Hvt.BootInfo()->CpuCycleFreq;
            return f == 0 ? 1 : (long)f;
        }

        public static long GetTimestamp() => (long)Hvt.Tsc();

        public static TimeSpan GetElapsedTime(long startingTimestamp) => GetElapsedTime(startingTimestamp, GetTimestamp());

        public static TimeSpan GetElapsedTime(long startingTimestamp, long endingTimestamp) => new TimeSpan(ToTimeSpanTicks(endingTimestamp - startingTimestamp));

        public static Stopwatch StartNew()
        {
            var s = new Stopwatch();
            s.Start();
            return s;
        }

        public bool IsRunning => _isRunning;

        public void Start()
        {
            if (_isRunning) return;
            _startTimestamp = GetTimestamp();
            _isRunning = true;
        }

        public void Stop()
        {
            if (!_isRunning) return;
            _elapsed += GetTimestamp() - _startTimestamp;
            _isRunning = false;
        }

        public void Reset()
        {
            _elapsed = 0;
            _isRunning = false;
            _startTimestamp = 0;
        }

        public void Restart()
        {
            _elapsed = 0;
            _startTimestamp = GetTimestamp();
            _isRunning = true;
        }

        public long ElapsedTicks => _isRunning ? _elapsed + GetTimestamp() - _startTimestamp : _elapsed;

        public TimeSpan Elapsed => new TimeSpan(ToTimeSpanTicks(ElapsedTicks));

        public long ElapsedMilliseconds => ToTimeSpanTicks(ElapsedTicks) / TimeSpan.TicksPerMillisecond;

        // TSC ticks to 100 ns ticks, split so that the multiplication cannot overflow.
        private static long ToTimeSpanTicks(long timestampTicks)
        {
            long seconds = timestampTicks / Frequency;
            long rest = timestampTicks % Frequency;
            return seconds * TimeSpan.TicksPerSecond + rest * TimeSpan.TicksPerSecond / Frequency;
        }
    }
}
