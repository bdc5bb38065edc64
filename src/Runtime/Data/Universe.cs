namespace StrategyLab.Runtime.Data;

/// <summary>
/// Which assets a strategy may hold at each bar, as a time-major [time × asset] mask. Membership
/// is decided at rebalance bars from data known at that bar's close and held until the next one.
/// </summary>
public abstract record UniverseRule
{
    /// <summary>
    /// Decides membership on <paramref name="panel"/>. <paramref name="rebalance"/> marks the bars at
    /// which membership is re-evaluated (null: every bar). Before the first rebalance bar nothing is a member.
    /// </summary>
    public abstract bool[] Select(Panel panel, bool[]? rebalance = null);

    /// <summary>Rebalance marks for every <paramref name="every"/>-th bar from the first.</summary>
    public static bool[] EveryNthBar(int timeCount, int every)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        var marks = new bool[timeCount];
        for (var t = 0; t < timeCount; t += every)
            marks[t] = true;
        return marks;
    }

    /// <summary>
    /// Rebalance marks at the first bar and at each bar that opens a new <paramref name="period"/> on
    /// the calendar, as aggregated bars align (<see cref="Resample.BarOpen"/>: weeks from Monday
    /// 00:00 UTC, other periods from the Unix epoch).
    /// </summary>
    public static bool[] PeriodStarts(ReadOnlySpan<long> times, Interval period)
    {
        var marks = new bool[times.Length];
        for (var t = 0; t < times.Length; t++)
            marks[t] = t == 0 || Resample.BarOpen(times[t], period) != Resample.BarOpen(times[t - 1], period);
        return marks;
    }

    /// <summary>Rebalance marks at the first bar of each UTC calendar month.</summary>
    public static bool[] MonthStarts(ReadOnlySpan<long> times)
    {
        var marks = new bool[times.Length];
        var previous = (Year: -1, Month: -1);
        for (var t = 0; t < times.Length; t++)
        {
            var d = DateTimeOffset.FromUnixTimeMilliseconds(times[t]).UtcDateTime;
            marks[t] = (d.Year, d.Month) != previous;
            previous = (d.Year, d.Month);
        }
        return marks;
    }

    // walks the bars, asking for a fresh membership row at each rebalance bar and holding it otherwise
    private protected static bool[] Hold(Panel panel, bool[]? rebalance, Action<int, Span<bool>> decide)
    {
        var t0 = panel.TimeCount;
        var a = panel.AssetCount;
        if (rebalance is not null && rebalance.Length != t0)
            throw new ArgumentException($"rebalance marks cover {rebalance.Length} bars, the panel {t0}");
        var mask = new bool[t0 * a];
        var current = new bool[a];
        var started = false;
        for (var t = 0; t < t0; t++)
        {
            if (rebalance is null || rebalance[t])
            {
                Array.Clear(current);
                decide(t, current);
                started = true;
            }
            if (started)
                current.CopyTo(mask.AsSpan(t * a, a));
        }
        return mask;
    }
}

/// <summary>A fixed list of symbols; a symbol the data lacks is an error that names it.</summary>
public sealed record FixedUniverse(IReadOnlyList<string> Symbols) : UniverseRule
{
    /// <inheritdoc />
    public override bool[] Select(Panel panel, bool[]? rebalance = null)
    {
        var missing = Symbols.Where(s => panel.AssetIndex(s) < 0).ToList();
        if (missing.Count > 0)
            throw new KeyNotFoundException($"dataset '{panel.Name}' has no symbol {string.Join(", ", missing)}");
        var assets = Symbols.Select(panel.AssetIndex).ToArray();
        return Hold(panel, rebalance, (_, row) =>
        {
            foreach (var a in assets)
                row[a] = true;
        });
    }
}

/// <summary>
/// The top <paramref name="Count"/> assets by a column (market cap, volume) at each rebalance bar,
/// using only that bar's value: an asset with no value there (not yet listed, delisted, missing)
/// cannot be chosen. Ties go to the symbol that sorts first, so the choice is deterministic.
/// </summary>
public sealed record TopNUniverse(int Count, string Column) : UniverseRule
{
    /// <inheritdoc />
    public override bool[] Select(Panel panel, bool[]? rebalance = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Count, 1);
        var values = panel.Column(Column).ToArray();
        var a = panel.AssetCount;
        var order = new int[a];
        var keys = new double[a];
        return Hold(panel, rebalance, (t, row) =>
        {
            var n = 0;
            for (var i = 0; i < a; i++)
            {
                var v = values[t * a + i];
                if (double.IsNaN(v))
                    continue;
                order[n] = i;
                keys[n] = -v;
                n++;
            }
            // a stable sort on the negated value keeps symbol order among ties
            var chosen = order.AsSpan(0, n).ToArray();
            var k = keys.AsSpan(0, n).ToArray();
            Array.Sort(k, chosen);
            StableTies(k, chosen);
            for (var i = 0; i < Math.Min(Count, n); i++)
                row[chosen[i]] = true;
        });
    }

    private static void StableTies(double[] keys, int[] assets)
    {
        var start = 0;
        for (var i = 1; i <= keys.Length; i++)
        {
            if (i < keys.Length && keys[i] == keys[start])
                continue;
            Array.Sort(assets, start, i - start);
            start = i;
        }
    }
}
