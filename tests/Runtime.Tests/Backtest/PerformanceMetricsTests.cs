using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Backtest;

namespace StrategyLab.Runtime.Tests.Backtest;

public sealed class PerformanceMetricsTests
{
    // expected values from numpy 1.24.2 (Debian python3-numpy): E = cumprod(1 + R),
    // std(ddof=1), downside = sqrt(mean(minimum(R, 0)**2)), drawdown against max(E, 1)
    private static readonly double[] Returns = [0.01, -0.02, 0.015, -0.005, 0.03, -0.04, 0.02, 0.0, -0.01, 0.025];

    [Fact]
    public void MatchesNumpyOnASmallSeries()
    {
        var m = PerformanceMetrics.FromReturns(Returns, 365);
        Assert.Equal(0.02306743735016714, m.TotalReturn, 1e-15);
        Assert.Equal(0.022805405960194043, m.LogTotalReturn, 1e-15);
        Assert.Equal(1.2988231487926107, m.AnnualizedReturn, 1e-12);
        Assert.Equal(0.4182054917541535, m.AnnualizedVolatility, 1e-14);
        Assert.Equal(2.181941696108626, m.Sharpe, 1e-13);
        Assert.Equal(3.2764758686196753, m.Sortino, 1e-13);
        Assert.Equal(0.040000000000000036, m.MaxDrawdown, 1e-15);
        Assert.Equal(0.04082199452025513, m.MaxDrawdownLog, 1e-15);
        Assert.Equal(1.2988231487926107 / 0.040000000000000036, m.Calmar, 1e-10);
    }

    [Fact]
    public void CountsTheLongestDrawdownUntilTheEndWhenNotRegained()
    {
        // equity peaks at bar 4 (1.0296) and is still below it at the last bar (9): 5 bars
        Assert.Equal(5, PerformanceMetrics.FromReturns(Returns, 365).MaxDrawdownBars);
    }

    [Fact]
    public void CountsPositiveBarsBestAndWorst()
    {
        var m = PerformanceMetrics.FromReturns(Returns, 365);
        Assert.Equal(0.5, m.PositiveBars);
        Assert.Equal(0.03, m.BestBar);
        Assert.Equal(-0.04, m.WorstBar);
    }

    [Fact]
    public void RefusesAReturnThatIsNotANumber()
    {
        var e = Assert.Throws<ArgumentException>(() => PerformanceMetrics.FromReturns([0.01, double.NaN], 365));
        Assert.StartsWith("return NaN at bar 1 is not a finite number of at least -1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DrawdownsEqualTheDivisionAtEveryBar()
    {
        // the metrics divide out a drawdown only where it may be a new maximum; the definition divides at every bar
        var returns = (from n in Gen.Choose(0, 200)
                       from r in Gen.ArrayOf(Gen.Elements(-1.0, -0.5, -0.01, -1e-9, 0.0, 1e-12, 0.003, 0.02, 0.9), n)
                       select r).ToArbitrary();
        Prop.ForAll(returns, r =>
        {
            double equity = 1, peak = 1, maxDrawdown = 0, worstRatio = 1;
            foreach (var x in r)
            {
                equity *= 1 + x;
                peak = Math.Max(peak, equity);
                maxDrawdown = Math.Max(maxDrawdown, 1 - equity / peak);
                worstRatio = Math.Max(worstRatio, peak / equity);
            }
            var m = PerformanceMetrics.FromReturns(r, 365);
            return m.MaxDrawdown.Equals(maxDrawdown) && (equity == 0 ? double.IsPositiveInfinity(m.MaxDrawdownLog) : m.MaxDrawdownLog.Equals(Math.Log(worstRatio)));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1000));
    }

    [Fact]
    public void LogsStayExactWhereEquityUnderflows()
    {
        // 400 bars losing 99.9 % each then 10 bars doubling: equity 1e-1200 × 1024 underflows a double
        var returns = Enumerable.Repeat(-0.999, 400).Concat(Enumerable.Repeat(1.0, 10)).ToArray();
        var m = PerformanceMetrics.FromReturns(returns, 365);
        var expected = (400 * Math.Log(0.001)) + (10 * Math.Log(2));
        Assert.Equal(expected, m.LogTotalReturn, Math.Abs(expected) * 1e-12);
        Assert.Equal(-400 * Math.Log(0.001), m.MaxDrawdownLog, 400 * 6.9 * 1e-12);
        Assert.Equal(1.0, m.MaxDrawdown);
    }
}
