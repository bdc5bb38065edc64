using System.Buffers.Text;
using System.Globalization;

namespace StrategyLab.Runtime.Data.Csv;

/// <summary>How a time column is written.</summary>
public enum TimeFormat
{
    /// <summary>Decided from the first value: ISO 8601, a date, YYYYMMDD or Unix seconds/ms/µs by magnitude.</summary>
    Auto,
    /// <summary><c>2021-11-15T00:00:00Z</c>, <c>2021-11-15 00:00:00.138+00:00</c> or <c>2021-11-15</c>.</summary>
    Iso,
    /// <summary><c>20200101</c>.</summary>
    CompactDate,
    /// <summary>Seconds since 1970-01-01 UTC.</summary>
    UnixSeconds,
    /// <summary>Milliseconds since 1970-01-01 UTC.</summary>
    UnixMilliseconds,
    /// <summary>Microseconds since 1970-01-01 UTC (Binance spot files from 2025 on).</summary>
    UnixMicroseconds,
}

/// <summary>Parses times to Unix milliseconds (UTC) without going through DateTime parsing.</summary>
public static class TimeParser
{
    /// <summary>Chooses the format of a column from one of its values.</summary>
    public static TimeFormat Detect(ReadOnlySpan<byte> value)
    {
        if (value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
            return TimeFormat.Iso;
        return value.Length switch
        {
            8 => TimeFormat.CompactDate,
            <= 11 => TimeFormat.UnixSeconds,
            <= 14 => TimeFormat.UnixMilliseconds,
            _ => TimeFormat.UnixMicroseconds,
        };
    }

    /// <summary>Parses <paramref name="value"/> in <paramref name="format"/>; false when it is not such a time.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, TimeFormat format, out long unixMs)
    {
        unixMs = 0;
        if (format == TimeFormat.Auto)
            format = Detect(value);
        switch (format)
        {
            case TimeFormat.UnixSeconds:
            case TimeFormat.UnixMilliseconds:
            case TimeFormat.UnixMicroseconds:
                if (!Utf8Parser.TryParse(value, out long n, out var used) || used != value.Length)
                    return false;
                unixMs = format switch
                {
                    TimeFormat.UnixSeconds => n * 1000,
                    TimeFormat.UnixMilliseconds => n,
                    _ => n / 1000,
                };
                return true;
            case TimeFormat.CompactDate:
                return value.Length == 8
                    && TryDigits(value[..4], out var y) && TryDigits(value[4..6], out var mo) && TryDigits(value[6..8], out var d)
                    && TryCivil(y, mo, d, out unixMs);
            default:
                return TryParseIso(value, out unixMs);
        }
    }

    /// <summary>Formats Unix milliseconds as ISO 8601 UTC, dropping a zero time of day and zero milliseconds.</summary>
    public static string Format(long unixMs)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime;
        if (unixMs % 86_400_000 == 0)
            return t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return t.ToString(unixMs % 1000 == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }

    private static bool TryParseIso(ReadOnlySpan<byte> v, out long unixMs)
    {
        unixMs = 0;
        if (v.Length < 10 || v[4] != '-' || v[7] != '-'
            || !TryDigits(v[..4], out var y) || !TryDigits(v[5..7], out var mo) || !TryDigits(v[8..10], out var d)
            || !TryCivil(y, mo, d, out var dayMs))
            return false;
        if (v.Length == 10)
        {
            unixMs = dayMs;
            return true;
        }
        if (v.Length < 19 || (v[10] != 'T' && v[10] != ' ') || v[13] != ':' || v[16] != ':'
            || !TryDigits(v[11..13], out var hh) || !TryDigits(v[14..16], out var mm) || !TryDigits(v[17..19], out var ss)
            || hh > 23 || mm > 59 || ss > 59)
            return false;
        var ms = 0L;
        var rest = v[19..];
        if (rest.Length > 0 && rest[0] == '.')
        {
            var digits = 1;
            while (digits < rest.Length && rest[digits] >= '0' && rest[digits] <= '9')
                digits++;
            var frac = rest[1..digits];
            if (frac.Length == 0)
                return false;
            // milliseconds from the first three fractional digits; finer digits are truncated
            for (var i = 0; i < 3; i++)
                ms = ms * 10 + (i < frac.Length ? frac[i] - '0' : 0);
            rest = rest[digits..];
        }
        long offsetMs = 0;
        if (rest.Length == 1 && rest[0] == 'Z')
            rest = default;
        else if (rest.Length == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':'
            && TryDigits(rest[1..3], out var oh) && TryDigits(rest[4..6], out var om))
        {
            offsetMs = (oh * 60L + om) * 60_000L * (rest[0] == '+' ? 1 : -1);
            rest = default;
        }
        if (rest.Length != 0)
            return false;
        unixMs = dayMs + ((hh * 60L + mm) * 60L + ss) * 1000L + ms - offsetMs;
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (var c in s)
        {
            if (c < '0' || c > '9')
                return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    // days from civil date (proleptic Gregorian), after H. Hinnant's published algorithm
    private static bool TryCivil(int y, int m, int d, out long unixMs)
    {
        unixMs = 0;
        if (m < 1 || m > 12 || d < 1 || d > DateTime.DaysInMonth(Math.Clamp(y, 1, 9999), m))
            return false;
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - era * 400;
        var doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        var doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        var days = era * 146097L + doe - 719468L;
        unixMs = days * 86_400_000L;
        return true;
    }
}
