using StrategyLab.Runtime.Search.Samplers;

namespace StrategyLab.Runtime.Tests.Search.Samplers;

/// <summary>Hypervolumes worked by hand as unions of boxes up to the reference point.</summary>
public sealed class HypervolumeTests
{
    private static readonly double[][] Staircase = [[1, 3], [2, 2], [3, 1]];

    [Fact]
    public void TwoObjectivesAddTheirStaircaseOfBoxes()
    {
        // (4 − 1)(4 − 3) + (4 − 2)(3 − 2) + (4 − 3)(2 − 1) = 3 + 2 + 1
        Assert.Equal(6, Hypervolume.Compute(Staircase, [4, 4]), 12);
        // a dominated point and one beyond the reference add nothing
        Assert.Equal(6, Hypervolume.Compute([.. Staircase, [3, 3], [5, 0]], [4, 4]), 12);
    }

    [Fact]
    public void ThreeObjectivesCountTheOverlapOnce()
    {
        // boxes 3·3·1 = 9 and 2·2·3 = 12 overlapping in [2, 4] × [2, 4] × [3, 4] = 4
        Assert.Equal(17, Hypervolume.Compute([[1, 1, 3], [2, 2, 1]], [4, 4, 4]), 12);
    }

    [Fact]
    public void EachStairLosesOneUnitWhenRemoved()
    {
        // without (2, 2): 3 + (4 − 3)(3 − 1) = 5, and so on for each: every contribution is 6 − 5
        Assert.Equal([1.0, 1.0, 1.0], Hypervolume.Contributions(Staircase, [4, 4]).Select(c => Math.Round(c, 12)));
    }

    [Fact]
    public void GreedySelectionTakesTheLargestBoxFirst()
    {
        // alone: (1, 3) covers 3·1 = 3, (2, 2) covers 2·2 = 4, (3, 1) covers 1·3 = 3
        Assert.Equal([1], Hypervolume.GreedySubset(Staircase, 1, [4, 4]));
        // then (1, 3) adds 3·1 − overlap 2·1 = 1 and so does (3, 1): the tie goes to the earlier
        Assert.Equal([1, 0], Hypervolume.GreedySubset(Staircase, 2, [4, 4]));
    }

    [Fact]
    public void TheReferenceLiesTenPercentBeyondTheWorstValues()
    {
        Assert.Equal([3.3, -0.9, 1e-12], Hypervolume.ReferenceFor([[1, -1, 0], [3, -2, -5]]).Select(v => Math.Round(v, 14)));
    }
}
