using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Gbdt;

namespace StrategyLab.Runtime.Tests.Models.Gbdt;

public sealed class TreeLearnerTests
{
    /// <summary>Standard normal features (no missing values) and log-loss gradients of scores spread wide enough that some hessians are tiny.</summary>
    private static (double[] X, double[] Gh) LogLossRows(int rows, int features, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var x = new double[rows * features];
        var gh = new double[2 * rows];
        for (var i = 0; i < rows; i++)
        {
            for (var f = 0; f < features; f++)
                x[i * features + f] = rng.Normal();
            var p = GbdtModel.Sigmoid(4 * x[i * features] + 6 * rng.Normal());
            var y = rng.Uniform() < p ? 1.0 : 0.0;
            gh[2 * i] = p - y;
            gh[2 * i + 1] = Math.Max(p * (1 - p), 1e-16);
        }
        return (x, gh);
    }

    [Theory]
    [InlineData(1e-3)]
    [InlineData(1.0)]
    [InlineData(5.0)]
    public void WithoutRowCountsTheTreeIsTheOneCountingRowsGives(double minHessian)
    {
        // with at least one row per leaf and a positive minimum hessian sum, histograms without row
        // counts must give the very tree that histograms with them give
        const int rows = 6000, features = 5;
        var (x, gh) = LogLossRows(rows, features, 17);
        var options = new GbdtOptions { Objective = GbdtObjective.Binary, NumLeaves = 40, MinDataInLeaf = 1, MinSumHessianInLeaf = minHessian, Threads = 1 };
        var bins = FeatureBins.Fit(x, rows, features, options.MaxBins, 1);
        var binned = bins.Apply(x, rows, 1);
        GbdtTree Grow(bool countRows)
        {
            var learner = new TreeLearner(binned, bins, options, rows, double.NaN, countRows);
            Array.Fill(learner.FeatureUsed, true);
            return learner.Grow(gh, null, rows);
        }
        var counted = Grow(true);
        var uncounted = Grow(false);
        Assert.True(counted.NodeCount >= 10);
        Assert.Equal(counted.Feature, uncounted.Feature);
        Assert.Equal(counted.ThresholdBin, uncounted.ThresholdBin);
        Assert.Equal(counted.DefaultLeft, uncounted.DefaultLeft);
        Assert.Equal(counted.Left, uncounted.Left);
        Assert.Equal(counted.Right, uncounted.Right);
        Assert.Equal(counted.LeafValue, uncounted.LeafValue);
    }
}
