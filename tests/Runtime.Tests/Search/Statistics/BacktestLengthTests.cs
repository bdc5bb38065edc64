using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Search.Statistics;

namespace StrategyLab.Runtime.Tests.Search.Statistics;

public sealed class BacktestLengthTests
{
    [Fact]
    public void FortyFiveConfigurationsNeedFiveYearsForATargetSharpeOfOne()
    {
        // Bailey, Borwein, López de Prado and Zhu (2014): with 5 years of data no more than 45 independent
        // configurations should be tried, or the best shows an annual Sharpe of 1 by luck alone.
        // Reference (scipy): Z(45)² = 4.998087004443404; the bound 2·ln 45 = 7.613324979540639.
        Assert.Equal(5, BacktestLength.MinimumYears(45, 1), 0.01);
        Assert.Equal(4.998087004443404, BacktestLength.MinimumYears(45, 1), 1e-12);
        Assert.Equal(7.613324979540639, BacktestLength.MinimumYearsUpperBound(45, 1), 1e-12);
        Assert.Equal(4.709251586064353, BacktestLength.MinimumYears(1000, 1.5), 1e-12);
    }

    [Fact]
    public void AtTheMinimumLengthTheBestSkilllessConfigurationShowsAboutTheTarget()
    {
        // 200 searches of 45 configurations with true Sharpe 0 over MinBTL(45, 1) ≈ 5 years of 250 daily
        // returns: the mean best annual Sharpe is about 1. Z(45) overstates the exact expected maximum by
        // 1.26 % (reference: 2.2356 against 2.2077), the rest of the tolerance is 4 standard errors.
        const int searches = 200, configurations = 45, periodsPerYear = 250;
        var periods = (int)Math.Round(BacktestLength.MinimumYears(configurations, 1) * periodsPerYear);
        Assert.Equal(1250, periods);
        var rng = new SplitMix64(45);
        var returns = new double[periods];
        var best = new double[searches];
        for (var s = 0; s < searches; s++)
        {
            best[s] = double.NegativeInfinity;
            for (var n = 0; n < configurations; n++)
            {
                for (var t = 0; t < periods; t++)
                    returns[t] = NullTrials.Normal(ref rng);
                best[s] = Math.Max(best[s], SharpeStatistics.Annualize(SharpeStatistics.Sharpe(returns), periodsPerYear));
            }
        }
        var mean = best.Average();
        var standardError = Math.Sqrt(best.Sum(x => (x - mean) * (x - mean)) / (searches - 1) / searches);
        Assert.InRange(mean, (1 / 1.0126) - (4 * standardError), (1 / 1.0126) + (4 * standardError));
    }

    [Fact]
    public void RefusesATargetThatIsNotPositive()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BacktestLength.MinimumYears(10, 0));
        Assert.Contains("the target annual Sharpe ratio must be a positive number", e.Message, StringComparison.Ordinal);
    }
}
