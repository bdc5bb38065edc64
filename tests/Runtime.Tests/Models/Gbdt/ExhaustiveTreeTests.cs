using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Gbdt;

namespace StrategyLab.Runtime.Tests.Models.Gbdt;

/// <summary>
/// With fewer distinct values per feature than bins, histogram boosting must find exactly the
/// tree an exhaustive search finds. The reference here grows leaf-wise by scanning every row for
/// every threshold, with no histograms, no subtraction and no bins.
/// </summary>
public sealed class ExhaustiveTreeTests
{
    private sealed record Leaf(int[] Rows, double Value);

    private static List<Leaf> ExhaustiveTree(double[] x, int features, double[] g, double lambda, int numLeaves, int minData)
    {
        var leaves = new List<int[]> { Enumerable.Range(0, g.Length).ToArray() };
        while (leaves.Count < numLeaves)
        {
            (double Gain, int Leaf, int[] Left, int[] Right) best = (0, -1, [], []);
            for (var l = 0; l < leaves.Count; l++)
            {
                var rows = leaves[l];
                double G = rows.Sum(r => g[r]), H = rows.Length;
                for (var f = 0; f < features; f++)
                    foreach (var t in rows.Select(r => x[r * features + f]).Distinct())
                    {
                        var left = rows.Where(r => x[r * features + f] <= t).ToArray();
                        var right = rows.Where(r => x[r * features + f] > t).ToArray();
                        if (left.Length < minData || right.Length < minData)
                            continue;
                        double gl = left.Sum(r => g[r]), hl = left.Length;
                        var gain = 0.5 * (gl * gl / (hl + lambda) + (G - gl) * (G - gl) / (H - hl + lambda) - G * G / (H + lambda));
                        if (gain > best.Gain + 1e-9)
                            best = (gain, l, left, right);
                    }
            }
            if (best.Leaf < 0)
                break;
            leaves[best.Leaf] = best.Left;
            leaves.Add(best.Right);
        }
        return leaves.Select(rows => new Leaf(rows, -rows.Sum(r => g[r]) / (rows.Length + lambda))).ToList();
    }

    [Fact]
    public void FirstTreeEqualsTheExhaustiveLeafWiseTree()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var rng = new SplitMix64((ulong)seed);
            const int rows = 120, features = 3;
            var x = new double[rows * features];
            var y = new double[rows];
            for (var i = 0; i < rows; i++)
            {
                for (var f = 0; f < features; f++)
                    x[i * features + f] = Math.Round(rng.Normal() * 20) / 4; // about 60 distinct values
                y[i] = Math.Sin(x[i * features]) + x[i * features + 1] * x[i * features + 2] / 10 + rng.Normal();
            }
            var numLeaves = 2 + (int)(rng.Next() % 10);
            var minData = 1 + (int)(rng.Next() % 8);
            var lambda = 3 * rng.Uniform();
            var model = GbdtModel.Train(x, y, new GbdtOptions { Rounds = 1, NumLeaves = numLeaves, MinDataInLeaf = minData, MinSumHessianInLeaf = 0, Lambda = lambda, LearningRate = 1, Threads = 1 });
            var mean = y.Average();
            var g = y.Select(v => mean - v).ToArray();
            var expected = ExhaustiveTree(x, features, g, lambda, numLeaves, minData);
            var predictions = new double[rows];
            model.PredictRaw(x, predictions);
            var baseScore = predictions.Length > 0 ? y.Sum() / rows : 0;
            if (model.Trees[0].LeafValue.Length != expected.Count)
                return false;
            foreach (var leaf in expected)
                foreach (var r in leaf.Rows)
                    if (Math.Abs(predictions[r] - (baseScore + leaf.Value)) > 1e-9)
                        return false;
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(40));
    }
}
