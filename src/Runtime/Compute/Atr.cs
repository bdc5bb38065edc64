using System.Numerics;

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
    private int _unseeded;

    public WilderAtr(int assetCount, int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _period = period;
        _count = new int[assetCount];
        _previousClose = new double[assetCount];
        _value = new double[assetCount];
        _unseeded = assetCount;
    }

    /// <summary>
    /// Takes one bar of rows (a bar with any NaN skipped) and writes the ATR values, or NATR in
    /// percent of the close when <paramref name="normalised"/>. Once every asset is seeded it runs a
    /// vector of assets at a time with the same arithmetic as <see cref="Next"/>.
    /// </summary>
    public void NextRow(ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output, bool normalised)
    {
        var a = 0;
        if (_unseeded == 0 && Vector.IsHardwareAccelerated)
        {
            var keep = new Vector<double>(_period - 1);
            var n = new Vector<double>(_period);
            var hundred = new Vector<double>(100.0);
            var missing = new Vector<double>(double.NaN);
            for (; a <= close.Length - Vector<double>.Count; a += Vector<double>.Count)
            {
                var h = new Vector<double>(high[a..]);
                var l = new Vector<double>(low[a..]);
                var c = new Vector<double>(close[a..]);
                var previous = new Vector<double>(_previousClose.AsSpan(a));
                var old = new Vector<double>(_value.AsSpan(a));
                var range = Vector.Max(h - l, Vector.Max(Vector.Abs(h - previous), Vector.Abs(l - previous)));
                var atr = ((old * keep) + range) / n;
                var present = Vector.Equals(h, h) & Vector.Equals(l, l) & Vector.Equals(c, c);
                Vector.ConditionalSelect(present, c, previous).CopyTo(_previousClose.AsSpan(a));
                Vector.ConditionalSelect(present, atr, old).CopyTo(_value.AsSpan(a));
                var result = normalised
                    ? Vector.ConditionalSelect(Vector.Equals(c, Vector<double>.Zero), missing, atr / c * hundred)
                    : atr;
                Vector.ConditionalSelect(present, result, missing).CopyTo(output[a..]);
            }
        }

        for (; a < close.Length; a++)
        {
            var h = high[a];
            var l = low[a];
            var c = close[a];
            if (double.IsNaN(h) || double.IsNaN(l) || double.IsNaN(c))
            {
                output[a] = double.NaN;
                continue;
            }

            var atr = Next(a, h, l, c);
            output[a] = !normalised ? atr
                : c != 0.0 ? (atr / c) * 100.0
                : double.NaN;
        }
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

        _unseeded--;
        _value[a] = sum / _period;
        return _value[a];
    }

    public void Reset()
    {
        Array.Clear(_count);
        _unseeded = _count.Length;
    }
}

/// <summary>
/// The shared body of ATR and NATR: one Wilder true-range state per asset, read as is or as a
/// percentage of the close. Packed input order: high, low, close.
/// </summary>
public abstract class TrueRangeIndicator : IncrementalIndicator
{
    private readonly WilderAtr _atr;
    private readonly bool _normalised;

    private protected TrueRangeIndicator(string name, int assetCount, int period, bool normalised)
        : base($"{name}({period})", assetCount, period + 1, 3, 1)
    {
        _atr = new WilderAtr(assetCount, period);
        _normalised = normalised;
    }

    /// <summary>Consumes one bar of high, low and close rows and writes one row of values.</summary>
    public void Update(ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output)
    {
        CheckRow(high, nameof(high));
        CheckRow(low, nameof(low));
        CheckRow(close, nameof(close));
        CheckRow(output, nameof(output));
        _atr.NextRow(high, low, close, output, _normalised);
        Advance();
    }

    private protected static void Run(TrueRangeIndicator op, ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output)
    {
        var assets = op.AssetCount;
        var rows = ColumnShape.Rows(assets, close, output);
        ColumnShape.SameLength(close, high, nameof(high));
        ColumnShape.SameLength(close, low, nameof(low));
        for (var t = 0; t < rows; t++)
        {
            var at = t * assets;
            op.Update(high.Slice(at, assets), low.Slice(at, assets), close.Slice(at, assets), output.Slice(at, assets));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(In(inputRows, 0), In(inputRows, 1), In(inputRows, 2), outputRows);

    private protected override void ResetState() => _atr.Reset();
}

/// <summary>
/// <c>atr(n)</c>, TA-Lib ATR: Wilder-smoothed true range, max(high − low, |high − previous close|,
/// |low − previous close|), seeded with the mean of the first n true ranges. A bar with any NaN is
/// skipped: NaN at that bar, and the next true range uses the last close seen.
/// Warm-up: n + 1 bars (TA-Lib lookback n). Packed input order: high, low, close.
/// </summary>
public sealed class Atr : TrueRangeIndicator
{
    /// <summary>Creates an n-bar ATR (default n = 14).</summary>
    public Atr(int assetCount, int period = 14)
        : base("ATR", assetCount, period, normalised: false)
    {
    }

    /// <summary>Batch kernel over [T×A] high, low and close columns.</summary>
    public static void Compute(ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output, int assetCount, int period = 14) =>
        Run(new Atr(assetCount, period), high, low, close, output);
}

/// <summary>
/// <c>natr(n)</c>, TA-Lib NATR: 100 × ATR(n) / close; NaN when close is 0 (TA-Lib writes 0 there).
/// Same NaN handling as <see cref="Atr"/>: a bar with any NaN is skipped.
/// Warm-up: n + 1 bars (TA-Lib lookback n). Packed input order: high, low, close.
/// </summary>
public sealed class Natr : TrueRangeIndicator
{
    /// <summary>Creates an n-bar normalised ATR (default n = 14).</summary>
    public Natr(int assetCount, int period = 14)
        : base("NATR", assetCount, period, normalised: true)
    {
    }

    /// <summary>Batch kernel over [T×A] high, low and close columns.</summary>
    public static void Compute(ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> close, Span<double> output, int assetCount, int period = 14) =>
        Run(new Natr(assetCount, period), high, low, close, output);
}
