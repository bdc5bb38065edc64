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
        // the metrics divide out a drawdown only where it may be a new maximum; the definition divides at every bar.
        // Long series cross chunk boundaries, where the path's state is carried over.
        var returns = (from crossing in Gen.Elements(false, true)
                       from n in crossing ? Gen.Choose(ReturnStatistics.ChunkBars - 50, (2 * ReturnStatistics.ChunkBars) + 50) : Gen.Choose(0, 200)
                       from r in Gen.ArrayOf(crossing
                           ? Gen.Elements(-0.02, -0.01, -1e-9, 0.0, 1e-12, 0.003, 0.01, 0.02)
                           : Gen.Elements(-1.0, -0.5, -0.01, -1e-9, 0.0, 1e-12, 0.003, 0.02, 0.9), n)
                       select r).ToArbitrary();
        Prop.ForAll(returns, r =>
        {
            // and the longest run of bars below the running peak
            double equity = 1, peak = 1, maxDrawdown = 0, worstRatio = 1;
            int below = 0, longest = 0;
            foreach (var x in r)
            {
                equity *= 1 + x;
                below = equity < peak ? below + 1 : 0;
                longest = Math.Max(longest, below);
                peak = Math.Max(peak, equity);
                maxDrawdown = Math.Max(maxDrawdown, 1 - equity / peak);
                worstRatio = Math.Max(worstRatio, peak / equity);
            }
            var m = PerformanceMetrics.FromReturns(r, 365);
            return m.MaxDrawdown.Equals(maxDrawdown) && m.MaxDrawdownBars == longest
                && (equity == 0 ? double.IsPositiveInfinity(m.MaxDrawdownLog) : m.MaxDrawdownLog.Equals(Math.Log(worstRatio)));
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

    [Fact]
    public void StreamedStatisticsDoNotDependOnHowTheReturnsArrive()
    {
        // chunks sit at fixed positions of the series, so any handover gives the bits of one call
        var series = (from n in Gen.Choose(0, 3 * ReturnStatistics.ChunkBars)
                      from seed in Gen.Choose(0, int.MaxValue)
                      from cuts in Gen.ArrayOf(Gen.Choose(0, n), 4)
                      select (RandomReturns(n, seed), cuts)).ToArbitrary();
        Prop.ForAll(series, x =>
        {
            var (r, cuts) = x;
            var streamed = new ReturnStatistics();
            foreach (var cut in cuts.Order())
                streamed.Take(r.AsSpan(0, cut));
            return streamed.Finish(r, 365).Equals(PerformanceMetrics.FromReturns(r, 365));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Fact]
    public void VarianceOverManyChunksMatchesTwoPassesInExtendedPrecision()
    {
        // a mean far from zero against a small spread, over several chunks: Σ(R − mean)² in decimal arithmetic,
        // each return taken exactly (below 1, R × 2^54 is a whole number)
        var r = RandomReturns(5 * ReturnStatistics.ChunkBars + 3, 7).Select(x => 0.5 + (x * 1e-4)).ToArray();
        static decimal Exact(double x) => (long)Math.ScaleB(x, 54) / (decimal)Math.ScaleB(1.0, 54);
        var mean = r.Select(Exact).Sum() / r.Length;
        var squares = r.Select(x => (Exact(x) - mean) * (Exact(x) - mean)).Sum();
        var expected = Math.Sqrt((double)(squares / (r.Length - 1))) * Math.Sqrt(365);
        var m = PerformanceMetrics.FromReturns(r, 365);
        Assert.Equal(expected, m.AnnualizedVolatility, expected * 1e-12);
    }

    [Fact]
    public void NamesTheBarOfABadReturnInALaterChunk()
    {
        var r = new double[ReturnStatistics.ChunkBars + 10];
        r[ReturnStatistics.ChunkBars + 5] = -1.5;
        var e = Assert.Throws<ArgumentException>(() => PerformanceMetrics.FromReturns(r, 365));
        Assert.StartsWith($"return -1.5 at bar {ReturnStatistics.ChunkBars + 5} is not", e.Message, StringComparison.Ordinal);
    }

    // returns of −5 % .. +5 %, with a few exact zeros
    private static double[] RandomReturns(int n, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => random.Next(10) == 0 ? 0.0 : (random.NextDouble() - 0.5) * 0.1)];
    }
}
