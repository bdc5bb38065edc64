namespace StrategyLab.Runtime.Compute;

/// <summary>
/// Per-asset sums over the last n bars, shared by the rolling sum, mean, standard deviation,
/// z-score and Bollinger bands. A NaN clears the asset's window, so the window is full only
/// after n consecutive values. Values are shifted by the run's first value before they are summed
/// (Kahan-compensated); for the variance the shift moves to the window's mean every n bars, which
/// keeps the deviation of price-sized numbers accurate over long histories.
/// </summary>
internal sealed class WindowMoments
{
    private readonly int _period;
    private readonly bool _squaresWanted;
    private readonly double[] _ring;
    private readonly int[] _run;
    private readonly double[] _shift;
    private readonly double[] _sum;
    private readonly double[] _sumCompensation;
    private readonly double[] _squares;
    private readonly double[] _squaresCompensation;

    public WindowMoments(int assetCount, int period, bool squaresWanted)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _period = period;
        _squaresWanted = squaresWanted;
        _ring = new double[checked(assetCount * period)];
        _run = new int[assetCount];
        _shift = new double[assetCount];
        _sum = new double[assetCount];
        _sumCompensation = new double[assetCount];
        _squares = new double[assetCount];
        _squaresCompensation = new double[assetCount];
    }

    public int Period => _period;

    /// <summary>Offset in the ring of the slot that bar <paramref name="row"/> writes.</summary>
    public int SlotBase(int row) => (row % _period) * _run.Length;

    /// <summary>Adds the value of the bar whose <see cref="SlotBase"/> is given, for asset <paramref name="a"/>; returns true when the window is full.</summary>
    public bool Push(int slotBase, int a, double x)
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

        var slot = slotBase + a;
        var d = x - _shift[a];
        if (run >= _period)
        {
            var old = _ring[slot];
            Panel.KahanAdd(ref _sum[a], ref _sumCompensation[a], -old);
            if (_squaresWanted)
            {
                Panel.KahanAdd(ref _squares[a], ref _squaresCompensation[a], -(old * old));
            }
        }
        else
        {
            _run[a] = run + 1;
        }

        Panel.KahanAdd(ref _sum[a], ref _sumCompensation[a], d);
        if (_squaresWanted)
        {
            Panel.KahanAdd(ref _squares[a], ref _squaresCompensation[a], d * d);
        }

        _ring[slot] = d;
        if (run + 1 < _period)
        {
            return false;
        }

        if (slotBase == 0 && _squaresWanted)
        {
            Rebase(a);
        }

        return true;
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

    /// <summary>
    /// Moves the shift to the window's mean and sums the window afresh, once every n bars: prices
    /// that drift far from the run's first value would otherwise lose digits to cancellation.
    /// </summary>
    private void Rebase(int a)
    {
        var assets = _run.Length;
        var offset = _sum[a] / _period;
        _shift[a] += offset;
        double sum = 0.0, sumCompensation = 0.0, squares = 0.0, squaresCompensation = 0.0;
        for (var k = 0; k < _period; k++)
        {
            var slot = (k * assets) + a;
            var d = _ring[slot] - offset;
            _ring[slot] = d;
            Panel.KahanAdd(ref sum, ref sumCompensation, d);
            Panel.KahanAdd(ref squares, ref squaresCompensation, d * d);
        }

        _sum[a] = sum;
        _sumCompensation[a] = sumCompensation;
        _squares[a] = squares;
        _squaresCompensation[a] = squaresCompensation;
    }

    public void Reset()
    {
        Array.Clear(_run);
        Array.Clear(_ring);
    }
}
