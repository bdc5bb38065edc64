using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Models.Training;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Tests.Models.Training;

public sealed class FoldsTests
{
    private static readonly Dictionary<string, ScalarValue> NoParameters = [];

    private static ModelSpec Model(TrainingScheme scheme, int train, int test, int purge = 0, int embargo = 0, int retrain = 0, int validation = 0) =>
        new("m", "linear", [], 0, [],
            new TrainingSpec(scheme, new ScalarConst(train), new ScalarConst(test), new ScalarConst(purge), new ScalarConst(embargo),
                new ScalarConst(retrain == 0 ? test : retrain), new ScalarConst(validation)),
            [], false, 1);

    private static (int, int, int, int, int, int) Ranges(TrainingFold f) =>
        (f.TrainStart, f.TrainEnd, f.ValidationStart, f.FitEnd, f.TestStart, f.TestEnd);

    [Fact]
    public void Walk_forward_rolls_a_fixed_window_and_purges_the_label_horizon()
    {
        // train 10, test 5 (retrain every test period), purge 2, label 3 bars ahead, 30 bars:
        // first test bar 10 + 2 + 3 = 15; a training row t needs t + 3 <= s - 1 - 2, so rows end before s - 5
        var folds = Folds.Compute(Model(TrainingScheme.WalkForward, 10, 5, purge: 2), 30, 3, NoParameters);
        Assert.Equal(
            [(0, 10, 10, 10, 15, 20), (5, 15, 15, 15, 20, 25), (10, 20, 20, 20, 25, 30)],
            folds.Select(Ranges));
        foreach (var f in folds)
        {
            var lastRow = f.FitEnd - 1;
            Assert.Equal(f.TestStart - 1 - 2, lastRow + 3);
            Assert.Empty(f.Embargoed);
        }
    }

    [Fact]
    public void The_embargo_leaves_the_bars_after_earlier_test_periods_out_of_later_windows()
    {
        // as above with embargo 1 on 40 bars: test periods end at 20, 25, 30, 35, 40; fold 3 trains on
        // [15, 25) and so skips bar 20; fold 4 trains on [20, 30) and skips bars 20 and 25
        var folds = Folds.Compute(Model(TrainingScheme.WalkForward, 10, 5, purge: 2, embargo: 1), 40, 3, NoParameters);
        Assert.Equal(5, folds.Count);
        Assert.Empty(folds[2].Embargoed);
        Assert.Equal([(20, 21)], folds[3].Embargoed);
        Assert.Equal([(20, 21), (25, 26)], folds[4].Embargoed);
        Assert.False(folds[4].Fits(20));
        Assert.True(folds[4].Fits(21));
        Assert.False(folds[4].Fits(25));
        Assert.True(folds[4].Fits(29));
        Assert.False(folds[4].Fits(30));
    }

    [Fact]
    public void Expanding_anchors_at_bar_0_with_a_validation_slice_and_a_retrain_step_longer_than_the_test()
    {
        // train 10, test 5, purge 1, retrain 10, validation 4, label 2 bars ahead, 40 bars:
        // tests start at 13, 23, 33 and last 5 bars; windows end at s - 3; the validation slice is their
        // last 4 bars and fitting rows end 2 bars (the horizon) before it
        var folds = Folds.Compute(Model(TrainingScheme.Expanding, 10, 5, purge: 1, retrain: 10, validation: 4), 40, 2, NoParameters);
        Assert.Equal(
            [(0, 10, 6, 4, 13, 18), (0, 20, 16, 14, 23, 28), (0, 30, 26, 24, 33, 38)],
            folds.Select(Ranges));
        Assert.True(folds[1].Validates(19));
        Assert.False(folds[1].Fits(14));
    }

    [Fact]
    public void A_retrain_step_shorter_than_the_test_overlaps_the_test_periods()
    {
        var folds = Folds.Compute(Model(TrainingScheme.WalkForward, 4, 3, retrain: 1), 8, 1, NoParameters);
        Assert.Equal([5, 6, 7], folds.Select(f => f.TestStart));
        Assert.Equal([8, 8, 8], folds.Select(f => f.TestEnd));
        Assert.Equal([(0, 4), (1, 5), (2, 6)], folds.Select(f => (f.TrainStart, f.TrainEnd)));
    }

    [Fact]
    public void Impossible_schemes_are_refused_naming_the_model()
    {
        var e = Assert.Throws<PlanException>(() => Folds.Compute(Model(TrainingScheme.WalkForward, 100, 5), 50, 1, NoParameters));
        Assert.Contains("model 'm'", e.Message);
        Assert.Contains("no bar to predict", e.Message);
        e = Assert.Throws<PlanException>(() => Folds.Compute(Model(TrainingScheme.WalkForward, 10, 0), 50, 1, NoParameters));
        Assert.Contains("test must be a whole number of bars of at least 1", e.Message);
        e = Assert.Throws<PlanException>(() => Folds.Compute(Model(TrainingScheme.WalkForward, 10, 5, validation: 10), 50, 1, NoParameters));
        Assert.Contains("validation", e.Message);
    }
}
