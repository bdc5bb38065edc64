namespace StrategyLab.Runtime.Compute;

/// <summary>
/// <c>rsi(x, n)</c>, TA-Lib RSI with Wilder smoothing: 100 × avgGain / (avgGain + avgLoss), 0
/// when both averages are 0 (TA-Lib uses a 1e-8 threshold there; this uses exact zero so
/// low-priced assets keep their RSI). A NaN input is skipped: NaN at that bar, and the next change
/// is measured from the last value seen. Warm-up: n + 1 bars (TA-Lib lookback n).
/// </summary>
public sealed class Rsi : IncrementalIndicator
{
    private readonly WilderRsi _rsi;

    /// <summary>Creates an n-bar RSI (default n = 14).</summary>
    public Rsi(int assetCount, int period = 14)
        : base($"RSI({period})", assetCount, period + 1, 1, 1)
    {
        _rsi = new WilderRsi(assetCount, period);
        Period = period;
    }

    /// <summary>Smoothing period n.</summary>
    public int Period { get; }

    /// <summary>Consumes one row of values and writes one row of RSI values.</summary>
    public void Update(ReadOnlySpan<double> value, Span<double> output)
    {
        CheckRow(value, nameof(value));
        CheckRow(output, nameof(output));
        _rsi.NextRow(value, output);
        Advance();
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int period = 14)
    {
        var rows = ColumnShape.Rows(assetCount, input, output);
        var op = new Rsi(assetCount, period);
        for (var t = 0; t < rows; t++)
        {
            op.Update(input.Slice(t * assetCount, assetCount), output.Slice(t * assetCount, assetCount));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(inputRows, outputRows);

    private protected override void ResetState() => _rsi.Reset();
}
