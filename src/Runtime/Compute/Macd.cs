using System.Numerics;

namespace StrategyLab.Runtime.Compute;

/// <summary>
/// <c>macd(x, fast, slow, signal)</c>, TA-Lib MACD: line = EMA(fast) − EMA(slow), signal = EMA of
/// the line, histogram = line − signal. As in TA-Lib, both EMAs are first ready on the slow
/// period's last warm-up value: the fast EMA is seeded with the mean of the fast-period values
/// that end there (not of the very first values), and all three outputs start together once the
/// signal EMA is seeded. A NaN input is skipped: NaN outputs at that bar, the state carries on from
/// the next value. Warm-up: slow + signal − 1 bars (TA-Lib lookback slow + signal − 2, 33 for 12/26/9).
/// </summary>
public sealed class Macd : IncrementalIndicator
{
    private readonly int _fast;
    private readonly int _slow;
    private readonly SeededEma _fastEma;
    private readonly SeededEma _slowEma;
    private readonly SeededEma _signalEma;
    private readonly int[] _count;
    private readonly double[] _fastRow;
    private readonly double[] _slowRow;

    /// <summary>Creates a MACD; <paramref name="fastPeriod"/> must be shorter than <paramref name="slowPeriod"/>.</summary>
    public Macd(int assetCount, int fastPeriod = 12, int slowPeriod = 26, int signalPeriod = 9)
        : base($"MACD({fastPeriod},{slowPeriod},{signalPeriod})", assetCount, slowPeriod + signalPeriod - 1, 1, 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fastPeriod, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(slowPeriod, fastPeriod);
        ArgumentOutOfRangeException.ThrowIfLessThan(signalPeriod, 1);
        _fast = fastPeriod;
        _slow = slowPeriod;
        _fastEma = new SeededEma(assetCount, fastPeriod);
        _slowEma = new SeededEma(assetCount, slowPeriod);
        _signalEma = new SeededEma(assetCount, signalPeriod);
        _count = new int[assetCount];
        _fastRow = new double[assetCount];
        _slowRow = new double[assetCount];
    }

    /// <summary>
    /// Consumes one row of values and writes the MACD line, signal and histogram rows.
    /// Packed order for <see cref="IIncrementalIndicator.Update"/>: line, signal, histogram.
    /// </summary>
    public void Update(ReadOnlySpan<double> value, Span<double> line, Span<double> signal, Span<double> histogram)
    {
        CheckRow(value, nameof(value));
        CheckRow(line, nameof(line));
        CheckRow(signal, nameof(signal));
        CheckRow(histogram, nameof(histogram));
        if (_fastEma.AllSeeded && _slowEma.AllSeeded && _signalEma.AllSeeded)
        {
            UpdateSeeded(value, line, signal, histogram);
            Advance();
            return;
        }

        var fastStart = _slow - _fast;
        for (var a = 0; a < value.Length; a++)
        {
            var x = value[a];
            var m = double.NaN;
            var s = double.NaN;
            if (!double.IsNaN(x))
            {
                var count = _count[a];
                var slow = _slowEma.Next(a, x);
                var fast = count >= fastStart ? _fastEma.Next(a, x) : double.NaN;
                if (count < fastStart)
                {
                    _count[a] = count + 1;
                }

                if (!double.IsNaN(slow))
                {
                    var macd = fast - slow;
                    s = _signalEma.Next(a, macd);
                    if (!double.IsNaN(s))
                    {
                        m = macd;
                    }
                }
            }

            line[a] = m;
            signal[a] = s;
            histogram[a] = m - s;
        }

        Advance();
    }

    // every average seeded: the same arithmetic as the loop above, a row (and a vector of assets) at a time
    private void UpdateSeeded(ReadOnlySpan<double> value, Span<double> line, Span<double> signal, Span<double> histogram)
    {
        _slowEma.NextRow(value, _slowRow);
        _fastEma.NextRow(value, _fastRow);
        Subtract(_fastRow, _slowRow, line);
        _signalEma.NextRow(line, signal);
        Subtract(line, signal, histogram);
    }

    private static void Subtract(ReadOnlySpan<double> left, ReadOnlySpan<double> right, Span<double> output)
    {
        var a = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; a <= left.Length - Vector<double>.Count; a += Vector<double>.Count)
            {
                (new Vector<double>(left[a..]) - new Vector<double>(right[a..])).CopyTo(output[a..]);
            }
        }

        for (; a < left.Length; a++)
        {
            output[a] = left[a] - right[a];
        }
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(
        ReadOnlySpan<double> input,
        Span<double> line,
        Span<double> signal,
        Span<double> histogram,
        int assetCount,
        int fastPeriod = 12,
        int slowPeriod = 26,
        int signalPeriod = 9)
    {
        var rows = ColumnShape.Rows(assetCount, input, line, outputName: nameof(line));
        ColumnShape.SameLength(input, signal, nameof(signal));
        ColumnShape.SameLength(input, histogram, nameof(histogram));
        var op = new Macd(assetCount, fastPeriod, slowPeriod, signalPeriod);
        for (var t = 0; t < rows; t++)
        {
            var at = t * assetCount;
            op.Update(input.Slice(at, assetCount), line.Slice(at, assetCount), signal.Slice(at, assetCount), histogram.Slice(at, assetCount));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(inputRows, Out(outputRows, 0), Out(outputRows, 1), Out(outputRows, 2));

    private protected override void ResetState()
    {
        _fastEma.Reset();
        _slowEma.Reset();
        _signalEma.Reset();
        Array.Clear(_count);
    }
}
