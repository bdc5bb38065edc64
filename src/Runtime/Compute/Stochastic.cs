namespace StrategyLab.Runtime.Compute;

/// <summary>
/// <c>stoch(fastK, slowK, slowD)</c>, TA-Lib STOCH with its default SMA smoothing:
/// fast %K = 100 × (close − lowest low) / (highest high − lowest low) over fastK bars (0 when the
/// range is 0, as TA-Lib), slow %K = SMA(fast %K, slowK), slow %D = SMA(slow %K, slowD). As in
/// TA-Lib, both outputs start together. A bar with any NaN input makes both outputs NaN until it
/// leaves the combined window of fastK + slowK + slowD − 2 bars. Warm-up: fastK + slowK + slowD − 2
/// bars (TA-Lib lookback 8 for 5/3/3). Packed input order: high, low, close; output order: %K, %D.
/// </summary>
public sealed class Stochastic : IncrementalIndicator
{
    private readonly int _fastK;
    private readonly int _slowK;
    private readonly int _slowD;
    private readonly double[] _high;
    private readonly double[] _low;
    private readonly double[] _fastValues;
    private readonly double[] _slowValues;
    private readonly int[] _run;

    /// <summary>Creates a slow stochastic (TA-Lib defaults 5, 3, 3).</summary>
    public Stochastic(int assetCount, int fastKPeriod = 5, int slowKPeriod = 3, int slowDPeriod = 3)
        : base($"STOCH({fastKPeriod},{slowKPeriod},{slowDPeriod})", assetCount, fastKPeriod + slowKPeriod + slowDPeriod - 2, 3, 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fastKPeriod, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slowKPeriod, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slowDPeriod, 1);
        _fastK = fastKPeriod;
        _slowK = slowKPeriod;
        _slowD = slowDPeriod;
        _high = new double[checked(assetCount * fastKPeriod)];
        _low = new double[checked(assetCount * fastKPeriod)];
        _fastValues = new double[checked(assetCount * slowKPeriod)];
        _slowValues = new double[checked(assetCount * slowDPeriod)];
        _run = new int[assetCount];
    }

    /// <summary>Consumes one bar of high, low and close rows and writes the slow %K and %D rows.</summary>
    public void Update(ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> slowK, Span<double> slowD)
    {
        CheckRow(high, nameof(high));
        CheckRow(low, nameof(low));
        CheckRow(close, nameof(close));
        CheckRow(slowK, nameof(slowK));
        CheckRow(slowD, nameof(slowD));
        var row = Row;
        var full = WarmUpPeriod;
        for (var a = 0; a < close.Length; a++)
        {
            var h = high[a];
            var l = low[a];
            var c = close[a];
            slowK[a] = double.NaN;
            slowD[a] = double.NaN;
            if (double.IsNaN(h) || double.IsNaN(l) || double.IsNaN(c))
            {
                _run[a] = 0;
                continue;
            }

            var highs = _high.AsSpan(a * _fastK, _fastK);
            var lows = _low.AsSpan(a * _fastK, _fastK);
            highs[row % _fastK] = h;
            lows[row % _fastK] = l;
            var run = _run[a] < full ? ++_run[a] : full;
            if (run < _fastK)
            {
                continue;
            }

            var fast = Oscillator.Position(c, highs, lows);
            var fastValues = _fastValues.AsSpan(a * _slowK, _slowK);
            fastValues[row % _slowK] = fast;
            if (run < _fastK + _slowK - 1)
            {
                continue;
            }

            var k = Oscillator.Mean(fastValues);
            var slowValues = _slowValues.AsSpan(a * _slowD, _slowD);
            slowValues[row % _slowD] = k;
            if (run < full)
            {
                continue;
            }

            slowK[a] = k;
            slowD[a] = Oscillator.Mean(slowValues);
        }

        Advance();
    }

    /// <summary>Batch kernel over [T×A] high, low and close columns.</summary>
    public static void Compute(
        ReadOnlySpan<double> high,
        ReadOnlySpan<double> low,
        ReadOnlySpan<double> close,
        Span<double> slowK,
        Span<double> slowD,
        int assetCount,
        int fastKPeriod = 5,
        int slowKPeriod = 3,
        int slowDPeriod = 3)
    {
        var rows = ColumnShape.Rows(assetCount, close, slowK, outputName: nameof(slowK));
        ColumnShape.SameLength(close, high, nameof(high));
        ColumnShape.SameLength(close, low, nameof(low));
        ColumnShape.SameLength(close, slowD, nameof(slowD));
        var op = new Stochastic(assetCount, fastKPeriod, slowKPeriod, slowDPeriod);
        for (var t = 0; t < rows; t++)
        {
            var at = t * assetCount;
            op.Update(high.Slice(at, assetCount), low.Slice(at, assetCount), close.Slice(at, assetCount), slowK.Slice(at, assetCount), slowD.Slice(at, assetCount));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(In(inputRows, 0), In(inputRows, 1), In(inputRows, 2), Out(outputRows, 0), Out(outputRows, 1));

    private protected override void ResetState() => Array.Clear(_run);
}

/// <summary>Small window helpers of the stochastic oscillators.</summary>
internal static class Oscillator
{
    /// <summary>100 × (x − lowest) / (highest − lowest) over the window; 0 when the range is 0 (TA-Lib).</summary>
    public static double Position(double x, ReadOnlySpan<double> highs, ReadOnlySpan<double> lows)
    {
        var highest = highs[0];
        var lowest = lows[0];
        for (var i = 1; i < highs.Length; i++)
        {
            highest = Math.Max(highest, highs[i]);
            lowest = Math.Min(lowest, lows[i]);
        }

        var range = (highest - lowest) / 100.0;
        return range != 0.0 ? (x - lowest) / range : 0.0;
    }

    public static double Mean(ReadOnlySpan<double> values)
    {
        var sum = 0.0;
        for (var i = 0; i < values.Length; i++)
        {
            sum += values[i];
        }

        return sum / values.Length;
    }
}
