using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Search.Statistics;

namespace StrategyLab.Runtime.Tests.Search.Statistics;

public sealed class HonestStatisticsTests
{
    [Fact]
    public void TheBestOfSkilllessTrialsIsNotSignificantOnceDeflated()
    {
        // 30 trials of noise over two years of daily returns: the best looks good in isolation (PSR(0) high)
        // but not against what the best of 30 shows by luck
        var rng = new SplitMix64(30);
        var m = NullTrials.Matrix(ref rng, 730, 30, _ => 0).Select(c => c.Select(x => x * 0.01).ToArray()).ToArray();
        var best = Enumerable.Range(0, 30).MaxBy(n => SharpeStatistics.Sharpe(m[n]));
        var s = HonestStatistics.Compute(m, best, 365);
        Assert.True(SharpeStatistics.ProbabilisticSharpe(m[best], 0) > 0.9);
        Assert.True(s.Deflated.Probability < 0.9, $"DSR {s.Deflated.Probability}");
        Assert.True(s.Overfitting.Probability > 0.2, $"PBO {s.Overfitting.Probability}");

        // each figure is the one its own function gives
        var sharpes = m.Select(c => SharpeStatistics.Sharpe(c)).ToArray();
        Assert.Equal(SharpeStatistics.Deflate(m[best], sharpes), s.Deflated);
        Assert.Equal(730 / 365.0, s.Years);
        Assert.Equal(SharpeStatistics.Annualize(sharpes[best], 365), s.AnnualSharpe);
        Assert.Equal(SharpeStatistics.Annualize(s.Deflated.ExpectedMaxSharpe, 365), s.ExpectedMaxAnnualSharpe);
        Assert.Equal(BacktestLength.MinimumYears(30, s.AnnualSharpe), s.MinimumBacktestYears);
        Assert.Equal(BacktestOverfitting.Estimate(m).Probability, s.Overfitting.Probability);
    }

    [Fact]
    public void ATrueEdgeSurvivesDeflation()
    {
        // trial 4 earns 0.2 standard deviations a day, a Sharpe of 0.2 × √365 ≈ 3.8 a year; two years are
        // longer than the search of 30 trials needs for that Sharpe, and PBO is near 0
        var rng = new SplitMix64(31);
        var m = NullTrials.Matrix(ref rng, 730, 30, n => n == 4 ? 0.2 : 0);
        var s = HonestStatistics.Compute(m, 4, 365);
        Assert.True(s.Deflated.Probability > 0.99, $"DSR {s.Deflated.Probability}");
        Assert.True(s.Years > s.MinimumBacktestYears, $"{s.Years} years, MinBTL {s.MinimumBacktestYears}");
        Assert.True(s.Overfitting.Probability < 0.01, $"PBO {s.Overfitting.Probability}");
    }
}
