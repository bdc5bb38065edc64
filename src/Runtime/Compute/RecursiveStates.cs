using System.Numerics;

namespace StrategyLab.Runtime.Compute;

/// <summary>
/// Per-asset exponential moving average seeded, as TA-Lib does, with the simple mean of the first
/// n values it is given; k = 2 / (n + 1). Callers skip NaN inputs.
/// </summary>
internal sealed class SeededEma
{
    private readonly int _period;
    private readonly double _k;
    private readonly int[] _count;
    private readonly double[] _value;
    private int _unseeded;

    public SeededEma(int assetCount, int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _period = period;
        _k = 2.0 / (period + 1);
        _count = new int[assetCount];
        _value = new double[assetCount];
        _unseeded = assetCount;
    }

    /// <summary>True once every asset's average is seeded.</summary>
    public bool AllSeeded => _unseeded == 0;

    /// <summary>
    /// Takes one row (NaN skipped) and writes the averages. Once every asset is seeded it runs a
    /// vector of assets at a time with the same arithmetic as <see cref="Next"/>.
    /// </summary>
    public void NextRow(ReadOnlySpan<double> x, Span<double> output)
    {
        var a = 0;
        if (_unseeded == 0 && Vector.IsHardwareAccelerated)
        {
            var k = new Vector<double>(_k);
            var missing = new Vector<double>(double.NaN);
            var values = _value.AsSpan();
            for (; a <= x.Length - Vector<double>.Count; a += Vector<double>.Count)
            {
                var v = new Vector<double>(x[a..]);
                var e = new Vector<double>(values[a..]);
                var next = ((v - e) * k) + e;
                var present = Vector.Equals(v, v);
                Vector.ConditionalSelect(present, next, e).CopyTo(values[a..]);
                Vector.ConditionalSelect(present, next, missing).CopyTo(output[a..]);
            }
        }

        for (; a < x.Length; a++)
        {
            var v = x[a];
            output[a] = double.IsNaN(v) ? double.NaN : Next(a, v);
        }
    }

    /// <summary>Takes the next value of asset <paramref name="a"/> (not NaN); returns the average, or NaN during warm-up.</summary>
    public double Next(int a, double x)
    {
        var count = _count[a];
        if (count >= _period)
        {
            var ema = ((x - _value[a]) * _k) + _value[a];
            _value[a] = ema;
            return ema;
        }

        var sum = count == 0 ? x : _value[a] + x;
        _count[a] = count + 1;
        if (count + 1 < _period)
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
/// Per-asset Wilder RSI as TA-Lib computes it: the first average gain and loss are simple means of
/// the first n changes, later ones are smoothed as (previous × (n − 1) + current) / n. Callers skip
/// NaN inputs.
/// </summary>
internal sealed class WilderRsi
{
    private readonly int _period;
    private readonly int[] _count;
    private readonly double[] _previous;
    private readonly double[] _gain;
    private readonly double[] _loss;
    private int _unseeded;

    public WilderRsi(int assetCount, int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _period = period;
        _count = new int[assetCount];
        _previous = new double[assetCount];
        _gain = new double[assetCount];
        _loss = new double[assetCount];
        _unseeded = assetCount;
    }

    /// <summary>
    /// Takes one row (NaN skipped) and writes the RSI values. Once every asset is seeded it runs a
    /// vector of assets at a time with the same arithmetic as <see cref="Next"/>.
    /// </summary>
    public void NextRow(ReadOnlySpan<double> x, Span<double> output)
    {
        var a = 0;
        if (_unseeded == 0 && Vector.IsHardwareAccelerated)
        {
            var keep = new Vector<double>(_period - 1);
            var n = new Vector<double>(_period);
            var hundred = new Vector<double>(100.0);
            var missing = new Vector<double>(double.NaN);
            for (; a <= x.Length - Vector<double>.Count; a += Vector<double>.Count)
            {
                var v = new Vector<double>(x[a..]);
                var previous = new Vector<double>(_previous.AsSpan(a));
                var oldGain = new Vector<double>(_gain.AsSpan(a));
                var oldLoss = new Vector<double>(_loss.AsSpan(a));
                var change = v - previous;
                var gain = oldGain * keep;
                var loss = oldLoss * keep;
                var falling = Vector.LessThan(change, Vector<double>.Zero);
                loss = Vector.ConditionalSelect(falling, loss - change, loss) / n;
                gain = Vector.ConditionalSelect(falling, gain, gain + change) / n;
                var total = gain + loss;
                var rsi = Vector.ConditionalSelect(Vector.Equals(total, Vector<double>.Zero), Vector<double>.Zero, hundred * (gain / total));
                var present = Vector.Equals(v, v);
                Vector.ConditionalSelect(present, v, previous).CopyTo(_previous.AsSpan(a));
                Vector.ConditionalSelect(present, gain, oldGain).CopyTo(_gain.AsSpan(a));
                Vector.ConditionalSelect(present, loss, oldLoss).CopyTo(_loss.AsSpan(a));
                Vector.ConditionalSelect(present, rsi, missing).CopyTo(output[a..]);
            }
        }

        for (; a < x.Length; a++)
        {
            var v = x[a];
            output[a] = double.IsNaN(v) ? double.NaN : Next(a, v);
        }
    }

    /// <summary>Takes the next value of asset <paramref name="a"/> (not NaN); returns RSI in [0, 100], or NaN during warm-up.</summary>
    public double Next(int a, double x)
    {
        var count = _count[a];
        var change = x - _previous[a];
        _previous[a] = x;
        if (count == 0)
        {
            _gain[a] = 0.0;
            _loss[a] = 0.0;
            _count[a] = 1;
            return double.NaN;
        }

        double gain, loss;
        if (count <= _period)
        {
            gain = _gain[a];
            loss = _loss[a];
            if (change < 0.0)
            {
                loss -= change;
            }
            else
            {
                gain += change;
            }

            _count[a] = count + 1;
            if (count < _period)
            {
                _gain[a] = gain;
                _loss[a] = loss;
                return double.NaN;
            }

            gain /= _period;
            loss /= _period;
            _unseeded--;
        }
        else
        {
            gain = _gain[a] * (_period - 1);
            loss = _loss[a] * (_period - 1);
            if (change < 0.0)
            {
                loss -= change;
            }
            else
            {
                gain += change;
            }

            gain /= _period;
            loss /= _period;
        }

        _gain[a] = gain;
        _loss[a] = loss;
        var total = gain + loss;
        return total != 0.0 ? 100.0 * (gain / total) : 0.0;
    }

    public void Reset()
    {
        Array.Clear(_count);
        _unseeded = _count.Length;
    }
}
