using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Search.Statistics;

namespace StrategyLab.Runtime.Tests.Search.Statistics;

public sealed class WalkForwardOutOfSampleTests
{
    [Fact]
    public void JoinsTheFoldsInOrderAndMeasuresThemAsOneRun()
    {
        double[][] folds = [[0.01, -0.02], [], [0.03], [-0.01, 0.02, 0.005]];
        var r = WalkForwardOutOfSample.Stitch(folds, 365);
        Assert.Equal([0.01, -0.02, 0.03, -0.01, 0.02, 0.005], r.Returns.ToArray());
        Assert.Equal([0, 2, 2, 3], r.FoldStarts.ToArray());
        // 1.01 · 0.98 · 1.03 · 0.99 · 1.02 · 1.005 − 1, by hand
        Assert.Equal(0.034632466406, r.Metrics.TotalReturn, 1e-14);
        Assert.Equal(PerformanceMetrics.FromReturns([0.01, -0.02, 0.03, -0.01, 0.02, 0.005], 365), r.Metrics);
        // mean 0.035/6, sample standard deviation √(Σ(r − mean)²/5)
        var mean = 0.035 / 6;
        var sd = Math.Sqrt(new[] { 0.01, -0.02, 0.03, -0.01, 0.02, 0.005 }.Sum(x => (x - mean) * (x - mean)) / 5);
        Assert.Equal(mean / sd, r.Moments!.Sharpe, 1e-14);
        Assert.Equal(SharpeStatistics.ProbabilisticSharpe(r.Returns.AsSpan(), 0), r.ProbabilisticSharpe);
    }

    [Fact]
    public void AOneReturnResultHasNoSharpeError()
    {
        var r = WalkForwardOutOfSample.Stitch([[0.02]], 365);
        Assert.Null(r.Moments);
        Assert.True(double.IsNaN(r.ProbabilisticSharpe));
        Assert.Equal(0.02, r.Metrics.TotalReturn, 1e-15);
    }
}
