using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Pruners;
using StrategyLab.Runtime.Tests.Search.Samplers;

namespace StrategyLab.Runtime.Tests.Search.Pruners;

/// <summary>
/// Minimum resource 1, η = 2: rungs at steps 1, 2, 4, …; a trial reaching a rung goes on if its value is
/// within the best ⌊n / 2⌋ of the n values seen there (the best one when n &lt; 2). Worked by hand.
/// </summary>
public sealed class SuccessiveHalvingPrunerTests
{
    private static readonly SuccessiveHalvingPruner Pruner = new(minResource: 1, reductionFactor: 2);

    private static FrozenTrial Steps(int number, TrialState state, params (int Step, double Value)[] values) =>
        Trials.Make(number, state, intermediate: values.ToDictionary(v => v.Step, v => v.Value));

    // at rung 0 (step 1): 5, 7, 2; at rung 1 (step 2): 4, 6 (c stopped at step 1)
    private static readonly List<FrozenTrial> Others =
    [
        Steps(0, TrialState.Complete, (1, 5), (2, 4), (4, 3)),
        Steps(1, TrialState.Pruned, (1, 7), (2, 6)),
        Steps(2, TrialState.Pruned, (1, 2)),
    ];

    [Theory]
    // [2, 4, 5, 7]: the best ⌊4 / 2⌋ = 2 go on, the second best is 4
    [InlineData(4, Direction.Minimize, false)]
    [InlineData(6, Direction.Minimize, true)]
    // maximising, the second best of [2, 5, 6, 7] is 6; of [2, 4, 5, 7] it is 5
    [InlineData(6, Direction.Maximize, false)]
    [InlineData(4, Direction.Maximize, true)]
    [InlineData(double.NaN, Direction.Minimize, true)]
    public void AtTheFirstRungTheBestHalfGoesOn(double value, Direction direction, bool expected) =>
        Assert.Equal(expected, Pruner.ShouldPrune(Steps(9, TrialState.Running, (0, 9), (1, value)), Others, direction));

    [Theory]
    // rung 0 was passed at step 1; at rung 1 the values are [4, 6, v]: ⌊3 / 2⌋ = 1, so only the best goes on
    [InlineData(3.5, false)]
    [InlineData(5, true)]
    public void EachRungIsJudgedOnceWhenFirstReached(double valueAtStep2, bool expected)
    {
        Assert.Equal(expected, Pruner.ShouldPrune(Steps(9, TrialState.Running, (1, 3), (2, valueAtStep2)), Others, Direction.Minimize));
        // between rungs (step 3) nothing new is judged, whatever the value
        Assert.False(Pruner.ShouldPrune(Steps(9, TrialState.Running, (1, 3), (2, 3), (3, 99)), Others, Direction.Minimize));
    }

    [Theory]
    // jumping from step 0 to 3 reaches rungs 0 and 1 at once, both judged with the value at step 3:
    // 3 in [2, 3, 5, 7] and in [3, 4, 6] goes on; 4.5 in [2, 4.5, 5, 7] passes rung 0 but not [4, 4.5, 6]
    [InlineData(3, false)]
    [InlineData(4.5, true)]
    public void SkippedRungsAreAllJudgedAtTheStepThatReachesThem(double valueAtStep3, bool expected) =>
        Assert.Equal(expected, Pruner.ShouldPrune(Steps(9, TrialState.Running, (0, 9), (3, valueAtStep3)), Others, Direction.Minimize));

    [Fact]
    public void NothingIsJudgedBeforeTheFirstRungAndALoneTrialGoesOn()
    {
        Assert.False(Pruner.ShouldPrune(Steps(9, TrialState.Running, (0, 99)), Others, Direction.Minimize));
        Assert.False(Pruner.ShouldPrune(Steps(9, TrialState.Running, (1, 99), (2, 99)), [], Direction.Minimize));
        // with a minimum early-stopping rate of 1 the first rung is at step 2
        Assert.False(new SuccessiveHalvingPruner(1, 2, 1).ShouldPrune(Steps(9, TrialState.Running, (1, 99)), Others, Direction.Minimize));
        Assert.True(new SuccessiveHalvingPruner(1, 2, 1).ShouldPrune(Steps(9, TrialState.Running, (1, 0), (2, 99)), Others, Direction.Minimize));
    }

    [Fact]
    public void RungStepsGrowByTheReductionFactor() =>
        Assert.Equal([9, 27, 81], Enumerable.Range(0, 3).Select(r => new SuccessiveHalvingPruner(3, 3, 1).RungStep(r)!.Value));
}
