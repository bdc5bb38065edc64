using System.Numerics;

namespace StrategyLab.Runtime.Compute;

/// <summary>
/// Per-asset sums and sums of squares over the last n bars, shared by the rolling standard deviation,
/// z-score and Bollinger bands. A NaN clears the asset's window, so the window is full only
/// after n consecutive values. Values are shifted by the run's first value before they are summed
/// (Kahan-compensated); the shift moves to the window's mean every n bars, which
/// keeps the deviation of price-sized numbers accurate over long histories. While every asset's
/// window is full, rows are processed a vector of assets at a time with the scalar arithmetic.
/// </summary>
internal sealed class WindowMoments(int assetCount, int period) : WindowRing(assetCount, period)
{
    private readonly double[] _sumCompensation = new double[assetCount];
    private readonly double[] _squares = new double[assetCount];
    private readonly double[] _squaresCompensation = new double[assetCount];

    /// <summary>Adds the next bar's row for every asset.</summary>
    public void PushRow(ReadOnlySpan<double> x)
    {
        var slotBase = NextSlotBase();
        var a = 0;
        if (Filling == 0 && Vector.IsHardwareAccelerated)
        {
            var ring = Ring.AsSpan(slotBase, x.Length);
            var width = Vector<double>.Count;
            for (; a <= x.Length - width; a += width)
            {
                var v = new Vector<double>(x[a..]);
                if (!Vector.EqualsAll(v, v))
                {
                    // a NaN in this vector: let the scalar path restart those windows
                    for (var lane = a; lane < a + width; lane++)
                    {
                        Push(slotBase, lane, x[lane]);
                    }

                    continue;
                }

                var d = v - new Vector<double>(Shift.AsSpan(a));
                var old = new Vector<double>(ring[a..]);
                var sum = new Vector<double>(Sum.AsSpan(a));
                var sumCompensation = new Vector<double>(_sumCompensation.AsSpan(a));
                KahanAdd(ref sum, ref sumCompensation, -old);
                KahanAdd(ref sum, ref sumCompensation, d);
                sum.CopyTo(Sum.AsSpan(a));
                sumCompensation.CopyTo(_sumCompensation.AsSpan(a));
                var squares = new Vector<double>(_squares.AsSpan(a));
                var squaresCompensation = new Vector<double>(_squaresCompensation.AsSpan(a));
                KahanAdd(ref squares, ref squaresCompensation, -(old * old));
                KahanAdd(ref squares, ref squaresCompensation, d * d);
                squares.CopyTo(_squares.AsSpan(a));
                squaresCompensation.CopyTo(_squaresCompensation.AsSpan(a));

                d.CopyTo(ring[a..]);
                if (slotBase == 0)
                {
                    for (var lane = a; lane < a + width; lane++)
                    {
                        Rebase(lane);
                    }
                }
            }
        }

        for (; a < x.Length; a++)
        {
            Push(slotBase, a, x[a]);
        }
    }

    /// <summary>
    /// Writes sqrt(squared deviations / <paramref name="divisor"/>) of full assets and NaN for the
    /// others; with <paramref name="value"/> given, writes the z-score (value − mean) / deviation
    /// instead, NaN where the deviation is 0.
    /// </summary>
    public void WriteDeviation(double divisor, Span<double> output, ReadOnlySpan<double> value = default)
    {
        var zscore = !value.IsEmpty;
        var n = (double)Period;
        var a = 0;
        if (Filling == 0 && Vector.IsHardwareAccelerated)
        {
            var nv = new Vector<double>(n);
            var dv = new Vector<double>(divisor);
            var missing = new Vector<double>(double.NaN);
            for (; a <= output.Length - Vector<double>.Count; a += Vector<double>.Count)
            {
                var s = new Vector<double>(Sum.AsSpan(a));
                var m2 = new Vector<double>(_squares.AsSpan(a)) - (s * s / nv);
                m2 = Vector.ConditionalSelect(Vector.GreaterThan(m2, Vector<double>.Zero), m2, Vector<double>.Zero);
                var std = Vector.SquareRoot(m2 / dv);
                if (zscore)
                {
                    var mean = new Vector<double>(Shift.AsSpan(a)) + (s / nv);
                    var z = (new Vector<double>(value[a..]) - mean) / std;
                    std = Vector.ConditionalSelect(Vector.GreaterThan(std, Vector<double>.Zero), z, missing);
                }

                std.CopyTo(output[a..]);
            }
        }

        for (; a < output.Length; a++)
        {
            if (!IsFull(a))
            {
                output[a] = double.NaN;
                continue;
            }

            var std = Math.Sqrt(SquaredDeviations(a) / divisor);
            output[a] = !zscore ? std
                : std > 0.0 ? (value[a] - (Shift[a] + (Sum[a] / n))) / std
                : double.NaN;
        }
    }

    private static void KahanAdd(ref Vector<double> sum, ref Vector<double> compensation, Vector<double> value)
    {
        var y = value - compensation;
        var t = sum + y;
        compensation = (t - sum) - y;
        sum = t;
    }

    private double SquaredDeviations(int a)
    {
        var s = Sum[a];
        var m2 = _squares[a] - (s * s / Period);
        return m2 > 0.0 ? m2 : 0.0;
    }

    private void Push(int slotBase, int a, double x)
    {
        if (double.IsNaN(x))
        {
            EndRun(a);
            return;
        }

        var run = Run[a];
        if (run == 0)
        {
            Shift[a] = x;
            Sum[a] = 0.0;
            _sumCompensation[a] = 0.0;
            _squares[a] = 0.0;
            _squaresCompensation[a] = 0.0;
        }

        var slot = slotBase + a;
        var d = x - Shift[a];
        if (run >= Period)
        {
            var old = Ring[slot];
            ColumnShape.KahanAdd(ref Sum[a], ref _sumCompensation[a], -old);
            ColumnShape.KahanAdd(ref _squares[a], ref _squaresCompensation[a], -(old * old));
        }
        else
        {
            Lengthen(a);
        }

        ColumnShape.KahanAdd(ref Sum[a], ref _sumCompensation[a], d);
        ColumnShape.KahanAdd(ref _squares[a], ref _squaresCompensation[a], d * d);

        Ring[slot] = d;
        if (run + 1 >= Period && slotBase == 0)
        {
            Rebase(a);
        }
    }

    /// <summary>
    /// Moves the shift to the window's mean and sums the window afresh, once every n bars: prices
    /// that drift far from the run's first value would otherwise lose digits to cancellation.
    /// </summary>
    private void Rebase(int a)
    {
        var assets = Run.Length;
        var offset = Sum[a] / Period;
        Shift[a] += offset;
        double sum = 0.0, sumCompensation = 0.0, squares = 0.0, squaresCompensation = 0.0;
        for (var k = 0; k < Period; k++)
        {
            var slot = (k * assets) + a;
            var d = Ring[slot] - offset;
            Ring[slot] = d;
            ColumnShape.KahanAdd(ref sum, ref sumCompensation, d);
            ColumnShape.KahanAdd(ref squares, ref squaresCompensation, d * d);
        }

        Sum[a] = sum;
        _sumCompensation[a] = sumCompensation;
        _squares[a] = squares;
        _squaresCompensation[a] = squaresCompensation;
    }
}
