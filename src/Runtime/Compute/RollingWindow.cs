namespace StrategyLab.Runtime.Compute;

/// <summary>
/// Rolling statistics over the last n bars of each asset, pandas <c>rolling(n)</c> with
/// <c>min_periods = n</c>: the output is NaN until the asset has n consecutive values, and a NaN
/// makes the output NaN until it leaves the window (n bars later). Warm-up: n bars.
/// </summary>
public abstract class RollingStatistic : IncrementalIndicator
{
    private readonly StatisticKind _kind;
    private readonly WindowSums? _sums;
    private readonly WindowMoments? _moments;

    private protected RollingStatistic(StatisticKind kind, string name, int assetCount, int period)
        : base($"{name}({period})", assetCount, period, 1, 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, kind is StatisticKind.SampleStd or StatisticKind.ZScore ? 2 : 1);
        _kind = kind;
        Period = period;
        if (kind is StatisticKind.Sum or StatisticKind.Mean)
        {
            _sums = new WindowSums(assetCount, period);
        }
        else
        {
            _moments = new WindowMoments(assetCount, period);
        }
    }

    private protected enum StatisticKind
    {
        Sum,
        Mean,
        PopulationStd,
        SampleStd,
        ZScore,
        PopulationZScore,
    }

    /// <summary>Window length n in bars.</summary>
    public int Period { get; }

    /// <summary>Consumes one row of values and writes one row of outputs.</summary>
    public void Update(ReadOnlySpan<double> value, Span<double> output)
    {
        CheckRow(value, nameof(value));
        CheckRow(output, nameof(output));
        if (_sums is { } sums)
        {
            sums.PushRow(value);
            if (_kind == StatisticKind.Sum)
            {
                sums.WriteSum(output);
            }
            else
            {
                sums.WriteMean(output);
            }

            Advance();
            return;
        }

        var window = _moments!;
        window.PushRow(value);
        var n = (double)Period;
        switch (_kind)
        {
            case StatisticKind.PopulationStd:
                window.WriteDeviation(n, output);
                break;
            case StatisticKind.SampleStd:
                window.WriteDeviation(n - 1.0, output);
                break;
            case StatisticKind.ZScore:
                window.WriteDeviation(n - 1.0, output, value);
                break;
            default:
                window.WriteDeviation(n, output, value);
                break;
        }

        Advance();
    }

    internal override void UpdateBlock(ReadOnlySpan<long> timestampsMs, ReadOnlySpan<double> input, Span<double> output)
    {
        if (_sums is { } sums && AssetCount == 1)
        {
            sums.PushColumn(input[..timestampsMs.Length], output[..timestampsMs.Length], mean: _kind == StatisticKind.Mean);
            Advance(timestampsMs.Length);
            return;
        }

        base.UpdateBlock(timestampsMs, input, output);
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(inputRows, outputRows);

    private protected override void ResetState()
    {
        _sums?.Reset();
        _moments?.Reset();
    }

    private protected static void Run(RollingStatistic op, ReadOnlySpan<double> input, Span<double> output)
    {
        var rows = ColumnShape.Rows(op.AssetCount, input, output);
        var assets = op.AssetCount;
        for (var t = 0; t < rows; t++)
        {
            op.Update(input.Slice(t * assets, assets), output.Slice(t * assets, assets));
        }
    }
}

/// <summary><c>rolling_sum(x, n)</c>: sum of the last n values; NaN while a NaN is in the window. Warm-up: n bars.</summary>
public sealed class RollingSum : RollingStatistic
{
    /// <summary>Creates an n-bar rolling sum.</summary>
    public RollingSum(int assetCount, int period)
        : base(StatisticKind.Sum, "SUM", assetCount, period)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int period)
    {
        if (!ColumnShape.AllMissing(assetCount, period, input, output))
            Run(new RollingSum(assetCount, period), input, output);
    }
}

/// <summary><c>rolling_mean(x, n)</c>: mean of the last n values; NaN while a NaN is in the window. Warm-up: n bars.</summary>
public sealed class RollingMean : RollingStatistic
{
    /// <summary>Creates an n-bar rolling mean.</summary>
    public RollingMean(int assetCount, int period)
        : base(StatisticKind.Mean, "MEAN", assetCount, period)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int period)
    {
        if (!ColumnShape.AllMissing(assetCount, period, input, output))
            Run(new RollingMean(assetCount, period), input, output);
    }
}

/// <summary>
/// <c>sma(x, n)</c>, TA-Lib SMA: mean of the last n values (the same numbers as
/// <see cref="RollingMean"/>); NaN while a NaN is in the window. Warm-up: n bars (TA-Lib lookback n − 1).
/// </summary>
public sealed class Sma : RollingStatistic
{
    /// <summary>Creates an n-bar simple moving average (TA-Lib default n = 30).</summary>
    public Sma(int assetCount, int period = 30)
        : base(StatisticKind.Mean, "SMA", assetCount, period)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int period = 30)
    {
        if (!ColumnShape.AllMissing(assetCount, period, input, output))
            Run(new Sma(assetCount, period), input, output);
    }
}

/// <summary>
/// <c>rolling_std(x, n)</c> with the population (divide by n, TA-Lib STDDEV, pandas ddof=0) or
/// sample (divide by n − 1, pandas default ddof=1) formula; NaN while a NaN is in the window.
/// Warm-up: n bars; the sample form needs n ≥ 2.
/// </summary>
public sealed class RollingStd : RollingStatistic
{
    /// <summary>Creates an n-bar rolling standard deviation.</summary>
    public RollingStd(int assetCount, int period, bool sample = true)
        : base(sample ? StatisticKind.SampleStd : StatisticKind.PopulationStd, sample ? "STD" : "STD_POP", assetCount, period)
    {
        IsSample = sample;
    }

    /// <summary>True for the sample (n − 1) form, false for the population (n) form.</summary>
    public bool IsSample { get; }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int period, bool sample = true)
    {
        if (!ColumnShape.AllMissing(assetCount, period, input, output))
            Run(new RollingStd(assetCount, period, sample), input, output);
    }
}

/// <summary>
/// <c>zscore(x, n)</c>: (x − rolling mean) / rolling std over the last n values including the
/// current one, with the sample std by default (pandas <c>(x - x.rolling(n).mean()) / x.rolling(n).std()</c>)
/// or the population std. NaN while a NaN is in the window, and NaN when the window is constant
/// (std 0). Warm-up: n bars; the sample form needs n ≥ 2.
/// </summary>
public sealed class RollingZScore : RollingStatistic
{
    /// <summary>Creates an n-bar rolling z-score.</summary>
    public RollingZScore(int assetCount, int period, bool sample = true)
        : base(sample ? StatisticKind.ZScore : StatisticKind.PopulationZScore, sample ? "ZSCORE" : "ZSCORE_POP", assetCount, period)
    {
        IsSample = sample;
    }

    /// <summary>True for the sample (n − 1) deviation, false for the population (n) one.</summary>
    public bool IsSample { get; }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int period, bool sample = true)
    {
        if (!ColumnShape.AllMissing(assetCount, period, input, output))
            Run(new RollingZScore(assetCount, period, sample), input, output);
    }
}
