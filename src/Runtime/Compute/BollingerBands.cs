namespace StrategyLab.Runtime.Compute;

/// <summary>
/// <c>bollinger(x, n, k)</c>, TA-Lib BBANDS with an SMA middle band: middle = mean of the last n
/// values, upper/lower = middle ± k × population standard deviation of the same window. TA-Lib
/// sets the deviation to 0 below a variance of 1e-8; this does not, so bands stay meaningful for
/// low-priced assets. NaN while a NaN is in the window (pandas rolling semantics).
/// Warm-up: n bars (TA-Lib lookback n − 1).
/// </summary>
public sealed class BollingerBands : IncrementalIndicator
{
    private readonly WindowMoments _window;
    private readonly double _up;
    private readonly double _down;

    /// <summary>Creates Bollinger bands of <paramref name="period"/> bars and the given deviation multipliers.</summary>
    public BollingerBands(int assetCount, int period = 20, double deviationsUp = 2.0, double deviationsDown = 2.0)
        : base($"BBANDS({period},{deviationsUp},{deviationsDown})", assetCount, period, 1, 3)
    {
        _window = new WindowMoments(assetCount, period);
        _up = deviationsUp;
        _down = deviationsDown;
    }

    /// <summary>
    /// Consumes one row of values and writes the upper, middle and lower band rows.
    /// Packed order for <see cref="IIncrementalIndicator.Update"/>: upper, middle, lower.
    /// </summary>
    public void Update(ReadOnlySpan<double> value, Span<double> upper, Span<double> middle, Span<double> lower)
    {
        CheckRow(value, nameof(value));
        CheckRow(upper, nameof(upper));
        CheckRow(middle, nameof(middle));
        CheckRow(lower, nameof(lower));
        _window.PushRow(value);
        _window.WriteMean(middle);
        _window.WriteDeviation(_window.Period, upper);
        for (var a = 0; a < value.Length; a++)
        {
            var mean = middle[a];
            var std = upper[a];
            upper[a] = mean + (_up * std);
            lower[a] = mean - (_down * std);
        }

        Advance();
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(
        ReadOnlySpan<double> input,
        Span<double> upper,
        Span<double> middle,
        Span<double> lower,
        int assetCount,
        int period = 20,
        double deviationsUp = 2.0,
        double deviationsDown = 2.0)
    {
        var rows = ColumnShape.Rows(assetCount, input, upper, outputName: nameof(upper));
        ColumnShape.SameLength(input, middle, nameof(middle));
        ColumnShape.SameLength(input, lower, nameof(lower));
        var op = new BollingerBands(assetCount, period, deviationsUp, deviationsDown);
        for (var t = 0; t < rows; t++)
        {
            var at = t * assetCount;
            op.Update(input.Slice(at, assetCount), upper.Slice(at, assetCount), middle.Slice(at, assetCount), lower.Slice(at, assetCount));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(inputRows, Out(outputRows, 0), Out(outputRows, 1), Out(outputRows, 2));

    private protected override void ResetState() => _window.Reset();
}
