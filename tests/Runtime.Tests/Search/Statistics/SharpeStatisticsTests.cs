using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Search.Statistics;

namespace StrategyLab.Runtime.Tests.Search.Statistics;

// Reference values: reference/statistics_reference.py (numpy 1.24.2, scipy 1.10.1), output pinned in
// reference/statistics_reference.txt.
public sealed class SharpeStatisticsTests
{
    private static readonly double[] Series = [0.012, -0.004, 0.021, -0.017, 0.006, 0.009, -0.031, 0.015, 0.002, 0.011, -0.008, 0.027];

    [Fact]
    public void DeflatedSharpeReproducesThePapersNumericalExample()
    {
        // Bailey and López de Prado (2014), the numerical example: 100 trials whose annual Sharpe ratios vary
        // with variance 1/2; the best shows an annual Sharpe of 2.5 over 5 years of daily returns (T = 1250,
        // 250 days a year) with skewness −3 and kurtosis 10. The paper: SR0 ≈ 0.1132 a day, DSR ≈ 0.9004.
        var variance = SharpeStatistics.PerPeriodVariance(0.5, 250);
        Assert.Equal(0.002, variance, 1e-18);
        var sr0 = SharpeStatistics.ExpectedMaxSharpe(100, variance);
        Assert.Equal(0.1132, sr0, 5e-5);
        Assert.Equal(0.11317200186513214, sr0, 1e-13);
        Assert.Equal(1.7894064662732077, SharpeStatistics.Annualize(sr0, 250), 1e-12);
        var sharpe = SharpeStatistics.PerPeriod(2.5, 250);
        var dsr = SharpeStatistics.DeflatedSharpe(sharpe, 1250, -3, 10, 100, variance);
        Assert.Equal(0.9004, dsr, 5e-5);
        Assert.Equal(0.9003968344493903, dsr, 1e-12);
    }

    [Fact]
    public void MomentsMatchScipyWithNonExcessKurtosis()
    {
        var m = SharpeStatistics.Moments(Series);
        Assert.Equal(12, m.Periods);
        Assert.Equal(0.003583333333333333, m.Mean, 1e-17);
        Assert.Equal(0.016395444674073528, m.StandardDeviation, 1e-16);
        Assert.Equal(0.21855664207752384, m.Sharpe, 1e-14);
        Assert.Equal(-0.6740771497035944, m.Skewness, 1e-13);
        Assert.Equal(2.813383555551441, m.Kurtosis, 1e-13);
    }

    [Fact]
    public void ProbabilisticSharpeAndMinimumTrackRecordMatchScipy()
    {
        var m = SharpeStatistics.Moments(Series);
        Assert.Equal(0.7487098909265971, SharpeStatistics.ProbabilisticSharpe(Series, 0), 1e-12);
        Assert.Equal(0.6419513403014848, SharpeStatistics.ProbabilisticSharpe(Series, 0.1), 1e-12);
        Assert.Equal(67.21146682108494, SharpeStatistics.MinimumTrackRecordLength(m.Sharpe, 0, m.Skewness, m.Kurtosis), 1e-9);
        Assert.Equal(223.6713228736889, SharpeStatistics.MinimumTrackRecordLength(m.Sharpe, 0.05, m.Skewness, m.Kurtosis, 0.99), 1e-9);
    }

    [Fact]
    public void ProbabilisticSharpeCrossesTheConfidenceAtTheMinimumTrackRecordLength()
    {
        // MinTRL = 67.2 periods: PSR(0) at the same Sharpe and moments is below 0.95 at 67 periods, above at 68
        var m = SharpeStatistics.Moments(Series);
        Assert.True(SharpeStatistics.ProbabilisticSharpe(m.Sharpe, 0, 67, m.Skewness, m.Kurtosis) < 0.95);
        Assert.True(SharpeStatistics.ProbabilisticSharpe(m.Sharpe, 0, 68, m.Skewness, m.Kurtosis) > 0.95);
        Assert.Equal(double.PositiveInfinity, SharpeStatistics.MinimumTrackRecordLength(0.1, 0.1, 0, 3));
    }

    [Theory]
    [InlineData(2, 0.5197553442805939)]
    [InlineData(10, 1.57459830134575)]
    [InlineData(45, 2.2356401777664052)]
    [InlineData(100, 2.5306028932016846)]
    [InlineData(1000, 3.255121513652723)]
    public void ExpectedMaximumOfStandardNormalsMatchesScipy(int trials, double expected) =>
        Assert.Equal(expected, SharpeStatistics.ExpectedMaxStandardNormal(trials), 1e-12);

    [Fact]
    public void OneTrialHasNoSelectionToDeflate()
    {
        Assert.Equal(0, SharpeStatistics.ExpectedMaxSharpe(1, 0.01));
        Assert.Equal(SharpeStatistics.ProbabilisticSharpe(0.1, 0, 500, -0.5, 5), SharpeStatistics.DeflatedSharpe(0.1, 500, -0.5, 5, 1, 0.01));
    }

    [Fact]
    public void DeflatesAgainstTheTrialsSharpeVarianceLikeScipy()
    {
        var own = SharpeStatistics.Sharpe(Series);
        var d = SharpeStatistics.Deflate(Series, [own, 0.05, -0.12, 0.21, 0.0, 0.33, -0.07]);
        Assert.Equal(7, d.Trials);
        Assert.Equal(0.02798468383607615, d.SharpeVariance, 1e-15);
        Assert.Equal(0.2319882760118059, d.ExpectedMaxSharpe, 1e-13);
        Assert.Equal(0.48356729596732595, d.Probability, 1e-12);
    }

    [Fact]
    public void ExpectedMaxSharpeMatchesTheBestOfSimulatedSkilllessTrials()
    {
        // 400 studies of 100 trials, each 250 normal returns with true Sharpe 0: the mean of each study's best
        // Sharpe against √V·Z(100) with V the studies' mean variance of Sharpes. Z overstates the exact
        // expected maximum by 0.92 % at N = 100 (reference: 2.5306 against 2.5076 by quadrature); the rest
        // of the tolerance is 4 standard errors of the simulated mean.
        const int studies = 400, trials = 100, periods = 250;
        var rng = new SplitMix64(20140731);
        var best = new double[studies];
        double variance = 0;
        var sharpes = new double[trials];
        var returns = new double[periods];
        for (var s = 0; s < studies; s++)
        {
            for (var n = 0; n < trials; n++)
            {
                for (var t = 0; t < periods; t++)
                    returns[t] = NullTrials.Normal(ref rng);
                sharpes[n] = SharpeStatistics.Sharpe(returns);
            }
            best[s] = sharpes.Max();
            var mean = sharpes.Average();
            variance += sharpes.Sum(x => (x - mean) * (x - mean)) / (trials - 1) / studies;
        }
        var simulated = best.Average();
        var standardError = Math.Sqrt(best.Sum(x => (x - simulated) * (x - simulated)) / (studies - 1) / studies);
        var formula = SharpeStatistics.ExpectedMaxSharpe(trials, variance);
        Assert.InRange(simulated, formula * (1 - 0.0092) - (4 * standardError), formula * (1 - 0.0092) + (4 * standardError));
    }

    [Fact]
    public void ConvertsBetweenPerPeriodAndAnnualSharpe()
    {
        Assert.Equal(0.1 * Math.Sqrt(365), SharpeStatistics.Annualize(0.1, 365), 1e-15);
        Assert.Equal(2.5 / Math.Sqrt(250), SharpeStatistics.PerPeriod(2.5, 250), 1e-15);
        Assert.Equal(0.5 / 365, SharpeStatistics.PerPeriodVariance(0.5, 365), 1e-18);
    }

    [Fact]
    public void ASeriesWithoutVarianceHasAnInfiniteSharpeByTheSignOfItsMean()
    {
        Assert.Equal(double.PositiveInfinity, SharpeStatistics.Sharpe([0.01, 0.01, 0.01]));
        Assert.Equal(double.NegativeInfinity, SharpeStatistics.Sharpe([-0.01, -0.01]));
        Assert.Equal(0, SharpeStatistics.Sharpe([0.0, 0.0, 0.0]));
        Assert.Equal(1, SharpeStatistics.ProbabilisticSharpe([0.01, 0.01, 0.01], 0.5));
    }

    [Fact]
    public void RefusesInputsThatAreNotASample()
    {
        var nan = Assert.Throws<ArgumentException>(() => SharpeStatistics.Moments([0.01, double.NaN, 0.02]));
        Assert.StartsWith("return NaN at period 1 is not a finite number", nan.Message, StringComparison.Ordinal);
        var one = Assert.Throws<ArgumentException>(() => SharpeStatistics.Moments([0.01]));
        Assert.StartsWith("the Sharpe ratio needs at least 2 returns, found 1", one.Message, StringComparison.Ordinal);
        // excess kurtosis passed where non-excess is meant: γ4 = 0 is below 1 + γ3², impossible for a sample,
        // and here it makes the Sharpe's variance negative: 1 − 1·3 + (0 − 1)/4·9 < 0
        var excess = Assert.Throws<ArgumentException>(() => SharpeStatistics.ProbabilisticSharpe(3, 0, 100, 1, 0));
        Assert.Contains("kurtosis is non-excess", excess.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => SharpeStatistics.ExpectedMaxSharpe(0, 0.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharpeStatistics.ExpectedMaxSharpe(10, -0.01));
    }
}
