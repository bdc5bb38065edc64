using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Gbdt;

namespace StrategyLab.Runtime.Tests.Models.Gbdt;

public sealed class GbdtModelTests
{
    // one round, two leaves: every expected number below is worked out by hand from the gradient sums
    private static readonly GbdtOptions Stump = new()
    {
        Rounds = 1,
        NumLeaves = 2,
        MinDataInLeaf = 1,
        MinSumHessianInLeaf = 0,
        Lambda = 1,
        LearningRate = 0.5,
        Threads = 1,
    };

    private static double[] PredictAll(GbdtModel model, double[] x)
    {
        var output = new double[x.Length / model.FeatureCount * model.OutputCount];
        model.Predict(x, output);
        return output;
    }

    /// <summary>Rows of standard normals (seeded) and y = 2 x0 − x1² + 0.5 noise, with every feature NaN 5% of the time.</summary>
    private static (double[] X, double[] Y) Regression(int rows, int features, ulong seed, bool withMissing = true)
    {
        var rng = new SplitMix64(seed);
        var x = new double[rows * features];
        var y = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            for (var f = 0; f < features; f++)
                x[i * features + f] = rng.Normal();
            y[i] = 2 * x[i * features] - x[i * features + 1] * x[i * features + 1] + 0.5 * rng.Normal();
            for (var f = 0; f < features; f++)
                if (withMissing && rng.Uniform() < 0.05)
                    x[i * features + f] = double.NaN;
        }
        return (x, y);
    }

    private static double[] Classes(double[] y)
    {
        var c = new double[y.Length];
        for (var i = 0; i < y.Length; i++)
            c[i] = y[i] > -1 ? 1 : 0;
        return c;
    }

    [Fact]
    public void SingleSplitLeafValuesAreMinusGradientSumOverHessianSumPlusLambda()
    {
        // base score = mean(y) = 3; g = 3 − y = (2, 2, 2, −2, −2, −2), h = 1.
        // Best split x ≤ 3.5: left G = 6, H = 3 → w = −6 / (3 + 1) × 0.5 = −0.75; right +0.75.
        // Gain ½(6²/4 + 6²/4 − 0²/7) = 9; the next best (x ≤ 2.5) has ½(4²/3 + 4²/5 − 0) ≈ 4.27.
        double[] x = [1, 2, 3, 4, 5, 6];
        double[] y = [1, 1, 1, 5, 5, 5];
        var model = GbdtModel.Train(x, y, Stump);
        Assert.Equal([2.25, 2.25, 2.25, 3.75, 3.75, 3.75], PredictAll(model, x));
        // the threshold is the midpoint 3.5 between the two training values around it
        Assert.Equal([2.25, 3.75], PredictAll(model, [3.5, 3.5000001]));
        Assert.Equal([9.0], model.FeatureImportance());
    }

    [Fact]
    public void LeafValuesUseTheRegularisedNewtonStepForLogLoss()
    {
        // labels 0,0,0,1 with x 1..4: base = logit(1/4) = −ln 3, p = 1/4 for every row, g = p − y, h = 3/16.
        // Best split x ≤ 3.5 (left G = 3/4, H = 9/16; right G = −3/4, H = 3/16), λ = 1, learning rate 0.5.
        double[] x = [1, 2, 3, 4];
        double[] y = [0, 0, 0, 1];
        var model = GbdtModel.Train(x, y, Stump with { Objective = GbdtObjective.Binary });
        var raw = new double[4];
        model.PredictRaw(x, raw);
        var b = -Math.Log(3);
        var left = b - 0.75 / (0.5625 + 1) * 0.5;
        var right = b + 0.75 / (0.1875 + 1) * 0.5;
        for (var i = 0; i < 3; i++)
            Assert.Equal(left, raw[i], 12);
        Assert.Equal(right, raw[3], 12);
        var p = PredictAll(model, x);
        Assert.Equal(1 / (1 + Math.Exp(-right)), p[3], 12);
    }

    [Fact]
    public void MissingValuesGoToTheSideWhoseLabelsTheyResemble()
    {
        double nan = double.NaN;
        double[] x = [1, 2, 3, nan, nan, 4, 5, 6];
        var options = Stump with { Lambda = 0, LearningRate = 1 };
        // missing rows labelled like the high side go right, like the low side go left
        var high = GbdtModel.Train(x, new double[] { 0, 0, 0, 10, 10, 10, 10, 10 }, options);
        Assert.Equal(10.0, PredictAll(high, [nan])[0], 12);
        Assert.Equal(10.0, PredictAll(high, [4.0])[0], 12);
        Assert.Equal(0.0, PredictAll(high, [3.0])[0], 12);
        var low = GbdtModel.Train(x, new double[] { 0, 0, 0, 0, 0, 10, 10, 10 }, options);
        Assert.Equal(0.0, PredictAll(low, [nan])[0], 12);
        Assert.Equal(10.0, PredictAll(low, [4.0])[0], 12);
    }

    [Fact]
    public void MissingAloneCanBeTheSplit()
    {
        // all observed values share one label and all missing ones another: the split is "missing or not"
        double nan = double.NaN;
        double[] x = [1, 2, 3, 4, nan, nan];
        var model = GbdtModel.Train(x, new double[] { 1, 1, 1, 1, 7, 7 }, Stump with { Lambda = 0, LearningRate = 1 });
        Assert.Equal([1.0, 1.0, 7.0], PredictAll(model, [-100, 100, nan]), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void WithoutMissingTrainingValuesMissingGoesToTheLargerSide()
    {
        double[] x = [1, 2, 3, 4, 5, 6, 7, 8];
        var model = GbdtModel.Train(x, new double[] { 0, 0, 9, 9, 9, 9, 9, 9 }, Stump with { Lambda = 0, LearningRate = 1 });
        Assert.Equal(9.0, PredictAll(model, [double.NaN])[0], 12);
    }

    [Fact]
    public void MulticlassSeparatesThreeClassesAndGivesProbabilitiesThatSumToOne()
    {
        // class 0 for x0 in [−3, −1.5], 1 for [−0.75, 0.75], 2 for [1.5, 3]; x1 is noise
        static (double[] X, double[] Y) Make(int rows, ulong seed)
        {
            var rng = new SplitMix64(seed);
            var x = new double[rows * 2];
            var y = new double[rows];
            for (var i = 0; i < rows; i++)
            {
                var c = i % 3;
                x[2 * i] = (c - 1) * 2.25 + (rng.Uniform() - 0.5) * 1.5;
                x[2 * i + 1] = rng.Normal();
                y[i] = c;
            }
            return (x, y);
        }
        var (x, y) = Make(300, 11);
        var model = GbdtModel.Train(x, y, new GbdtOptions { Objective = GbdtObjective.Multiclass, ClassCount = 3, Rounds = 20, NumLeaves = 4, MinDataInLeaf = 5, Threads = 1 });
        Assert.Equal(3, model.OutputCount);
        Assert.Equal(60, model.Trees.Count);
        var (xt, yt) = Make(90, 12);
        var p = PredictAll(model, xt);
        for (var i = 0; i < yt.Length; i++)
        {
            var row = p.AsSpan(3 * i, 3);
            Assert.Equal(1.0, row[0] + row[1] + row[2], 12);
            var argmax = row.IndexOf(Math.Max(row[0], Math.Max(row[1], row[2])));
            Assert.Equal((int)yt[i], argmax);
            Assert.True(row[argmax] > 0.9, $"row {i}: probability {row[argmax]}");
        }
    }

    [Fact]
    public void TheSameSeedGivesBitIdenticalModelsAndAnotherSeedDoesNot()
    {
        var (x, y) = Regression(2000, 6, 1);
        var options = new GbdtOptions { Rounds = 15, NumLeaves = 8, FeatureFraction = 0.5, BaggingFraction = 0.7, Seed = 42, Threads = 2 };
        var a = PredictAll(GbdtModel.Train(x, y, options), x);
        var b = PredictAll(GbdtModel.Train(x, y, options), x);
        var c = PredictAll(GbdtModel.Train(x, y, options with { Seed = 43 }), x);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void OneAndTwoThreadsGiveBitIdenticalModels()
    {
        // large enough that histograms and binning run in parallel with two threads
        var (x, y) = Regression(12_000, 24, 2);
        foreach (var objective in new[] { GbdtObjective.SquaredError, GbdtObjective.Binary })
        {
            var labels = objective == GbdtObjective.Binary ? Classes(y) : y;
            var options = new GbdtOptions { Objective = objective, Rounds = 8, NumLeaves = 15, BaggingFraction = 0.8, FeatureFraction = 0.8, Seed = 5 };
            var one = GbdtModel.Train(x, labels, options with { Threads = 1 });
            var two = GbdtModel.Train(x, labels, options with { Threads = 2 });
            Assert.Equal(PredictAll(one, x), PredictAll(two, x));
            Assert.Equal(one.FeatureImportance(), two.FeatureImportance());
        }
        // the benchmark's settings: no missing values, one row per leaf, so log-loss histograms carry no row counts
        var (full, fullY) = Regression(12_000, 24, 3, withMissing: false);
        var settings = new GbdtOptions { Objective = GbdtObjective.Binary, Rounds = 8, NumLeaves = 31, MinDataInLeaf = 1, MinSumHessianInLeaf = 1 };
        var single = GbdtModel.Train(full, Classes(fullY), settings with { Threads = 1 });
        var dual = GbdtModel.Train(full, Classes(fullY), settings with { Threads = 2 });
        Assert.Equal(PredictAll(single, full), PredictAll(dual, full));
        Assert.Equal(single.FeatureImportance(), dual.FeatureImportance());
        // enough rows that the root's partition runs in two blocks
        var (tall, tallY) = Regression(80_000, 3, 4);
        var few = new GbdtOptions { Rounds = 2, NumLeaves = 6, MinDataInLeaf = 1 };
        Assert.Equal(PredictAll(GbdtModel.Train(tall, tallY, few with { Threads = 1 }), tall), PredictAll(GbdtModel.Train(tall, tallY, few with { Threads = 2 }), tall));
    }

    [Fact]
    public void ShuffledRowsGiveTheSameModel()
    {
        // more rows than a 200,000-row bin sample would take, so bounds from a sample would move with the order;
        // histograms add the rows in another order too, so predictions are held to 1e−9 rather than to the bit
        const int rows = 250_000, features = 3;
        var (x, y) = Regression(rows, features, 6);
        var order = Enumerable.Range(0, rows).ToArray();
        new Random(1).Shuffle(order);
        var shuffledX = new double[x.Length];
        var shuffledY = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            Array.Copy(x, order[i] * features, shuffledX, i * features, features);
            shuffledY[i] = y[order[i]];
        }
        var options = new GbdtOptions { Rounds = 10, NumLeaves = 15, Threads = 2 };
        var given = PredictAll(GbdtModel.Train(x, y, options), x);
        var shuffled = PredictAll(GbdtModel.Train(shuffledX, shuffledY, options), x);
        for (var i = 0; i < rows; i++)
            Assert.InRange(Math.Abs(given[i] - shuffled[i]), 0, 1e-9);
    }

    [Fact]
    public void EarlyStoppingKeepsTheRoundsUpToTheBestValidationLoss()
    {
        // labels are pure noise, so the validation loss soon stops improving
        var rng = new SplitMix64(3);
        var x = new double[1500 * 3];
        var y = new double[1500];
        for (var i = 0; i < x.Length; i++)
            x[i] = rng.Normal();
        for (var i = 0; i < y.Length; i++)
            y[i] = rng.Uniform() < 0.5 ? 1 : 0;
        var train = (X: x.AsMemory(0, 1000 * 3), Y: y.AsMemory(0, 1000));
        var validation = new GbdtValidation(x.AsMemory(1000 * 3), y.AsMemory(1000));
        var options = new GbdtOptions { Objective = GbdtObjective.Binary, Rounds = 200, NumLeaves = 8, EarlyStoppingRounds = 5, Threads = 1 };
        var model = GbdtModel.Train(train.X, train.Y, options, validation);

        var losses = model.ValidationLoss;
        Assert.True(model.Rounds < 200, $"kept {model.Rounds} rounds");
        Assert.Equal(model.BestRound, model.Rounds);
        Assert.Equal(model.BestRound + 5, losses.Count);
        var best = 0;
        for (var i = 1; i < losses.Count; i++)
            if (losses[i] < losses[best])
                best = i;
        Assert.Equal(best + 1, model.BestRound);
        // the kept model is the model trained for exactly that many rounds
        var direct = GbdtModel.Train(train.X, train.Y, options with { Rounds = model.BestRound, EarlyStoppingRounds = 0 });
        var xv = x.AsSpan(1000 * 3).ToArray();
        Assert.Equal(PredictAll(direct, xv), PredictAll(model, xv));
    }

    [Fact]
    public void ValidationLossIsTheMeanSquaredErrorOfTheValidationPredictions()
    {
        var (x, y) = Regression(600, 3, 4);
        var validation = new GbdtValidation(x.AsMemory(400 * 3), y.AsMemory(400));
        var model = GbdtModel.Train(x.AsMemory(0, 400 * 3), y.AsMemory(0, 400), new GbdtOptions { Rounds = 6, NumLeaves = 4, Threads = 1 }, validation);
        var p = PredictAll(model, x[(400 * 3)..]);
        double mse = 0;
        for (var i = 0; i < 200; i++)
            mse += (p[i] - y[400 + i]) * (p[i] - y[400 + i]);
        Assert.Equal(6, model.ValidationLoss.Count);
        Assert.Equal(mse / 200, model.ValidationLoss[^1], 12);
    }

    [Fact]
    public void ContinuingTrainingEqualsTrainingAllRoundsAtOnce()
    {
        var (x, y) = Regression(3000, 5, 6);
        foreach (var (objective, labels, classes) in new[] { (GbdtObjective.Binary, Classes(y), 2), (GbdtObjective.Multiclass, Tertiles(y), 3), (GbdtObjective.SquaredError, y, 2) })
        {
            var options = new GbdtOptions { Objective = objective, ClassCount = classes, Rounds = 7, NumLeaves = 10, BaggingFraction = 0.8, FeatureFraction = 0.6, Seed = 9, Threads = 2 };
            var first = GbdtModel.Train(x, labels, options);
            var continued = first.ContinueTraining(x, labels, 5);
            var atOnce = GbdtModel.Train(x, labels, options with { Rounds = 12 });
            Assert.Equal(12, continued.Rounds);
            Assert.Equal(PredictAll(atOnce, x), PredictAll(continued, x));
            Assert.NotEqual(PredictAll(first, x), PredictAll(continued, x));
        }

        static double[] Tertiles(double[] y)
        {
            var c = new double[y.Length];
            for (var i = 0; i < y.Length; i++)
                c[i] = y[i] < -1.5 ? 0 : y[i] < 0.5 ? 1 : 2;
            return c;
        }
    }

    [Fact]
    public void ImportanceGoesToTheFeaturesTheLabelDependsOn()
    {
        var (x, y) = Regression(3000, 5, 7, withMissing: false);
        var importance = GbdtModel.Train(x, y, new GbdtOptions { Rounds = 20, NumLeaves = 8, Threads = 1 }).FeatureImportance();
        // y = 2 x0 − x1² + noise: x0 and x1 carry almost all the gain
        var noise = importance[2] + importance[3] + importance[4];
        Assert.True(importance[0] > 10 * noise && importance[1] > 10 * noise, string.Join(", ", importance));
    }

    [Fact]
    public void LearnsANonLinearFunctionWellOnHeldOutRows()
    {
        var (x, y) = Regression(6000, 4, 8, withMissing: false);
        var model = GbdtModel.Train(x.AsMemory(0, 5000 * 4), y.AsMemory(0, 5000), new GbdtOptions { Rounds = 150, NumLeaves = 15, Threads = 2 });
        var p = PredictAll(model, x[(5000 * 4)..]);
        double sse = 0, sst = 0, mean = 0;
        for (var i = 5000; i < 6000; i++)
            mean += y[i] / 1000;
        for (var i = 0; i < 1000; i++)
        {
            sse += (p[i] - y[5000 + i]) * (p[i] - y[5000 + i]);
            sst += (y[5000 + i] - mean) * (y[5000 + i] - mean);
        }
        // noise variance 0.25 against a signal variance of 4 + 2: the attainable R² is about 0.96
        Assert.True(1 - sse / sst > 0.9, $"R² {1 - sse / sst}");
    }

    [Fact]
    public void DepthAndLeafLimitsBoundEveryTree()
    {
        var (x, y) = Regression(3000, 4, 10);
        var model = GbdtModel.Train(x, y, new GbdtOptions { Rounds = 5, NumLeaves = 50, MaxDepth = 3, MinDataInLeaf = 1, Threads = 1 });
        foreach (var tree in model.Trees)
        {
            Assert.Equal(8, tree.LeafValue.Length);
            Assert.Equal(3, Depth(tree, 0));
        }
        var leaves = GbdtModel.Train(x, y, new GbdtOptions { Rounds = 5, NumLeaves = 5, MinDataInLeaf = 1, Threads = 1 });
        Assert.All(leaves.Trees, t => Assert.Equal(5, t.LeafValue.Length));

        static int Depth(GbdtTree tree, int node) =>
            node < 0 ? 0 : 1 + Math.Max(Depth(tree, tree.Left[node]), Depth(tree, tree.Right[node]));
    }

    [Fact]
    public void MinDataInLeafIsRespected()
    {
        var (x, y) = Regression(500, 2, 12, withMissing: false);
        var model = GbdtModel.Train(x, y, new GbdtOptions { Rounds = 3, NumLeaves = 64, MinDataInLeaf = 40, Threads = 1 });
        foreach (var tree in model.Trees)
        {
            var counts = new int[tree.LeafValue.Length];
            for (var i = 0; i < 500; i++)
                counts[tree.LeafOf(x.AsSpan(2 * i, 2))]++;
            Assert.All(counts, c => Assert.True(c >= 40, $"a leaf has {c} rows"));
        }
    }

    [Fact]
    public void TheMinimumHessianOfAChildDecidesWhichSplitsAreAllowed()
    {
        // balanced labels: base score 0, p = ½, g = p − y = ±½ and h = p(1 − p) = ¼ for every row.
        // Left sums for x ≤ t + ½: t = 4 gives G = 1, H = 1; t = 5 gives G = 1.5, H = 1.25 (right H = 0.75).
        // With λ = 1 the gains are ½(1/2 + 1/2) = 0.5 at t = 4 and ½(2.25/2.25 + 2.25/1.75) ≈ 1.14 at t = 5, the best.
        // Minimum hessian 1 forbids t = 5 (right 0.75) and leaves t = 4: leaves −1/(1 + 1) and 1/(1 + 1).
        // Minimum 0.75 allows t = 5: leaves −1.5/2.25 = −2/3 and 1.5/1.75 = 6/7. Each bound holds inclusively.
        double[] x = [1, 2, 3, 4, 5, 6, 7, 8];
        double[] y = [1, 0, 0, 0, 0, 1, 1, 1];
        var options = new GbdtOptions { Objective = GbdtObjective.Binary, Rounds = 1, NumLeaves = 2, MinDataInLeaf = 1, Lambda = 1, LearningRate = 1, Threads = 1 };
        var raw = new double[8];
        GbdtModel.Train(x, y, options with { MinSumHessianInLeaf = 1 }).PredictRaw(x, raw);
        Assert.Equal([-0.5, -0.5, -0.5, -0.5, 0.5, 0.5, 0.5, 0.5], raw);
        GbdtModel.Train(x, y, options with { MinSumHessianInLeaf = 0.75 }).PredictRaw(x, raw);
        Assert.Equal(new[] { -2.0 / 3, -2.0 / 3, -2.0 / 3, -2.0 / 3, -2.0 / 3, 6.0 / 7, 6.0 / 7, 6.0 / 7 }, raw, new ToleranceComparer(1e-15));
        // a minimum above half the total hessian (2) allows no split at all: the model stays at the base score
        GbdtModel.Train(x, y, options with { MinSumHessianInLeaf = 1.01 }).PredictRaw(x, raw);
        Assert.All(raw, r => Assert.Equal(0.0, r));
    }

    [Fact]
    public void With256BinsASplitCanIsolateTheTopTwoHundredFiftySixth()
    {
        // x = 0 … 2559 in 256 bins of 10 values; y = 1 on the top 10 rows. Base score 10/2560 = 1/256, h = 1,
        // g = 1/256 − y. The best split is x ≤ 2549.5: left G = 2550/256, H = 2550; right G = 10/256 − 10, H = 10.
        // Leaves (λ = 1, learning rate ½): −(2550/256)/2551 × ½ and (10 − 10/256)/11 × ½ added to the base score.
        // With 255 bins the last bin holds 11 values (2549 … 2559), so no split separates 2549 from 2550.
        const int rows = 2560;
        var x = new double[rows];
        var y = new double[rows];
        for (var i = 0; i < rows; i++)
            (x[i], y[i]) = (i, i >= 2550 ? 1 : 0);
        var model = GbdtModel.Train(x, y, Stump with { MaxBins = 256 });
        var left = 1.0 / 256 - 2550.0 / 256 / 2551 * 0.5;
        var right = 1.0 / 256 + (10 - 10.0 / 256) / 11 * 0.5;
        var comparer = new ToleranceComparer(1e-15);
        Assert.Equal(new[] { left, left, right, right }, PredictAll(model, [0, 2549, 2550, 2559]), comparer);
        var coarser = PredictAll(GbdtModel.Train(x, y, Stump with { MaxBins = 255 }), [2549, 2550]);
        Assert.Equal(coarser[0], coarser[1]);
    }

    [Fact]
    public void RejectsBadSettingsAndLabelsWithMessagesThatNameThem()
    {
        double[] x = [1, 2, 3, 4];
        var e = Assert.Throws<ArgumentException>(() => GbdtModel.Train(x, new double[] { 0, 1, 2, 1 }, new GbdtOptions { Objective = GbdtObjective.Binary }));
        Assert.Equal("training label 2 is 2; expected 0 or 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => GbdtModel.Train(x, new double[] { 0, 1, 0, 1 }, new GbdtOptions { NumLeaves = 1 }));
        Assert.Equal("NumLeaves must be at least 2, found 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => GbdtModel.Train(x, new double[] { 0, 1, 0 }, new GbdtOptions()));
        Assert.Equal("the training matrix has 4 values, not a whole number of columns for 3 labels", e.Message);
        var model = GbdtModel.Train(x, new double[] { 0, 1, 0, 1 }, Stump);
        e = Assert.Throws<ArgumentException>(() => model.Predict(new double[4], new double[3]));
        Assert.Equal("the output has 3 values; 4 rows need 4", e.Message);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;

        public int GetHashCode(double value) => 0;
    }
}
