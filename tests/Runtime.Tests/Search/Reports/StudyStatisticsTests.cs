using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Reports;
using static StrategyLab.Runtime.Tests.Search.Reports.StudyFixtures;

namespace StrategyLab.Runtime.Tests.Search.Reports;

public sealed class StudyStatisticsTests
{
    private const long Day = 86_400_000;
    private const long T0 = 1_704_067_200_000;
    private static readonly double[] Mean = [0.001, 0.002, -0.0005];
    private static readonly double[] Swing = [0.01, 0.012, 0.008];

    // trial j's bar returns at bars start..start+count−1: a drift, a swing and a wobble, as the reference script writes them
    private static TrialReturns Series(int j, int start, int count)
    {
        var times = new long[count];
        var returns = new double[count];
        for (var i = 0; i < count; i++)
        {
            double t = start + i;
            times[i] = T0 + ((start + i) * Day);
            returns[i] = Mean[j] + (Swing[j] * Math.Sin((1.3 * t) + j)) + (0.002 * Math.Cos(0.7 * t * t));
        }
        return new TrialReturns(times, returns);
    }

    // three complete trials (trial 1 has the best stored Sharpe), one pruned, one failed; trial 2's returns start 5 bars later
    // and run 5 bars longer (a longer warm-up under research accounting), so the common bars are 5..39
    private static (List<FrozenTrial> Trials, Dictionary<int, TrialReturns> Returns) ThreeTrials() =>
    ([
        Trial(0, TrialState.Complete, Params(5, "ema", 0.2), [1.0]),
        Trial(1, TrialState.Complete, Params(6, "sma", 0.4), [2.0]),
        Trial(2, TrialState.Complete, Params(7, "ema", 0.6), [0.5]),
        Trial(3, TrialState.Pruned, Params(8, "ema", 0.6), [], intermediate: new Dictionary<int, double> { [0] = 0.1 }),
        Trial(4, TrialState.Failed, Params(9, "ema", 0.6), []),
    ], new() { [0] = Series(0, 0, 40), [1] = Series(1, 0, 40), [2] = Series(2, 5, 40) });

    [Fact]
    public void TheStatisticsOfAStudyMatchAnIndependentComputationOverTheBarsEveryTrialShares()
    {
        var (trials, returns) = ThreeTrials();
        var s = StudyStatistics.FromReturns(Study(), trials, returns, 365);
        // study_statistics_reference.py beside this file (Python's statistics.NormalDist and numpy), its output:
        // T 35 first 1704499200000 last 1707436800000
        // sharpes [0.19462006188679926, 0.3025590307041521, -0.0177796732920107]
        // V 0.02656355896188721 sr0 0.13899289858006905 dsr 0.8272497433686605 psr0 0.959505962201012
        // SR 0.3025590307041521 skew -0.03224983227976953 kurt 1.5417924052330827 annual 5.780382165318496
        // minbtl 0.021766362512512127 mintrl 31.210070409501633 pbo 1.0 lambdas [0.0, 0.0]
        Assert.Equal((3, 1, 1, 1), (s.CompleteTrials, s.PrunedTrials, s.FailedTrials, s.ChosenTrial));
        Assert.Equal((35, 1704499200000L, 1707436800000L), (s.Bars, s.FirstTime!.Value, s.LastTime!.Value));
        var chosen = s.Chosen.Value!;
        Assert.Equal(0.3025590307041521, chosen.Moments.Sharpe, 12);
        Assert.Equal(-0.03224983227976953, chosen.Moments.Skewness, 10);
        Assert.Equal(1.5417924052330827, chosen.Moments.Kurtosis, 10);
        Assert.Equal(5.780382165318496, chosen.AnnualSharpe, 10);
        Assert.Equal(0.959505962201012, chosen.ProbabilisticSharpe, 10);
        Assert.Equal(31.210070409501633, chosen.MinimumTrackRecordBars, 8);
        var deflated = s.Deflated.Value!;
        Assert.Equal(3, deflated.Deflated.Trials);
        Assert.Equal(0.02656355896188721, deflated.Deflated.SharpeVariance, 12);
        Assert.Equal(0.13899289858006905, deflated.Deflated.ExpectedMaxSharpe, 9);
        Assert.Equal(0.8272497433686605, deflated.Deflated.Probability, 8);
        Assert.Equal(0.13899289858006905 * Math.Sqrt(365), deflated.ExpectedMaxAnnualSharpe, 8);
        var length = s.BacktestLength.Value!;
        Assert.Equal(0.021766362512512127, length.MinimumYears, 10);
        Assert.Equal(35 / 365.0, length.Years, 12);
        // 35 bars give 2 CSCV blocks of 17 (the first bar left out): both splits put the in-sample best at the median
        var pbo = s.Overfitting.Value!;
        Assert.Equal((2, 17, 1, 3), (pbo.Blocks, pbo.RowsPerBlock, pbo.RowsDropped, pbo.Trials));
        Assert.Equal([0.0, 0.0], pbo.Logits.Select(l => Math.Round(l, 12)));
        Assert.Equal(1.0, pbo.Probability);
        // three trials with a value are too few for importance, which says why
        Assert.Null(s.Importance.Value);
        Assert.Equal("it needs at least 4 complete trials with a finite objective, the study has 3", s.Importance.Reason);
    }

    [Theory]
    [InlineData(19, 0)]
    [InlineData(20, 2)]
    [InlineData(35, 2)]
    [InlineData(59, 4)]
    [InlineData(159, 14)]
    [InlineData(160, 16)]
    [InlineData(5000, 16)]
    public void CscvCutsTheBarsIntoAtMostSixteenBlocksOfAtLeastTenBars(int bars, int blocks) => Assert.Equal(blocks, StudyStatistics.Blocks(bars));

    [Fact]
    public void WithOneCompleteTrialTheSearchStatisticsSayTheyCannotBeComputed()
    {
        var (trials, returns) = ThreeTrials();
        var s = StudyStatistics.FromReturns(Study(), trials.Skip(1).ToList(), new Dictionary<int, TrialReturns> { [1] = returns[1], [2] = returns[2] }, 365);
        Assert.Equal(2, s.CompleteTrials);
        var one = StudyStatistics.FromReturns(Study(), [trials[1]], new Dictionary<int, TrialReturns> { [1] = returns[1] }, 365);
        Assert.Equal((1, 1, 40), (one.CompleteTrials, one.ChosenTrial, one.Bars));
        Assert.NotNull(one.Chosen.Value);
        foreach (var reason in new[] { one.Deflated.Reason, one.BacktestLength.Reason, one.Overfitting.Reason })
            Assert.Equal("it needs at least 2 complete trials, the study has 1", reason);
        Assert.Null(one.Deflated.Value);
        Assert.Null(one.Overfitting.Value);
        Assert.Null(one.BacktestLength.Value);
    }

    [Fact]
    public void AStudyWithoutCompleteTrialsHasNoChosenTrialAndNoStatistics()
    {
        var none = StudyStatistics.FromReturns(Study(), [Trial(0, TrialState.Failed, Params(5, "ema"), [])], new Dictionary<int, TrialReturns>(), 365);
        Assert.Equal((0, (int?)null, 0, (long?)null), (none.CompleteTrials, none.ChosenTrial, none.Bars, none.FirstTime));
        Assert.Equal("no complete trial has a finite first objective and clears the constraints", none.Chosen.Reason);
        Assert.Equal("it needs at least 2 complete trials, the study has 0", none.Deflated.Reason);
    }

    [Fact]
    public void TheChosenTrialIsTheBestThatClearsTheConstraints()
    {
        var (trials, returns) = ThreeTrials();
        // trial 1 (the best Sharpe) misses the drawdown bar; trial 0 clears it
        trials[0] = trials[0] with { Attributes = trials[0].Attributes.Add("metric:maxdd", "0.1") };
        trials[1] = trials[1] with { Attributes = trials[1].Attributes.Add("metric:maxdd", "0.4") };
        var s = StudyStatistics.FromReturns(Study("maxdd < 0.25"), trials, returns, 365);
        Assert.Equal(0, s.ChosenTrial);
        // reference script: trial 0's per-bar Sharpe over the common bars
        Assert.Equal(0.19462006188679926, s.Chosen.Value!.Moments.Sharpe, 12);
        Assert.Equal(0.19462006188679926, s.Deflated.Value!.Deflated.Selected.Sharpe, 12);
    }

    [Fact]
    public void ATrialWithoutReturnsIsRefusedRatherThanLeftOutOfN()
    {
        var (trials, returns) = ThreeTrials();
        returns.Remove(2);
        var e = Assert.Throws<ArgumentException>(() => StudyStatistics.FromReturns(Study(), trials, returns, 365));
        Assert.StartsWith("no returns for complete trial 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImportanceIsComputedFromFourCompleteTrialsOn()
    {
        var trials = Enumerable.Range(0, 12).Select(i => Trial(i, TrialState.Complete, Params(3 + (i % 8), i % 2 == 0 ? "ema" : "sma", 0.1 + (0.05 * i)), [i % 8])).ToList();
        var returns = trials.ToDictionary(t => t.Number, t => Series(t.Number % 3, 0, 40));
        var s = StudyStatistics.FromReturns(Study(), trials, returns, 365);
        var importance = s.Importance.Value!;
        Assert.Equal(12, importance.Trials);
        Assert.Equal(["k", "kind", "w"], importance.Parameters.Select(p => p.Parameter));
    }
}
