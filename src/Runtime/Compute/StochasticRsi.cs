namespace StrategyLab.Runtime.Compute;

/// <summary>
/// <c>stoch_rsi(n, fastK, fastD)</c>, TA-Lib STOCHRSI with SMA smoothing: RSI(n) (Wilder), then
/// fast %K = 100 × (rsi − lowest rsi) / (highest rsi − lowest rsi) over the last fastK RSI values
/// (0 when they are all equal, as TA-Lib), fast %D = SMA(fast %K, fastD); both outputs start
/// together, as in TA-Lib. Like RSI, a NaN input is skipped: NaN outputs at that bar, and the
/// windows continue over the values seen, as if the bar were not there.
/// Warm-up: n + fastK + fastD − 1 bars (TA-Lib lookback 20 for 14/5/3). Output order: %K, %D.
/// </summary>
public sealed class StochasticRsi : IncrementalIndicator
{
    private readonly WilderRsi _rsi;
    private readonly int _fastK;
    private readonly int _fastD;
    private readonly double[] _rsiValues;
    private readonly double[] _kValues;
    private readonly int[] _rsiCount;
    private readonly int[] _kCount;

    /// <summary>Creates a stochastic RSI (TA-Lib defaults 14, 5, 3).</summary>
    public StochasticRsi(int assetCount, int rsiPeriod = 14, int fastKPeriod = 5, int fastDPeriod = 3)
        : base($"STOCHRSI({rsiPeriod},{fastKPeriod},{fastDPeriod})", assetCount, rsiPeriod + fastKPeriod + fastDPeriod - 1, 1, 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fastKPeriod, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(fastDPeriod, 1);
        _rsi = new WilderRsi(assetCount, rsiPeriod);
        _fastK = fastKPeriod;
        _fastD = fastDPeriod;
        _rsiValues = new double[checked(assetCount * fastKPeriod)];
        _kValues = new double[checked(assetCount * fastDPeriod)];
        _rsiCount = new int[assetCount];
        _kCount = new int[assetCount];
    }

    /// <summary>Consumes one row of values and writes the fast %K and %D rows.</summary>
    public void Update(ReadOnlySpan<double> value, Span<double> fastK, Span<double> fastD)
    {
        CheckRow(value, nameof(value));
        CheckRow(fastK, nameof(fastK));
        CheckRow(fastD, nameof(fastD));
        for (var a = 0; a < value.Length; a++)
        {
            fastK[a] = double.NaN;
            fastD[a] = double.NaN;
            var x = value[a];
            if (double.IsNaN(x))
            {
                continue;
            }

            var rsi = _rsi.Next(a, x);
            if (double.IsNaN(rsi))
            {
                continue;
            }

            var rsiValues = _rsiValues.AsSpan(a * _fastK, _fastK);
            var rsiCount = _rsiCount[a];
            rsiValues[rsiCount % _fastK] = rsi;
            _rsiCount[a] = rsiCount + 1 < 2 * _fastK ? rsiCount + 1 : _fastK + ((rsiCount + 1) % _fastK);
            if (rsiCount + 1 < _fastK)
            {
                continue;
            }

            var k = Oscillator.Position(rsi, rsiValues, rsiValues);
            var kValues = _kValues.AsSpan(a * _fastD, _fastD);
            var kCount = _kCount[a];
            kValues[kCount % _fastD] = k;
            _kCount[a] = kCount + 1 < 2 * _fastD ? kCount + 1 : _fastD + ((kCount + 1) % _fastD);
            if (kCount + 1 < _fastD)
            {
                continue;
            }

            fastK[a] = k;
            fastD[a] = Oscillator.Mean(kValues);
        }

        Advance();
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(
        ReadOnlySpan<double> input,
        Span<double> fastK,
        Span<double> fastD,
        int assetCount,
        int rsiPeriod = 14,
        int fastKPeriod = 5,
        int fastDPeriod = 3)
    {
        var rows = ColumnShape.Rows(assetCount, input, fastK, outputName: nameof(fastK));
        ColumnShape.SameLength(input, fastD, nameof(fastD));
        var op = new StochasticRsi(assetCount, rsiPeriod, fastKPeriod, fastDPeriod);
        for (var t = 0; t < rows; t++)
        {
            var at = t * assetCount;
            op.Update(input.Slice(at, assetCount), fastK.Slice(at, assetCount), fastD.Slice(at, assetCount));
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(inputRows, Out(outputRows, 0), Out(outputRows, 1));

    private protected override void ResetState()
    {
        _rsi.Reset();
        Array.Clear(_rsiCount);
        Array.Clear(_kCount);
    }
}
