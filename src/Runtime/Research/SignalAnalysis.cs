using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using StrategyLab.Runtime.Backtest.Reports;
using StrategyLab.Runtime.Compute;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Research;

/// <summary>
/// The mean of a statistic taken once per period, with its sample standard deviation (n − 1) and
/// t-statistic mean / (std / √n). Std and t are NaN with fewer than two periods, and t is NaN when
/// the std is 0.
/// </summary>
public sealed record PeriodStatistic(double Mean, double Std, double TStatistic, int Periods)
{
    /// <summary>The statistic of no period at all.</summary>
    public static PeriodStatistic Empty { get; } = new(double.NaN, double.NaN, double.NaN, 0);

    /// <summary>Mean, sample std and t-statistic of <paramref name="values"/>, one per period.</summary>
    public static PeriodStatistic Of(ReadOnlySpan<double> values)
    {
        var n = values.Length;
        if (n == 0)
            return Empty;
        var sum = 0.0;
        foreach (var x in values)
            sum += x;
        var mean = sum / n;
        if (n < 2)
            return new PeriodStatistic(mean, double.NaN, double.NaN, n);
        var squares = 0.0;
        foreach (var x in values)
            squares += (x - mean) * (x - mean);
        var std = Math.Sqrt(squares / (n - 1));
        return new PeriodStatistic(mean, std, std > 0 ? mean / (std / Math.Sqrt(n)) : double.NaN, n);
    }
}

/// <summary>
/// The information coefficient: Spearman's rank correlation between the signal and the forward
/// return. <see cref="PerPeriod"/> summarises one IC per period; <see cref="Pooled"/> is a single
/// rank correlation over every pair of every period at once.
/// </summary>
public sealed record InformationCoefficient(PeriodStatistic PerPeriod, double Pooled);

/// <summary>How <see cref="DirectionalAccuracy"/> decides that a signal called the direction right.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<AccuracyKind>))]
public enum AccuracyKind
{
    /// <summary>
    /// Cross-sectional, as Jaquart, Dann and Weinhardt (2022) measure accuracy: at each timestamp a pair
    /// is right when (signal above the timestamp's median signal) equals (forward return above the
    /// timestamp's median forward return).
    /// </summary>
    AboveMedian,

    /// <summary>One asset over time: a pair is right when the signal and the forward return have the same sign.</summary>
    Sign,
}

/// <summary>The share of pairs whose direction the signal called right, out of <see cref="Pairs"/> pairs that count.</summary>
public sealed record DirectionalAccuracy(AccuracyKind Kind, double Accuracy, long Pairs);

/// <summary>Writes an enum in JSON as its snake_case name (<c>above_median</c>), as the command line spells it.</summary>
public sealed class SnakeCaseEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.SnakeCaseLower)
    where T : struct, Enum;

/// <summary>A signal's quantile analysis, information coefficient and directional accuracy.</summary>
/// <param name="Bins">The number of quantile bins (1 = lowest signal).</param>
/// <param name="Scope">What the bins, the spread and the IC are taken across: one timestamp, or one UTC date.</param>
/// <param name="Pairs">The (signal, forward return) pairs where both are finite: the only ones that count.</param>
/// <param name="Periods">Periods (timestamps or dates) with at least one pair.</param>
/// <param name="Quantiles">Per bin, over every period: mean forward return, count and hit rate (share of forward returns above 0).</param>
/// <param name="Spread">Per period with both bins filled: mean forward return of the top bin minus that of the bottom bin.</param>
/// <param name="InformationCoefficient">Spearman rank correlation per period, and pooled.</param>
/// <param name="DirectionalAccuracy">How often the signal called the direction right.</param>
public sealed record SignalAnalysisResult(
    int Bins,
    [property: JsonConverter(typeof(SnakeCaseEnumConverter<QuantileScope>))] QuantileScope Scope,
    long Pairs,
    int Periods,
    ImmutableArray<QuantileRow> Quantiles,
    PeriodStatistic Spread,
    InformationCoefficient InformationCoefficient,
    DirectionalAccuracy DirectionalAccuracy);

/// <summary>
/// Measures how well a signal sorts forward returns, as seed 004's evaluation does. The inputs are a
/// signal column and a forward-return column, both [time × asset] and time-major, NaN where absent;
/// a pair counts only where both values are finite, and everything below is computed over those
/// pairs alone.
/// <list type="bullet">
/// <item><b>Bins</b>: the pairs' signal values are bucketed 1..q by the batch kernels: across the
/// assets of each timestamp (<see cref="QuantileBuckets"/>), or for scope date across every value of
/// the same UTC date up to and including the bar (<see cref="DailyQuantileBuckets.Compute"/>, causal
/// within the day, as a strategy trading on <c>scope date</c> sees them).</item>
/// <item><b>Per bin</b>: mean forward return, count, and hit rate = share of forward returns &gt; 0.</item>
/// <item><b>Spread</b>: per period (timestamp, or UTC date for scope date) where bins q and 1 both hold
/// a pair, mean forward return of bin q minus that of bin 1; then <see cref="PeriodStatistic"/>.</item>
/// <item><b>IC</b>: per period with at least 3 pairs, Spearman's correlation = Pearson's correlation
/// of the ranks (ties get their average rank); a period where either side is constant has no IC.
/// Then <see cref="PeriodStatistic"/>, and the pooled IC over all pairs at once.</item>
/// <item><b>Directional accuracy</b>: with scope timestamp and more than one asset, at each timestamp
/// with at least 2 pairs, the share of pairs where (signal &gt; the timestamp's median signal) equals
/// (forward return &gt; the timestamp's median forward return) (<see cref="AccuracyKind.AboveMedian"/>);
/// otherwise the share of pairs where sign(signal) = sign(forward return), pairs with a zero on either
/// side left out (<see cref="AccuracyKind.Sign"/>).</item>
/// </list>
/// With forward returns over h &gt; 1 bars consecutive periods overlap, and the t-statistics, which
/// assume independent periods, overstate the evidence.
/// </summary>
public static class SignalAnalysis
{
    private const long MillisecondsPerDay = 86_400_000;
    private const int MinimumIcPairs = 3;
    private const int MinimumMedianPairs = 2;

    /// <summary>Analyses <paramref name="signal"/> against <paramref name="forwardReturn"/> over <paramref name="timesMs"/> (Unix ms, not decreasing).</summary>
    public static SignalAnalysisResult Analyze(
        ReadOnlySpan<double> signal, ReadOnlySpan<double> forwardReturn, int assetCount, ReadOnlySpan<long> timesMs, int bins, QuantileScope scope)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(assetCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 2);
        if (signal.Length != forwardReturn.Length)
            throw new ArgumentException($"the forward returns hold {forwardReturn.Length} values, the signal {signal.Length}", nameof(forwardReturn));
        if (signal.Length % assetCount != 0)
            throw new ArgumentException($"column length {signal.Length} is not a multiple of the asset count {assetCount}", nameof(signal));
        var rows = signal.Length / assetCount;
        if (timesMs.Length != rows)
            throw new ArgumentException($"expected {rows} bar times, found {timesMs.Length}", nameof(timesMs));
        for (var t = 1; t < rows; t++)
        {
            if (timesMs[t] < timesMs[t - 1])
                throw new ArgumentException($"bar times decrease at row {t}", nameof(timesMs));
        }

        // only pairs with both values finite are binned, so the bins split exactly the pairs that count
        var paired = new double[signal.Length];
        for (var i = 0; i < paired.Length; i++)
            paired[i] = double.IsFinite(signal[i]) && double.IsFinite(forwardReturn[i]) ? signal[i] : double.NaN;
        var buckets = new double[signal.Length];
        if (scope == QuantileScope.Date)
            DailyQuantileBuckets.Compute(timesMs, paired, buckets, assetCount, bins);
        else
            QuantileBuckets.Compute(paired, buckets, assetCount, bins);

        var periods = Periods(timesMs, scope);
        var widest = 0;
        foreach (var (start, end) in periods)
            widest = Math.Max(widest, (end - start) * assetCount);
        var accumulator = new Accumulator(bins, widest, scope == QuantileScope.Timestamp && assetCount > 1 ? AccuracyKind.AboveMedian : AccuracyKind.Sign);
        foreach (var (start, end) in periods)
        {
            var from = start * assetCount;
            var to = end * assetCount;
            accumulator.AddPeriod(paired.AsSpan(from..to), forwardReturn[from..to], buckets.AsSpan(from..to));
        }
        return accumulator.Result(scope);
    }

    /// <summary>Spearman's rank correlation of the pairs where both values are finite (NaN with fewer than 3 pairs or a constant side).</summary>
    public static double Spearman(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length)
            throw new ArgumentException($"{x.Length} values against {y.Length}", nameof(y));
        var xs = new List<double>(x.Length);
        var ys = new List<double>(x.Length);
        for (var i = 0; i < x.Length; i++)
        {
            if (double.IsFinite(x[i]) && double.IsFinite(y[i]))
            {
                xs.Add(x[i]);
                ys.Add(y[i]);
            }
        }
        return RankCorrelation(CollectionsMarshal.AsSpan(xs), CollectionsMarshal.AsSpan(ys));
    }

    // Pearson's correlation of the average ranks of values that are all finite
    private static double RankCorrelation(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var m = x.Length;
        if (m < MinimumIcPairs)
            return double.NaN;
        var ranker = new RowRanker(m);
        var rx = new double[m];
        var ry = new double[m];
        ranker.Rank(x, rx);
        ranker.Rank(y, ry);
        return Pearson(rx, ry);
    }

    // timestamp scope: every row its own period; date scope: the rows of one UTC date
    private static List<(int Start, int End)> Periods(ReadOnlySpan<long> timesMs, QuantileScope scope)
    {
        var periods = new List<(int, int)>();
        var start = 0;
        while (start < timesMs.Length)
        {
            var end = start + 1;
            if (scope == QuantileScope.Date)
            {
                var day = Day(timesMs[start]);
                while (end < timesMs.Length && Day(timesMs[end]) == day)
                    end++;
            }
            periods.Add((start, end));
            start = end;
        }
        return periods;
    }

    private static long Day(long timeMs) => Math.DivRem(timeMs, MillisecondsPerDay, out var remainder) - (remainder < 0 ? 1 : 0);

    private static double Pearson(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var m = x.Length;
        double mx = 0, my = 0;
        for (var i = 0; i < m; i++)
        {
            mx += x[i];
            my += y[i];
        }
        mx /= m;
        my /= m;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < m; i++)
        {
            var dx = x[i] - mx;
            var dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }

    private static double Median(Span<double> values)
    {
        values.Sort();
        var m = values.Length;
        return m % 2 == 1 ? values[m / 2] : (values[(m / 2) - 1] + values[m / 2]) / 2;
    }

    /// <summary>Sums over periods, with scratch buffers sized for the widest period.</summary>
    private sealed class Accumulator(int bins, int widest, AccuracyKind accuracy)
    {
        private readonly double[] _binSum = new double[bins];
        private readonly long[] _binCount = new long[bins];
        private readonly long[] _binHits = new long[bins];
        private readonly double[] _signal = new double[widest];
        private readonly double[] _forward = new double[widest];
        private readonly double[] _rankSignal = new double[widest];
        private readonly double[] _rankForward = new double[widest];
        private readonly double[] _sorted = new double[widest];
        private readonly RowRanker _ranker = new(Math.Max(1, widest));
        private readonly List<double> _spreads = [];
        private readonly List<double> _ics = [];
        private readonly List<double> _pooledSignal = [];
        private readonly List<double> _pooledForward = [];
        private long _right;
        private long _called;
        private int _periods;

        public void AddPeriod(ReadOnlySpan<double> signal, ReadOnlySpan<double> forward, ReadOnlySpan<double> buckets)
        {
            double topSum = 0, bottomSum = 0;
            int topCount = 0, bottomCount = 0, m = 0;
            for (var i = 0; i < signal.Length; i++)
            {
                // the pairs that count are exactly the binned ones
                if (double.IsNaN(buckets[i]))
                    continue;
                var s = signal[i];
                var f = forward[i];
                var bin = (int)buckets[i] - 1;
                _binSum[bin] += f;
                _binCount[bin]++;
                _binHits[bin] += f > 0 ? 1 : 0;
                if (bin == bins - 1)
                {
                    topSum += f;
                    topCount++;
                }
                if (bin == 0)
                {
                    bottomSum += f;
                    bottomCount++;
                }
                _signal[m] = s;
                _forward[m] = f;
                m++;
                _pooledSignal.Add(s);
                _pooledForward.Add(f);
            }
            if (m == 0)
                return;
            _periods++;
            if (topCount > 0 && bottomCount > 0)
                _spreads.Add((topSum / topCount) - (bottomSum / bottomCount));

            var s1 = _signal.AsSpan(0, m);
            var f1 = _forward.AsSpan(0, m);
            if (m >= MinimumIcPairs)
            {
                _ranker.Rank(s1, _rankSignal.AsSpan(0, m));
                _ranker.Rank(f1, _rankForward.AsSpan(0, m));
                var ic = Pearson(_rankSignal.AsSpan(0, m), _rankForward.AsSpan(0, m));
                if (!double.IsNaN(ic))
                    _ics.Add(ic);
            }

            if (accuracy == AccuracyKind.AboveMedian)
            {
                if (m < MinimumMedianPairs)
                    return;
                var sorted = _sorted.AsSpan(0, m);
                s1.CopyTo(sorted);
                var signalMedian = Median(sorted);
                f1.CopyTo(sorted);
                var forwardMedian = Median(sorted);
                for (var i = 0; i < m; i++)
                    _right += s1[i] > signalMedian == f1[i] > forwardMedian ? 1 : 0;
                _called += m;
            }
            else
            {
                for (var i = 0; i < m; i++)
                {
                    if (s1[i] == 0 || f1[i] == 0)
                        continue;
                    _right += s1[i] > 0 == f1[i] > 0 ? 1 : 0;
                    _called++;
                }
            }
        }

        public SignalAnalysisResult Result(QuantileScope scope)
        {
            var rows = new QuantileRow[bins];
            for (var b = 0; b < bins; b++)
            {
                var n = _binCount[b];
                rows[b] = new QuantileRow(b + 1, n > 0 ? _binSum[b] / n : double.NaN, n, n > 0 ? (double)_binHits[b] / n : double.NaN);
            }
            var pooled = RankCorrelation(CollectionsMarshal.AsSpan(_pooledSignal), CollectionsMarshal.AsSpan(_pooledForward));
            return new SignalAnalysisResult(
                bins,
                scope,
                _pooledSignal.Count,
                _periods,
                [.. rows],
                PeriodStatistic.Of(CollectionsMarshal.AsSpan(_spreads)),
                new InformationCoefficient(PeriodStatistic.Of(CollectionsMarshal.AsSpan(_ics)), pooled),
                new DirectionalAccuracy(accuracy, _called > 0 ? (double)_right / _called : double.NaN, _called));
        }
    }
}
