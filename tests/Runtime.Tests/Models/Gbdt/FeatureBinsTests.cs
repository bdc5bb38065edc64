using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Gbdt;

namespace StrategyLab.Runtime.Tests.Models.Gbdt;

public sealed class FeatureBinsTests
{
    [Fact]
    public void ApplyPutsEveryValueInTheBinThatBinarySearchFinds()
    {
        // feature 0 has 300 distinct values (quantile bins), feature 1 has 7 (one bin each), feature 2 is constant;
        // the values binned include every bound itself, its neighbours, ±∞ and NaN
        const int rows = 3000, features = 3;
        var rng = new SplitMix64(11);
        var x = new double[rows * features];
        for (var i = 0; i < rows; i++)
        {
            x[i * features] = Math.Round(rng.Normal() * 50);
            x[i * features + 1] = i % 7;
            x[i * features + 2] = 4.5;
        }
        var bins = FeatureBins.Fit(x, rows, features, 255, 1);
        Assert.InRange(bins.Count(0), 200, 255);
        Assert.Equal(7, bins.Count(1));
        Assert.Equal(1, bins.Count(2));
        var probes = new List<double> { double.NegativeInfinity, double.PositiveInfinity, double.NaN, -1e300, 1e300, 0 };
        for (var f = 0; f < features; f++)
            foreach (var u in bins.Upper(f))
                probes.AddRange([u, Math.BitDecrement(u), Math.BitIncrement(u)]);
        var table = new double[probes.Count * features];
        for (var p = 0; p < probes.Count; p++)
            for (var f = 0; f < features; f++)
                table[p * features + f] = probes[p];
        var binned = bins.Apply(table, probes.Count, 2);
        for (var p = 0; p < probes.Count; p++)
            for (var f = 0; f < features; f++)
                Assert.Equal(bins.BinOf(f, probes[p]), binned[p * features + f]);
        Assert.Equal(bins.Count(0), binned[2 * features]); // NaN: the missing bin after the numeric ones
    }

    [Fact]
    public void BoundsAreQuantilesOfEveryRowWhateverTheirOrder()
    {
        // more rows than a sample would take: each of the 255 bins must hold 300,000 / 255 rows (1,176 or 1,177),
        // and the same rows shuffled must give the same bounds
        const int rows = 300_000;
        var rng = new SplitMix64(5);
        var x = new double[rows];
        for (var i = 0; i < rows; i++)
            x[i] = rng.Normal();
        var bins = FeatureBins.Fit(x, rows, 1, 255, 2);
        Assert.Equal(255, bins.Count(0));
        var held = new int[bins.Count(0)];
        foreach (var v in x)
            held[bins.BinOf(0, v)]++;
        Assert.All(held, n => Assert.InRange(n, rows / 255, rows / 255 + 1));
        var shuffled = (double[])x.Clone();
        new Random(9).Shuffle(shuffled);
        Assert.Equal(bins.Upper(0).ToArray(), FeatureBins.Fit(shuffled, rows, 1, 255, 2).Upper(0).ToArray());
    }

    [Fact]
    public void AFeatureWithoutMissingValuesGets256BinsAndOneWithThemGets255()
    {
        // 2,560 distinct values 0 … 2559: 256 bins of 10 values each, bound k between 10k − 1 and 10k, i.e. 10k − 0.5
        const int rows = 2560;
        var x = new double[rows * 2];
        for (var i = 0; i < rows; i++)
            (x[2 * i], x[2 * i + 1]) = (i, i == 7 ? double.NaN : i);
        var bins = FeatureBins.Fit(x, rows, 2, 256, 1);
        Assert.Equal(256, bins.Count(0));
        for (var k = 1; k < 256; k++)
            Assert.Equal(10 * k - 0.5, bins.Upper(0)[k - 1]);
        Assert.Equal(double.PositiveInfinity, bins.Upper(0)[255]);
        // the second feature has a NaN, so its missing bin needs the byte number 255
        Assert.Equal(255, bins.Count(1));
        var binned = bins.Apply(x, rows, 1);
        Assert.Equal(255, binned[2 * (rows - 1)]);
        Assert.Equal(255, binned[2 * 7 + 1]);
    }

    [Fact]
    public void ANaNInAFeatureWith256BinsIsRefusedByName()
    {
        var x = new double[512];
        for (var i = 0; i < x.Length; i++)
            x[i] = i;
        var bins = FeatureBins.Fit(x, x.Length, 1, 256, 1);
        Assert.Equal(256, bins.Count(0));
        x[300] = double.NaN;
        var e = Assert.Throws<ArgumentException>(() => bins.Apply(x, x.Length, 1));
        Assert.Equal("feature 0 has a missing value (NaN) in row 300, but its 256 bins were placed on rows without any; train with at most 255 bins to allow missing values", e.Message);
    }
}
