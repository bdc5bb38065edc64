using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Search.Statistics;

namespace StrategyLab.Runtime.Tests.Search.Statistics;

public sealed class BacktestOverfittingTests
{
    [Fact]
    public void WorksFourBlocksOfThreeTrialsByHand()
    {
        // One row per block, performance in percent. Trials A, B, C (columns):
        //   block 0:  1   2   1
        //   block 1:  3   0   2
        //   block 2:  2   1   4
        //   block 3: -2   3  -1
        // The Sharpe of two rows (a, b) is ((a + b)/2) / (|a − b|/√2) = k/√2 with k = (a + b)/|a − b|.
        // ω = rank / (N + 1) = rank / 4; λ = ln(ω / (1 − ω)).
        //   in sample  k in sample (A B C)  selected  k out of sample (A B C)  rank  ω      λ
        //   {0,1}      2    1   3           C         0    2    3/5            2     2/4    0
        //   {0,2}      3    3   5/3         A (tie)   1/5  1    1/3            1     1/4    −ln 3
        //   {0,3}      −1/3 5   0           B         5    1    3              1     1/4    −ln 3
        //   {1,2}      5    1   3           A         −1/3 5    0              1     1/4    −ln 3
        //   {1,3}      1/5  1   1/3         B         3    3    5/3            2.5   5/8    ln(5/3)
        //   {2,3}      0    2   3/5         B         2    1    3              1     1/4    −ln 3
        // PBO: λ ≤ 0 in 5 of 6 splits. Selected (k in, k out): (3, 3/5) (3, 1/5) (5, 1) (5, −1/3) (1, 3) (2, 1):
        // Σx = 19, Σy = 82/15, Σxy = 161/15, Σx² = 73, so Sxx = 77/6, Sxy = −296/45, slope = −592/1155,
        // intercept = (82/15 − slope·19)/6 in k units (÷ √2 in Sharpe units); a loss in 1 of 6 splits.
        double[][] m = [[1, 3, 2, -2], [2, 0, 1, 3], [1, 2, 4, -1]];
        var r = BacktestOverfitting.Estimate(m, new CscvOptions { Blocks = 4 });
        var ln3 = Math.Log(3);
        var expected = new (int[] Blocks, int Selected, double In, double Out, double Omega, double Lambda)[]
        {
            ([0, 1], 2, 3, 0.6, 0.5, 0),
            ([0, 2], 0, 3, 0.2, 0.25, -ln3),
            ([0, 3], 1, 5, 1, 0.25, -ln3),
            ([1, 2], 0, 5, -1.0 / 3, 0.25, -ln3),
            ([1, 3], 1, 1, 3, 0.625, Math.Log(5.0 / 3)),
            ([2, 3], 1, 2, 1, 0.25, -ln3),
        };
        Assert.Equal(6, r.Splits.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var (blocks, selected, isK, oosK, omega, lambda) = expected[i];
            var split = r.Splits[i];
            Assert.Equal(blocks, split.InSampleBlocks);
            Assert.Equal(selected, split.Selected);
            Assert.Equal(isK / Math.Sqrt(2), split.InSample, 1e-12);
            Assert.Equal(oosK / Math.Sqrt(2), split.OutOfSample, 1e-12);
            Assert.Equal(omega, split.RelativeRank);
            Assert.Equal(lambda, split.Logit, 1e-15);
        }
        Assert.Equal(5.0 / 6, r.Probability);
        var slope = -592.0 / 1155;
        Assert.Equal(slope, r.DegradationSlope, 1e-12);
        Assert.Equal((82.0 / 15 - (slope * 19)) / 6 / Math.Sqrt(2), r.DegradationIntercept, 1e-12);
        Assert.Equal(1.0 / 6, r.ProbabilityOfLoss);
        Assert.Equal((3, 4, 1, 0, 6L), (r.Trials, r.Blocks, r.RowsPerBlock, r.RowsDropped, r.AllCombinations));
        Assert.False(r.Sampled);
    }

    [Fact]
    public void MatchesAnIndependentCscvInScipy()
    {
        // reference/statistics_reference.py: the same formula matrix, T = 50 (the first 2 rows dropped for 8
        // blocks of 6), N = 5, scipy's rankdata and numpy's polyfit
        var m = new double[5][];
        for (var n = 0; n < 5; n++)
        {
            m[n] = new double[50];
            for (var t = 0; t < 50; t++)
                m[n][t] = (0.01 * Math.Sin((1.7 * t) + (0.9 * n * n) + 0.3)) + (0.004 * Math.Cos(0.37 * t * (n + 1))) + (0.0002 * (n - 2));
        }
        var r = BacktestOverfitting.Estimate(m, new CscvOptions { Blocks = 8 });
        Assert.Equal((70, 6, 2), (r.Splits.Length, r.RowsPerBlock, r.RowsDropped));
        Assert.Equal(0.6, r.Probability, 1e-15);
        Assert.Equal(-0.7839429591377417, r.DegradationSlope, 1e-10);
        Assert.Equal(0.014223165561386648, r.DegradationIntercept, 1e-10);
        Assert.Equal(0.6428571428571429, r.ProbabilityOfLoss, 1e-15);
        var reference = new (int Index, int[] Blocks, int Selected, double In, double Out, double Lambda)[]
        {
            (0, [0, 1, 2, 3], 2, 0.05132385081936574, -0.08790666125877895, -1.6094379124341005),
            (1, [0, 1, 2, 4], 4, 0.050460600826059805, 0.040493550907057696, 1.6094379124341007),
            (34, [0, 5, 6, 7], 4, 0.0746200870978207, 0.005219597044708267, 1.6094379124341007),
            (69, [4, 5, 6, 7], 4, 0.04924982851457077, 0.04145830831517212, 0.6931471805599452),
        };
        foreach (var (index, blocks, selected, isValue, oosValue, lambda) in reference)
        {
            var split = r.Splits[index];
            Assert.Equal(blocks, split.InSampleBlocks);
            Assert.Equal(selected, split.Selected);
            Assert.Equal(isValue, split.InSample, 1e-12);
            Assert.Equal(oosValue, split.OutOfSample, 1e-12);
            Assert.Equal(lambda, split.Logit, 1e-12);
        }
    }

    [Theory]
    [InlineData(10, 0.5)]
    [InlineData(3, 2.0 / 3)]
    public void TrialsOfIdenticalNoiseOverfitWithTheMedianShare(int trials, double expected)
    {
        // With independent, identically distributed trials the out-of-sample rank of the in-sample best is
        // uniform on 1..N, so P(λ ≤ 0) = P(rank ≤ (N + 1)/2): 1/2 for even N, (N + 1)/(2N) for odd N (the
        // median counts as overfit). The splits of one matrix share blocks, so its PBO is no mean of
        // independent draws; the test averages 4000 independent matrices instead. Each PBO lies in [0, 1],
        // so its variance is at most 1/4 and the mean's standard error at most √(1/(4·4000)) = 0.0079:
        // the tolerance is 4 of those.
        const int matrices = 4000;
        var rng = new SplitMix64((ulong)trials);
        double sum = 0;
        for (var i = 0; i < matrices; i++)
            sum += BacktestOverfitting.Estimate(NullTrials.Matrix(ref rng, 80, trials), new CscvOptions { Blocks = 8 }).Probability;
        Assert.Equal(expected, sum / matrices, 4 * Math.Sqrt(1.0 / (4 * matrices)));
    }

    [Fact]
    public void ATrialWithATrueEdgeIsNeverOverfit()
    {
        // trial 7 earns 0.3 standard deviations a period; 19 others are noise; 400 rows in each half
        var rng = new SplitMix64(7);
        var m = NullTrials.Matrix(ref rng, 800, 20, n => n == 7 ? 0.3 : 0);
        var r = BacktestOverfitting.Estimate(m);
        Assert.Equal(12870, r.Splits.Length);
        Assert.All(r.Splits, s => Assert.Equal(7, s.Selected));
        Assert.Equal(0, r.Probability);
        Assert.Equal(0, r.ProbabilityOfLoss);
    }

    [Fact]
    public void TheInSampleBestAlwaysOutOfSampleWorstIsOverfitEverySplit()
    {
        // every trial's rows sum to 0, so its out-of-sample mean is minus its in-sample mean: the best in
        // sample is the worst out of sample, ω = 1/(N + 1) in every split, and OOS = −IS exactly on a line
        var rng = new SplitMix64(11);
        var m = NullTrials.Matrix(ref rng, 36, 4);
        foreach (var column in m)
        {
            var mean = column.Average();
            for (var t = 0; t < column.Length; t++)
                column[t] -= mean;
        }
        var r = BacktestOverfitting.Estimate(m, new CscvOptions { Blocks = 6, Measure = CscvMeasure.MeanReturn });
        Assert.Equal(20, r.Splits.Length);
        Assert.All(r.Splits, s => Assert.Equal(0.2, s.RelativeRank));
        Assert.Equal(1, r.Probability);
        Assert.Equal(-1, r.DegradationSlope, 1e-9);
        Assert.Equal(0, r.DegradationIntercept, 1e-12);
    }

    [Fact]
    public void ACustomMeasureScoresLikeTheBuiltInOne()
    {
        var rng = new SplitMix64(3);
        var m = NullTrials.Matrix(ref rng, 160, 6, n => 0.02 * n);
        var builtIn = BacktestOverfitting.Estimate(m);
        var custom = BacktestOverfitting.Estimate(m, new CscvOptions { CustomMeasure = r => SharpeStatistics.Sharpe(r) });
        Assert.Equal(builtIn.Splits.Length, custom.Splits.Length);
        for (var i = 0; i < builtIn.Splits.Length; i++)
        {
            Assert.Equal(builtIn.Splits[i].Selected, custom.Splits[i].Selected);
            Assert.Equal(builtIn.Splits[i].InSample, custom.Splits[i].InSample, 1e-12);
            Assert.Equal(builtIn.Splits[i].OutOfSample, custom.Splits[i].OutOfSample, 1e-12);
            Assert.Equal(builtIn.Splits[i].Logit, custom.Splits[i].Logit);
        }
        Assert.Equal(builtIn.Probability, custom.Probability);
    }

    [Fact]
    public void DrawsDistinctSplitsBySeedWhenCapped()
    {
        var rng = new SplitMix64(5);
        var m = NullTrials.Matrix(ref rng, 64, 4);
        var a = BacktestOverfitting.Estimate(m, new CscvOptions { MaxCombinations = 100, Seed = 1 });
        var again = BacktestOverfitting.Estimate(m, new CscvOptions { MaxCombinations = 100, Seed = 1 });
        var other = BacktestOverfitting.Estimate(m, new CscvOptions { MaxCombinations = 100, Seed = 2 });
        Assert.True(a.Sampled);
        Assert.Equal(12870, a.AllCombinations);
        var keys = a.Splits.Select(s => string.Join(',', s.InSampleBlocks)).ToList();
        Assert.Equal(100, keys.Distinct().Count());
        Assert.Equal(keys, again.Splits.Select(s => string.Join(',', s.InSampleBlocks)));
        Assert.NotEqual(keys, other.Splits.Select(s => string.Join(',', s.InSampleBlocks)));
        // lexicographic order, as in the full enumeration
        Assert.Equal(keys, keys.OrderBy(k => k.Split(',').Select(int.Parse).ToArray(), new Lexicographic()));
        Assert.All(a.Splits, s => Assert.Equal(8, s.InSampleBlocks.Length));
    }

    [Fact]
    public void SamplesSplitsBeyondTheExactLimitOnlyWhenCapped()
    {
        var rng = new SplitMix64(9);
        var m = NullTrials.Matrix(ref rng, 48, 3);
        var e = Assert.Throws<ArgumentException>(() => BacktestOverfitting.Estimate(m, new CscvOptions { Blocks = 24 }));
        Assert.StartsWith("24 blocks make 2704156 splits, more than the 1000000 evaluated exactly: set MaxCombinations", e.Message, StringComparison.Ordinal);
        var r = BacktestOverfitting.Estimate(m, new CscvOptions { Blocks = 24, MaxCombinations = 50 });
        Assert.Equal(50, r.Splits.Select(s => string.Join(',', s.InSampleBlocks)).Distinct().Count());
        Assert.All(r.Splits, s => Assert.Equal(12, s.InSampleBlocks.Length));
    }

    [Fact]
    public void RefusesAMatrixItCannotSplit()
    {
        double[][] ragged = [[0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3]];
        var e = Assert.Throws<ArgumentException>(() => BacktestOverfitting.Estimate(ragged, new CscvOptions { Blocks = 2 }));
        Assert.StartsWith("trial 1 has 3 returns, trial 0 has 4: every trial needs the same rows", e.Message, StringComparison.Ordinal);
        double[][] nan = [[0.1, 0.2, 0.3, 0.4], [0.1, double.NaN, 0.3, 0.4]];
        e = Assert.Throws<ArgumentException>(() => BacktestOverfitting.Estimate(nan, new CscvOptions { Blocks = 2 }));
        Assert.StartsWith("trial 1 has return NaN at row 1, not a finite number", e.Message, StringComparison.Ordinal);
        double[][] shortRows = [[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]];
        e = Assert.Throws<ArgumentException>(() => BacktestOverfitting.Estimate(shortRows, new CscvOptions { Blocks = 2 }));
        Assert.StartsWith("3 rows are too few for 2 blocks: each half needs at least 2 rows", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => BacktestOverfitting.Estimate(shortRows, new CscvOptions { Blocks = 3 }));
        e = Assert.Throws<ArgumentException>(() => BacktestOverfitting.Estimate([[0.1, 0.2, 0.3, 0.4]], new CscvOptions { Blocks = 2 }));
        Assert.StartsWith("CSCV needs at least 2 trials, found 1", e.Message, StringComparison.Ordinal);
    }

    private sealed class Lexicographic : IComparer<int[]>
    {
        public int Compare(int[]? x, int[]? y)
        {
            for (var i = 0; i < Math.Min(x!.Length, y!.Length); i++)
                if (x[i] != y[i])
                    return x[i].CompareTo(y[i]);
            return x.Length.CompareTo(y.Length);
        }
    }
}
