namespace StrategyLab.Runtime.Backtest;

/// <summary>The per-bar outcome of a weights-accounting run.</summary>
/// <param name="FirstBar">The first bar with a return: the bar after the first bar that may hold a position.</param>
/// <param name="Returns">Net return of bars FirstBar .. T−1.</param>
/// <param name="GrossReturns">The same before costs.</param>
/// <param name="Turnover">Σ|w[t] − w[t−1]| of every bar (w[−1] = 0), the rebalance at bar t's fill.</param>
/// <param name="HeldThroughMissingPrices">(bar, asset) cells where a held asset had no price, so its return counted as zero.</param>
public sealed record WeightBacktest(int FirstBar, double[] Returns, double[] GrossReturns, double[] Turnover, int HeldThroughMissingPrices)
{
    /// <summary>Turnover of the rebalances whose costs fall inside the measured bars: bars FirstBar − 1 .. T − 2 (no final liquidation).</summary>
    public double TurnoverTotal => Turnover.AsSpan(FirstBar - 1, Returns.Length).ToArray().Sum();
}

/// <summary>
/// Research accounting on weights: the book is rebalanced to the target weights at every fill, and
/// holdings do not drift between fills. Bar t's return is Σ w[t−1, a] × (F[t, a] / F[t−1, a] − 1)
/// less <c>costRate</c> × Σ|w[t−1] − w[t−2]|, where F is the fill price (the close when orders fill
/// at the signal bar's close, the open of the next bar otherwise) — the vectorised backtest of
/// vectorbt-style research code. The ledger simulation is the one that trades units.
/// </summary>
public static class WeightAccounting
{
    /// <summary>
    /// Runs the accounting. <paramref name="weights"/>[t × A + a] is the target set at bar t's fill
    /// (NaN means flat); <paramref name="fillPrices"/> the price each fill happens at.
    /// <paramref name="firstPositionBar"/> is the first bar whose weights may be non-zero; returns are
    /// measured from the bar after it.
    /// </summary>
    public static WeightBacktest Run(ReadOnlySpan<double> weights, ReadOnlySpan<double> fillPrices, int assetCount, double costRate, int firstPositionBar)
    {
        if (weights.Length != fillPrices.Length || weights.Length % assetCount != 0)
            throw new ArgumentException("weights and fill prices must both be [time × asset] of the same shape");
        var a = assetCount;
        var bars = weights.Length / a;
        ArgumentOutOfRangeException.ThrowIfNegative(firstPositionBar);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(firstPositionBar, bars);
        var turnover = new double[bars];
        var previous = new double[a];
        var lastPrice = new double[a];
        lastPrice.AsSpan().Fill(double.NaN);
        var returns = new double[bars - firstPositionBar - 1];
        var gross = new double[returns.Length];
        var missing = 0;
        for (var t = 0; t < bars; t++)
        {
            var w = weights.Slice(t * a, a);
            var price = fillPrices.Slice(t * a, a);
            if (t > firstPositionBar)
            {
                var pnl = 0.0;
                for (var i = 0; i < a; i++)
                {
                    if (previous[i] == 0)
                        continue;
                    if (double.IsNaN(price[i]) || double.IsNaN(lastPrice[i]))
                    {
                        missing++;
                        continue;
                    }
                    pnl += previous[i] * (price[i] / lastPrice[i] - 1.0);
                }
                gross[t - firstPositionBar - 1] = pnl;
                returns[t - firstPositionBar - 1] = pnl - costRate * turnover[t - 1];
            }
            var turn = 0.0;
            for (var i = 0; i < a; i++)
            {
                var target = double.IsNaN(w[i]) ? 0.0 : w[i];
                turn += Math.Abs(target - previous[i]);
                previous[i] = target;
                if (!double.IsNaN(price[i]))
                    lastPrice[i] = price[i];
            }
            turnover[t] = turn;
        }
        return new WeightBacktest(firstPositionBar + 1, returns, gross, turnover, missing);
    }
}
