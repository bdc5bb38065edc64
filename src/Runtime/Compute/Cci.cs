namespace StrategyLab.Runtime.Compute;

/// <summary>
/// <c>cci(n)</c>, TA-Lib CCI: typical price tp = (high + low + close) / 3, then
/// (tp − mean(tp)) / (0.015 × mean absolute deviation of tp), both over the last n bars; 0 when
/// the deviation or the numerator is 0 (as TA-Lib). A bar with any NaN input makes the output NaN
/// until it leaves the window. Warm-up: n bars (TA-Lib lookback n − 1).
/// Packed input order: high, low, close.
/// </summary>
public sealed class Cci : IncrementalIndicator
{
    private readonly int _period;
    private readonly double[] _typical;
    private readonly int[] _run;

    /// <summary>Creates an n-bar CCI (TA-Lib default n = 14).</summary>
    public Cci(int assetCount, int period = 14)
        : base($"CCI({period})", assetCount, period, 3, 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _period = period;
        _typical = new double[checked(assetCount * period)];
        _run = new int[assetCount];
    }

    /// <summary>Consumes one bar of high, low and close rows and writes one row of CCI values.</summary>
    public void Update(ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output)
    {
        CheckRow(high, nameof(high));
        CheckRow(low, nameof(low));
        CheckRow(close, nameof(close));
        CheckRow(output, nameof(output));
        var n = _period;
        var slot = Row % n;
        for (var a = 0; a < output.Length; a++)
        {
            var tp = (high[a] + low[a] + close[a]) / 3.0;
            if (double.IsNaN(tp))
            {
                _run[a] = 0;
                output[a] = double.NaN;
                continue;
            }

            var window = _typical.AsSpan(a * n, n);
            window[slot] = tp;
            var run = _run[a] < n ? ++_run[a] : n;
            if (run < n)
            {
                output[a] = double.NaN;
                continue;
            }

            var sum = 0.0;
            for (var i = 0; i < n; i++)
            {
                sum += window[i];
            }

            var mean = sum / n;
            var deviation = 0.0;
            for (var i = 0; i < n; i++)
            {
                deviation += Math.Abs(window[i] - mean);
            }

            deviation /= n;
            var numerator = tp - mean;
            output[a] = numerator != 0.0 && deviation != 0.0 ? numerator / (0.015 * deviation) : 0.0;
        }

        Advance();
    }

    /// <summary>Batch kernel over [T×A] high, low and close columns.</summary>
    public static void Compute(ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output, int assetCount, int period = 14)
    {
        var rows = ColumnShape.Rows(assetCount, close, output);
        ColumnShape.SameLength(close, high, nameof(high));
        ColumnShape.SameLength(close, low, nameof(low));
        if (ColumnShape.AllMissing(assetCount, period, close, output))
            return;
        var op = new Cci(assetCount, period);
        for (var t = 0; t < rows; t++)
        {
            var at = t * assetCount;
            op.Update(high.Slice(at, assetCount), low.Slice(at, assetCount), close.Slice(at, assetCount), output.Slice(at, assetCount));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(In(inputRows, 0), In(inputRows, 1), In(inputRows, 2), outputRows);

    private protected override void ResetState() => Array.Clear(_run);
}
