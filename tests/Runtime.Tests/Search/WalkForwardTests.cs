using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Search;

namespace StrategyLab.Runtime.Tests.Search;

public sealed class WalkForwardTests
{
    [Fact]
    public void CrossValidationSplitsThePeriodIntoEqualFoldsPurgedAfterTheFirst()
    {
        var folds = CrossValidation.Parse("walk-forward:folds=4,purge=3").Split(new BarRange(10, 110));
        // 100 bars in 4 folds of 25; every fold but the first loses its first 3 bars
        Assert.Equal([new BarRange(10, 35), new BarRange(38, 60), new BarRange(63, 85), new BarRange(88, 110)], folds);
        // 100 bars in 3 folds of 33 from bar 3: the last, from 69, takes the bar the division leaves over
        Assert.Equal(new BarRange(69, 103), CrossValidation.Parse("walk-forward:folds=3").Split(new BarRange(3, 103))[^1]);
        Assert.Equal([new BarRange(0, 50)], CrossValidation.None.Split(new BarRange(0, 50)));
    }

    [Fact]
    public void CrossValidationRefusesWhatItCannotSplit()
    {
        Assert.Equal("--cv: expected walk-forward:folds=N[,purge=BARS] or none, found 'kfold:5'",
            Assert.Throws<PlanException>(() => CrossValidation.Parse("kfold:5")).Message);
        Assert.Equal("--cv: expected folds=N, purge=N, found 'fold=5'",
            Assert.Throws<PlanException>(() => CrossValidation.Parse("walk-forward:fold=5")).Message);
        Assert.Equal("--cv: 5 fold(s) of 12 bars leave 0 bar(s) each after the purge of 2; a fold needs at least 2",
            Assert.Throws<PlanException>(() => CrossValidation.Parse("walk-forward:folds=5,purge=2").Split(new BarRange(0, 12))).Message);
    }

    [Fact]
    public void RollingWindowsKeepTheirLengthAndTheirOutOfSampleWindowsFollowEachOther()
    {
        var windows = WalkForwardOptimization.Parse("rolling:train=50,test=20,purge=2").Windows(new BarRange(0, 120));
        // tests start at 52, 72, 92, 112; the last is cut at the period's end (8 bars)
        Assert.Equal([52, 72, 92, 112], windows.Select(w => w.OutOfSample.Start));
        Assert.Equal(new BarRange(112, 120), windows[^1].OutOfSample);
        Assert.Equal([new BarRange(0, 50), new BarRange(20, 70), new BarRange(40, 90), new BarRange(60, 110)], windows.Select(w => w.InSample));
        Assert.All(windows, w => Assert.Empty(w.Embargoed));
    }

    [Fact]
    public void AnchoredWindowsGrowFromTheStartAndLeaveTheEmbargoAfterEachTestOutOfLaterInSampleWindows()
    {
        var windows = WalkForwardOptimization.Parse("anchored:train=40,test=30,embargo=5").Windows(new BarRange(0, 135));
        Assert.Equal([new BarRange(0, 40), new BarRange(0, 70), new BarRange(0, 100), new BarRange(0, 130)], windows.Select(w => w.InSample));
        Assert.Equal([new BarRange(40, 70), new BarRange(70, 100), new BarRange(100, 130), new BarRange(130, 135)], windows.Select(w => w.OutOfSample));
        // test windows end at 70 and 100: bars 70–74 and 100–104 are embargoed from the in-sample windows that hold them
        Assert.Empty(windows[0].Embargoed);
        Assert.Empty(windows[1].Embargoed);
        Assert.Equal([new BarRange(70, 75)], windows[2].Embargoed);
        Assert.Equal([new BarRange(70, 75), new BarRange(100, 105)], windows[3].Embargoed);
    }

    [Fact]
    public void AWalkForwardThatFitsNoWindowSaysSo()
    {
        Assert.Equal("--walk-forward: 60 bars hold no window of 50 in-sample, 10 purged and at least 2 out-of-sample bars",
            Assert.Throws<PlanException>(() => WalkForwardOptimization.Parse("rolling:train=50,test=10,purge=10").Windows(new BarRange(0, 60))).Message);
        Assert.Equal("--walk-forward: give train=BARS and test=BARS, found 'rolling:train=50'",
            Assert.Throws<PlanException>(() => WalkForwardOptimization.Parse("rolling:train=50")).Message);
    }
}
