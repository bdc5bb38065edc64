namespace StrategyLab.Runtime.Compute;

/// <summary>
/// <c>obv()</c>, TA-Lib OBV: starts at the first bar's volume, then adds the volume when the close
/// rises, subtracts it when the close falls, and keeps it when the close is unchanged. A bar with a
/// NaN close or volume is skipped: NaN at that bar, and the next bar compares with the last close
/// seen. Warm-up: 1 bar (TA-Lib lookback 0). Packed input order: close, volume.
/// </summary>
public sealed class Obv : IncrementalIndicator
{
    private readonly bool[] _started;
    private readonly double[] _previousClose;
    private readonly double[] _value;

    /// <summary>Creates an on-balance volume.</summary>
    public Obv(int assetCount)
        : base("OBV", assetCount, 1, 2, 1)
    {
        _started = new bool[assetCount];
        _previousClose = new double[assetCount];
        _value = new double[assetCount];
    }

    /// <summary>Consumes one bar of close and volume rows and writes one row of OBV values.</summary>
    public void Update(ReadOnlySpan<double> close, ReadOnlySpan<double> volume, Span<double> output)
    {
        CheckRow(close, nameof(close));
        CheckRow(volume, nameof(volume));
        CheckRow(output, nameof(output));
        for (var a = 0; a < output.Length; a++)
        {
            var c = close[a];
            var v = volume[a];
            if (double.IsNaN(c) || double.IsNaN(v))
            {
                output[a] = double.NaN;
                continue;
            }

            double obv;
            if (!_started[a])
            {
                _started[a] = true;
                obv = v;
            }
            else
            {
                var previous = _previousClose[a];
                obv = c > previous ? _value[a] + v : c < previous ? _value[a] - v : _value[a];
            }

            _previousClose[a] = c;
            _value[a] = obv;
            output[a] = obv;
        }

        Advance();
    }

    /// <summary>Batch kernel over [T×A] close and volume columns.</summary>
    public static void Compute(ReadOnlySpan<double> close, ReadOnlySpan<double> volume, Span<double> output, int assetCount)
    {
        var rows = ColumnShape.Rows(assetCount, close, output);
        ColumnShape.SameLength(close, volume, nameof(volume));
        var op = new Obv(assetCount);
        for (var t = 0; t < rows; t++)
        {
            var at = t * assetCount;
            op.Update(close.Slice(at, assetCount), volume.Slice(at, assetCount), output.Slice(at, assetCount));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(In(inputRows, 0), In(inputRows, 1), outputRows);

    private protected override void ResetState() => Array.Clear(_started);
}
