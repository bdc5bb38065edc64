namespace StrategyLab.Runtime.Compute;

/// <summary>
/// Per-asset sums over the last n bars, shared by the rolling sum, mean, standard deviation,
/// z-score and Bollinger bands. A NaN clears the asset's window, so the window is full only
/// after n consecutive values. Values are shifted by the first value of the current run before
/// they are summed (Kahan-compensated), which keeps the variance of price-sized numbers accurate.
/// </summary>
internal sealed class WindowMoments
{
    private readonly int _period;
    private readonly double[] _ring;
    private readonly int[] _run;
    private readonly double[] _shift;
    private readonly double[] _sum;
    private readonly double[] _sumCompensation;
    private readonly double[] _squares;
    private readonly double[] _squaresCompensation;

    public WindowMoments(int assetCount, int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _period = period;
        _ring = new double[checked(assetCount * period)];
        _run = new int[assetCount];
        _shift = new double[assetCount];
        _sum = new double[assetCount];
        _sumCompensation = new double[assetCount];
        _squares = new double[assetCount];
        _squaresCompensation = new double[assetCount];
    }

    public int Period => _period;

    /// <summary>Adds the value of <paramref name="row"/> for asset <paramref name="a"/>; returns true when the window is full.</summary>
    public bool Push(int row, int a, double x)
    {
        if (double.IsNaN(x))
        {
            _run[a] = 0;
            return false;
        }

        var run = _run[a];
        if (run == 0)
        {
            _shift[a] = x;
            _sum[a] = 0.0;
            _sumCompensation[a] = 0.0;
            _squares[a] = 0.0;
            _squaresCompensation[a] = 0.0;
        }

        var slot = ((row % _period) * _run.Length) + a;
        var d = x - _shift[a];
        if (run >= _period)
        {
            var old = _ring[slot];
            Panel.KahanAdd(ref _sum[a], ref _sumCompensation[a], -old);
            Panel.KahanAdd(ref _squares[a], ref _squaresCompensation[a], -(old * old));
        }
        else
        {
            _run[a] = run + 1;
        }

        Panel.KahanAdd(ref _sum[a], ref _sumCompensation[a], d);
        Panel.KahanAdd(ref _squares[a], ref _squaresCompensation[a], d * d);
        _ring[slot] = d;
        return run + 1 >= _period;
    }

    /// <summary>Sum of the window of a full asset.</summary>
    public double Sum(int a) => (_shift[a] * _period) + _sum[a];

    /// <summary>Mean of the window of a full asset.</summary>
    public double Mean(int a) => _shift[a] + (_sum[a] / _period);

    /// <summary>Sum of squared deviations from the mean; never negative.</summary>
    public double SquaredDeviations(int a)
    {
        var s = _sum[a];
        var m2 = _squares[a] - (s * s / _period);
        return m2 > 0.0 ? m2 : 0.0;
    }

    public void Reset()
    {
        Array.Clear(_run);
        Array.Clear(_ring);
    }
}
