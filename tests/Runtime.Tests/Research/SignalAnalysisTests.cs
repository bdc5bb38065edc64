using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Research;

namespace StrategyLab.Runtime.Tests.Research;

public sealed class SignalAnalysisTests
{
    private const double Nan = double.NaN;
    private const long Day = 86_400_000;
    private const long Hour = 3_600_000;
    private const long January1st2024 = 1_704_067_200_000;

    private static long[] Hourly(int rows) => [.. Enumerable.Range(0, rows).Select(t => January1st2024 + t * Hour)];

    // 4 assets, 2 bars with forward returns and a last bar without (as forward_return leaves it)
    private static readonly double[] HandSignal = [1, 2, 3, 4, /**/ 4, 3, 2, 1, /**/ 5, 6, 7, 8];
    private static readonly double[] HandForward = [-0.02, 0.01, 0.03, 0.02, /**/ 0.04, -0.01, 0.00, 0.01, /**/ Nan, Nan, Nan, Nan];

    [Fact]
    public void BinsSplitEachTimestampAndAggregateOverAllOfThem()
    {
        // 2 bins of 4 assets: ranks 1-2 are bin 1, ranks 3-4 bin 2
        // bar 0: bin 1 holds -0.02, 0.01; bin 2 holds 0.03, 0.02
        // bar 1: signal 4 3 2 1, so bin 2 holds 0.04, -0.01; bin 1 holds 0.00, 0.01
        var r = SignalAnalysis.Analyze(HandSignal, HandForward, 4, Hourly(3), 2, QuantileScope.Timestamp);
        Assert.Equal(8, r.Pairs);
        Assert.Equal(2, r.Periods);
        Assert.Equal(2, r.Quantiles.Length);
        // bin 1: (-0.02 + 0.01 + 0.00 + 0.01) / 4 = 0; above zero: 0.01, 0.01 = 2 of 4
        Assert.Equal(1, r.Quantiles[0].Bin);
        Assert.Equal(0.0, r.Quantiles[0].MeanForwardReturn, 1e-15);
        Assert.Equal(4, r.Quantiles[0].Count);
        Assert.Equal(0.5, r.Quantiles[0].HitRate);
        // bin 2: (0.03 + 0.02 + 0.04 - 0.01) / 4 = 0.02; above zero: 3 of 4
        Assert.Equal(0.02, r.Quantiles[1].MeanForwardReturn, 1e-15);
        Assert.Equal(4, r.Quantiles[1].Count);
        Assert.Equal(0.75, r.Quantiles[1].HitRate);
    }

    [Fact]
    public void SpreadIsTopMinusBottomPerTimestampWithItsTStatistic()
    {
        // bar 0: 0.025 - (-0.005) = 0.03; bar 1: 0.015 - 0.005 = 0.01
        // mean 0.02, sample std sqrt((0.01² + 0.01²) / 1) = 0.0141421..., t = 0.02 / (0.0141421 / √2) = 2
        var s = SignalAnalysis.Analyze(HandSignal, HandForward, 4, Hourly(3), 2, QuantileScope.Timestamp).Spread;
        Assert.Equal(2, s.Periods);
        Assert.Equal(0.02, s.Mean, 1e-15);
        Assert.Equal(Math.Sqrt(0.0002), s.Std, 1e-15);
        Assert.Equal(2.0, s.TStatistic, 1e-12);
    }

    [Fact]
    public void InformationCoefficientIsSpearmanPerTimestampAndPooled()
    {
        // bar 0: signal ranks 1 2 3 4, forward ranks 1 2 4 3: Σd² = 2, ρ = 1 - 6·2 / (4·15) = 0.8
        // bar 1: signal ranks 4 3 2 1, forward ranks 4 1 2 3: Σd² = 8, ρ = 1 - 6·8 / 60 = 0.2
        // mean 0.5, sample std sqrt(2 · 0.3²) = 0.4242640..., t = 0.5 / (0.4242640 / √2) = 5 / 3
        var ic = SignalAnalysis.Analyze(HandSignal, HandForward, 4, Hourly(3), 2, QuantileScope.Timestamp).InformationCoefficient;
        Assert.Equal(2, ic.PerPeriod.Periods);
        Assert.Equal(0.5, ic.PerPeriod.Mean, 1e-15);
        Assert.Equal(Math.Sqrt(0.18), ic.PerPeriod.Std, 1e-15);
        Assert.Equal(5.0 / 3.0, ic.PerPeriod.TStatistic, 1e-12);
        // pooled over the 8 pairs, ties in both columns; from pandas 1.5.3 (Debian python3-pandas):
        // /usr/bin/python3 -c "import pandas as pd; print(repr(pd.Series([1,2,3,4,4,3,2,1]).corr(pd.Series([-0.02,0.01,0.03,0.02,0.04,-0.01,0.00,0.01]), method='spearman')))"
        Assert.Equal(0.6626889364596515, ic.Pooled, 1e-14);
    }

    [Fact]
    public void CrossSectionalAccuracyComparesSidesOfTheMedians()
    {
        // bar 0: signal median 2.5 → above F F T T; forward median 0.015 → above F F T T: 4 of 4
        // bar 1: signal median 2.5 → above T T F F; forward median 0.005 → above T F F T: 2 of 4
        var d = SignalAnalysis.Analyze(HandSignal, HandForward, 4, Hourly(3), 2, QuantileScope.Timestamp).DirectionalAccuracy;
        Assert.Equal(AccuracyKind.AboveMedian, d.Kind);
        Assert.Equal(8, d.Pairs);
        Assert.Equal(0.75, d.Accuracy);
    }

    [Fact]
    public void SpearmanAveragesTheRanksOfTies()
    {
        // ranks x 1 2.5 2.5 4, y 1 4 2.5 2.5; deviations from 2.5: x -1.5 0 0 1.5, y -1.5 1.5 0 0
        // Pearson of the ranks: 2.25 / sqrt(4.5 · 4.5) = 0.5 (1 - 6Σd²/n(n²-1) would say 0.55);
        // pandas 1.5.3 agrees: pd.Series([1,2,2,3]).corr(pd.Series([1,3,2,2]), method='spearman') = 0.5000000000000001
        Assert.Equal(0.5, SignalAnalysis.Spearman([1, 2, 2, 3], [1, 3, 2, 2]), 1e-15);
        Assert.True(double.IsNaN(SignalAnalysis.Spearman([1, 2, 3], [5, 5, 5])), "a constant side has no rank correlation");
        Assert.True(double.IsNaN(SignalAnalysis.Spearman([1, 2, Nan], [1, 2, 3])), "fewer than 3 pairs");
    }

    [Fact]
    public void OnlyPairsWithBothValuesFiniteAreBinnedAndCounted()
    {
        // pairs: asset 0 (1, 0.01), asset 3 (4, -0.01), asset 4 (5, 0.03); asset 1 has no signal,
        // asset 2 no forward return, asset 5 an infinite signal. 2 bins of m = 3: ranks 1, 2 → bin 1, rank 3 → bin 2
        // (were asset 2 ranked, asset 3 would fall in bin 2)
        double[] signal = [1, Nan, 3, 4, 5, double.PositiveInfinity];
        double[] forward = [0.01, 0.02, Nan, -0.01, 0.03, 0.05];
        var r = SignalAnalysis.Analyze(signal, forward, 6, Hourly(1), 2, QuantileScope.Timestamp);
        Assert.Equal(3, r.Pairs);
        Assert.Equal(1, r.Periods);
        Assert.Equal(2, r.Quantiles[0].Count);
        Assert.Equal(0.0, r.Quantiles[0].MeanForwardReturn, 1e-15);
        Assert.Equal(0.5, r.Quantiles[0].HitRate);
        Assert.Equal(1, r.Quantiles[1].Count);
        Assert.Equal(0.03, r.Quantiles[1].MeanForwardReturn);
        // signal ranks 1 2 3, forward ranks 2 1 3: Σd² = 2, ρ = 1 - 12 / 24 = 0.5; one period: no std or t
        Assert.Equal(0.5, r.InformationCoefficient.PerPeriod.Mean, 1e-15);
        Assert.True(double.IsNaN(r.InformationCoefficient.PerPeriod.Std));
        Assert.True(double.IsNaN(r.InformationCoefficient.PerPeriod.TStatistic));
        // medians 4 and 0.01: above F F T against F F T
        Assert.Equal(1.0, r.DirectionalAccuracy.Accuracy);
        Assert.Equal(3, r.DirectionalAccuracy.Pairs);
    }

    [Fact]
    public void AnEmptyBinHasNoMeanAndNoPeriodWithoutPairsCounts()
    {
        double[] signal = [Nan, Nan, 1, 2];
        double[] forward = [0.01, 0.02, 0.01, Nan];
        var r = SignalAnalysis.Analyze(signal, forward, 2, Hourly(2), 3, QuantileScope.Timestamp);
        Assert.Equal(1, r.Pairs);
        Assert.Equal(1, r.Periods);
        Assert.Equal([1L, 0L, 0L], r.Quantiles.Select(q => q.Count));
        Assert.True(double.IsNaN(r.Quantiles[1].MeanForwardReturn));
        Assert.True(double.IsNaN(r.Quantiles[2].HitRate));
        Assert.Equal(0, r.Spread.Periods);
        Assert.True(double.IsNaN(r.InformationCoefficient.Pooled));
    }

    [Fact]
    public void OneAssetCountsMatchingSignsAndLeavesZerosOut()
    {
        // (1, 0.01) right, (-1, 0.02) wrong, (2, 0) left out, (0, 0.01) left out, (-3, -0.01) right, (1, -0.02) wrong
        double[] signal = [1, -1, 2, 0, -3, 1];
        double[] forward = [0.01, 0.02, 0.0, 0.01, -0.01, -0.02];
        var d = SignalAnalysis.Analyze(signal, forward, 1, Hourly(6), 2, QuantileScope.Timestamp).DirectionalAccuracy;
        Assert.Equal(AccuracyKind.Sign, d.Kind);
        Assert.Equal(4, d.Pairs);
        Assert.Equal(0.5, d.Accuracy);
    }

    [Fact]
    public void DateScopeBinsCausallyWithinEachUtcDate()
    {
        // one asset, 2 bins; day 1 at 0h 6h 12h 18h, day 2 at 0h 12h, then a bar without a forward return.
        // the pool of the day so far decides: 0.3 alone → 1; -0.2 of {-0.2, 0.3} → 1; 0.4 of three → rank 3 → 2;
        // -0.1 of four → rank 2 → 1; day 2: 0.5 alone → 1; 0.6 of {0.5, 0.6} → 2
        long[] times = [January1st2024, January1st2024 + 6 * Hour, January1st2024 + 12 * Hour, January1st2024 + 18 * Hour,
            January1st2024 + Day, January1st2024 + Day + 12 * Hour, January1st2024 + 2 * Day];
        double[] signal = [0.3, -0.2, 0.4, -0.1, 0.5, 0.6, 0.7];
        double[] forward = [0.01, -0.02, 0.03, -0.01, 0.02, 0.05, Nan];
        var r = SignalAnalysis.Analyze(signal, forward, 1, times, 2, QuantileScope.Date);
        Assert.Equal(QuantileScope.Date, r.Scope);
        Assert.Equal(2, r.Periods);
        // bin 1: 0.01, -0.02, -0.01, 0.02 → mean 0, 2 of 4 above zero; bin 2: 0.03, 0.05 → mean 0.04, 2 of 2
        Assert.Equal(4, r.Quantiles[0].Count);
        Assert.Equal(0.0, r.Quantiles[0].MeanForwardReturn, 1e-15);
        Assert.Equal(0.5, r.Quantiles[0].HitRate);
        Assert.Equal(2, r.Quantiles[1].Count);
        Assert.Equal(0.04, r.Quantiles[1].MeanForwardReturn, 1e-15);
        Assert.Equal(1.0, r.Quantiles[1].HitRate);
        // spread per date: 0.03 - (-0.02 / 3) = 0.11 / 3, and 0.05 - 0.02 = 0.03; mean 1 / 30,
        // std (0.02 / 3) / √2, t = (1 / 30) / ((0.02 / 3) / √2 / √2) = 10
        Assert.Equal(2, r.Spread.Periods);
        Assert.Equal(1.0 / 30, r.Spread.Mean, 1e-15);
        Assert.Equal(0.02 / 3 / Math.Sqrt(2), r.Spread.Std, 1e-15);
        Assert.Equal(10.0, r.Spread.TStatistic, 1e-9);
        // IC per date: day 1 ranks 3 1 4 2 against 3 1 4 2 → 1; day 2 has 2 pairs, too few
        Assert.Equal(1, r.InformationCoefficient.PerPeriod.Periods);
        Assert.Equal(1.0, r.InformationCoefficient.PerPeriod.Mean, 1e-15);
        // pooled: signal ranks 3 1 4 2 5 6, forward ranks 3 1 5 2 4 6: Σd² = 2, ρ = 1 - 12 / 210
        Assert.Equal(1 - 12.0 / 210, r.InformationCoefficient.Pooled, 1e-15);
        // date scope measures signs: every sign matches
        Assert.Equal(AccuracyKind.Sign, r.DirectionalAccuracy.Kind);
        Assert.Equal(1.0, r.DirectionalAccuracy.Accuracy);
    }

    // Expected values from pandas 1.5.3 and numpy 1.24.2 (Debian python3-pandas), by this script run
    // with /usr/bin/python3 (the panel below is the same as the test's):
    //   import numpy as np, pandas as pd
    //   nan = np.nan
    //   s = pd.DataFrame([[0.5, -1.2, 0.3, nan, 2.0], [1.1, 0.4, 0.4, -0.7, 0.0], [-0.3, 0.8, nan, 1.5, -2.2],
    //                     [0.9, 0.9, 0.9, 0.1, -0.5], [nan, nan, 1.0, 2.0, nan], [0.2, -0.6, 1.3, 0.7, -1.0]])
    //   f = pd.DataFrame([[0.012, -0.030, 0.004, 0.020, 0.025], [0.018, -0.002, 0.007, -0.011, nan],
    //                     [-0.005, 0.009, 0.001, 0.021, -0.016], [0.003, -0.004, 0.010, 0.000, -0.008],
    //                     [0.006, 0.001, -0.003, 0.015, 0.002], [0.011, -0.007, 0.013, 0.004, -0.012]])
    //   q = 3
    //   long = pd.DataFrame({"t": np.repeat(range(6), 5), "s": s.values.ravel(), "f": f.values.ravel()}).dropna()
    //   long["bin"] = long.groupby("t")["s"].transform(lambda g: np.floor((g.rank() - 1) * q / g.count()) + 1)
    //   by_bin = long.groupby("bin")["f"].agg(["mean", "count", lambda x: (x > 0).mean()])
    //   spread = long[long.bin == q].groupby("t").f.mean() - long[long.bin == 1].groupby("t").f.mean()
    //   spread = spread.dropna()
    //   ic = long.groupby("t").apply(lambda g: g.s.corr(g.f, method="spearman") if len(g) >= 3 else nan).dropna()
    //   above = long.groupby("t").filter(lambda g: len(g) >= 2)
    //   med = above.groupby("t")[["s", "f"]].transform("median")
    //   acc = ((above.s > med.s) == (above.f > med.f)).mean()
    //   pd.set_option("display.precision", 17)
    //   print(by_bin.to_string())
    //   print("spread", repr(spread.mean()), repr(spread.std()), repr(spread.mean() / (spread.std() / np.sqrt(len(spread)))), len(spread))
    //   print("ic", list(ic.round(17)), repr(ic.mean()), repr(ic.std()), repr(ic.mean() / (ic.std() / np.sqrt(len(ic)))), len(ic))
    //   print("pooled", repr(long.s.corr(long.f, method="spearman")), len(long))
    //   print("accuracy", repr(acc), len(above))
    [Fact]
    public void MatchesPandasOnAPanelWithGapsAndTies()
    {
        double[] signal =
        [
            0.5, -1.2, 0.3, Nan, 2.0,
            1.1, 0.4, 0.4, -0.7, 0.0,
            -0.3, 0.8, Nan, 1.5, -2.2,
            0.9, 0.9, 0.9, 0.1, -0.5,
            Nan, Nan, 1.0, 2.0, Nan,
            0.2, -0.6, 1.3, 0.7, -1.0,
        ];
        double[] forward =
        [
            0.012, -0.030, 0.004, 0.020, 0.025,
            0.018, -0.002, 0.007, -0.011, Nan,
            -0.005, 0.009, 0.001, 0.021, -0.016,
            0.003, -0.004, 0.010, 0.000, -0.008,
            0.006, 0.001, -0.003, 0.015, 0.002,
            0.011, -0.007, 0.013, 0.004, -0.012,
        ];
        var r = SignalAnalysis.Analyze(signal, forward, 5, Hourly(6), 3, QuantileScope.Timestamp);
        Assert.Equal(24, r.Pairs);
        Assert.Equal([10L, 10L, 4L], r.Quantiles.Select(q => q.Count));
        Assert.Equal(-0.00880, r.Quantiles[0].MeanForwardReturn, 1e-15);
        Assert.Equal(0.00650, r.Quantiles[1].MeanForwardReturn, 1e-15);
        Assert.Equal(0.01925, r.Quantiles[2].MeanForwardReturn, 1e-15);
        Assert.Equal(0.1, r.Quantiles[0].HitRate, 1e-15);
        Assert.Equal(0.8, r.Quantiles[1].HitRate, 1e-15);
        Assert.Equal(1.0, r.Quantiles[2].HitRate, 1e-15);
        Assert.Equal(4, r.Spread.Periods);
        Assert.Equal(0.03025, r.Spread.Mean, 1e-15);
        Assert.Equal(0.006409628174343136, r.Spread.Std, 1e-15);
        Assert.Equal(9.43892505998604, r.Spread.TStatistic, 1e-11);
        Assert.Equal(5, r.InformationCoefficient.PerPeriod.Periods);
        Assert.Equal(0.90390073826009, r.InformationCoefficient.PerPeriod.Mean, 1e-14);
        Assert.Equal(0.13676373501802308, r.InformationCoefficient.PerPeriod.Std, 1e-14);
        Assert.Equal(14.778650900368065, r.InformationCoefficient.PerPeriod.TStatistic, 1e-10);
        Assert.Equal(0.8360553614963501, r.InformationCoefficient.Pooled, 1e-14);
        Assert.Equal(0.7916666666666666, r.DirectionalAccuracy.Accuracy, 1e-15);
        Assert.Equal(24, r.DirectionalAccuracy.Pairs);
    }

    [Fact]
    public void RefusesFewerThanTwoBinsAndMismatchedShapes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SignalAnalysis.Analyze([1.0], [0.1], 1, Hourly(1), 1, QuantileScope.Timestamp));
        Assert.Throws<ArgumentException>(() => SignalAnalysis.Analyze([1.0, 2.0], [0.1], 1, Hourly(2), 2, QuantileScope.Timestamp));
        Assert.Throws<ArgumentException>(() => SignalAnalysis.Analyze([1.0, 2.0], [0.1, 0.2], 1, Hourly(1), 2, QuantileScope.Timestamp));
    }
}
