using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Backtest;

/// <summary>What a strategy is compared with: returns per bar on the same bars.</summary>
public static class Benchmarks
{
    /// <summary>
    /// Buy and hold one asset: close-to-close returns (0 where either close is missing).
    /// </summary>
    public static double[] BuyAndHold(Panel panel, string symbol)
    {
        ArgumentNullException.ThrowIfNull(panel);
        var asset = panel.AssetIndex(symbol);
        if (asset < 0)
            throw new KeyNotFoundException($"dataset '{panel.Name}' has no symbol '{symbol}' to benchmark against");
        var close = panel.Series("close", asset);
        var returns = new double[close.Length];
        for (var t = 1; t < close.Length; t++)
            returns[t] = double.IsNaN(close[t]) || double.IsNaN(close[t - 1]) ? 0 : close[t] / close[t - 1] - 1;
        return returns;
    }

    /// <summary>
    /// An equal-weight book of every asset with a close at both ends of the bar (and, when a mask
    /// is given, in the universe at the start), rebalanced every bar.
    /// </summary>
    public static double[] EqualWeight(Panel panel, ReadOnlySpan<bool> universe = default)
    {
        ArgumentNullException.ThrowIfNull(panel);
        var close = panel.Column("close");
        var a = panel.AssetCount;
        var returns = new double[panel.TimeCount];
        for (var t = 1; t < returns.Length; t++)
        {
            double sum = 0;
            var n = 0;
            for (var i = 0; i < a; i++)
            {
                double now = close[t * a + i], before = close[(t - 1) * a + i];
                if (double.IsNaN(now) || double.IsNaN(before) || (!universe.IsEmpty && !universe[(t - 1) * a + i]))
                    continue;
                sum += now / before - 1;
                n++;
            }
            returns[t] = n > 0 ? sum / n : 0;
        }
        return returns;
    }
}
