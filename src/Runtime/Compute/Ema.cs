namespace StrategyLab.Runtime.Compute;

/// <summary>
/// <c>ema(x, n)</c>, TA-Lib EMA: k = 2 / (n + 1), seeded with the SMA of the first n values, then
/// ema = (x − ema) × k + ema. A NaN input is skipped: the output is NaN at that bar and the
/// average carries on from the next value, as if the bar were not there (leading NaNs of a late
/// listing simply delay the seed). Warm-up: n bars (TA-Lib lookback n − 1).
/// </summary>
public sealed class Ema : IncrementalIndicator
{
    private readonly SeededEma _ema;

    /// <summary>Creates an n-bar EMA (TA-Lib default n = 30).</summary>
    public Ema(int assetCount, int period = 30)
        : base($"EMA({period})", assetCount, period, 1, 1)
    {
        _ema = new SeededEma(assetCount, period);
        Period = period;
    }

    /// <summary>Smoothing period n.</summary>
    public int Period { get; }

    /// <summary>Consumes one row of values and writes one row of averages.</summary>
    public void Update(ReadOnlySpan<double> value, Span<double> output)
    {
        CheckRow(value, nameof(value));
        CheckRow(output, nameof(output));
        _ema.NextRow(value, output);
        Advance();
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int period = 30)
    {
        var rows = ColumnShape.Rows(assetCount, input, output);
        var op = new Ema(assetCount, period);
        for (var t = 0; t < rows; t++)
        {
            op.Update(input.Slice(t * assetCount, assetCount), output.Slice(t * assetCount, assetCount));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(inputRows, outputRows);

    private protected override void ResetState() => _ema.Reset();
}
