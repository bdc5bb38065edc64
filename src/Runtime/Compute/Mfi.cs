namespace StrategyLab.Runtime.Compute;

/// <summary>
/// <c>mfi(n)</c>, TA-Lib MFI: typical price tp = (high + low + close) / 3, money flow tp × volume
/// counted as positive when tp rose against the previous bar, negative when it fell, neither when
/// unchanged; MFI = 100 × positive / (positive + negative) over the last n bars. When both sums are
/// 0 the output is 0 (TA-Lib writes 0 whenever the total is below 1, which would silence assets
/// with small prices or volumes; this does not). A bar with any NaN makes the output NaN until it
/// leaves the window of n + 1 bars. Warm-up: n + 1 bars (TA-Lib lookback n).
/// Packed input order: high, low, close, volume.
/// </summary>
public sealed class Mfi : IncrementalIndicator
{
    private readonly int _period;
    private readonly double[] _positive;
    private readonly double[] _negative;
    private readonly double[] _previousTypical;
    private readonly int[] _run;

    /// <summary>Creates an n-bar money flow index (default n = 14).</summary>
    public Mfi(int assetCount, int period = 14)
        : base($"MFI({period})", assetCount, period + 1, 4, 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _period = period;
        _positive = new double[checked(assetCount * period)];
        _negative = new double[checked(assetCount * period)];
        _previousTypical = new double[assetCount];
        _run = new int[assetCount];
    }

    /// <summary>Consumes one bar of high, low, close and volume rows and writes one row of MFI values.</summary>
    public void Update(ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, ReadOnlySpan<double> volume, Span<double> output)
    {
        CheckRow(high, nameof(high));
        CheckRow(low, nameof(low));
        CheckRow(close, nameof(close));
        CheckRow(volume, nameof(volume));
        CheckRow(output, nameof(output));
        var n = _period;
        var slot = Row % n;
        for (var a = 0; a < output.Length; a++)
        {
            var tp = (high[a] + low[a] + close[a]) / 3.0;
            var v = volume[a];
            output[a] = double.NaN;
            if (double.IsNaN(tp) || double.IsNaN(v))
            {
                _run[a] = 0;
                continue;
            }

            var run = _run[a];
            var previous = _previousTypical[a];
            _previousTypical[a] = tp;
            if (run == 0)
            {
                _run[a] = 1;
                continue;
            }

            var flow = tp * v;
            var positive = _positive.AsSpan(a * n, n);
            var negative = _negative.AsSpan(a * n, n);
            positive[slot] = tp > previous ? flow : 0.0;
            negative[slot] = tp < previous ? flow : 0.0;
            if (run < n + 1)
            {
                _run[a] = ++run;
            }

            if (run < n + 1)
            {
                continue;
            }

            var up = 0.0;
            var down = 0.0;
            for (var i = 0; i < n; i++)
            {
                up += positive[i];
                down += negative[i];
            }

            var total = up + down;
            output[a] = total != 0.0 ? 100.0 * (up / total) : 0.0;
        }

        Advance();
    }

    /// <summary>Batch kernel over [T×A] high, low, close and volume columns.</summary>
    public static void Compute(
        ReadOnlySpan<double> high,
        ReadOnlySpan<double> low,
        ReadOnlySpan<double> close,
        ReadOnlySpan<double> volume,
        Span<double> output,
        int assetCount,
        int period = 14)
    {
        var rows = ColumnShape.Rows(assetCount, close, output);
        ColumnShape.SameLength(close, high, nameof(high));
        ColumnShape.SameLength(close, low, nameof(low));
        ColumnShape.SameLength(close, volume, nameof(volume));
        if (ColumnShape.AllMissing(assetCount, period + 1L, close, output))
            return;
        var op = new Mfi(assetCount, period);
        for (var t = 0; t < rows; t++)
        {
            var at = t * assetCount;
            op.Update(high.Slice(at, assetCount), low.Slice(at, assetCount), close.Slice(at, assetCount), volume.Slice(at, assetCount), output.Slice(at, assetCount));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(In(inputRows, 0), In(inputRows, 1), In(inputRows, 2), In(inputRows, 3), outputRows);

    private protected override void ResetState() => Array.Clear(_run);
}
