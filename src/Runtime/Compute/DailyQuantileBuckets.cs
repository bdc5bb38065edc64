namespace StrategyLab.Runtime.Compute;

/// <summary>
/// <c>xs_quantile(x, q, scope: date)</c>: quantile bucket 1..q of x among all values of the same UTC
/// day seen so far — every asset at every timestamp of the day up to and including this bar
/// (seed 004's date scope, which lets single-asset intraday signals be bucketed). The pool starts
/// empty at each UTC midnight. Buckets follow <see cref="QuantileBuckets"/>: rank r among the m
/// pooled values (ties averaged), bucket ⌊(r − 1) × q / m⌋ + 1. NaN inputs stay NaN and are not
/// pooled. Only values up to this bar are used, so the batch kernel equals the incremental form;
/// <see cref="ComputeWholeDay"/> pools the whole day instead, for after-the-fact evaluation only.
/// Timestamps must not decrease. Warm-up: 1 bar.
/// </summary>
public sealed class DailyQuantileBuckets : IncrementalIndicator
{
    private const long MillisecondsPerDay = 86_400_000;
    private double[] _pool;
    private int _poolCount;
    private long _day = long.MinValue;
    private long _lastTimestamp = long.MinValue;

    /// <summary>Creates date-scoped quantile buckets; <paramref name="expectedPerDay"/> sizes the pool up front.</summary>
    public DailyQuantileBuckets(int assetCount, int bins, int expectedPerDay = 1440)
        : base($"XS_QUANTILE_DATE({bins})", assetCount, 1, 1, 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        Bins = bins;
        _pool = new double[Math.Max(assetCount, expectedPerDay)];
    }

    /// <summary>Number of buckets q.</summary>
    public int Bins { get; }

    private void Step(long timestampMs, ReadOnlySpan<double> value, Span<double> output)
    {
        if (timestampMs < _lastTimestamp)
        {
            throw new ArgumentException($"timestamp {timestampMs} is earlier than the previous bar's {_lastTimestamp}", nameof(timestampMs));
        }

        _lastTimestamp = timestampMs;
        var day = Math.DivRem(timestampMs, MillisecondsPerDay, out var remainder) - (remainder < 0 ? 1 : 0);
        if (day != _day)
        {
            _day = day;
            _poolCount = 0;
        }

        for (var a = 0; a < value.Length; a++)
        {
            var x = value[a];
            if (!double.IsNaN(x))
            {
                Insert(x);
            }
        }

        var pool = _pool.AsSpan(0, _poolCount);
        for (var a = 0; a < value.Length; a++)
        {
            var x = value[a];
            output[a] = double.IsNaN(x) ? double.NaN : QuantileBuckets.Bucket(AverageRank(pool, x), pool.Length, Bins);
        }

        Advance();
    }

    /// <summary>Batch kernel over a [T×A] column with its time axis of T Unix-millisecond timestamps.</summary>
    public static void Compute(ReadOnlySpan<long> timestampsMs, ReadOnlySpan<double> input, Span<double> output, int assetCount, int bins)
    {
        var rows = ColumnShape.Rows(assetCount, input, output);
        CheckTimeAxis(timestampsMs, rows);
        var op = new DailyQuantileBuckets(assetCount, bins);
        for (var t = 0; t < rows; t++)
        {
            op.Update(timestampsMs[t], input.Slice(t * assetCount, assetCount), output.Slice(t * assetCount, assetCount));
        }
    }

    /// <summary>
    /// Buckets every value among all values of its whole UTC day, later bars included, as seed 004's
    /// evaluation does. This looks ahead within the day: use it to evaluate a finished signal,
    /// never to make a decision. It has no incremental form.
    /// </summary>
    public static void ComputeWholeDay(ReadOnlySpan<long> timestampsMs, ReadOnlySpan<double> input, Span<double> output, int assetCount, int bins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var rows = ColumnShape.Rows(assetCount, input, output);
        CheckTimeAxis(timestampsMs, rows);
        var pool = new double[input.Length];
        var start = 0;
        while (start < rows)
        {
            var day = FloorDay(timestampsMs[start]);
            var end = start + 1;
            while (end < rows && FloorDay(timestampsMs[end]) == day)
            {
                end++;
            }

            var block = input[(start * assetCount)..(end * assetCount)];
            var m = 0;
            foreach (var x in block)
            {
                if (!double.IsNaN(x))
                {
                    pool[m++] = x;
                }
            }

            var sorted = pool.AsSpan(0, m);
            sorted.Sort();
            var target = output[(start * assetCount)..(end * assetCount)];
            for (var i = 0; i < block.Length; i++)
            {
                var x = block[i];
                target[i] = double.IsNaN(x) ? double.NaN : QuantileBuckets.Bucket(AverageRank(sorted, x), m, bins);
            }

            start = end;
        }
    }

    /// <summary>Runs one bar: <paramref name="inputRows"/> is the row of bar <paramref name="timestampMs"/> (Unix milliseconds, UTC).</summary>
    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Step(timestampMs, inputRows, outputRows);

    private protected override void ResetState()
    {
        _poolCount = 0;
        _day = long.MinValue;
        _lastTimestamp = long.MinValue;
    }

    private static long FloorDay(long timestampMs) =>
        Math.DivRem(timestampMs, MillisecondsPerDay, out var remainder) - (remainder < 0 ? 1 : 0);

    private static void CheckTimeAxis(ReadOnlySpan<long> timestampsMs, int rows)
    {
        if (timestampsMs.Length != rows)
        {
            throw new ArgumentException($"expected {rows} timestamps, found {timestampsMs.Length}", nameof(timestampsMs));
        }

        for (var t = 1; t < rows; t++)
        {
            if (timestampsMs[t] < timestampsMs[t - 1])
            {
                throw new ArgumentException($"timestamps decrease at row {t}", nameof(timestampsMs));
            }
        }
    }

    /// <summary>1-based rank of <paramref name="x"/> in the sorted pool, averaged over equal values.</summary>
    private static double AverageRank(ReadOnlySpan<double> sorted, double x)
    {
        var below = Bound(sorted, x, false);
        var upTo = Bound(sorted, x, true);
        return (below + 1 + upTo) / 2.0;
    }

    /// <summary>Number of pooled values below <paramref name="x"/> (or equal to it, when <paramref name="orEqual"/>).</summary>
    private static int Bound(ReadOnlySpan<double> sorted, double x, bool orEqual)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < x || (orEqual && sorted[mid] == x))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private void Insert(double x)
    {
        if (_poolCount == _pool.Length)
        {
            Array.Resize(ref _pool, _pool.Length * 2);
        }

        var pool = _pool.AsSpan(0, _poolCount + 1);
        var at = Bound(pool[.._poolCount], x, true);
        pool[at.._poolCount].CopyTo(pool[(at + 1)..]);
        pool[at] = x;
        _poolCount++;
    }
}
