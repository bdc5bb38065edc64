using System.Globalization;

namespace StrategyLab.Runtime.Data;

/// <summary>
/// A bar interval such as <c>1m</c>, <c>4h</c> or <c>1d</c>, held as a whole number of milliseconds.
/// Calendar months are not intervals here: their length varies, so bars could not be checked for gaps.
/// </summary>
public readonly record struct Interval(long Milliseconds)
{
    private static readonly (char Unit, long Ms)[] Units =
    [
        ('s', 1_000L), ('m', 60_000L), ('h', 3_600_000L), ('d', 86_400_000L), ('w', 7 * 86_400_000L),
    ];

    /// <summary>Bars per 365-day year, the annualisation convention for crypto markets that trade every day.</summary>
    public double BarsPerYear => 365.0 * 86_400_000.0 / Milliseconds;

    /// <summary>Parses <c>30s</c>, <c>1m</c>, <c>15m</c>, <c>4h</c>, <c>1d</c>, <c>1w</c>.</summary>
    public static bool TryParse(string? text, out Interval interval)
    {
        interval = default;
        if (string.IsNullOrEmpty(text) || text.Length < 2)
            return false;
        var unit = text[^1];
        var count = text.AsSpan(0, text.Length - 1);
        if (!long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
            return false;
        foreach (var (u, ms) in Units)
        {
            if (u == unit)
            {
                interval = new Interval(n * ms);
                return true;
            }
        }
        return false;
    }

    /// <summary>Parses an interval or throws a <see cref="FormatException"/> that lists the accepted forms.</summary>
    public static Interval Parse(string text) =>
        TryParse(text, out var i)
            ? i
            : throw new FormatException($"expected an interval such as 1m, 5m, 1h, 4h or 1d, found '{text}'");

    /// <summary>The shortest text form: <c>4h</c> rather than <c>240m</c>.</summary>
    public override string ToString()
    {
        for (var i = Units.Length - 1; i >= 0; i--)
        {
            var (u, ms) = Units[i];
            if (Milliseconds % ms == 0)
                return string.Create(CultureInfo.InvariantCulture, $"{Milliseconds / ms}{u}");
        }
        return string.Create(CultureInfo.InvariantCulture, $"{Milliseconds}ms");
    }
}
