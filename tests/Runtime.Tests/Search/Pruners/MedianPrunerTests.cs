using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Pruners;
using StrategyLab.Runtime.Tests.Search.Samplers;

namespace StrategyLab.Runtime.Tests.Search.Pruners;

/// <summary>Decisions worked by hand on intermediate values by walk-forward fold.</summary>
public sealed class MedianPrunerTests
{
    private static FrozenTrial Steps(int number, TrialState state, params (int Step, double Value)[] values) =>
        Trials.Make(number, state, values: state == TrialState.Complete ? [0] : null, intermediate: values.ToDictionary(v => v.Step, v => v.Value));

    // complete trials' values at fold 1: 0.8, 1.0, 1.4 (and a NaN, left out): median 1.0; at fold 2: 0.6, 0.9: median 0.75
    private static readonly List<FrozenTrial> Done =
    [
        Steps(0, TrialState.Complete, (0, 1.0), (1, 0.8), (2, 0.6)),
        Steps(1, TrialState.Complete, (0, 2.0), (1, 1.0), (2, 0.9)),
        Steps(2, TrialState.Complete, (0, 3.0), (1, 1.4)),
        Steps(3, TrialState.Complete, (1, double.NaN)),
        // neither pruned nor running trials make the median
        Steps(4, TrialState.Pruned, (0, 50), (1, 100)),
        Steps(5, TrialState.Running, (0, 50), (1, 100), (2, 100)),
    ];

    private static bool Prune(FrozenTrial running, Direction direction = Direction.Minimize, List<FrozenTrial>? trials = null) =>
        new MedianPruner(startupTrials: 2, warmupSteps: 1).ShouldPrune(running, trials ?? Done, direction);

    [Theory]
    [InlineData(1.1, true)]
    [InlineData(1.0, false)]
    [InlineData(0.9, false)]
    [InlineData(double.NaN, true)]
    public void StopsATrialWorseThanTheMedianAtItsLatestFold(double valueAtFold1, bool expected) =>
        Assert.Equal(expected, Prune(Steps(9, TrialState.Running, (0, 1.0), (1, valueAtFold1))));

    [Theory]
    [InlineData(0.76, true)]
    [InlineData(0.75, false)]
    public void TheMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo(double valueAtFold2, bool expected) =>
        Assert.Equal(expected, Prune(Steps(9, TrialState.Running, (0, 1.0), (1, 0.9), (2, valueAtFold2))));

    [Theory]
    [InlineData(0.9, true)]
    [InlineData(1.1, false)]
    public void WhenMaximisingLowerIsWorse(double valueAtFold1, bool expected) =>
        Assert.Equal(expected, Prune(Steps(9, TrialState.Running, (0, 1.0), (1, valueAtFold1)), Direction.Maximize));

    [Fact]
    public void WarmUpStartupAndFoldsNoOneReachedAreNeverJudged()
    {
        // fold 0 is below the warm-up of 1 fold
        Assert.False(Prune(Steps(9, TrialState.Running, (0, 99.0))));
        // no complete trial reported fold 3
        Assert.False(Prune(Steps(9, TrialState.Running, (0, 9.0), (1, 0.5), (2, 0.5), (3, 99.0))));
        // one complete trial is fewer than the 2 needed
        Assert.False(Prune(Steps(9, TrialState.Running, (0, 9.0), (1, 99.0)), trials: [Done[0]]));
        // nothing reported yet
        Assert.False(Prune(Steps(9, TrialState.Running)));
    }
}
