namespace StrategyLab.Runtime.Compute;

/// <summary>
/// Per-asset Wilder average true range as TA-Lib computes it: true range from the second bar on,
/// the first ATR is the mean of the first n true ranges, later ones (previous × (n − 1) + tr) / n.
/// Callers skip bars with a NaN.
/// </summary>
internal sealed class WilderAtr
{
    private readonly int _period;
    private readonly int[] _count;
    private readonly double[] _previousClose;
    private readonly double[] _value;

    public WilderAtr(int assetCount, int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _period = period;
        _count = new int[assetCount];
        _previousClose = new double[assetCount];
        _value = new double[assetCount];
    }

    public double Next(int a, double high, double low, double close)
    {
        var count = _count[a];
        var previous = _previousClose[a];
        _previousClose[a] = close;
        if (count == 0)
        {
            _count[a] = 1;
            _value[a] = 0.0;
            return double.NaN;
        }

        var range = Math.Max(high - low, Math.Max(Math.Abs(high - previous), Math.Abs(low - previous)));
        if (count > _period)
        {
            var atr = ((_value[a] * (_period - 1)) + range) / _period;
            _value[a] = atr;
            return atr;
        }

        var sum = _value[a] + range;
        _count[a] = count + 1;
        if (count < _period)
        {
            _value[a] = sum;
            return double.NaN;
        }

        _value[a] = sum / _period;
        return _value[a];
    }

    public void Reset() => Array.Clear(_count);
}

/// <summary>
/// <c>atr(n)</c>, TA-Lib ATR: Wilder-smoothed true range, max(high − low, |high − previous close|,
/// |low − previous close|), seeded with the mean of the first n true ranges. A bar with any NaN is
/// skipped: NaN at that bar, and the next true range uses the last close seen.
/// Warm-up: n + 1 bars (TA-Lib lookback n). Packed input order: high, low, close.
/// </summary>
public sealed class Atr : IncrementalIndicator
{
    private readonly WilderAtr _atr;

    /// <summary>Creates an n-bar ATR (default n = 14).</summary>
    public Atr(int assetCount, int period = 14)
        : base($"ATR({period})", assetCount, period + 1, 3, 1)
    {
        _atr = new WilderAtr(assetCount, period);
    }

    /// <summary>Consumes one bar of high, low and close rows and writes one row of ATR values.</summary>
    public void Update(ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output)
    {
        CheckRow(high, nameof(high));
        CheckRow(low, nameof(low));
        CheckRow(close, nameof(close));
        CheckRow(output, nameof(output));
        for (var a = 0; a < output.Length; a++)
        {
            var h = high[a];
            var l = low[a];
            var c = close[a];
            output[a] = double.IsNaN(h) || double.IsNaN(l) || double.IsNaN(c) ? double.NaN : _atr.Next(a, h, l, c);
        }

        Advance();
    }

    /// <summary>Batch kernel over [T×A] high, low and close columns.</summary>
    public static void Compute(ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output, int assetCount, int period = 14)
    {
        var rows = Panel.Rows(assetCount, close, output);
        Panel.SameLength(close, high, nameof(high));
        Panel.SameLength(close, low, nameof(low));
        var op = new Atr(assetCount, period);
        for (var t = 0; t < rows; t++)
        {
            var at = t * assetCount;
            op.Update(high.Slice(at, assetCount), low.Slice(at, assetCount), close.Slice(at, assetCount), output.Slice(at, assetCount));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(In(inputRows, 0), In(inputRows, 1), In(inputRows, 2), outputRows);

    private protected override void ResetState() => _atr.Reset();
}

/// <summary>
/// <c>natr(n)</c>, TA-Lib NATR: 100 × ATR(n) / close; NaN when close is 0 (TA-Lib writes 0 there).
/// Same NaN handling as <see cref="Atr"/>: a bar with any NaN is skipped.
/// Warm-up: n + 1 bars (TA-Lib lookback n). Packed input order: high, low, close.
/// </summary>
public sealed class Natr : IncrementalIndicator
{
    private readonly WilderAtr _atr;

    /// <summary>Creates an n-bar normalised ATR (default n = 14).</summary>
    public Natr(int assetCount, int period = 14)
        : base($"NATR({period})", assetCount, period + 1, 3, 1)
    {
        _atr = new WilderAtr(assetCount, period);
    }

    /// <summary>Consumes one bar of high, low and close rows and writes one row of NATR values in percent.</summary>
    public void Update(ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output)
    {
        CheckRow(high, nameof(high));
        CheckRow(low, nameof(low));
        CheckRow(close, nameof(close));
        CheckRow(output, nameof(output));
        for (var a = 0; a < output.Length; a++)
        {
            var h = high[a];
            var l = low[a];
            var c = close[a];
            if (double.IsNaN(h) || double.IsNaN(l) || double.IsNaN(c))
            {
                output[a] = double.NaN;
                continue;
            }

            var atr = _atr.Next(a, h, l, c);
            output[a] = c != 0.0 ? (atr / c) * 100.0 : double.NaN;
        }

        Advance();
    }

    /// <summary>Batch kernel over [T×A] high, low and close columns.</summary>
    public static void Compute(ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output, int assetCount, int period = 14)
    {
        var rows = Panel.Rows(assetCount, close, output);
        Panel.SameLength(close, high, nameof(high));
        Panel.SameLength(close, low, nameof(low));
        var op = new Natr(assetCount, period);
        for (var t = 0; t < rows; t++)
        {
            var at = t * assetCount;
            op.Update(high.Slice(at, assetCount), low.Slice(at, assetCount), close.Slice(at, assetCount), output.Slice(at, assetCount));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(In(inputRows, 0), In(inputRows, 1), In(inputRows, 2), outputRows);

    private protected override void ResetState() => _atr.Reset();
}
