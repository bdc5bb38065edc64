namespace StrategyLab.Runtime.Compute;

/// <summary>
/// <c>bop()</c>, TA-Lib BOP (balance of power): (close − open) / (high − low) of the same bar; 0
/// when high − low is not positive (TA-Lib's 1e-8 threshold is exact zero here). NaN if any input
/// is NaN; no state. Warm-up: 1 bar. Packed input order: open, high, low, close.
/// </summary>
public sealed class Bop : IncrementalIndicator
{
    /// <summary>Creates a balance-of-power operator.</summary>
    public Bop(int assetCount)
        : base("BOP", assetCount, 1, 4, 1)
    {
    }

    /// <summary>Consumes one bar of open, high, low and close rows and writes one row of values.</summary>
    public void Update(ReadOnlySpan<double> open, ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output)
    {
        CheckRow(open, nameof(open));
        CheckRow(high, nameof(high));
        CheckRow(low, nameof(low));
        CheckRow(close, nameof(close));
        CheckRow(output, nameof(output));
        for (var a = 0; a < output.Length; a++)
        {
            var move = close[a] - open[a];
            var range = high[a] - low[a];
            output[a] = double.IsNaN(move) || double.IsNaN(range) ? double.NaN
                : range > 0.0 ? move / range
                : 0.0;
        }

        Advance();
    }

    /// <summary>Batch kernel over [T×A] open, high, low and close columns.</summary>
    public static void Compute(ReadOnlySpan<double> open, ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output, int assetCount)
    {
        var rows = ColumnShape.Rows(assetCount, close, output);
        ColumnShape.SameLength(close, open, nameof(open));
        ColumnShape.SameLength(close, high, nameof(high));
        ColumnShape.SameLength(close, low, nameof(low));
        var op = new Bop(assetCount);
        for (var t = 0; t < rows; t++)
        {
            var at = t * assetCount;
            op.Update(open.Slice(at, assetCount), high.Slice(at, assetCount), low.Slice(at, assetCount), close.Slice(at, assetCount), output.Slice(at, assetCount));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(In(inputRows, 0), In(inputRows, 1), In(inputRows, 2), In(inputRows, 3), outputRows);

    private protected override void ResetState()
    {
    }
}
