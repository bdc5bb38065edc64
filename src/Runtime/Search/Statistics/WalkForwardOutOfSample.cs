using System.Collections.Immutable;
using StrategyLab.Runtime.Backtest;

namespace StrategyLab.Runtime.Search.Statistics;

/// <summary>
/// The walk-forward out-of-sample result: the test periods of every fold, in fold order, joined into one
/// return series (each period traded by the model or parameters chosen before it) and measured as one run.
/// </summary>
/// <param name="Returns">The per-period returns of all folds' test periods, concatenated.</param>
/// <param name="FoldStarts">Index in <see cref="Returns"/> where each fold begins.</param>
/// <param name="Metrics">The stitched series' metrics (<see cref="PerformanceMetrics.FromReturns"/>).</param>
/// <param name="Moments">Its per-period Sharpe, skewness and kurtosis; null with fewer than 2 returns.</param>
/// <param name="ProbabilisticSharpe">PSR(0): the probability that its true Sharpe is above 0; NaN with fewer than 2 returns.</param>
public sealed record WalkForwardOutOfSample(
    ImmutableArray<double> Returns,
    ImmutableArray<int> FoldStarts,
    PerformanceMetrics Metrics,
    ReturnMoments? Moments,
    double ProbabilisticSharpe)
{
    /// <summary>Joins <paramref name="foldReturns"/> (each fold's out-of-sample returns, folds in time order) and measures them.</summary>
    public static WalkForwardOutOfSample Stitch(IReadOnlyList<double[]> foldReturns, double periodsPerYear)
    {
        ArgumentNullException.ThrowIfNull(foldReturns);
        var starts = ImmutableArray.CreateBuilder<int>(foldReturns.Count);
        var joined = new List<double>();
        foreach (var fold in foldReturns)
        {
            starts.Add(joined.Count);
            joined.AddRange(fold);
        }
        var returns = joined.ToArray();
        var metrics = PerformanceMetrics.FromReturns(returns, periodsPerYear);
        var moments = returns.Length >= 2 ? SharpeStatistics.Moments(returns) : null;
        var psr = moments is null ? double.NaN : SharpeStatistics.ProbabilisticSharpe(moments.Sharpe, 0, moments.Periods, moments.Skewness, moments.Kurtosis);
        return new WalkForwardOutOfSample(returns.ToImmutableArray(), starts.MoveToImmutable(), metrics, moments, psr);
    }
}
